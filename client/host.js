// The projector screen: lobby with QR and code, the activity frame around each kind's live view and
// reveal (drawn by its module in client/kinds/), breaks, the podium.
// It shows only what the screen view holds; the server never puts an answer key in it before reveal,
// nor any role-play brief.

import { h, fill, setText, $, show } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange } from './lib/i18n.js';
import { Link } from './lib/socket.js';
import {
  errorText, showLinkStatus, renderLegal, startCountdowns, countdown, secretFromFragment, fragmentParams, signed,
} from './lib/ui.js';
import { CONSENSUS, timer, stepLabel, modeLabel } from './lib/kinds.js';
import { kindOf, loadKinds } from './kinds/index.js';
import { startReview } from './review.js';
import * as sound from './lib/sound.js';

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
  prev: null, // what the previous view showed, for the moment's sounds and toasts
  timeUpFor: null, // the clock whose time's-up cue has played (once per clock)
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
  show($('#footer'), (Boolean(a) || Boolean(v.session.break)) && v.session.phase !== 'ended');
  renderCorner(v);
  moment(v);
  setText($('#footer-url'), S.welcome ? S.welcome.join_url : '');
  setText($('#footer-code'), v.session.code);
  setText($('#footer-counts'), t('host.counts_short', { joined: v.counts.joined, connected: v.counts.connected }));
  document.body.dataset.phase = v.session.phase;

  if (v.session.phase === 'ended') {
    const key = `final|${document.documentElement.lang}|${JSON.stringify(v.podium)}`;
    if (S.built !== key) fill(screen, renderFinal(v)); // built once: the podium's build-up plays once
    S.built = key;
  } else if (v.session.break) {
    S.built = null;
    fill(screen, renderBreak(v));
  } else if (!a) {
    S.built = null;
    fill(screen, renderLobby(v));
  } else {
    const stepKey = stepped(a) ? `${a.step}:${a.round}` : '';
    const key = `${a.id}|${a.kind}|${a.status}|${stepKey}|${Boolean(v.leaderboard)}|${a.results}|${document.documentElement.lang}`;
    if (S.built !== key) {
      fill(screen, buildActivity(v, a));
      S.built = key;
    }
    updateActivity(v, a);
  }
  for (const el of screen.querySelectorAll('.h-fit')) fit(el);
}

// -- the corner: a small QR and the code for late joiners, or the lock sign --------------------
function renderCorner(v) {
  const qr = $('#footer-qr');
  const locked = Boolean(v.session.locked);
  if (S.welcome && S.welcome.qr && qr.getAttribute('src') !== S.welcome.qr) qr.src = S.welcome.qr;
  qr.alt = t('host.qr_alt');
  show(qr, !locked && Boolean(S.welcome && S.welcome.qr));
  show($('#footer-locked'), locked);
  document.body.classList.toggle('is-locked', locked);
}

// -- the moment: sounds and toasts when something happens (never on the first view) ---------------
function moment(v) {
  const a = v.activity;
  const prev = S.prev;
  const awardSeq = v.last_award ? v.last_award.seq : 0;
  S.prev = { id: a && a.id, status: a && a.status, all: Boolean(a && a.all_answered), awardSeq,
    phase: v.session.phase, a };
  const lobby = v.session.phase === 'lobby' && !a && !v.session.break;
  if (lobby) sound.startMusic(); else sound.stopMusic();
  if (!prev) return;
  if (a && a.id === prev.id) {
    if (S.prev.all && !prev.all) {
      sound.allAnswered();
      toast(t('reveal.all_answered'), 'all');
    }
    if (a.status === 'closed' && prev.status === 'open' && !prev.all && !S.prev.all && S.timeUpFor !== clockKey(prev.a)) {
      S.timeUpFor = clockKey(prev.a); // (the bar plays it at zero; a close by the trainer plays it here)
      sound.timeUp();
    }
    if (a.status === 'revealed' && prev.status !== 'revealed') sound.reveal();
  }
  if (v.session.phase === 'ended' && prev.phase !== 'ended' && v.podium) {
    [[3, 400], [2, 1600], [1, 2800]].forEach(([place, ms]) => setTimeout(() => sound.podiumStep(place), ms));
  }
  if (awardSeq > prev.awardSeq && v.last_award) {
    const w = v.last_award;
    sound.award();
    toast(t('toast.award_to', { name: w.name, points: signed(w.points), reason: w.reason }), 'award');
  }
}

