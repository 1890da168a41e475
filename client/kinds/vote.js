// A vote: pick one option of a card. Phone: the options and the result; screen: the live bars,
// then the recommended option with its rationale; console: the tally against the answer key.

import { h, letter, setText, shape } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { details, renderCard, signed } from '../lib/ui.js';
import { CONSENSUS, answerSummary, pct } from '../lib/kinds.js';

// -- phone -------------------------------------------------------------------------------------
// The case text folds away on a small screen so the answer tiles are above the fold; what the
// player chose (open or folded) is kept per card across re-renders.
const caseOpen = new Map();
const SMALL = '(max-width: 600px), (max-height: 700px)';

function collapsibleCase(a) {
  const key = a.id;
  if (!caseOpen.has(key)) caseOpen.set(key, !window.matchMedia(SMALL).matches);
  const body = h('div', { class: 'case-body', id: `case-body-${a.id}`, testid: 'case-body' }, renderCard(a.card));
  const button = h('button', {
    type: 'button', class: 'btn case-toggle', testid: 'case-toggle', 'aria-controls': body.id,
  });
  const paint = () => {
    const isOpen = caseOpen.get(key);
    body.hidden = !isOpen;
    button.setAttribute('aria-expanded', isOpen ? 'true' : 'false');
    setText(button, isOpen ? t('phone.hide_case') : t('phone.show_case'));
  };
  button.addEventListener('click', () => { caseOpen.set(key, !caseOpen.get(key)); paint(); });
  paint();
  return h('div', { class: 'case-fold' }, button, body);
}

function renderVote(ctx, v, a) {
  const {
    send, pendingFor, sendingText, head, title, activityScreen, modeNote, proposalBlock, resultBlock,
    explain, statusLine
  } = ctx;
  const revealed = a.status === 'revealed' && a.result;
  const open = a.status === 'open';
  const consensus = a.mode === CONSENSUS;
  const server = a.my_answer ? a.my_answer.choice : null;
  const p = pendingFor(a, 'choice');
  const proposed = consensus && a.proposal && !a.proposal.confirmed ? a.proposal.answer.choice : null;
  const mine = p ? p.answer.choice : (proposed || server);
  const letterOf = (id) => {
    const i = a.options.findIndex((o) => o.id === id);
    return i >= 0 ? letter(i) : '?';
  };
  const recommended = revealed ? a.result.recommended : null;
  const myTag = consensus ? t('consensus.group_answer') : t('phone.my_choice');

  const options = h('div', { class: 'options', role: 'group', 'aria-label': t('phone.options'), testid: 'options' },
    a.options.map((o, i) => {
      const selected = mine === o.id;
      const isGroupAnswer = consensus && server === o.id;
      const tags = [
        o.id === recommended ? h('span', { class: 'opt-tag opt-tag-rec' }, t('reveal.recommended')) : null,
        consensus && selected && o.id !== server ? h('span', { class: 'opt-tag opt-tag-prop' }, t('consensus.proposed_tag')) : null,
        (consensus ? isGroupAnswer : selected) ? h('span', { class: 'opt-tag opt-tag-mine' }, myTag) : null,
      ].filter(Boolean);
      return h('button', {
        type: 'button',
        class: ['opt', `opt-c${i % 6}`, selected && 'is-selected', o.id === recommended && 'is-recommended'],
        testid: `option-${o.id}`,
        'aria-pressed': selected ? 'true' : 'false',
        disabled: !open,
        dataset: { option: o.id },
        onclick: () => { if (open) send(a, { choice: o.id }); },
      },
      h('span', { class: 'opt-letter' }, letter(i), shape()),
      h('span', { class: 'opt-text' }, o.text),
      tags.length ? h('span', { class: 'opt-tags' }, tags) : null);
    }));

  let status = null;
  if (open) {
    if (p && !p.acked) status = statusLine('wait', sendingText());
    else if (consensus) status = mine ? null : statusLine('info', t('consensus.pick'));
    else if (mine) status = statusLine('ok', t('phone.received', { letter: letterOf(mine) }));
    else status = statusLine('info', t('phone.pick'));
  } else if (a.status === 'closed') {
    status = statusLine('closed', server
      ? t(consensus ? 'consensus.closed_answered' : 'phone.closed_answered', { letter: letterOf(server) })
      : t(consensus ? 'consensus.closed_none' : 'phone.closed_none'));
  }

  const parts = [head(v, a), title(a)];
  if (revealed) {
    const r = a.result;
    parts.push(resultBlock(v, a, { rating: r.rating || 'none', feedback: r.feedback }));
    parts.push(options);
    const recIndex = a.options.findIndex((o) => o.id === r.recommended);
    parts.push(explain(r, recIndex >= 0
      ? h('p', { class: 'explain-rec', testid: 'recommended' }, `${letter(recIndex)}. ${a.options[recIndex].text}`) : null));
    parts.push(details(`case:${a.id}`, t('phone.show_case'), renderCard(a.card)));
  } else {
    parts.push(collapsibleCase(a));
    parts.push(modeNote(v, a));
    parts.push(h('div', { class: 'options-heading' }, consensus ? t('consensus.choose_heading') : t('phone.choose_heading')));
    parts.push(options);
    parts.push(status);
    parts.push(proposalBlock(v, a));
  }
  return activityScreen(a, parts);
}

