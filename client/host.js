// The projector screen: lobby with QR and code, the card with live bars, the reveal, the leaderboard.
// It shows only what the screen view holds; the server never puts an answer key in it before reveal.

import { h, fill, setText, $, show, letter } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange } from './lib/i18n.js';
import { Link } from './lib/socket.js';
import {
  errorText, showLinkStatus, renderCard, renderLegal, startCountdowns, countdown, signed, secretFromFragment,
} from './lib/ui.js';

const match = location.pathname.match(/^\/host\/(\d{1,16})\/?$/);
const CODE = match ? match[1] : null;
const KEY_STORE = `caseroom.key.${CODE}`;

const S = {
  link: null,
  welcome: null,
  view: null,
  built: null, // key of the activity layout currently on screen
  refs: null, // elements to update in place: {options: Map(id -> {row, fill, count, pct}), answered}
};

const screen = $('#screen');
const message = $('#message');

function now() {
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

// -- rendering ------------------------------------------------------------------------------
function render() {
  const v = S.view;
  if (!v) return;
  show($('#footer'), Boolean(v.activity) || v.session.phase === 'ended');
  setText($('#footer-url'), S.welcome ? S.welcome.join_url : '');
  setText($('#footer-code'), v.session.code);
  setText($('#footer-counts'), t('host.counts_short', { joined: v.counts.joined, connected: v.counts.connected }));
  document.body.dataset.phase = v.session.phase;

  if (v.session.phase === 'ended') {
    S.built = null;
    fill(screen, renderFinal(v));
  } else if (!v.activity) {
    S.built = null;
    fill(screen, renderLobby(v));
  } else {
    const a = v.activity;
    const key = `${a.id}|${a.status}|${document.documentElement.lang}`;
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

function renderBoard(v, big) {
  const players = ranked(v.leaderboard || []).slice(0, big ? 10 : 5);
  const groups = ranked([...(v.groups || [])].sort((a, b) => b.score - a.score)).slice(0, big ? 12 : 6);
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
    h('div', { class: 'h-board-part' },
      h('div', { class: 'h-board-heading' }, t('board.players')),
      players.length ? h('ol', { class: 'h-board-players' }, players.map((p) => h('li', {
        class: ['h-player', p.rank === 1 && 'is-first'], testid: 'board-player',
      },
      h('span', { class: 'h-rank' }, p.rank),
      h('span', { class: 'h-player-name' }, p.name),
      p.group ? h('span', { class: 'h-player-group' }, groupName(v, p.group)) : null,
      h('span', { class: 'h-score' }, p.score)))) : h('div', { class: 'muted' }, t('board.empty'))));
}

function renderFinal(v) {
  return h('section', { class: 'h-final', testid: 'host-final' },
    h('div', { class: 'h-final-kicker' }, v.session.title),
    h('h1', { class: 'h-final-title' }, t('host.final_title')),
    renderBoard(v, true));
}

function buildActivity(v, a) {
  const refs = { options: new Map() };
  S.refs = refs;
  const revealed = a.status === 'revealed' && a.reveal;
  const ratings = new Map(revealed ? (a.reveal.options || []).map((o) => [o.id, o]) : []);
  const options = Array.isArray(a.options) ? a.options : [];

  const head = h('header', { class: 'h-head' },
    h('div', { class: 'h-head-main' },
      h('div', { class: 'h-kicker' },
        a.module ? h('span', { class: 'h-module' }, moduleTitle(v, a.module)) : null,
        h('span', { class: ['h-status', `h-status-${a.status}`], testid: 'host-status' }, t(`status.${a.status}`))),
      h('h1', { class: 'h-title', testid: 'host-activity-title' }, a.title)),
    h('div', { class: 'h-head-side' },
      refs.answered = h('div', { class: 'h-answered', testid: 'host-answered' }),
      a.status === 'open' && a.deadline
        ? countdown(a.deadline, now, { class: 'h-timer', testid: 'host-countdown' })
        : null));

  if (a.kind !== 'vote') {
    return h('section', { class: 'h-activity', testid: 'host-activity' }, head,
      h('div', { class: 'h-unsupported' }, t('host.kind_unsupported')));
  }

  const optionRows = h('div', { class: 'h-options', testid: 'host-options' }, options.map((o, i) => {
    const r = ratings.get(o.id);
    const isRec = revealed && a.reveal.recommended === o.id;
    const fillEl = h('div', { class: 'h-bar-fill' });
    const count = h('b', { class: 'h-opt-n', testid: `host-count-${o.id}` });
    const pct = h('span', { class: 'h-opt-pct' });
    const row = h('div', {
      class: ['h-opt', `opt-c${i % 6}`, isRec && 'is-recommended', revealed && !isRec && 'is-dim'],
      testid: `host-option-${o.id}`, dataset: { option: o.id, rating: r ? r.rating : null },
    },
    h('div', { class: 'h-opt-letter' }, isRec ? '✓' : letter(i)),
    h('div', { class: 'h-opt-main' },
      h('div', { class: 'h-opt-text' }, o.text),
      h('div', { class: 'h-bar' }, fillEl)),
    h('div', { class: 'h-opt-count' }, count, pct),
    r ? h('div', { class: ['h-opt-rating', `rating-${r.rating}`], testid: `host-rating-${o.id}` },
      h('span', {}, t(`rating.${r.rating}`)), h('span', { class: 'h-opt-points' }, signed(r.points))) : null);
    refs.options.set(o.id, { fill: fillEl, count, pct });
    return row;
  }));

  let body;
  if (revealed) {
    const disclaimer = v.session.deck && v.session.deck.disclaimer;
    const legal = a.reveal.legal_basis || [];
    body = h('div', { class: 'h-body h-body-reveal' },
      h('div', { class: 'h-col-main h-fit' },
        optionRows,
        refs.board = h('div', { class: 'h-board-slot' })),
      h('div', { class: 'h-col-side h-explain h-fit', testid: 'host-explain' },
        a.reveal.rationale ? h('div', { class: 'h-rationale', testid: 'host-rationale' },
          h('div', { class: 'h-section-label' }, t('reveal.rationale')),
          h('p', {}, a.reveal.rationale)) : null,
        renderLegal(legal),
        disclaimer && legal.length ? h('div', { class: 'h-disclaimer' }, disclaimer) : null));
  } else {
    body = h('div', { class: 'h-body' },
      h('div', { class: 'h-col-card h-fit' }, renderCard(a.card, 'h-card')),
      h('div', { class: 'h-col-options h-fit' }, optionRows,
        a.status === 'closed' ? h('div', { class: 'h-closed-note', testid: 'host-closed' }, t('host.closed_note')) : null));
  }
  return h('section', { class: ['h-activity', `h-activity-${a.status}`], testid: 'host-activity', dataset: { status: a.status } },
    head, body);
}

function updateActivity(v, a) {
  const refs = S.refs;
  if (!refs) return;
  const submitted = typeof a.submitted === 'number' ? a.submitted : 0;
  fill(refs.answered,
    h('b', { class: 'h-answered-n', testid: 'host-answered-n' }, submitted),
    h('span', { class: 'h-answered-label' }, t('host.answered', { joined: v.counts.joined })));
  const tally = a.tally || {};
  const total = Object.values(tally).reduce((s, n) => s + (Number(n) || 0), 0);
  for (const [id, ref] of refs.options) {
    const n = Number(tally[id]) || 0;
    const pct = total ? Math.round((n * 100) / total) : 0;
    ref.fill.style.width = `${pct}%`;
    setText(ref.count, n);
    setText(ref.pct, `${pct}%`);
  }
  if (refs.board) fill(refs.board, renderBoard(v, false));
}

// -- start --------------------------------------------------------------------------------------
function init() {
  apply();
  bindToggle($('#lang'));
  onLangChange(() => {
    S.built = null;
    if (S.view) render();
    if (S.link) showLinkStatus($('#conn'), S.link.status);
  });
  startCountdowns(now);
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
