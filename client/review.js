// The review screen (课程回顾) on the projector: per activity, the class and each group against the
// recommended handling; the scores over time; anonymous action-plan highlights; and a replay that
// scrubs the session's events and shows the screen as it was. Everything comes over HTTP from the
// session's record, so it works during a session and after it ended (also after a restart).

import { h, svg, fill, setText, $, letter } from './lib/dom.js';
import { t, lang, onLangChange } from './lib/i18n.js';
import { apiJson, errorText, fragmentParams } from './lib/ui.js';
import { withUnit, fmtNum, pct, modeLabel, stepText, anchorsText } from './lib/kinds.js';

const TABS = ['cards', 'scores', 'plans', 'replay'];
const REFRESH_MS = 20000;
const SCRUB_DELAY_MS = 120;
const PLAY_STEP_MS = 700;
const CATEGORY = {
  player_joined: 'join',
  answer_submitted: 'answer',
  answer_confirmed: 'answer',
  activity_started: 'activity',
  step_started: 'activity',
  activity_closed: 'activity',
  activity_revealed: 'reveal',
  points_awarded: 'award',
  session_ended: 'reveal',
};
const CATEGORIES = ['join', 'activity', 'answer', 'reveal', 'award', 'other'];

const R = {
  code: null,
  key: null,
  root: null,
  still: null, // (view, at) -> the projector screen as it was (host.js renderers)
  fitAll: null,
  data: null,
  error: null,
  tab: 'cards',
  card: 0,
  steps: new Map(), // order card id -> [{id, text}] (from a replayed screen)
  replay: { index: -1, views: new Map(), timer: null, playing: null, shown: null, asked: null },
  refresher: null,
};

// -- small helpers ---------------------------------------------------------------------------------
function locale() {
  return lang() === 'en' ? 'en-GB' : 'zh-CN';
}