let toastTimer = null;
function toast(text, kind) {
  const el = $('#host-toast');
  setText(el, text);
  el.dataset.kind = kind;
  show(el, true);
  el.classList.remove('is-in');
  void el.offsetWidth; // restart the entrance animation
  el.classList.add('is-in');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => show(el, false), kind === 'award' ? 5000 : 2200);
}

/** The clock's key: one per activity, step and round (a new step's clock is a new clock). */
function clockKey(a) {
  return `${a.id}|${a.step || ''}|${a.round || 0}`;
}

/**
 * The countdown bar under the header: it drains from the clock's full span (view `span`) to zero,
 * pulses with a tick each second of the last five, and plays the time's-up cue when it reaches zero.
 * Redrawn every 100 ms from the deadline and the server's clock; the server still closes the card.
 */
const TICK_FROM = 5;
function drawClock(state) {
  const a = S.view && S.view.activity;
  const bar = S.refs && S.refs.timebar;
  const running = a && a.status === 'open' && !a.paused && a.deadline;
  const timed = a && a.status === 'open' && a.span && (a.deadline || a.paused);
  if (bar) show(bar, Boolean(timed));
  if (!timed) { state.key = null; return; }
  const key = clockKey(a);
  const leftMs = running ? a.deadline - now() : (a.time_left || 0);
  const fraction = Math.max(0, Math.min(1, leftMs / a.span));
  const left = Math.max(0, Math.ceil(leftMs / 1000));
  if (bar) {
    S.refs.timebarFill.style.transform = `scaleX(${fraction.toFixed(4)})`;
    bar.dataset.fraction = fraction.toFixed(3);
    bar.dataset.left = String(left);
    bar.classList.toggle('is-urgent', leftMs <= 10000);
    bar.classList.toggle('is-paused', Boolean(a.paused));
    bar.dataset.over = String(leftMs <= 0);
  }
  const before = state.key === key ? state.left : null;
  state.key = key;
  state.left = left;
  if (!running || before === null || left === before) return;
  if (left >= 1 && left <= TICK_FROM) {
    sound.tick(left);
    if (bar) {
      bar.dataset.tick = String(left);
      bar.classList.remove('is-tick');
      void bar.offsetWidth; // restart the pulse
      bar.classList.add('is-tick');
    }
  }
  if (left === 0 && before > 0 && S.timeUpFor !== key) {
    S.timeUpFor = key;
    sound.timeUp();
  }
}

function startClock() {
  const state = { key: null, left: null };
  setInterval(() => drawClock(state), 100);
}

function setupControls() {
  const mute = $('#btn-mute');
  const full = $('#btn-fullscreen');
  const label = () => {
    const muted = sound.isMuted();
    mute.textContent = muted ? t('host.unmute') : t('host.mute'); // (no emoji: projectors' fonts often lack them)
    mute.setAttribute('aria-pressed', String(muted));
    const isFull = Boolean(document.fullscreenElement);
    full.textContent = isFull ? `⤡ ${t('host.fullscreen_exit')}` : `⤢ ${t('host.fullscreen')}`;
  };
  label();
  mute.addEventListener('click', () => { sound.unlock(); sound.setMuted(!sound.isMuted()); });
  full.addEventListener('click', () => toggleFullscreen());
  document.addEventListener('fullscreenchange', () => {
    document.body.classList.toggle('is-fullscreen', Boolean(document.fullscreenElement));
    label();
  });
  sound.onMuteChange(() => { label(); if (S.view) moment(S.view); });
  onLangChange(label);
  // Browsers allow sound only after a gesture on the page: the first click or key unlocks it.
  const unlock = () => {
    sound.unlock();
    if (S.view) moment(S.view);
  };
  window.addEventListener('pointerdown', unlock, { once: true });
  window.addEventListener('keydown', unlock, { once: true });
}

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  else document.documentElement.requestFullscreen().catch(() => {});
}

/**
 * Fit a column by design, never by shrinking its type: when its content is taller than the
 * column, the content is split into pages (answer and points first, the rationale, then the
 * legal basis...) shown one after the other: every PAGE_MS, or at once with → / PageDown /
 * space on the projector. A block taller than a page is split along its own children.
 */
const PAGE_MS = 9000;

