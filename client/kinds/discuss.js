// A discussion: short posts, upvoted. Phone: compose and upvote; screen: the wall of posts;
// console: moderation (highlight, hide, award the author), and the board grouped by theme.

import { fill, h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { details, renderCard, toast } from '../lib/ui.js';
import { GROUP, persist } from '../lib/kinds.js';

// -- phone -------------------------------------------------------------------------------------
function discussComposer(ctx, a) {
  const { send, sending } = ctx;
  return persist(`discuss:${a.id}`, () => {
    const box = h('textarea', {
      class: 'input disc-input', testid: 'discuss-input', rows: 3, maxlength: a.max_length,
      'aria-label': t('discuss.your_post'), placeholder: t('discuss.placeholder'),
    });
    const counter = h('span', { class: 'disc-counter', testid: 'discuss-counter' });
    const left = h('span', { class: 'disc-left', testid: 'discuss-left' });
    const btn = h('button', { type: 'submit', class: 'btn btn-primary disc-send', testid: 'discuss-submit' }, t('discuss.send'));
    const count = () => {
      const n = box.value.trim().length;
      counter.textContent = `${n}/${a.max_length}`;
      counter.classList.toggle('is-over', n > a.max_length);
    };
    box.addEventListener('input', count);
    const form = h('form', {
      class: 'disc-form', novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const cur = ctx.current();
        const text = box.value.trim();
        if (!cur || cur.id !== a.id || cur.status !== 'open') return;
        if (!text) { toast(t('discuss.need_text'), 'error'); box.focus(); return; }
        send(cur, { post: text }).then((ok) => {
          if (ok) {
            box.value = '';
            count();
          }
        });
      },
    }, box, h('div', { class: 'disc-bar' }, left, counter, btn));
    form._parts = { left, btn, box };
    count();
    return form;
  }, (el) => {
    const cur = ctx.current();
    const n = cur && typeof cur.posts_left === 'number' ? cur.posts_left : 0;
    el._parts.left.textContent = t('discuss.left', { n });
    el._parts.btn.disabled = n <= 0 || (cur ? sending(cur) : true);
    el._parts.box.disabled = n <= 0;
  });
}

function renderDiscuss(ctx, v, a) {
  const { send, showScores, standing, head, title, activityScreen, modeNote, statusLine } = ctx;
  const open = a.status === 'open';
  const posts = Array.isArray(a.posts) ? a.posts : [];
  const individual = !a.mode || a.mode === 'individual';
  const parts = [head(v, a), title(a)];
  parts.push(a.prompt ? h('p', { class: 'disc-prompt', testid: 'discuss-prompt' }, a.prompt) : null);
  parts.push(a.card ? details(`case:${a.id}`, t('phone.show_case'), renderCard(a.card)) : null);
  parts.push(modeNote(v, a));
  if (open) {
    parts.push(discussComposer(ctx, a));
    if (a.posts_left <= 0) parts.push(statusLine('ok', t('discuss.no_more', { n: a.max_posts })));
  } else if (a.status === 'closed') {
    parts.push(statusLine('closed', t('discuss.closed')));
  }
  if (a.status === 'revealed' && showScores(v)) parts.push(standing(v));
  parts.push(h('div', { class: 'options-heading' }, t('discuss.board', { n: posts.filter((x) => !x.hidden).length })));
  const vote = (post) => send(a, { upvote: post.id });
  parts.push(posts.length ? h('ul', { class: 'posts', testid: 'posts' }, posts.map((post) => {
    const cannot = !open || post.voted || post.hidden || (post.mine && individual);
    return h('li', {
      class: ['post', post.highlighted && 'is-highlighted', post.mine && 'is-mine', post.hidden && 'is-hidden'],
      testid: `post-${post.id}`, dataset: { post: post.id },
    },
    h('p', { class: 'post-text', testid: 'post-text' }, post.text),
    h('div', { class: 'post-meta' },
      post.highlighted ? h('span', { class: 'post-badge post-badge-star' }, t('discuss.highlighted')) : null,
      post.mine ? h('span', { class: 'post-badge' }, individual ? t('discuss.mine') : t('discuss.ours')) : null,
      post.hidden ? h('span', { class: 'post-badge post-badge-hidden' }, t('discuss.hidden')) : null,
      h('button', {
        type: 'button', class: ['post-vote', post.voted && 'is-voted'], testid: `upvote-${post.id}`,
        'aria-pressed': post.voted ? 'true' : 'false', disabled: cannot,
        'aria-label': t('discuss.upvote'), onclick: () => vote(post),
      }, h('span', { class: 'post-vote-arrow', 'aria-hidden': 'true' }, '▲'),
      h('span', { class: 'post-votes', testid: `votes-${post.id}` }, post.votes))));
  })) : h('p', { class: 'muted', testid: 'posts-empty' }, t('discuss.empty')));
  return activityScreen(a, parts);
}

