// The projector screen: lobby with QR and code, each kind's live view, the reveal, breaks, the podium.
// It shows only what the screen view holds; the server never puts an answer key in it before reveal,
// nor any role-play brief.

import { h, fill, setText, $, show, letter } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange } from './lib/i18n.js';
import { Link } from './lib/socket.js';
import {
  errorText, showLinkStatus, renderCard, renderLegal, startCountdowns, countdown, signed, secretFromFragment,
  fragmentParams,
} from './lib/ui.js';
import {
  CONSENSUS, GROUP, timer, stepLabel, modeLabel, orderSteps, stepText, withUnit, fmtNum, pct,
  cardOutcome,
} from './lib/kinds.js';
import { startReview } from './review.js';

const match = location.pathname.match(/^\/host\/(\d{1,16})\/?$/);
const CODE = match ? match[1] : null;
const KEY_STORE = `caseroom.key.${CODE}`;

const S = {
  link: null,
  welcome: null,
  view: null,
  built: null, // key of the activity layout currently on screen
  refs: null, // elements the update step fills in place
  frozenAt: null, // while drawing a replayed screen: the time it shows (its clocks stand still there)
};

const screen = $('#screen');
const message = $('#message');

function now() {
  if (S.frozenAt !== null) return S.frozenAt;
  return S.link ? S.link.now() : Date.now();
}

function say(text) {
  fill(screen, message);
  setText(message, text);
  show(message, true);
  show($('#footer'), false);
  S.built = null;
}

function groupName(v, id) {
  const g = (v.groups || []).find((x) => x.id === id);
  return g ? g.name : '';
}

function moduleTitle(v, id) {
  const m = ((v.session && v.session.modules) || []).find((x) => x.id === id);
  return m ? m.title : '';
}

/** Competition ranks (1, 2, 2, 4) over a list already sorted by score. */
function ranked(rows) {
  let rank = 0;
  let previous = null;
  return rows.map((row, i) => {
    if (row.score !== previous) {
      rank = i + 1;
      previous = row.score;
    }
    return { ...row, rank };
  });
}

function setWidth(el, fraction) {
  el.style.width = `${Math.max(0, Math.min(100, Math.round(fraction * 1000) / 10))}%`;
}

// -- rendering ------------------------------------------------------------------------------
function render() {
  const v = S.view;
  if (!v) return;
  const a = v.activity;
  show($('#footer'), Boolean(a) || v.session.phase === 'ended' || Boolean(v.session.break));
  setText($('#footer-url'), S.welcome ? S.welcome.join_url : '');
  setText($('#footer-code'), v.session.code);
  setText($('#footer-counts'), t('host.counts_short', { joined: v.counts.joined, connected: v.counts.connected }));
  document.body.dataset.phase = v.session.phase;

  if (v.session.phase === 'ended') {
    S.built = null;
    fill(screen, renderFinal(v));
  } else if (v.session.break) {
    S.built = null;
    fill(screen, renderBreak(v));
  } else if (!a) {
    S.built = null;
    fill(screen, renderLobby(v));
  } else {
    const stepKey = a.kind === 'roleplay' ? `${a.step}:${a.round}` : '';
    const key = `${a.id}|${a.kind}|${a.status}|${stepKey}|${Boolean(v.leaderboard)}|${document.documentElement.lang}`;
    if (S.built !== key) {
      fill(screen, buildActivity(v, a));
      S.built = key;
    }
    updateActivity(v, a);
  }
  for (const el of screen.querySelectorAll('.h-fit')) fit(el);
}

/** Shrink a column's type (its --fit factor) until its content fits: long cards never get cut off. */
function fit(el) {
  let factor = 1;
  el.style.setProperty('--fit', '1');
  while (el.scrollHeight > el.clientHeight + 1 && factor > 0.55) {
    factor = Math.round((factor - 0.05) * 100) / 100;
    el.style.setProperty('--fit', String(factor));
  }
}