// -- screen ------------------------------------------------------------------------------------
function buildVote(ctx, v, a, refs) {
  const { closedNote, explainSide } = ctx;
  const hidden = a.status === 'open' && !('tally' in a); // results hidden until the reveal
  const revealed = a.status === 'revealed' && a.reveal;
  const ratings = new Map(revealed ? (a.reveal.options || []).map((o) => [o.id, o]) : []);
  const options = Array.isArray(a.options) ? a.options : [];
  const optionRows = h('div', { class: ['h-options', hidden && 'is-results-hidden'], testid: 'host-options' }, options.map((o, i) => {
    const r = ratings.get(o.id);
    const isRec = revealed && a.reveal.recommended === o.id;
    const fillEl = h('div', { class: 'h-bar-fill' });
    const count = h('b', { class: 'h-opt-n', testid: `host-count-${o.id}` });
    const pctEl = h('span', { class: 'h-opt-pct' });
    const row = h('div', {
      class: ['h-opt', `opt-c${i % 6}`, isRec && 'is-recommended', revealed && !isRec && 'is-dim'],
      testid: `host-option-${o.id}`, dataset: { option: o.id, rating: r ? r.rating : null },
    },
    h('div', { class: 'h-opt-letter' }, isRec ? '✓' : letter(i), shape()),
    h('div', { class: 'h-opt-main' },
      h('div', { class: 'h-opt-text' }, o.text),
      h('div', { class: 'h-bar' }, fillEl)),
    h('div', { class: 'h-opt-count' }, count, pctEl),
    r ? h('div', { class: ['h-opt-rating', `rating-${r.rating}`], testid: `host-rating-${o.id}` },
      h('span', {}, t(`rating.${r.rating}`)), h('span', { class: 'h-opt-points' }, signed(r.points))) : null);
    refs.options.set(o.id, { fill: fillEl, count, pct: pctEl });
    return row;
  }));
  refs.consensus = h('div', { class: 'h-consensus-slot' });
  if (revealed) {
    return h('div', { class: 'h-body h-body-reveal' },
      h('div', { class: 'h-col-main h-fit' },
        optionRows,
        refs.consensus,
        refs.board = h('div', { class: 'h-board-slot' })),
      explainSide(v, a.reveal));
  }
  return h('div', { class: 'h-body' },
    h('div', { class: 'h-col-card h-fit' }, renderCard(a.card, 'h-card')),
    h('div', { class: 'h-col-options h-fit' }, optionRows, refs.consensus, closedNote(a)));
}

function updateVote(ctx, v, a, refs) {
  const tally = a.tally || {};
  const total = Object.values(tally).reduce((s, n) => s + (Number(n) || 0), 0);
  for (const [id, ref] of refs.options) {
    const n = Number(tally[id]) || 0;
    const p = total ? Math.round((n * 100) / total) : 0;
    ref.fill.style.width = `${p}%`;
    setText(ref.count, n);
    setText(ref.pct, `${p}%`);
  }
}

/** The vote's line in the course review (on the plan's screen): the class's choice against the recommended one. */
function reviewVote(ctx, v, r) {
  const { reviewMark } = ctx;
  const ids = Object.keys(r.distribution || {});
  const L = (id) => (ids.indexOf(id) >= 0 ? letter(ids.indexOf(id)) : '–');
  return [r.class_choice ? reviewMark(r.class_choice === r.recommended) : null,
    t('review.vote', { cls: r.class_choice ? L(r.class_choice) : '–', rec: L(r.recommended) }),
    r.agreement !== null && r.agreement !== undefined ? h('span', { class: 'h-review-pct' }, t('review.agreement', { pct: pct(r.agreement) })) : null];
}

// -- console -----------------------------------------------------------------------------------
/** A vote's options with the live tally and the answer key; `prefix` keeps test ids apart in a deal. */
function voteKey(a, prefix) {
  const key = a.answer_key || null;
  const ratings = new Map(key ? (key.options || []).map((o) => [o.id, o]) : []);
  const tally = a.tally || {};
  const total = Object.values(tally).reduce((s, n) => s + (Number(n) || 0), 0);
  const options = Array.isArray(a.options) ? a.options : [];
  return h('ol', { class: 'key-options', testid: `${prefix}key-options` }, options.map((o, i) => {
    const r = ratings.get(o.id);
    const n = Number(tally[o.id]) || 0;
    const p = total ? Math.round((n * 100) / total) : 0;
    const bar = h('div', { class: 'mini-bar-fill' });
    bar.style.width = `${p}%`;
    return h('li', {
      class: ['key-opt', r && `rating-${r.rating}`, key && key.recommended === o.id && 'is-recommended'],
      testid: `${prefix}key-option-${o.id}`,
    },
    h('div', { class: 'key-opt-line' },
      h('span', { class: 'key-letter' }, letter(i)),
      h('span', { class: 'key-text' }, o.text),
      h('span', { class: 'key-count', testid: `${prefix}key-count-${o.id}` }, `${n} · ${p}%`)),
    h('div', { class: 'mini-bar' }, bar),
    r ? h('div', { class: 'key-meta' },
      h('span', { class: ['tag', `tag-${r.rating}`] }, t(`rating.${r.rating}`)),
      h('span', { class: 'key-points' }, t('console.points', { points: signed(r.points) })),
      r.feedback ? h('span', { class: 'key-feedback' }, r.feedback) : null) : null);
  }));
}

// -- a dealt card ------------------------------------------------------------------------------
/** A dealt vote card after reveal: the group's answer against the recommended one. */
function outcomeVote(card) {
  const r = card.reveal;
  const tally = card.tally || {};
  const top = Object.keys(tally).filter((k) => tally[k] > 0).sort((x, y) => tally[y] - tally[x])[0] || null;
  return {
    answer: top ? answerSummary(card, { choice: top }) : null,
    recommended: answerSummary(card, { choice: r.recommended }),
    ok: top === null ? null : top === r.recommended,
  };
}

export default {
  outcome: outcomeVote,
  phone: renderVote,
  screen: { build: buildVote, update: updateVote, review: reviewVote, resultsNote: true },
  console: { panel: (ctx, v, a, place = {}) => voteKey(a, place.prefix || '') },
};