// -- screen ------------------------------------------------------------------------------------
function buildDiscuss(ctx, v, a, refs) {
  const { closedNote } = ctx;
  const revealed = a.status === 'revealed';
  return h('div', { class: ['h-body', 'h-body-discuss', revealed && v.leaderboard && 'has-board'] },
    h('div', { class: 'h-discuss h-fit' },
      a.prompt ? h('div', { class: 'h-prompt', testid: 'host-prompt' }, a.prompt) : null,
      refs.posts = h('div', { class: 'h-posts', testid: 'host-posts' }),
      closedNote(a)),
    revealed ? (refs.board = h('div', { class: 'h-board-slot h-board-side' })) : null);
}

function updateDiscuss(ctx, v, a, refs) {
  const { groupName } = ctx;
  const posts = Array.isArray(a.posts) ? a.posts : [];
  const groups = a.mode === GROUP;
  const clustered = Array.isArray(a.clusters) && a.clusters.length > 0;
  refs.posts.classList.toggle('is-clustered', clustered);
  if (clustered) {
    fill(refs.posts, clusteredBoard(a.clusters, posts));
    return;
  }
  fill(refs.posts, posts.length ? posts.map((p) => h('div', {
    class: ['h-post', p.highlighted && 'is-highlighted'], testid: `host-post-${p.id}`,
    dataset: { highlighted: p.highlighted ? 'true' : 'false' },
  },
  p.highlighted ? h('div', { class: 'h-post-star' }, t('discuss.highlighted')) : null,
  h('div', { class: 'h-post-text' }, p.text),
  h('div', { class: 'h-post-meta' },
    groups ? h('span', { class: 'h-post-author' }, groupName(v, p.author)) : h('span'),
    h('span', { class: 'h-post-votes', testid: `host-votes-${p.id}` }, `▲ ${p.votes}`))))
    : h('div', { class: 'h-empty h-empty-big' }, t('host.no_posts')));
}

const CLUSTER_SHOWN = 4; // posts shown per theme on the projector; the rest are counted

/** The board grouped by theme (the `cluster` command): one card per theme, its label and count, and
 * its first posts in board order (highlighted, then most upvoted), so the room reads themes, not a wall. */
function clusteredBoard(clusters, posts) {
  const byId = new Map(posts.map((p) => [p.id, p]));
  return clusters.map((c) => {
    const inside = c.posts.map((id) => byId.get(id)).filter(Boolean);
    const shown = inside.slice(0, CLUSTER_SHOWN);
    return h('section', { class: ['h-cluster', c.other && 'is-other'], testid: `host-cluster-${c.id}` },
      h('header', { class: 'h-cluster-head' },
        h('span', { class: 'h-cluster-label', testid: `host-cluster-label-${c.id}` }, c.other ? t('discuss.other') : c.label),
        h('span', { class: 'h-cluster-count', testid: `host-cluster-count-${c.id}` }, t('discuss.cluster_count', { n: c.count }))),
      h('ul', { class: 'h-cluster-posts' }, shown.map((p) => h('li', {
        class: ['h-cluster-post', p.highlighted && 'is-highlighted'], testid: `host-post-${p.id}`,
        dataset: { highlighted: p.highlighted ? 'true' : 'false' },
      },
      p.highlighted ? h('span', { class: 'h-cluster-star', 'aria-label': t('discuss.highlighted') }, '★') : null,
      h('span', { class: 'h-cluster-text' }, p.text),
      h('span', { class: 'h-cluster-votes', testid: `host-votes-${p.id}` }, `▲ ${p.votes}`)))),
      inside.length > shown.length
        ? h('div', { class: 'h-cluster-more' }, t('discuss.more', { n: inside.length - shown.length })) : null);
  });
}

/** The discussion's line in the course review (on the plan's screen): how many wrote, the top post. */
function reviewDiscuss(ctx, v, r) {
  const top = (r.posts || [])[0];
  const themes = Array.isArray(r.clusters) ? r.clusters.filter((c) => !c.other) : [];
  if (themes.length) {
    return [t('review.discuss', { n: r.answered || 0 }),
      h('span', { class: 'h-review-themes' }, themes.slice(0, 4).map((c) => `${c.label}（${c.count}）`).join('、'))];
  }
  return [t('review.discuss', { n: r.answered || 0 }), top ? h('span', { class: 'h-review-quote' }, `“${top.text}”`) : null];
}

// -- console -----------------------------------------------------------------------------------
/** Discussion posts with the trainer's moderation: highlight, hide, award the author; group the board
 * by theme, then rename a theme, merge two, or move a post to another. */