function renderLobby(v) {
  const w = S.welcome || {};
  const groups = v.groups || [];
  const lobby = v.lobby || [];
  const chip = (p) => h('span', { class: 'h-name', testid: 'lobby-name' }, p.name);
  let people;
  if (groups.length) {
    people = h('div', { class: 'h-groups', testid: 'lobby-groups' }, groups.map((g) => {
      const names = lobby.filter((p) => p.group === g.id);
      return h('div', { class: 'h-group', testid: `lobby-group-${g.id}` },
        h('div', { class: 'h-group-head' },
          h('span', { class: 'h-group-name' }, g.name),
          h('span', { class: 'h-group-size' }, t('host.group_size', { n: g.size }))),
        h('div', { class: 'h-names' }, names.map(chip)));
    }));
  } else {
    people = h('div', { class: 'h-names h-names-all' }, lobby.map(chip));
  }
  return h('section', { class: 'h-lobby', testid: 'host-lobby' },
    h('div', { class: 'h-lobby-join' },
      h('div', { class: 'h-lobby-title', testid: 'host-title' }, v.session.title),
      w.qr ? h('img', { class: 'h-qr', src: w.qr, alt: t('host.qr_alt'), testid: 'host-qr' }) : null,
      h('div', { class: 'h-join-step' }, t('host.join_scan')),
      h('div', { class: 'h-join-url', testid: 'host-join-url' }, w.join_url || ''),
      h('div', { class: 'h-join-step' }, t('host.join_code')),
      h('div', { class: 'h-code', testid: 'host-code' }, v.session.code),
      v.session.locked ? h('div', { class: 'h-locked', testid: 'host-locked' }, t('host.locked')) : null),
    h('div', { class: 'h-lobby-people h-fit' },
      h('div', { class: 'h-counts', testid: 'host-counts' },
        h('span', { class: 'h-count-big', testid: 'host-joined' }, v.counts.joined),
        h('span', { class: 'h-count-label' }, t('host.joined')),
        h('span', { class: 'h-count-sub' }, t('host.connected', { n: v.counts.connected }))),
      lobby.length ? people : h('div', { class: 'h-waiting' }, t('host.waiting_players')),
      v.counts.joined > lobby.length
        ? h('div', { class: 'h-more' }, t('host.more_names', { n: v.counts.joined - lobby.length })) : null));
}

/** Groups and players by score; parts the session hides (null scores) are left out. */
function renderBoard(v, big) {
  const players = ranked(v.leaderboard || []).slice(0, big ? 10 : 5);
  const scored = (v.groups || []).filter((g) => g.score !== null && g.score !== undefined);
  const groups = ranked([...scored].sort((a, b) => b.score - a.score)).slice(0, big ? 12 : 6);
  if (!v.leaderboard && !groups.length) return null;
  const top = Math.max(1, ...groups.map((g) => g.score), 0);
  return h('div', { class: ['h-board', big && 'h-board-big h-fit'], testid: 'leaderboard' },
    groups.length ? h('div', { class: 'h-board-part' },
      h('div', { class: 'h-board-heading' }, t('board.groups')),
      h('ol', { class: 'h-board-groups' }, groups.map((g) => {
        const fillEl = h('div', { class: 'h-gbar-fill' });
        fillEl.style.width = `${Math.max(0, Math.round((g.score / top) * 100))}%`;
        return h('li', { class: 'h-gbar', testid: `board-group-${g.id}` },
          h('span', { class: 'h-rank' }, g.rank),
          h('span', { class: 'h-gbar-name' }, g.name),
          h('div', { class: 'h-gbar-track' }, fillEl),
          h('span', { class: 'h-score' }, g.score));
      }))) : null,
    v.leaderboard ? h('div', { class: 'h-board-part' },
      h('div', { class: 'h-board-heading' }, t('board.players')),
      players.length ? h('ol', { class: 'h-board-players' }, players.map((p) => h('li', {
        class: ['h-player', p.rank === 1 && 'is-first'], testid: 'board-player',
      },
      h('span', { class: 'h-rank' }, p.rank),
      h('span', { class: 'h-player-name' }, p.name),
      p.group ? h('span', { class: 'h-player-group' }, groupName(v, p.group)) : null,
      h('span', { class: 'h-score' }, p.score)))) : h('div', { class: 'muted' }, t('board.empty'))) : null);
}

function renderPodium(v, podium) {
  const players = podium.players || [];
  const order = [1, 0, 2].filter((i) => players[i]); // second, first, third
  return h('div', { class: 'h-podium', testid: 'host-podium' }, order.map((i) => {
    const p = players[i];
    return h('div', { class: ['h-pod', `h-pod-${i + 1}`], testid: `podium-${i + 1}` },
      h('div', { class: 'h-pod-name' }, p.name),
      p.group ? h('div', { class: 'h-pod-group' }, groupName(v, p.group)) : null,
      h('div', { class: 'h-pod-score' }, p.score),
      h('div', { class: 'h-pod-block' }, h('span', { class: 'h-pod-rank' }, p.rank || i + 1)));
  }));
}

function renderFinal(v) {
  const podium = v.podium;
  return h('section', { class: 'h-final', testid: 'host-final' },
    h('div', { class: 'h-final-kicker' }, v.session.title),
    h('h1', { class: 'h-final-title' }, podium ? t('host.final_title') : t('host.final_title_plain')),
    podium ? h('div', { class: 'h-final-body' },
      renderPodium(v, podium),
      renderBoard(v, true)) : h('div', { class: 'h-final-thanks', testid: 'host-thanks' }, t('host.final_thanks')));
}