/** The blocks a column can be cut between: its children, and the children of a too-tall block
 * that stacks them vertically (a grid or a row of columns stays whole). */
function leaves(el, avail, wrappers) {
  const out = [];
  for (const child of el.children) {
    if (child.classList.contains('h-pager')) continue;
    const cs = getComputedStyle(child);
    const stacked = cs.display === 'block' || (cs.display === 'flex' && cs.flexDirection === 'column')
      || (cs.display === 'grid' && [...child.children].every((c) => c.offsetHeight <= avail)); // rows of cards
    if (child.offsetHeight > avail && child.children.length > 1 && stacked) {
      wrappers.push(child);
      out.push(...leaves(child, avail, wrappers));
    } else out.push(child);
  }
  return out;
}

/** How much of a column's height its blocks may fill: the rest is the page marker's. */
const PAGE_FILL = 0.93;

function paginate(el) {
  const old = el._pager;
  for (const item of el.querySelectorAll('.is-off-page')) item.classList.remove('is-off-page');
  const marker = el.querySelector(':scope > .h-pager');
  if (marker) marker.remove();
  if (el.scrollHeight <= el.clientHeight + 1) { el._pager = null; return; }
  const wrappers = []; // blocks split along their children: shown only on the pages that hold some
  const items = leaves(el, el.clientHeight * 0.9, wrappers).filter((x) => x.offsetHeight > 0);
  // Each page takes as many blocks as it holds, measured as laid out (wrappers keep their padding,
  // gaps their size; a split block shows only with some of its parts): the block that spills
  // starts the next page. One pass, so no page could also hold the next page's first block (the
  // fit test checks it).
  const top = el.getBoundingClientRect().top;
  const spills = (last) => el.scrollHeight > el.clientHeight + 1
    || last.getBoundingClientRect().bottom - top > el.clientHeight * PAGE_FILL;
  for (const item of items) item.classList.add('is-off-page');
  const pages = [[]];
  for (const item of items) {
    item.classList.remove('is-off-page');
    const page = pages[pages.length - 1];
    showWrappers(wrappers, [...page, item]);
    if (page.length && spills(item)) {
      for (const x of page) x.classList.add('is-off-page');
      pages.push([item]);
      showWrappers(wrappers, [item]);
    } else {
      page.push(item);
    }
  }
  const page = old && old.count === pages.length ? old.page % pages.length : 0;
  el._pager = {
    pages, wrappers, count: pages.length, page, fill: PAGE_FILL,
    at: old && old.count === pages.length ? old.at : Date.now(),
  };
  showPage(el);
}

/** A split block shows only beside some of its parts: on a page without them its own padding
 * and frame would be an empty strip. */
function showWrappers(wrappers, shown) {
  for (const w of wrappers) w.classList.toggle('is-off-page', !shown.some((x) => w.contains(x)));
}

function showPage(el) {
  const p = el._pager;
  if (!p) return;
  p.pages.forEach((items, i) => items.forEach((item) => item.classList.toggle('is-off-page', i !== p.page)));
  showWrappers(p.wrappers, p.pages[p.page]);
  let marker = el.querySelector(':scope > .h-pager');
  if (!marker) {
    marker = h('div', { class: 'h-pager', testid: 'host-pager' });
    el.append(marker);
  }
  setText(marker, t('reveal.page', { n: p.page + 1, of: p.count }));
  marker.dataset.page = String(p.page + 1);
  marker.dataset.pages = String(p.count);
}

function turnPages(force) {
  for (const el of screen.querySelectorAll('.h-fit')) {
    const p = el._pager;
    if (!p || p.count < 2) continue;
    if (!force && Date.now() - p.at < PAGE_MS) continue;
    p.page = (p.page + 1) % p.count;
    p.at = Date.now();
    showPage(el);
  }
}