function moderation(ctx, v, a, card) {
  const { command, nameOf } = ctx;
  const posts = a.all_posts || a.posts || [];
  const withCard = (args) => (card ? { ...args, card } : args);
  const act = (action, post) => command('act', withCard({ action, post }));
  const award = (p, points) => command('award', {
    target: p.author, points, reason: t('console.post_award_reason', { text: p.text.slice(0, 80) }),
  }, t('console.award_ok'));
  const clusters = Array.isArray(a.clusters) ? a.clusters : null;
  const name = (c) => (c.other ? t('discuss.other') : c.label);
  const item = (p) => h('li', {
    class: ['mod-post', p.highlighted && 'is-highlighted', p.hidden && 'is-hidden'], testid: `mod-post-${p.id}`,
  },
  h('div', { class: 'mod-text' }, p.text),
  h('div', { class: 'mod-meta' },
    h('span', { class: 'mod-author' }, nameOf(v, p.author)),
    h('span', { class: 'mod-votes' }, `▲ ${p.votes}`),
    p.highlighted ? h('span', { class: 'tag tag-best' }, t('discuss.highlighted')) : null,
    p.hidden ? h('span', { class: 'tag tag-poor' }, t('console.post_hidden')) : null),
  h('div', { class: 'mod-actions' },
    h('button', {
      type: 'button', class: ['btn btn-small', p.highlighted && 'is-on'], testid: `post-highlight-${p.id}`,
      onclick: () => act(p.highlighted ? 'unhighlight' : 'highlight', p.id),
    }, p.highlighted ? t('console.unhighlight') : t('console.highlight')),
    h('button', {
      type: 'button', class: ['btn btn-small', p.hidden && 'is-on'], testid: `post-hide-${p.id}`,
      onclick: () => act(p.hidden ? 'unhide' : 'hide', p.id),
    }, p.hidden ? t('console.unhide') : t('console.hide')),
    [10, 20].map((n) => h('button', {
      type: 'button', class: 'btn btn-small btn-secondary', testid: `post-award-${p.id}-${n}`,
      title: t('console.post_award_title', { name: nameOf(v, p.author) }), onclick: () => award(p, n),
    }, `+${n}`)),
    clusters && !p.hidden ? pick(`post-move-${p.id}`, t('console.cluster_move'),
      clusters.filter((c) => !c.posts.includes(p.id)),
      (to) => command('act', withCard({ action: 'cluster_move', cluster: to, post: p.id }))) : null));
  const pick = (testid, label, choices, onpick) => h('select', {
    class: 'input input-small mod-cluster-pick', testid, 'aria-label': label,
    onchange: (event) => { const to = event.target.value; event.target.value = ''; if (to) onpick(to); },
  }, h('option', { value: '' }, label), choices.map((c) => h('option', { value: c.id }, name(c))));
  const toolbar = posts.length ? h('div', { class: 'mod-cluster-bar' },
    h('button', {
      type: 'button', class: 'btn btn-small btn-secondary', testid: 'post-cluster',
      onclick: () => command('cluster', withCard({ activity: a.id }), t('console.cluster_ok')),
    }, clusters ? t('console.recluster') : t('console.cluster'))) : null;
  if (!posts.length) {
    return h('div', { class: 'mod', testid: 'moderation' },
      a.prompt ? h('p', { class: 'mod-prompt' }, a.prompt) : null,
      h('p', { class: 'muted', testid: 'mod-empty' }, t('console.no_posts')));
  }
  if (!clusters) {
    return h('div', { class: 'mod', testid: 'moderation' },
      a.prompt ? h('p', { class: 'mod-prompt' }, a.prompt) : null, toolbar,
      h('ul', { class: 'mod-posts' }, posts.map(item)));
  }
  const byId = new Map(posts.map((p) => [p.id, p]));
  const placed = new Set(clusters.flatMap((c) => c.posts));
  const rename = (c) => {
    const label = window.prompt(t('console.cluster_rename_prompt'), c.label || '');
    if (label !== null) command('act', withCard({ action: 'cluster_rename', cluster: c.id, label }));
  };
  return h('div', { class: 'mod', testid: 'moderation' },
    a.prompt ? h('p', { class: 'mod-prompt' }, a.prompt) : null, toolbar,
    h('p', { class: 'key-note' }, t('console.clusters', { n: clusters.length })),
    clusters.map((c) => h('section', { class: ['mod-cluster', c.other && 'is-other'], testid: `mod-cluster-${c.id}` },
      h('header', { class: 'mod-cluster-head' },
        h('b', { class: 'mod-cluster-label', testid: `mod-cluster-label-${c.id}` }, name(c)),
        h('span', { class: 'muted' }, t('discuss.cluster_count', { n: c.count })),
        h('button', {
          type: 'button', class: 'btn btn-small', testid: `cluster-rename-${c.id}`, onclick: () => rename(c),
        }, t('console.cluster_rename')),
        pick(`cluster-merge-${c.id}`, t('console.cluster_merge'), clusters.filter((o) => o.id !== c.id),
          (into) => command('act', withCard({ action: 'cluster_merge', cluster: c.id, into })))),
      h('ul', { class: 'mod-posts' }, c.posts.map((id) => byId.get(id)).filter(Boolean).map(item)))),
    posts.some((p) => !placed.has(p.id))
      ? h('ul', { class: 'mod-posts mod-posts-unplaced' }, posts.filter((p) => !placed.has(p.id)).map(item)) : null);
}

export default {
  phone: renderDiscuss,
  screen: {
    build: buildDiscuss,
    update: updateDiscuss,
    answered: (ctx, v, a) => ({ n: a.post_count || 0, label: t('host.posts') }),
    review: reviewDiscuss,
  },
  console: {
    panel: (ctx, v, a, place = {}) => moderation(ctx, v, a, place.card || null),
    answered: (ctx, v, a, n) => t('console.posts', { n: a.post_count || 0, authors: n }),
  },
};