function renderBreak(v) {
  const b = v.session.break;
  return h('section', { class: 'h-break', testid: 'host-break' },
    h('div', { class: 'h-break-main' },
      h('div', { class: 'h-break-kicker' }, v.session.title),
      h('h1', { class: 'h-break-title' }, t('break.title')),
      b.message ? h('div', { class: 'h-break-message', testid: 'host-break-message' }, b.message) : null,
      h('div', { class: 'h-break-label' }, t('break.back_in')),
      countdown(b.until, now, { class: 'h-break-clock', testid: 'host-break-countdown' })),
    v.leaderboard ? h('div', { class: 'h-break-board' }, renderBoard(v, false)) : null);
}

// -- the activity frame --------------------------------------------------------------------------
function buildActivity(v, a) {
  const refs = { options: new Map() };
  S.refs = refs;
  const mode = modeLabel(a.mode);
  const head = h('header', { class: 'h-head' },
    h('div', { class: 'h-head-main' },
      h('div', { class: 'h-kicker' },
        a.module ? h('span', { class: 'h-module' }, moduleTitle(v, a.module)) : null,
        h('span', { class: ['h-status', `h-status-${a.status}`], testid: 'host-status' }, t(`status.${a.status}`)),
        mode ? h('span', { class: 'h-chip h-chip-mode', testid: 'host-mode' }, mode) : null,
        a.kind === 'roleplay' && (a.rounds || 1) > 1
          ? h('span', { class: 'h-chip', testid: 'host-round' }, t('rp.round', { n: (a.round || 0) + 1, of: a.rounds })) : null),
      h('h1', { class: 'h-title', testid: 'host-activity-title' }, a.title)),
    refs.side = h('div', { class: 'h-head-side' }));
  const kind = HOST_KINDS[a.kind];
  const body = kind ? kind.build(v, a, refs) : h('div', { class: 'h-unsupported' }, t('host.kind_unsupported'));
  return h('section', {
    class: ['h-activity', `h-activity-${a.status}`, `h-kind-${a.kind}`], testid: 'host-activity',
    dataset: { status: a.status, kind: a.kind, step: a.step || null },
  }, head, body);
}

function answered(v, a) {
  const n = typeof a.submitted === 'number' ? a.submitted : 0;
  const groups = (v.groups || []).length;
  switch (a.kind) {
    case 'discuss': return { n: a.post_count || 0, label: t('host.posts') };
    case 'roleplay': return { n, label: t('host.scorers') };
    case 'plan': return { n, label: t('host.planners', { joined: v.counts.joined }) };
    case 'deal': return { n, label: t('host.deal_groups_answered', { n: (a.cards || []).length }) };
    default:
      if (a.mode === CONSENSUS && groups) return { n, label: t('host.groups_confirmed', { n: groups }) };
      return { n, label: t('host.answered', { joined: v.counts.joined }) };
  }
}

function updateActivity(v, a) {
  const refs = S.refs;
  if (!refs) return;
  const done = answered(v, a);
  const clock = timer(a, now, { class: 'h-timer', testid: 'host-countdown' });
  fill(refs.side,
    h('div', { class: 'h-answered', testid: 'host-answered' },
      h('b', { class: 'h-answered-n', testid: 'host-answered-n' }, done.n),
      h('span', { class: 'h-answered-label' }, done.label)),
    clock ? h('div', { class: 'h-timer-wrap' },
      a.kind === 'roleplay' && a.step ? h('div', { class: 'h-timer-step' }, stepLabel(a.step)) : null,
      clock,
      a.paused ? h('div', { class: 'h-paused', testid: 'host-paused' }, t('timer.paused')) : null) : null,
    a.status === 'revealed' && a.advance_at ? h('div', { class: 'h-next', testid: 'host-next' },
      h('span', { class: 'h-next-label' }, t('host.next_in')),
      countdown(a.advance_at, now, { class: 'h-next-clock' })) : null);
  if (refs.consensus) fill(refs.consensus, renderConsensus(a));
  const kind = HOST_KINDS[a.kind];
  if (kind && kind.update) kind.update(v, a, refs);
  if (refs.board) fill(refs.board, renderBoard(v, false));
}

/** Group consensus: which groups have proposed, and which have confirmed their answer. */
function renderConsensus(a) {
  if (!Array.isArray(a.groups) || !a.groups.length) return null;
  return h('div', { class: 'h-consensus', testid: 'host-consensus' },
    h('span', { class: 'h-consensus-label' }, t('host.consensus')),
    a.groups.map((g) => {
      const state = g.confirmed ? 'confirmed' : g.proposed ? 'proposed' : 'none';
      return h('span', { class: ['h-cg', `is-${state}`], testid: `host-consensus-${g.group}`, dataset: { state } },
        h('span', { class: 'h-cg-name' }, g.name),
        h('span', { class: 'h-cg-state' }, t(`consensus.state_${state}`)));
    }));
}

function closedNote(a) {
  return a.status === 'closed' ? h('div', { class: 'h-closed-note', testid: 'host-closed' }, t('host.closed_note')) : null;
}