function fit(el) {
  el.style.setProperty('--fit', '1');
  paginate(el);
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

// -- the activity's kind: its module in client/kinds/ draws the body -------------------------------
/** The projector part of the activity's kind module (client/kinds/), or null. */
function screenOf(a) {
  const kind = kindOf(a.kind);
  return kind && kind.screen ? kind.screen : null;
}

/** A kind of timed steps and rounds (the role-play): its layout changes per step and round. */
function stepped(a) {
  const kind = screenOf(a);
  return Boolean(kind && kind.stepped);
}

// -- the activity frame (header, counters, clock) around the kind's body --------------------------------------------------------------------------
function buildActivity(v, a) {
  const refs = { options: new Map() };
  S.refs = refs;
  const mode = modeLabel(a.mode);
  const kind = screenOf(a);
  const head = h('header', { class: 'h-head' },
    h('div', { class: 'h-head-main' },
      h('div', { class: 'h-kicker' },
        a.module ? h('span', { class: 'h-module' }, moduleTitle(v, a.module)) : null,
        h('span', { class: ['h-status', `h-status-${a.status}`], testid: 'host-status' }, t(`status.${a.status}`)),
        mode ? h('span', { class: 'h-chip h-chip-mode', testid: 'host-mode' }, mode) : null,
        stepped(a) && (a.rounds || 1) > 1
          ? h('span', { class: 'h-chip', testid: 'host-round' }, t('rp.round', { n: (a.round || 0) + 1, of: a.rounds })) : null,
        kind && kind.resultsNote ? resultsNote(a) : null),
      h('h1', { class: 'h-title', testid: 'host-activity-title' }, a.title)),
    refs.side = h('div', { class: 'h-head-side' }));
  refs.timebar = h('div', { class: 'h-timebar', testid: 'host-timebar', hidden: true, 'aria-hidden': 'true' },
    refs.timebarFill = h('div', { class: 'h-timebar-fill' }));
  const body = kind ? kind.build(CTX, v, a, refs) : h('div', { class: 'h-unsupported' }, t('host.kind_unsupported'));
  return h('section', {
    class: ['h-activity', `h-activity-${a.status}`, `h-kind-${a.kind}`], testid: 'host-activity',
    dataset: { status: a.status, kind: a.kind, step: a.step || null },
  }, head, refs.timebar, body);
}

function answered(v, a) {
  const n = typeof a.submitted === 'number' ? a.submitted : 0;
  const groups = (v.groups || []).length;
  const kind = screenOf(a);
  if (kind && kind.answered) return kind.answered(CTX, v, a, n);
  if (a.mode === CONSENSUS && groups) return { n, label: t('host.groups_confirmed', { n: groups }) };
  return { n, label: t('host.answered', { joined: v.counts.joined }) };
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
      stepped(a) && a.step ? h('div', { class: 'h-timer-step' }, stepLabel(a.step)) : null,
      clock,
      a.paused ? h('div', { class: 'h-paused', testid: 'host-paused' }, t('timer.paused')) : null) : null,
    a.status === 'revealed' && a.advance_at ? h('div', { class: 'h-next', testid: 'host-next' },
      h('span', { class: 'h-next-label' }, t('host.next_in')),
      countdown(a.advance_at, now, { class: 'h-next-clock' })) : null);
  if (refs.consensus) fill(refs.consensus, renderConsensus(a));
  const kind = screenOf(a);
  if (kind && kind.update) kind.update(CTX, v, a, refs);
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

/** While open: "results at the reveal" (the screen view holds no distribution), or a "live" tag.
 * In the card's header line, for the kinds that show results (their module says resultsNote), so
 * it is on every page of a card that pages and takes no room from the options. */
function resultsNote(a) {
  if (a.status !== 'open') return null;
  return a.results === 'live'
    ? h('span', { class: 'h-results-live', testid: 'host-results-live' }, t('reveal.live'))
    : h('span', { class: 'h-results-hidden', testid: 'host-results-hidden' }, t('reveal.hidden'));
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

/** ✓ or ≠ before a line of the course review. */
function reviewMark(yes) {
  return h('span', { class: ['h-review-mark', yes ? 'is-right' : 'is-wrong'] }, yes ? '✓' : '≠');
}

function promptCard(kicker, text) {
  return h('div', { class: 'h-prompt-card' },
    h('div', { class: 'h-prompt-kicker' }, kicker),
    h('div', { class: 'h-prompt-text' }, text));
}

// -- what the frame lends each kind's screen renderer (client/kinds/index.js) --------------------
const CTX = { now, kindOf, groupName, setWidth, closedNote, explainSide, promptCard, reviewMark };

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
  startClock();
  setupControls();
  setInterval(() => turnPages(false), 500);
  document.addEventListener('keydown', (event) => {
    if (['ArrowRight', 'PageDown', ' '].includes(event.key)) { event.preventDefault(); turnPages(true); }
  });
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

await loadKinds(); // (the screen and the console draw every kind from their first view)
init();