function dateText(ms) {
  if (!ms) return '';
  return new Date(ms).toLocaleString(locale(), { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

function timeText(ms, seconds = true) {
  const opts = { hour: '2-digit', minute: '2-digit', hour12: false };
  if (seconds) opts.second = '2-digit';
  return new Date(ms).toLocaleTimeString(locale(), opts);
}

function elapsed(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

function groupsOf() {
  return (R.data && R.data.groups) || [];
}

function groupName(id) {
  const g = groupsOf().find((x) => x.id === id);
  return g ? g.name : '';
}

function groupIndex(id) {
  return groupsOf().findIndex((x) => x.id === id);
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether the class's answer matched the recommended one: true, false, or null (nothing to compare). */
function matched(r) {
  if (r.recommended === undefined || r.recommended === null) return null;
  if (r.kind === 'vote') return r.class_choice ? r.class_choice === r.recommended : null;
  if (r.kind === 'order') return r.class_choice ? same(r.class_choice, r.recommended) : null;
  return null;
}

function mark(ok, testid) {
  if (ok === null || ok === undefined) return null;
  return h('span', { class: ['rv-mark', ok ? 'is-right' : 'is-wrong'], testid, title: ok ? t('review.matches') : t('review.differs') },
    ok ? '✓' : '≠');
}

function optionLabel(r, id) {
  const options = r.options || [];
  const i = options.findIndex((o) => o.id === id);
  return i >= 0 ? `${letter(i)}. ${options[i].text}` : String(id);
}

function stepsFor(r) {
  return R.steps.get(r.id) || r.steps || null;
}

function orderText(r, ids) {
  const steps = stepsFor(r);
  return (ids || []).map((id) => stepText(steps, id)).join(' → ');
}

// -- loading ---------------------------------------------------------------------------------------
async function load() {
  try {
    R.data = await apiJson(`/api/sessions/${encodeURIComponent(R.code)}/review`, R.key);
    R.error = null;
    document.title = `${t('review.heading')} · ${R.data.session.title}`;
  } catch (err) {
    R.error = err;
  }
  render();
  loadSteps();
}

/** Order cards name their steps by id; the screen as it was when the card was played has their texts. */
async function loadSteps() {
  if (!R.data) return;
  const events = (R.data.timeline && R.data.timeline.events) || [];
  for (const r of R.data.review || []) {
    if (r.kind !== 'order' || R.steps.has(r.id) || r.steps) continue;
    const last = [...events].reverse().find((e) => e.activity === r.stage || e.activity === r.id);
    if (!last) continue;
    try {
      const view = await replayView(last.seq);
      const a = view && view.activity;
      const found = a && (a.id === r.id ? a : (a.cards || []).find((c) => c.id === r.id));
      if (found && Array.isArray(found.steps) && found.steps.every((s) => s && typeof s === 'object')) {
        R.steps.set(r.id, found.steps);
        if (R.tab === 'cards') render();
      }
    } catch { /* the ids stand in for the texts */ }
  }
}

async function replayView(seq) {
  if (R.replay.views.has(seq)) return R.replay.views.get(seq);
  const got = await apiJson(`/api/sessions/${encodeURIComponent(R.code)}/replay?seq=${seq}`, R.key);
  R.replay.views.set(seq, got.view);
  return got.view;
}

// -- the frame ---------------------------------------------------------------------------------------
function setTab(tab) {
  if (!TABS.includes(tab) || tab === R.tab) return;
  stopPlaying();
  R.tab = tab;
  history.replaceState(null, '', `${location.pathname}${location.search}#review${tab === 'cards' ? '' : `=${tab}`}`);
  render();
}

function render() {
  const root = R.root;
  if (R.error && !R.data) {
    fill(root, h('div', { class: 'host-message', testid: 'review-error' }, errorText(R.error)));
    return;
  }
  if (!R.data) {
    fill(root, h('div', { class: 'host-message', testid: 'review-loading' }, t('review.loading')));
    return;
  }
  const d = R.data;
  const s = d.session;
  const ended = s.phase === 'ended';
  const body = h('div', { class: ['rv-body', `rv-body-${R.tab}`] });
  fill(root, h('section', { class: 'rv', testid: 'review', dataset: { tab: R.tab, phase: s.phase } },
    h('header', { class: 'rv-head' },
      h('div', { class: 'rv-head-main' },
        h('div', { class: 'rv-kicker' },
          h('span', { class: 'rv-kicker-label' }, t('review.heading')),
          h('span', {}, s.deck),
          s.started_at ? h('span', {}, dateText(s.started_at)) : null,
          h('span', { testid: 'review-joined' }, t('review.joined', { n: d.counts.joined })),
          h('span', { class: ['rv-state', ended ? 'is-ended' : 'is-live'], testid: 'review-state' },
            ended ? t('review.state_ended') : t('review.state_live'))),
        h('h1', { class: 'rv-title', testid: 'review-title' }, s.title)),
      h('nav', { class: 'rv-tabs', role: 'tablist', 'aria-label': t('review.heading') }, TABS.map((tab) => h('button', {
        type: 'button', role: 'tab', class: ['rv-tab', tab === R.tab && 'is-on'], testid: `review-tab-${tab}`,
        'aria-selected': tab === R.tab ? 'true' : 'false', onclick: () => setTab(tab),
      }, t(`review.tab_${tab}`)))),
      h('button', {
        type: 'button', class: 'rv-refresh', testid: 'review-refresh', title: t('review.refresh'),
        'aria-label': t('review.refresh'), onclick: () => load(),
      }, '↻')),
    body));
  if (R.tab === 'cards') fill(body, renderCards(d));
  else if (R.tab === 'scores') fill(body, renderScores(d));
  else if (R.tab === 'plans') fill(body, renderPlans(d));
  else renderReplay(d, body);
  if (R.fitAll) R.fitAll(body);
}

// -- per activity -------------------------------------------------------------------------------------
function renderCards(d) {
  const cards = d.review || [];
  if (!cards.length) return h('div', { class: 'rv-empty', testid: 'review-no-cards' }, t('review.no_cards'));
  R.card = Math.max(0, Math.min(R.card, cards.length - 1));
  const r = cards[R.card];
  const rail = h('ol', { class: 'rv-rail', testid: 'review-rail' }, cards.map((c, i) => h('li', {},
    h('button', {
      type: 'button', class: ['rv-rail-item', i === R.card && 'is-on'], testid: `review-pick-${c.id}`,
      'aria-current': i === R.card ? 'true' : 'false', onclick: () => { R.card = i; render(); },
    },
    h('span', { class: 'rv-rail-n' }, i + 1),
    h('span', { class: 'rv-rail-main' },
      h('span', { class: 'rv-rail-kind' }, t(`kind.${c.kind}`)),
      h('span', { class: 'rv-rail-title' }, c.title)),
    mark(matched(c)) || h('span', { class: 'rv-mark is-none' }, c.status === 'revealed' ? '·' : '…')))));
  return [rail, renderCard(r, R.card, cards.length)];
}

function renderCard(r, i, n) {
  const mode = modeLabel(r.mode);
  const dealt = (r.groups || []).map(groupName).filter(Boolean);
  const revealed = r.status === 'revealed';
  const body = {
    vote: cardVote, order: cardOrder, estimate: cardEstimate, roleplay: cardRoleplay, discuss: cardDiscuss,
  }[r.kind];
  return h('article', { class: ['rv-card', `rv-kind-${r.kind}`], testid: `review-card-${r.id}`, dataset: { kind: r.kind, status: r.status } },
    h('header', { class: 'rv-card-head' },
      h('div', { class: 'rv-card-head-main' },
        h('div', { class: 'rv-card-kicker' },
          h('span', { class: 'h-kind-tag' }, t(`kind.${r.kind}`)),
          mode ? h('span', { class: 'h-chip h-chip-mode' }, mode) : null,
          dealt.length ? h('span', { class: 'h-chip' }, t('review.dealt_to', { groups: dealt.join('、') })) : null,
          h('span', { class: ['h-status', `h-status-${r.status}`] }, t(`status.${r.status}`)),
          r.answered !== undefined ? h('span', { class: 'rv-answered' }, t(r.kind === 'discuss' ? 'review.authors' : 'review.answered', { n: r.answered })) : null),
        h('h2', { class: 'rv-card-title', testid: 'review-card-title' }, r.title)),
      h('div', { class: 'rv-card-nav' },
        h('button', {
          type: 'button', class: 'rv-nav-btn', testid: 'review-prev', disabled: i === 0,
          'aria-label': t('review.prev'), onclick: () => { R.card -= 1; render(); },
        }, '‹'),
        h('span', { class: 'rv-nav-pos' }, `${i + 1} / ${n}`),
        h('button', {
          type: 'button', class: 'rv-nav-btn', testid: 'review-next', disabled: i === n - 1,
          'aria-label': t('review.next'), onclick: () => { R.card += 1; render(); },
        }, '›'))),
    body ? body(r, revealed) : h('div', { class: 'rv-empty' }, t('review.no_detail')));
}

/** The right-hand column: the recommended handling and why, or why it is not shown. */
function keyColumn(r, revealed, recommended, extra) {
  return h('div', { class: 'rv-col rv-col-key h-fit', testid: 'review-key' },
    revealed && recommended !== null ? h('div', { class: 'rv-rec', testid: 'review-recommended' },
      h('div', { class: 'rv-label rv-label-ok' }, t('reveal.recommended_heading')),
      h('div', { class: 'rv-rec-text' }, recommended)) : null,
    !revealed ? h('div', { class: 'rv-hidden-note', testid: 'review-not-revealed' }, t('review.not_revealed')) : null,
    revealed && r.rationale ? h('div', { class: 'h-rationale rv-rationale', testid: 'review-rationale' },
      h('div', { class: 'h-section-label' }, t('reveal.rationale')),
      h('p', {}, r.rationale)) : null,
    extra);
}

function groupRows(r, answerText, okOf) {
  const entries = Object.entries(r.by_group || {});
  if (!entries.length) return null;
  return h('div', { class: 'rv-groups', testid: 'review-groups' },
    h('div', { class: 'rv-label' }, t('review.by_group')),
    h('ul', { class: 'rv-group-list' }, entries.map(([gid, answer]) => h('li', {
      class: ['rv-group', `gc-${Math.max(0, groupIndex(gid)) % 6}`], testid: `review-group-${gid}`,
    },
    h('span', { class: 'rv-group-dot', 'aria-hidden': 'true' }),
    h('span', { class: 'rv-group-name' }, groupName(gid) || gid),
    h('span', { class: 'rv-group-answer' }, answerText(answer)),
    r.status === 'revealed' ? mark(okOf(answer)) : null))));
}

function statLine(text, testid) {
  return h('div', { class: 'rv-stat', testid }, text);
}

function cardVote(r, revealed) {
  const dist = r.distribution || {};
  const total = Object.values(dist).reduce((s, x) => s + (Number(x) || 0), 0);
  const byOption = new Map();
  for (const [gid, answer] of Object.entries(r.by_group || {})) {
    if (!answer || answer.choice === undefined) continue;
    if (!byOption.has(answer.choice)) byOption.set(answer.choice, []);
    byOption.get(answer.choice).push(gid);
  }
  const options = r.options || [];
  const rows = h('div', { class: 'rv-options', testid: 'review-options' }, options.map((o, i) => {
    const n = Number(dist[o.id]) || 0;
    const share = total ? n / total : 0;
    const isRec = revealed && r.recommended === o.id;
    const isClass = r.class_choice === o.id;
    const fillEl = h('div', { class: 'rv-bar-fill' });
    fillEl.style.width = `${Math.round(share * 1000) / 10}%`;
    return h('div', {
      class: ['rv-opt', `opt-c${i % 6}`, isRec && 'is-recommended', isClass && 'is-class'],
      testid: `review-option-${o.id}`, dataset: { option: o.id, recommended: isRec ? 'true' : null },
    },
    h('div', { class: 'rv-opt-letter' }, isRec ? '✓' : letter(i)),
    h('div', { class: 'rv-opt-main' },
      h('div', { class: 'rv-opt-text' }, o.text,
        isRec ? h('span', { class: 'rv-tag rv-tag-rec' }, t('reveal.recommended')) : null,
        isClass ? h('span', { class: 'rv-tag rv-tag-class' }, t('review.class_choice')) : null),
      h('div', { class: 'rv-bar' }, fillEl),
      (byOption.get(o.id) || []).length ? h('div', { class: 'rv-opt-groups' }, byOption.get(o.id).map((gid) => h('span', {
        class: ['rv-gchip', `gc-${Math.max(0, groupIndex(gid)) % 6}`],
      }, groupName(gid) || gid))) : null),
    h('div', { class: 'rv-opt-count' },
      h('b', { testid: `review-count-${o.id}` }, n),
      h('span', {}, `${Math.round(share * 100)}%`)));
  }));
  const agreement = r.agreement !== undefined && r.agreement !== null
    ? statLine(t('review.agreement_line', { pct: pct(r.agreement) }), 'review-agreement') : null;
  return h('div', { class: 'rv-card-body' },
    h('div', { class: 'rv-col rv-col-main h-fit' },
      h('div', { class: 'rv-label' }, t('review.class_heading', { n: total })),
      rows),
    keyColumn(r, revealed, revealed ? optionLabel(r, r.recommended) : null,
      [agreement, groupRows(r, (a) => optionLabel(r, a.choice), (a) => a.choice === r.recommended)]));
}

function orderList(r, ids, correct, testid) {
  const steps = stepsFor(r);
  return h('ol', { class: 'rv-order', testid }, (ids || []).map((id, i) => {
    const ok = correct ? correct[i] === id : null;
    return h('li', { class: ['rv-order-item', ok === true && 'is-right', ok === false && 'is-wrong'] },
      h('span', { class: 'rv-order-n' }, i + 1),
      h('span', { class: 'rv-order-text' }, stepText(steps, id)),
      ok === null ? null : h('span', { class: 'rv-order-mark' }, ok ? '✓' : '✗'));
  }));
}

function cardOrder(r, revealed) {
  const cols = [];
  if (revealed) {
    cols.push(h('div', { class: 'rv-order-col is-key' },
      h('div', { class: 'rv-label rv-label-ok' }, t('host.order_correct')),
      orderList(r, r.recommended, null, 'review-order-correct')));
  }
  cols.push(h('div', { class: 'rv-order-col' },
    h('div', { class: 'rv-label' }, t('review.order_class', { n: r.class_choice_count || 0 })),
    r.class_choice ? orderList(r, r.class_choice, revealed ? r.recommended : null, 'review-order-class')
      : h('div', { class: 'rv-empty-small' }, t('host.nobody'))));
  const stats = [
    r.agreement !== undefined && r.agreement !== null ? statLine(t('review.order', { pct: pct(r.agreement) }), 'review-agreement') : null,
    r.average_points !== undefined && r.average_points !== null
      ? statLine(t('host.average_points', { points: fmtNum(r.average_points) })) : null,
  ];
  return h('div', { class: 'rv-card-body' },
    h('div', { class: 'rv-col rv-col-main h-fit' },
      h('div', { class: 'rv-order-compare' }, cols)),
    keyColumn(r, revealed, null,
      [stats, groupRows(r, (a) => orderText(r, a.order), (a) => same(a.order, r.recommended))]));
}

function cardEstimate(r, revealed) {
  const hist = r.histogram || { counts: [] };
  const counts = hist.counts || [];
  const lo = Number(hist.min ?? 0);
  const hi = Number(hist.max ?? 1);
  const span = hi - lo || 1;
  const top = Math.max(1, ...counts);
  const at = (value) => `${Math.max(0, Math.min(100, ((Number(value) - lo) / span) * 100))}%`;
  const plot = h('div', { class: 'rv-hist-plot' },
    counts.map((n) => {
      const bar = h('div', { class: ['rv-hist-bar', !n && 'is-empty'] }, n ? h('span', { class: 'rv-hist-n' }, n) : null);
      bar.style.height = `${Math.round((n / top) * 85)}%`; // headroom for the count above the tallest bar
      return h('div', { class: 'rv-hist-col' }, bar);
    }));
  const markers = [];
  if (revealed && r.recommended !== undefined && r.recommended !== null) {
    const m = h('div', { class: 'rv-hist-marker is-ref', testid: 'review-reference' },
      h('span', {}, t('review.reference_short', { value: withUnit(r.recommended, r.unit) })));
    m.style.left = at(r.recommended);
    markers.push(m);
  }
  if (r.median !== undefined && r.median !== null) {
    const m = h('div', { class: 'rv-hist-marker is-median' },
      h('span', {}, t('review.median_short', { value: withUnit(r.median, r.unit) })));
    m.style.left = at(r.median);
    markers.push(m);
  }
  plot.append(...markers);
  const facts = h('div', { class: 'rv-facts' },
    revealed && r.recommended !== undefined ? h('div', { class: 'rv-fact is-key' },
      h('span', { class: 'rv-fact-label' }, t('host.reference_label')),
      h('b', { testid: 'review-estimate-ref' }, withUnit(r.recommended, r.unit))) : null,
    h('div', { class: 'rv-fact' },
      h('span', { class: 'rv-fact-label' }, t('host.median_label')),
      h('b', {}, withUnit(r.median, r.unit)),
      r.mean !== undefined && r.mean !== null ? h('span', { class: 'rv-fact-sub' }, t('host.mean', { value: fmtNum(r.mean) })) : null));
  return h('div', { class: 'rv-card-body' },
    h('div', { class: 'rv-col rv-col-main h-fit' },
      h('div', { class: 'rv-label' }, t('review.class_heading', { n: r.answered || 0 })),
      h('div', { class: 'rv-hist', testid: 'review-histogram' }, plot,
        h('div', { class: 'rv-hist-axis' }, h('span', {}, withUnit(lo, r.unit)), h('span', {}, withUnit(hi, r.unit))))),
    keyColumn(r, revealed, null, [facts,
      r.agreement !== undefined && r.agreement !== null ? statLine(t('review.within_line', { pct: pct(r.agreement) }), 'review-agreement') : null,
      groupRows(r, (a) => withUnit(a.value, r.unit), () => null)]));
}

function cardRoleplay(r, revealed) {
  const criteria = (r.rubric && r.rubric.criteria) || [];
  const results = r.results || [];
  if (!results.length) {
    return h('div', { class: 'rv-card-body rv-card-body-single' },
      h('div', { class: 'rv-empty' }, t('review.no_scores')));
  }
  const who = (res) => [res.group ? groupName(res.group) : null, res.agent_name].filter(Boolean).join(' · ');
  const multi = new Set(results.map((res) => res.round)).size > 1;
  const table = h('div', { class: 'rv-rubric', testid: 'review-rubric' },
    h('div', { class: 'rv-rubric-row rv-rubric-head' },
      h('span', { class: 'rv-rubric-crit' }, r.rubric && r.rubric.title ? r.rubric.title : t('rp.rubric')),
      results.map((res) => h('span', {
        class: ['rv-rubric-who', `gc-${Math.max(0, groupIndex(res.group)) % 6}`], testid: `review-rubric-${res.group || res.agent}`,
      }, who(res), multi ? h('span', { class: 'rv-rubric-round' }, t('review.round', { n: res.round + 1 })) : null))),
    criteria.map((c) => h('div', { class: 'rv-rubric-row' },
      h('span', { class: 'rv-rubric-crit' }, c.title),
      results.map((res) => {
        const mean = res.means ? res.means[c.id] : null;
        const fillEl = h('div', { class: 'rv-rubric-fill' });
        fillEl.style.width = `${mean ? Math.round((mean / 5) * 100) : 0}%`;
        return h('span', { class: ['rv-rubric-cell', `gc-${Math.max(0, groupIndex(res.group)) % 6}`] },
          h('span', { class: 'rv-rubric-track' }, fillEl),
          h('b', { class: 'rv-rubric-value' }, fmtNum(mean)));
      }))),
    h('div', { class: 'rv-rubric-row rv-rubric-total' },
      h('span', { class: 'rv-rubric-crit' }, t('review.rubric_total')),
      results.map((res) => h('span', { class: 'rv-rubric-cell' },
        h('b', { class: 'rv-rubric-sum' }, `${fmtNum(res.total)} / ${res.max}`),
        h('span', { class: 'rv-rubric-meta' }, [t('host.rp_scorers', { n: res.scorers }),
          res.points !== undefined && res.points !== null ? t('console.points', { points: res.points }) : null].filter(Boolean).join(' · '))))));
  const guide = criteria.length ? h('div', { class: 'rv-guide', testid: 'review-rubric-guide' },
    h('div', { class: 'rv-label' }, t('review.rubric_guide')),
    h('ul', { class: 'rv-guide-list' }, criteria.map((c) => h('li', {},
      h('b', {}, c.title), h('span', {}, anchorsText(c)))))) : null;
  return h('div', { class: 'rv-card-body' },
    h('div', { class: 'rv-col rv-col-main h-fit' }, table),
    keyColumn(r, revealed, null, guide));
}

function cardDiscuss(r) {
  const posts = (r.posts || []).filter((p) => !p.hidden);
  return h('div', { class: 'rv-card-body rv-card-body-single' },
    h('div', { class: 'rv-col rv-col-main h-fit' },
      h('div', { class: 'rv-label' }, t('review.top_posts')),
      posts.length ? h('ol', { class: 'rv-posts', testid: 'review-posts' }, posts.map((p) => h('li', {
        class: ['rv-post', p.highlighted && 'is-highlighted'], testid: `review-post-${p.id}`,
      },
      p.highlighted ? h('span', { class: 'rv-post-star' }, t('discuss.highlighted')) : null,
      h('span', { class: 'rv-post-text' }, p.text),
      h('span', { class: 'rv-post-meta' },
        groupName(p.author) ? h('span', { class: 'rv-post-author' }, groupName(p.author)) : null,
        h('span', { class: 'rv-post-votes' }, `▲ ${p.votes}`)))))
        : h('div', { class: 'rv-empty-small' }, t('host.no_posts'))));
}

// -- scores over time ------------------------------------------------------------------------------------
/** An axis step for about four intervals up to `max`: 1, 2, 5 × 10ⁿ (and 25 × 10ⁿ⁻¹ from 25 up), never below 1. */
function axisStep(max) {
  const raw = Math.max(1, max) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const steps = p >= 10 ? [1, 2, 2.5, 5, 10] : [1, 2, 5, 10];
  const m = steps.find((x) => x * p >= raw) || 10;
  return Math.max(1, m * p);
}

/** A label that fits about `cols` columns (a CJK character counts two), with an ellipsis when cut. */
function shorten(text, cols) {
  let used = 0;
  let out = '';
  for (const ch of String(text)) {
    const w = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{1f300}-\u{1faff}]/u.test(ch) ? 2
      : /\p{M}/u.test(ch) ? 0 : 1;
    if (used + w > cols) return `${out}…`;
    out += ch;
    used += w;
  }
  return out;
}

function scoreSeries(d) {
  const groups = groupsOf();
  if (groups.length) {
    return groups.map((g, i) => ({ id: g.id, name: g.name, cls: `gc-${i % 6}`, key: 'groups', final: g.score }));
  }
  return (d.leaderboard || []).slice(0, 6).map((p, i) => ({ id: p.id, name: p.name, cls: `gc-${i % 6}`, key: 'players', final: p.score }));
}

function renderScores(d) {
  const tl = d.timeline || { events: [], scores: [] };
  const events = tl.events || [];
  const snaps = tl.scores || [];
  const series = scoreSeries(d);
  const t0 = d.session.started_at || (events[0] && events[0].at) || 0;
  const t1 = Math.max(t0 + 1000, d.session.ended_at || (events.length ? events[events.length - 1].at : t0 + 1000));
  const chart = series.length && snaps.length
    ? scoreChart(series, snaps, t0, t1)
    : h('div', { class: 'rv-empty', testid: 'review-no-scores' }, t('review.no_score_history'));
  const board = [...series].sort((a, b) => (b.final || 0) - (a.final || 0));
  return [
    h('figure', { class: 'rv-chart', testid: 'review-chart' },
      h('figcaption', { class: 'rv-label' }, series.length && series[0].key === 'groups' ? t('review.chart_groups') : t('review.chart_players')),
      chart),
    h('aside', { class: 'rv-final', testid: 'review-final' },
      h('div', { class: 'rv-label' }, t('review.final')),
      h('ol', { class: 'rv-final-list' }, board.map((s) => h('li', { class: ['rv-final-row', s.cls] },
        h('span', { class: 'rv-group-dot', 'aria-hidden': 'true' }),
        h('span', { class: 'rv-final-name' }, s.name),
        h('b', { class: 'rv-final-score' }, s.final ?? 0)))),
      groupsOf().length && (d.leaderboard || []).length ? [
        h('div', { class: 'rv-label rv-label-gap' }, t('board.players')),
        h('ol', { class: 'rv-final-list rv-final-players' }, (d.leaderboard || []).slice(0, 8).map((p) => h('li', { class: 'rv-final-row' },
          h('span', { class: 'rv-final-rank' }, p.rank),
          h('span', { class: 'rv-final-name' }, p.name),
          h('b', { class: 'rv-final-score' }, p.score)))),
      ] : null),
  ];
}

function scoreChart(series, snaps, t0, t1) {
  const W = 1000;
  const H = 540;
  const M = { l: 74, r: 190, t: 24, b: 56 };
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const values = snaps.flatMap((s) => series.map((x) => Number((s[x.key] || {})[x.id]) || 0));
  const top = Math.max(1, ...values);
  const step = axisStep(top);
  const ticks = Math.max(1, Math.ceil(top / step));
  const ymax = ticks * step;
  const x = (at) => M.l + ((Math.max(t0, Math.min(t1, at)) - t0) / (t1 - t0)) * pw;
  const y = (v) => M.t + ph - (v / ymax) * ph;
  const grid = [];
  for (let i = 0; i <= ticks; i += 1) {
    const v = step * i;
    grid.push(svg('line', { class: 'rv-grid', x1: M.l, x2: M.l + pw, y1: y(v), y2: y(v) }));
    grid.push(svg('text', { class: 'rv-axis-text', x: M.l - 12, y: y(v) + 8, 'text-anchor': 'end' }, fmtNum(v)));
  }
  const span = t1 - t0;
  const withSeconds = span < 10 * 60 * 1000;
  let lastLabel = null;
  for (let i = 0; i <= 4; i += 1) {
    const at = t0 + (span / 4) * i;
    const label = timeText(at, withSeconds);
    if (label === lastLabel) continue; // a short session: no time printed twice
    lastLabel = label;
    grid.push(svg('text', {
      class: 'rv-axis-text', x: x(at), y: M.t + ph + 36, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle',
    }, label));
  }
  const lines = [];
  const ends = [];
  for (const s of series) {
    let prev = 0;
    const pts = [[x(t0), y(0)]];
    const dots = [];
    for (const snap of snaps) {
      const v = Number((snap[s.key] || {})[s.id]) || 0;
      if (v === prev) continue;
      pts.push([x(snap.at), y(prev)], [x(snap.at), y(v)]);
      dots.push(svg('circle', { class: 'rv-dot', cx: x(snap.at), cy: y(v), r: 5 }));
      prev = v;
    }
    pts.push([x(t1), y(prev)]);
    lines.push(svg('g', { class: ['rv-series', s.cls], testid: `review-line-${s.id}` },
      svg('polyline', { class: 'rv-line', points: pts.map((p) => p.map((n) => Math.round(n * 10) / 10).join(',')).join(' ') }),
      dots));
    ends.push({ s, v: prev, y: y(prev) });
  }
  // End labels, pushed apart so that equal scores stay readable.
  ends.sort((a, b) => a.y - b.y);
  for (let i = 1; i < ends.length; i += 1) ends[i].y = Math.max(ends[i].y, ends[i - 1].y + 30);
  const over = ends.length ? ends[ends.length - 1].y - (M.t + ph + 8) : 0;
  if (over > 0) for (const e of ends) e.y -= over;
  const labels = ends.map((e) => svg('text', { class: ['rv-end-label', e.s.cls], x: M.l + pw + 14, y: e.y + 8 },
    svg('title', {}, `${e.s.name} ${e.v}`),
    `${e.v} ${shorten(e.s.name, 9)}`));
  return svg('svg', {
    class: 'rv-chart-svg', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('review.chart_groups'),
    preserveAspectRatio: 'xMidYMid meet',
  },
  grid,
  svg('line', { class: 'rv-axis', x1: M.l, x2: M.l, y1: M.t, y2: M.t + ph }),
  svg('line', { class: 'rv-axis', x1: M.l, x2: M.l + pw, y1: M.t + ph, y2: M.t + ph }),
  lines,
  labels);
}

// -- action plans -----------------------------------------------------------------------------------------
function renderPlans(d) {
  const notes = d.highlights || [];
  return h('div', { class: 'rv-plans h-fit', testid: 'review-plans' },
    h('div', { class: 'rv-label' }, t('review.plans_heading')),
    notes.length ? h('div', { class: 'h-notes rv-notes' }, notes.map((n, i) => h('div', { class: ['h-note', `h-note-${i % 4}`], testid: 'review-note' },
      h('div', { class: 'h-note-what' }, n.what),
      n.by || n.module ? h('div', { class: 'h-note-meta' }, [n.by, n.module].filter(Boolean).join(' · ')) : null)))
      : h('div', { class: 'rv-empty', testid: 'review-no-plans' }, t('review.no_plans')));
}

// -- replay --------------------------------------------------------------------------------------------------
function titleOf(id) {
  if (!id || !R.data) return '';
  const card = (R.data.review || []).find((r) => r.id === id);
  if (card) return card.title;
  const ev = ((R.data.timeline && R.data.timeline.events) || []).find((e) => e.activity === id && e.title);
  return ev ? ev.title : id;
}

function eventText(e) {
  const params = {
    who: e.who || '', title: e.title || titleOf(e.activity), points: e.points > 0 ? `+${e.points}` : String(e.points ?? ''),
    reason: e.reason || '',
  };
  const key = `ev.${e.type}`;
  const text = t(key, params);
  return text === key ? e.type : text;
}

function stopPlaying() {
  clearInterval(R.replay.playing);
  R.replay.playing = null;
  const btn = $('[data-testid="replay-play"]', R.root);
  if (btn) { setText(btn, '▶'); btn.setAttribute('aria-label', t('review.play')); }
}

function renderReplay(d, body) {
  const events = (d.timeline && d.timeline.events) || [];
  if (!events.length) {
    fill(body, h('div', { class: 'rv-empty' }, t('review.no_events')));
    return;
  }
  const rp = R.replay;
  if (rp.index < 0 || rp.index >= events.length) rp.index = events.length - 1;
  const t0 = events[0].at;
  const t1 = Math.max(t0 + 1, events[events.length - 1].at);
  const slider = h('input', {
    type: 'range', class: 'rv-slider', min: 0, max: events.length - 1, step: 1, value: rp.index,
    testid: 'replay-slider', 'aria-label': t('review.scrub'),
  });
  const label = h('div', { class: 'rv-replay-label', testid: 'replay-label', 'aria-live': 'polite' });
  const cursor = svg('line', { class: 'rv-strip-cursor', y1: 0, y2: 60 });
  const stripW = 1000;
  const xs = (at) => 8 + ((at - t0) / (t1 - t0)) * (stripW - 16);
  const strip = svg('svg', {
    class: 'rv-strip', viewBox: `0 0 ${stripW} 60`, preserveAspectRatio: 'none', testid: 'replay-strip', role: 'img',
    'aria-label': t('review.timeline'),
  },
  svg('line', { class: 'rv-strip-base', x1: 0, x2: stripW, y1: 30, y2: 30 }),
  events.map((e) => {
    const cat = CATEGORY[e.type] || 'other';
    const tall = cat === 'reveal' || cat === 'activity' || cat === 'award';
    return svg('line', { class: ['rv-tick', `cat-${cat}`], x1: xs(e.at), x2: xs(e.at), y1: tall ? 6 : 16, y2: tall ? 54 : 44 });
  }),
  cursor);
  strip.addEventListener('click', (event) => {
    const box = strip.getBoundingClientRect();
    const at = t0 + ((event.clientX - box.left) / box.width) * (t1 - t0);
    let best = 0;
    events.forEach((e, i) => { if (Math.abs(e.at - at) < Math.abs(events[best].at - at)) best = i; });
    go(best);
  });
  const frame = h('div', { class: 'rv-frame', testid: 'replay-screen' });
  const box = h('div', { class: 'rv-frame-box' }, frame);
  const stage = h('div', { class: 'rv-stage', testid: 'replay-stage' }, box);
  const play = h('button', {
    type: 'button', class: 'rv-nav-btn rv-play', testid: 'replay-play', 'aria-label': t('review.play'),
    onclick: () => {
      if (rp.playing) { stopPlaying(); return; }
      if (rp.index >= events.length - 1) go(0);
      setText(play, '❚❚');
      play.setAttribute('aria-label', t('review.pause'));
      rp.playing = setInterval(() => {
        if (rp.index >= events.length - 1) { stopPlaying(); return; }
        go(rp.index + 1);
      }, PLAY_STEP_MS);
    },
  }, '▶');
  fill(body,
    h('div', { class: 'rv-replay', testid: 'review-replay' },
      h('div', { class: 'rv-replay-bar' },
        h('button', {
          type: 'button', class: 'rv-nav-btn', testid: 'replay-prev', 'aria-label': t('review.prev_event'),
          onclick: () => { stopPlaying(); go(rp.index - 1); },
        }, '‹'),
        play,
        h('div', { class: 'rv-replay-track' }, strip, slider),
        h('button', {
          type: 'button', class: 'rv-nav-btn', testid: 'replay-next', 'aria-label': t('review.next_event'),
          onclick: () => { stopPlaying(); go(rp.index + 1); },
        }, '›')),
      h('div', { class: 'rv-legend' }, CATEGORIES.map((c) => h('span', { class: ['rv-legend-item', `cat-${c}`] },
        h('span', { class: 'rv-legend-dot', 'aria-hidden': 'true' }), t(`review.cat_${c}`)))),
      label,
      stage));

  function showLabel() {
    const e = events[rp.index];
    cursor.setAttribute('x1', xs(e.at));
    cursor.setAttribute('x2', xs(e.at));
    slider.value = String(rp.index);
    label.dataset.seq = String(e.seq);
    fill(label,
      h('span', { class: 'rv-replay-n' }, t('review.event_n', { n: rp.index + 1, of: events.length })),
      h('span', { class: 'rv-replay-time' }, `${timeText(e.at)} · +${elapsed(e.at - t0)}`),
      h('b', { class: ['rv-replay-what', `cat-${CATEGORY[e.type] || 'other'}`], testid: 'replay-event' }, eventText(e)));
  }

  function go(i) {
    const next = Math.max(0, Math.min(events.length - 1, i));
    rp.index = next;
    showLabel();
    clearTimeout(rp.timer);
    rp.timer = setTimeout(() => fetchAndShow(events[next]), rp.views.has(events[next].seq) ? 0 : SCRUB_DELAY_MS);
  }

  async function fetchAndShow(e) {
    rp.asked = e.seq;
    let view;
    try {
      view = await replayView(e.seq);
    } catch (err) {
      if (rp.asked === e.seq) fill(frame, h('div', { class: 'host-message' }, errorText(err)));
      return;
    }
    if (rp.asked !== e.seq || !frame.isConnected) return;
    fill(frame, h('main', { class: 'host-screen' }, R.still(view, e.at)));
    frame.dataset.seq = String(e.seq);
    frame.dataset.phase = view.session.phase;
    frame.dataset.activity = view.activity ? view.activity.id : '';
    scaleFrame(stage, box, frame);
    if (R.fitAll) R.fitAll(frame);
  }

  slider.addEventListener('input', () => { stopPlaying(); go(Number(slider.value)); });
  R.replay.rescale = () => scaleFrame(stage, box, frame);
  showLabel();
  fetchAndShow(events[rp.index]);
}

/** The past screen is laid out at the projector's own size, then scaled down into the stage. */
function scaleFrame(stage, box, frame) {
  const iw = window.innerWidth;
  const ih = window.innerHeight;
  const style = getComputedStyle(stage);
  const w = stage.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const hgt = stage.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  const k = Math.max(0.1, Math.min(w / iw, hgt / ih));
  frame.style.width = `${iw}px`;
  frame.style.height = `${ih}px`;
  frame.style.transform = `scale(${k})`;
  box.style.width = `${Math.floor(iw * k)}px`;
  box.style.height = `${Math.floor(ih * k)}px`;
}

// -- start -------------------------------------------------------------------------------------------------
export function startReview({ code, key, root, still, fitAll }) {
  Object.assign(R, { code, key, root, still, fitAll });
  const wanted = fragmentParams().get('review');
  if (TABS.includes(wanted)) R.tab = wanted;
  document.body.classList.add('is-review');
  document.title = t('review.heading');
  onLangChange(() => render());
  window.addEventListener('resize', () => {
    if (R.tab === 'replay' && R.replay.rescale) R.replay.rescale();
    else render();
  });
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement || !R.data) return;
    const step = event.key === 'ArrowRight' || event.key === 'PageDown' ? 1
      : event.key === 'ArrowLeft' || event.key === 'PageUp' ? -1 : 0;
    if (!step) return;
    if (R.tab === 'cards') {
      const n = (R.data.review || []).length;
      const next = Math.max(0, Math.min(n - 1, R.card + step));
      if (next !== R.card) { R.card = next; render(); }
    } else if (R.tab === 'replay') {
      const btn = $(`[data-testid="replay-${step > 0 ? 'next' : 'prev'}"]`, R.root);
      if (btn) btn.click();
    }
  });
  R.refresher = setInterval(() => {
    if (R.data && R.data.session.phase !== 'ended' && R.tab !== 'replay' && document.visibilityState === 'visible') load();
  }, REFRESH_MS);
  render();
  return load();
}