function explainSide(v, r, extra, after) {
  const disclaimer = v.session.deck && v.session.deck.disclaimer;
  const legal = (r && r.legal_basis) || [];
  return h('div', { class: 'h-col-side h-explain h-fit', testid: 'host-explain' },
    extra,
    r && r.rationale ? h('div', { class: 'h-rationale', testid: 'host-rationale' },
      h('div', { class: 'h-section-label' }, t('reveal.rationale')),
      h('p', {}, r.rationale)) : null,
    renderLegal(legal),
    after,
    disclaimer && legal.length ? h('div', { class: 'h-disclaimer' }, disclaimer) : null);
}

function promptCard(kicker, text) {
  return h('div', { class: 'h-prompt-card' },
    h('div', { class: 'h-prompt-kicker' }, kicker),
    h('div', { class: 'h-prompt-text' }, text));
}

// -- vote -----------------------------------------------------------------------------------------
function buildVote(v, a, refs) {
  const revealed = a.status === 'revealed' && a.reveal;
  const ratings = new Map(revealed ? (a.reveal.options || []).map((o) => [o.id, o]) : []);
  const options = Array.isArray(a.options) ? a.options : [];
  const optionRows = h('div', { class: 'h-options', testid: 'host-options' }, options.map((o, i) => {
    const r = ratings.get(o.id);
    const isRec = revealed && a.reveal.recommended === o.id;
    const fillEl = h('div', { class: 'h-bar-fill' });
    const count = h('b', { class: 'h-opt-n', testid: `host-count-${o.id}` });
    const pctEl = h('span', { class: 'h-opt-pct' });
    const row = h('div', {
      class: ['h-opt', `opt-c${i % 6}`, isRec && 'is-recommended', revealed && !isRec && 'is-dim'],
      testid: `host-option-${o.id}`, dataset: { option: o.id, rating: r ? r.rating : null },
    },
    h('div', { class: 'h-opt-letter' }, isRec ? '✓' : letter(i)),
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

function updateVote(v, a, refs) {
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

// -- order ----------------------------------------------------------------------------------------
function orderColumn(label, ids, steps, correct, testid, note) {
  return h('div', { class: 'h-order-col', testid },
    h('div', { class: 'h-order-head' }, label, note ? h('span', { class: 'h-order-note' }, note) : null),
    ids ? h('ol', { class: 'h-order-list' }, ids.map((id, i) => {
      const ok = !correct || correct[i] === id;
      return h('li', { class: ['h-order-item', correct && (ok ? 'is-right' : 'is-wrong')] },
        h('span', { class: 'h-order-n' }, i + 1),
        h('span', { class: 'h-order-text' }, stepText(steps, id)),
        correct ? h('span', { class: 'h-order-mark' }, ok ? '✓' : '✗') : null);
    })) : h('div', { class: 'h-empty' }, t('host.nobody')));
}

function buildOrder(v, a, refs) {
  const steps = orderSteps(a);
  refs.consensus = h('div', { class: 'h-consensus-slot' });
  if (a.status === 'revealed' && a.reveal) {
    const r = a.reveal;
    return h('div', { class: 'h-body h-body-reveal' },
      h('div', { class: 'h-col-main h-fit' },
        h('div', { class: 'h-order-compare', testid: 'host-order-compare' },
          orderColumn(t('host.order_correct'), r.correct || [], steps, null, 'host-order-correct'),
          orderColumn(t('host.order_common'), r.most_common, steps, r.correct || [], 'host-order-common',
            r.most_common ? t('host.order_common_n', { n: r.most_common_count }) : null)),
        r.average_points !== null && r.average_points !== undefined
          ? h('div', { class: 'h-stat-line', testid: 'host-order-average' }, t('host.average_points', { points: fmtNum(r.average_points) }))
          : null,
        refs.consensus),
      explainSide(v, r, null, refs.board = h('div', { class: 'h-board-slot h-board-side' })));
  }
  return h('div', { class: 'h-body' },
    h('div', { class: 'h-col-card h-fit' },
      a.card ? renderCard(a.card, 'h-card') : promptCard(t('host.order_task'), t('host.order_prompt'))),
    h('div', { class: 'h-col-options h-fit' },
      steps ? h('ol', { class: 'h-steps', testid: 'host-steps' }, steps.map((s, i) => h('li', { class: ['h-step', `opt-c${i % 6}`] },
        h('span', { class: 'h-step-letter' }, letter(i)),
        h('span', { class: 'h-step-text' }, s.text))))
        : h('div', { class: 'h-big-hint', testid: 'host-order-hint' }, t('host.order_on_phones')),
      a.mode === 'group-majority' ? h('div', { class: 'h-mode-note' }, t('host.majority_note')) : null,
      refs.consensus, closedNote(a)));
}

// -- estimate -------------------------------------------------------------------------------------
function posOf(a, value) {
  const span = Number(a.max) - Number(a.min);
  return span > 0 ? (Number(value) - Number(a.min)) / span : 0;
}

function buildEstimate(v, a, refs) {
  const hist = a.histogram || { counts: [] };
  const bins = hist.counts.length || 10;
  const revealed = a.status === 'revealed' && a.reveal;
  refs.bars = [];
  const bars = [];
  for (let i = 0; i < bins; i += 1) {
    const bar = h('div', { class: 'h-hist-bar' });
    const n = h('div', { class: 'h-hist-n' });
    refs.bars.push({ bar, n });
    bars.push(h('div', { class: 'h-hist-col', testid: `host-bin-${i}` }, n, bar));
  }
  const markers = [];
  if (revealed) {
    const r = a.reveal;
    if (r.tolerance) {
      const band = h('div', { class: 'h-hist-band' });
      const lo = Math.max(0, posOf(a, r.answer - r.tolerance));
      const hi = Math.min(1, posOf(a, r.answer + r.tolerance));
      band.style.left = `${lo * 100}%`;
      band.style.width = `${Math.max(0, hi - lo) * 100}%`;
      markers.push(band);
    }
    const ref = h('div', { class: 'h-hist-marker h-hist-ref', testid: 'host-reference' },
      h('span', { class: 'h-hist-flag' }, t('host.reference', { value: withUnit(r.answer, a.unit) })));
    ref.style.left = `${posOf(a, r.answer) * 100}%`;
    markers.push(ref);
    if (r.median !== null && r.median !== undefined) {
      const med = h('div', { class: 'h-hist-marker h-hist-median', testid: 'host-median' },
        h('span', { class: 'h-hist-flag' }, t('host.median', { value: withUnit(r.median, a.unit) })));
      med.style.left = `${posOf(a, r.median) * 100}%`;
      markers.push(med);
    }
  }
  const labels = [];
  const step = bins % 2 === 0 ? 2 : 1;
  for (let i = 0; i <= bins; i += step) {
    const x = Number(a.min) + ((Number(a.max) - Number(a.min)) * i) / bins;
    const label = h('span', { class: 'h-hist-tick' }, fmtNum(x));
    label.style.left = `${(i / bins) * 100}%`;
    labels.push(label);
  }
  const histogram = h('div', { class: 'h-hist', testid: 'host-histogram' },
    h('div', { class: 'h-hist-plot' }, bars, markers),
    h('div', { class: 'h-hist-axis' }, labels),
    a.unit ? h('div', { class: 'h-hist-unit' }, a.unit) : null);
  refs.consensus = h('div', { class: 'h-consensus-slot' });
  if (revealed) {
    const r = a.reveal;
    refs.board = h('div', { class: 'h-board-slot h-board-side' });
    return h('div', { class: 'h-body h-body-reveal' },
      h('div', { class: 'h-col-main h-fit' },
        h('div', { class: 'h-est-facts', testid: 'host-estimate-facts' },
          h('div', { class: 'h-fact h-fact-ref' },
            h('div', { class: 'h-fact-label' }, t('host.reference_label')),
            h('div', { class: 'h-fact-value' }, withUnit(r.answer, a.unit)),
            r.tolerance ? h('div', { class: 'h-fact-sub' }, t('host.tolerance', { tol: fmtNum(r.tolerance) })) : null),
          h('div', { class: 'h-fact' },
            h('div', { class: 'h-fact-label' }, t('host.median_label')),
            h('div', { class: 'h-fact-value' }, withUnit(r.median, a.unit)),
            r.mean !== null && r.mean !== undefined ? h('div', { class: 'h-fact-sub' }, t('host.mean', { value: fmtNum(r.mean) })) : null)),
        histogram,
        refs.consensus),
      explainSide(v, r, null, refs.board));
  }
  const range = h('div', { class: 'h-range-note' },
    t('host.estimate_range', { min: withUnit(a.min, a.unit), max: withUnit(a.max, a.unit) }));
  const chart = [histogram,
    a.mode === 'group-majority' ? h('div', { class: 'h-mode-note' }, t('host.majority_note_estimate')) : null,
    refs.consensus, closedNote(a)];
  if (!a.card) return h('div', { class: 'h-body h-body-single' }, h('div', { class: 'h-col-options h-fit' }, range, chart));
  return h('div', { class: 'h-body' },
    h('div', { class: 'h-col-card h-fit' }, renderCard(a.card, 'h-card'), range),
    h('div', { class: 'h-col-options h-fit' }, chart));
}

function updateEstimate(v, a, refs) {
  const counts = (a.histogram && a.histogram.counts) || [];
  const top = Math.max(1, ...counts);
  refs.bars.forEach((ref, i) => {
    const n = Number(counts[i]) || 0;
    ref.bar.style.height = `${Math.round((n / top) * 100)}%`;
    ref.bar.classList.toggle('is-empty', n === 0);
    setText(ref.n, n ? n : '');
  });
}

// -- discuss --------------------------------------------------------------------------------------
function buildDiscuss(v, a, refs) {
  const revealed = a.status === 'revealed';
  return h('div', { class: ['h-body', 'h-body-discuss', revealed && v.leaderboard && 'has-board'] },
    h('div', { class: 'h-discuss h-fit' },
      a.prompt ? h('div', { class: 'h-prompt', testid: 'host-prompt' }, a.prompt) : null,
      refs.posts = h('div', { class: 'h-posts', testid: 'host-posts' }),
      closedNote(a)),
    revealed ? (refs.board = h('div', { class: 'h-board-slot h-board-side' })) : null);
}

function updateDiscuss(v, a, refs) {
  const posts = Array.isArray(a.posts) ? a.posts : [];
  const groups = a.mode === GROUP;
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

// -- roleplay -------------------------------------------------------------------------------------
const RP_STEPS = ['prep', 'play', 'scoring'];

function buildRoleplay(v, a, refs) {
  const roles = a.roles || {};
  const criteria = (a.rubric && a.rubric.criteria) || [];
  const revealed = a.status === 'revealed' && a.reveal;
  const at = a.status === 'open' ? RP_STEPS.indexOf(a.step) : RP_STEPS.length;
  const stepper = h('ol', { class: 'h-stepper', testid: 'host-stepper' }, RP_STEPS.map((s, i) => h('li', {
    class: ['h-stepper-item', i < at && 'is-done', i === at && 'is-current'], dataset: { step: s },
  }, h('span', { class: 'h-stepper-n' }, i < at ? '✓' : i + 1), h('span', {}, stepLabel(s)))));
  const casts = h('div', { class: 'h-casts', testid: 'host-casts' }, (a.casts || []).map((c) => h('div', { class: 'h-cast' },
    c.group ? h('div', { class: 'h-cast-group' }, groupName(v, c.group)) : null,
    h('div', { class: 'h-cast-role' }, h('span', { class: 'h-role-tag h-role-agent' }, roles.agent || t('rp.role_agent')),
      h('b', {}, c.agent_name || '–')),
    h('div', { class: 'h-cast-role' }, h('span', { class: 'h-role-tag h-role-customer' }, roles.customer || t('rp.role_customer')),
      h('b', {}, c.customer_name || '–')))));
  refs.live = new Map();
  const rows = revealed ? a.reveal.results || [] : a.live || [];
  const live = h('div', { class: 'h-live', testid: 'host-live' },
    h('div', { class: 'h-section-label' }, revealed ? t('host.rp_results') : t('host.rp_live', { title: (a.rubric && a.rubric.title) || '' })),
    rows.map((res) => {
      const total = h('b', { class: 'h-live-total', testid: `host-live-total-${res.group}` });
      const scorers = h('span', { class: 'h-live-scorers' });
      const bars = new Map();
      const block = h('div', { class: 'h-live-group', testid: `host-live-${res.group}`, dataset: { group: res.group } },
        h('div', { class: 'h-live-head' },
          h('span', { class: 'h-live-name' }, [res.group ? groupName(v, res.group) : null, res.agent_name].filter(Boolean).join(' · ')),
          revealed && (a.rounds || 1) > 1 ? h('span', { class: 'h-live-round' }, t('rp.round', { n: res.round + 1, of: a.rounds })) : null,
          scorers, total),
        criteria.map((c) => {
          const fillEl = h('div', { class: 'h-live-fill' });
          const value = h('b', { class: 'h-live-value', testid: `host-live-${res.group}-${c.id}` });
          bars.set(c.id, { fill: fillEl, value });
          return h('div', { class: 'h-live-row' },
            h('span', { class: 'h-live-crit' }, c.title),
            h('div', { class: 'h-live-track' }, fillEl),
            value);
        }));
      refs.live.set(`${res.round}:${res.group}`, { total, scorers, bars });
      return block;
    }));
  const left = h('div', { class: 'h-col-card h-fit' },
    renderCard(a.scenario, 'h-card'),
    casts,
    h('div', { class: 'h-rp-note' }, t('host.rp_briefs_private')));
  return h('div', { class: ['h-body', revealed && 'h-body-reveal'] },
    left,
    h('div', { class: 'h-col-options h-fit' },
      a.status === 'open' ? stepper : null,
      a.status === 'open' ? h('div', { class: 'h-rp-doing', testid: 'host-rp-doing' }, t(`host.rp_${a.step}`)) : null,
      live,
      revealed && a.reveal.rationale ? h('div', { class: 'h-rationale', testid: 'host-rationale' },
        h('div', { class: 'h-section-label' }, t('reveal.rationale')), h('p', {}, a.reveal.rationale)) : null,
      revealed ? (refs.board = h('div', { class: 'h-board-slot' })) : null,
      closedNote(a)));
}

function updateRoleplay(v, a, refs) {
  const rows = a.status === 'revealed' && a.reveal ? a.reveal.results || [] : a.live || [];
  for (const res of rows) {
    const ref = refs.live.get(`${res.round}:${res.group}`);
    if (!ref) continue;
    setText(ref.total, `${fmtNum(res.total)} / ${res.max}`);
    setText(ref.scorers, t('host.rp_scorers', { n: res.scorers }));
    for (const [crit, bar] of ref.bars) {
      const mean = res.means ? res.means[crit] : null;
      setWidth(bar.fill, mean ? mean / 5 : 0);
      setText(bar.value, fmtNum(mean));
    }
  }
}

// -- plan -----------------------------------------------------------------------------------------
function buildPlan(v, a, refs) {
  return h('div', { class: 'h-body h-body-plan' },
    h('div', { class: 'h-col-card h-fit' },
      a.prompt ? h('div', { class: 'h-prompt', testid: 'host-prompt' }, a.prompt) : null,
      refs.planStats = h('div', { class: 'h-plan-stats', testid: 'host-plan-stats' }),
      refs.notes = h('div', { class: 'h-notes', testid: 'host-highlights' })),
    h('div', { class: 'h-col-side h-fit' },
      h('div', { class: 'h-section-label h-review-label' }, t('host.review')),
      refs.review = h('div', { class: 'h-review', testid: 'host-review' })));
}

function reviewLine(v, r) {
  const ok = (yes) => h('span', { class: ['h-review-mark', yes ? 'is-right' : 'is-wrong'] }, yes ? '✓' : '≠');
  switch (r.kind) {
    case 'vote': {
      const ids = Object.keys(r.distribution || {});
      const L = (id) => (ids.indexOf(id) >= 0 ? letter(ids.indexOf(id)) : '–');
      return [r.class_choice ? ok(r.class_choice === r.recommended) : null,
        t('review.vote', { cls: r.class_choice ? L(r.class_choice) : '–', rec: L(r.recommended) }),
        r.agreement !== null && r.agreement !== undefined ? h('span', { class: 'h-review-pct' }, t('review.agreement', { pct: pct(r.agreement) })) : null];
    }
    case 'order':
      return [r.class_choice ? ok(JSON.stringify(r.class_choice) === JSON.stringify(r.recommended)) : null,
        t('review.order', { pct: pct(r.agreement) }),
        r.average_points !== null && r.average_points !== undefined
          ? h('span', { class: 'h-review-pct' }, t('review.average', { points: fmtNum(r.average_points) })) : null];
    case 'estimate':
      return [t('review.estimate', { median: withUnit(r.median, r.unit), rec: withUnit(r.recommended, r.unit) }),
        r.agreement !== null && r.agreement !== undefined ? h('span', { class: 'h-review-pct' }, t('review.within', { pct: pct(r.agreement) })) : null];
    case 'discuss': {
      const top = (r.posts || [])[0];
      return [t('review.discuss', { n: r.answered || 0 }), top ? h('span', { class: 'h-review-quote' }, `“${top.text}”`) : null];
    }
    case 'roleplay':
      return (r.results || []).map((res) => h('span', { class: 'h-review-rp' },
        t('review.roleplay', { who: [res.group ? groupName(v, res.group) : null, res.agent_name].filter(Boolean).join(' '),
          total: fmtNum(res.total), max: res.max })));
    default:
      return [];
  }
}

function updatePlan(v, a, refs) {
  fill(refs.planStats,
    h('div', { class: 'h-plan-stat' },
      h('b', { class: 'h-plan-n', testid: 'host-plan-items' }, a.items || 0),
      h('span', {}, t('host.plan_items'))),
    h('div', { class: 'h-plan-stat' },
      h('b', { class: 'h-plan-n' }, a.submitted || 0),
      h('span', {}, t('host.plan_people'))));
  const notes = Array.isArray(a.highlights) ? a.highlights : [];
  fill(refs.notes, notes.length ? notes.map((n, i) => h('div', { class: ['h-note', `h-note-${i % 4}`], testid: 'host-note' },
    h('div', { class: 'h-note-what' }, n.what),
    n.by || n.module ? h('div', { class: 'h-note-meta' }, [n.by, n.module].filter(Boolean).join(' · ')) : null))
    : h('div', { class: 'h-empty' }, t('host.no_plans')));
  const review = Array.isArray(a.review) ? a.review : [];
  fill(refs.review, review.length ? review.map((r) => h('div', { class: 'h-review-row', testid: `host-review-${r.id}` },
    h('div', { class: 'h-review-title' },
      h('span', { class: 'h-kind-tag' }, t(`kind.${r.kind}`)),
      h('span', {}, r.title),
      r.groups && r.groups.length ? h('span', { class: 'h-review-groups' }, r.groups.map((g) => groupName(v, g)).join('、')) : null),
    h('div', { class: 'h-review-line' }, reviewLine(v, r))))
    : h('div', { class: 'h-empty' }, t('host.no_review')));
}

// -- deal -----------------------------------------------------------------------------------------
function buildDeal(v, a, refs) {
  const revealed = a.status === 'revealed';
  return h('div', { class: ['h-body', 'h-body-deal', revealed && v.leaderboard && 'has-board'] },
    h('div', { class: 'h-deal-wrap h-fit' },
      refs.deal = h('div', { class: 'h-deal', testid: 'host-deal' }),
      closedNote(a)),
    revealed ? (refs.board = h('div', { class: 'h-board-slot h-board-side' })) : null);
}

function updateDeal(v, a, refs) {
  const cards = Array.isArray(a.cards) ? a.cards : [];
  fill(refs.deal, cards.map((c) => {
    const out = cardOutcome(c);
    let state = 'open';
    if (out) state = out.ok === null ? 'none' : out.ok ? 'right' : 'wrong';
    else if (c.confirmed) state = 'confirmed';
    else if (c.submitted) state = 'answered';
    return h('div', { class: ['h-deal-card', `is-${state}`], testid: `host-deal-${c.group}`, dataset: { state } },
      h('div', { class: 'h-deal-group' }, c.group_name || groupName(v, c.group)),
      h('div', { class: 'h-deal-title' }, c.title),
      h('div', { class: 'h-deal-kind' }, t(`kind.${c.kind}`)),
      out ? h('div', { class: 'h-deal-outcome' },
        h('div', {}, h('span', { class: 'h-deal-label' }, t('host.deal_group_answer')), out.answer || t('host.nobody')),
        h('div', {}, h('span', { class: 'h-deal-label' }, t('reveal.recommended')), out.recommended))
        : h('div', { class: 'h-deal-state' }, t(`host.deal_${state}`, { n: c.submitted || 0 })));
  }));
}

const HOST_KINDS = {
  vote: { build: buildVote, update: updateVote },
  order: { build: buildOrder },
  estimate: { build: buildEstimate, update: updateEstimate },
  discuss: { build: buildDiscuss, update: updateDiscuss },
  roleplay: { build: buildRoleplay, update: updateRoleplay },
  plan: { build: buildPlan, update: updatePlan },
  deal: { build: buildDeal, update: updateDeal },
};

// -- review: the screen as it was ----------------------------------------------------------------------
/** The projector screen for a view from the past (the replay), drawn with the same renderers, clocks at `at`. */
function still(v, at) {
  const savedRefs = S.refs;
  S.frozenAt = at;
  try {
    const a = v.activity;
    if (v.session.phase === 'ended') return renderFinal(v);
    if (v.session.break) return renderBreak(v);
    if (!a) return renderLobby(v);
    const el = buildActivity(v, a);
    updateActivity(v, a);
    return el;
  } finally {
    S.frozenAt = null;
    S.refs = savedRefs;
  }
}

function fitAll(root) {
  for (const el of root.querySelectorAll('.h-fit')) fit(el);
}

// -- start --------------------------------------------------------------------------------------
function init() {
  apply();
  bindToggle($('#lang'));
  // A double click (or F) fills the projector: no browser chrome on the big screen.
  const fullscreen = () => {
    if (!document.fullscreenElement && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(() => { /* not allowed: fine */ });
    }
  };
  document.addEventListener('dblclick', fullscreen);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'f' || event.key === 'F') fullscreen();
  });
  const reviewing = fragmentParams().has('review');
  if (reviewing) {
    // The review (课程回顾): the session's record over HTTP, no live connection.
    show($('#footer'), false);
    if (!CODE) { say(t('host.no_code')); return; }
    const key = secretFromFragment('key', KEY_STORE, ['review']);
    if (!key) { say(t('host.no_key')); return; }
    S.welcome = { join_url: `${location.origin}/j/${CODE}` }; // a replayed lobby shows where to join
    startReview({ code: CODE, key, root: screen, still, fitAll });
    return;
  }
  onLangChange(() => {
    S.built = null;
    if (S.view) render();
    if (S.link) showLinkStatus($('#conn'), S.link.status);
  });
  startCountdowns(now);
  window.addEventListener('resize', () => {
    S.built = null;
    render();
  });
  if (!CODE) {
    say(t('host.no_code'));
    return;
  }
  const key = secretFromFragment('key', KEY_STORE);
  if (!key) {
    say(t('host.no_key'));
    return;
  }
  say(t('host.connecting'));
  S.link = new Link({
    hello: () => ({ type: 'host', code: CODE, key, view: 'screen' }),
    onWelcome: (msg) => {
      S.welcome = msg;
      document.title = `${msg.session.title} · ${t('app.name')}`;
    },
    onState: (msg) => {
      S.view = msg.view;
      render();
    },
    onHelloError: (err) => {
      if (err.code === 'bad_key') {
        try { sessionStorage.removeItem(KEY_STORE); } catch { /* ignore */ }
      }
      say(errorText(err));
    },
    onError: (err) => console.error('caseroom screen:', err.code, err.message),
    onStatus: (status) => showLinkStatus($('#conn'), status),
  }).start();
}

init();
