// The trainee's phone: join, then whatever the current activity is. Renders views, sends answers.

import { h, fill, setText, $, show, letter } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange } from './lib/i18n.js';
import { Link, newId } from './lib/socket.js';
import {
  toast, errorText, showLinkStatus, renderCard, renderLegal, startCountdowns, countdown, signed, details,
} from './lib/ui.js';
import {
  CONSENSUS, MAJORITY, GROUP, timer, stepLabel, modeLabel, answerSummary, orderSteps, stepText, withUnit, fmtNum,
  anchorsText, anchorFor, persist, patch, setProps, keepFocus,
} from './lib/kinds.js';

const S = {
  code: null,
  link: null,
  view: null,
  join: null, // {name, group, id} while joining
  helloKind: null, // 'join' | 'resume'
  pending: null, // {activity, answer, acked, seqAtAck}: the answer in flight
  seq: -1, // seq of the view on screen
  drafts: {}, // per activity: an order being arranged, rubric marks being picked
  shownKey: null, // activity id + status last rendered, to scroll up on change
  lookupSeq: 0,
  lookupError: false, // the join form's error came from the lookup (and may be cleared by it)
  record: { code: null, status: 'idle', data: null, error: null }, // my own record (POST /me)
  recordOpen: false, // the "my record" page is on screen instead of the activity
};

// -- identity kept across reloads -------------------------------------------------------
const TOKEN_PREFIX = 'caseroom.token.';
const LAST_KEY = 'caseroom.last';

function store(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch { /* private mode: the session still works until reload */ }
}

function load(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

const getToken = (code) => load(TOKEN_PREFIX + code);
const setToken = (code, token) => store(TOKEN_PREFIX + code, token);

function now() {
  return S.link ? S.link.now() : Date.now();
}

// -- join form ----------------------------------------------------------------------------
const els = {
  join: $('#join'),
  form: $('#join-form'),
  code: $('#join-code'),
  name: $('#join-name'),
  groupField: $('#join-group-field'),
  group: $('#join-group'),
  error: $('#join-error'),
  session: $('#join-session'),
  submit: $('#join-submit'),
  play: $('#play'),
  stage: $('#stage'),
  conn: $('#conn'),
  title: $('#session-title'),
};

function joinError(text) {
  S.lookupError = false;
  setText(els.error, text || '');
  show(els.error, Boolean(text));
}

function resetSubmit() {
  els.submit.disabled = false;
  els.submit.textContent = t('join.submit');
}

function showJoin(code, message) {
  show(els.play, false);
  show(els.join, true);
  setText(els.title, '');
  if (code) els.code.value = code;
  resetSubmit();
  joinError(message);
  if (els.code.value) {
    lookup(els.code.value.trim());
    if (!message) els.name.focus();
  } else {
    els.code.focus();
  }
}

/** What the phone needs before joining: the session's title, whether it is locked, its groups. */
async function lookup(code) {
  const seq = ++S.lookupSeq;
  if (!/^\d{4,16}$/.test(code)) {
    show(els.session, false);
    show(els.groupField, false);
    return;
  }
  let res;
  let body = null;
  try {
    res = await fetch(`/api/sessions/${encodeURIComponent(code)}`);
    body = await res.json();
  } catch {
    return; // offline: the join attempt itself will say so
  }
  if (seq !== S.lookupSeq) return;
  if (!res.ok) {
    show(els.session, false);
    show(els.groupField, false);
    joinError(errorText(body && body.error));
    S.lookupError = true;
    return;
  }
  setText(els.session, t('join.session', { title: body.title }));
  show(els.session, true);
  if (body.phase === 'ended' || body.locked) {
    joinError(t(body.phase === 'ended' ? 'err.session_ended' : 'err.locked'));
    S.lookupError = true;
  } else if (S.lookupError) {
    joinError('');
    S.lookupError = false;
  }
  const previous = els.group.value;
  const groups = Array.isArray(body.groups) ? body.groups : [];
  fill(els.group,
    h('option', { value: '' }, t('join.group_auto')),
    groups.map((g) => h('option', { value: g.id }, g.name)));
  if (groups.some((g) => g.id === previous)) els.group.value = previous;
  show(els.groupField, groups.length > 0);
}

let lookupTimer = null;
els.code.addEventListener('input', () => {
  const digits = els.code.value.replace(/\D/g, '');
  if (digits !== els.code.value) els.code.value = digits;
  clearTimeout(lookupTimer);
  lookupTimer = setTimeout(() => lookup(digits), 250);
});

els.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const code = els.code.value.replace(/\D/g, '');
  const name = els.name.value.trim();
  if (!/^\d{4,16}$/.test(code)) { joinError(t('join.need_code')); els.code.focus(); return; }
  if (!name) { joinError(t('join.need_name')); els.name.focus(); return; }
  joinError('');
  els.submit.disabled = true;
  els.submit.textContent = t('join.joining');
  S.join = { name, group: els.group.value || null, id: newId() };
  connect(code);
});

// -- the connection -----------------------------------------------------------------------
function connect(code) {
  if (S.link) S.link.stop();
  S.code = code;
  S.view = null;
  S.pending = null;
  S.shownKey = null;
  S.recordOpen = false;
  if (S.record.code !== code) S.record = { code: null, status: 'idle', data: null, error: null };
  S.link = new Link({
    hello: () => {
      const token = getToken(code);
      if (token) {
        S.helloKind = 'resume';
        return { type: 'resume', code, token };
      }
      S.helloKind = 'join';
      const join = S.join || { name: '', id: newId() };
      const msg = { type: 'join', code, name: join.name, id: join.id };
      if (join.group) msg.group = join.group;
      return msg;
    },
    onWelcome: (msg) => {
      show($('#me-bar'), true);
      setToken(code, msg.token);
      store(LAST_KEY, code);
      S.join = null;
      setText(els.title, msg.session && msg.session.title);
      show(els.join, false);
      show(els.play, true);
      resetSubmit();
      if (!S.view) fill(els.stage, h('p', { class: 'muted center' }, t('phone.loading')));
    },
    onState: (msg) => {
      S.view = msg.view;
      if (typeof msg.seq === 'number') S.seq = msg.seq;
      render();
    },
    onHelloError: (err) => {
      S.link = null;
      if (S.helloKind === 'resume' && (err.code === 'unknown_session' || err.code === 'session_ended')) {
        // An ended session (after a restart it is no longer live): the token still opens my record.
        recordOnly(code, err);
        return;
      }
      if (S.helloKind === 'resume') {
        // The token no longer opens this session (ended, or a different server): start over.
        setToken(code, null);
        if (load(LAST_KEY) === code) store(LAST_KEY, null);
        showJoin(code, t('phone.resume_failed', { reason: errorText(err) }));
      } else {
        showJoin(code, errorText(err));
      }
    },
    onError: (err) => toast(errorText(err), 'error'),
    onStatus: (status) => {
      showLinkStatus(els.conn, status);
      if (S.view) render();
    },
  }).start();
}

function leave() {
  if (!window.confirm(t('phone.leave_confirm'))) return;
  const code = S.code;
  if (S.link) S.link.stop();
  S.link = null;
  setToken(code, null);
  store(LAST_KEY, null);
  S.view = null;
  S.recordOpen = false;
  S.record = { code: null, status: 'idle', data: null, error: null };
  show($('#me-bar'), true);
  showLinkStatus(els.conn, 'open');
  showJoin(code, '');
}

// -- my record: my own answers, points and action plan, printable ------------------------------
async function fetchRecord(code) {
  const token = getToken(code);
  if (!token) throw Object.assign(new Error('no token'), { code: 'bad_token' });
  const res = await fetch(`/api/sessions/${encodeURIComponent(code)}/me`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }),
  });
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const e = new Error((body && body.error && body.error.message) || res.statusText);
    e.code = (body && body.error && body.error.code) || `http_${res.status}`;
    throw e;
  }
  return body;
}

/** (Re)load my record into S.record and re-render when it arrives. */
function loadRecord(code) {
  S.record = { code, status: 'loading', data: S.record.code === code ? S.record.data : null, error: null };
  fetchRecord(code).then((data) => {
    if (S.record.code !== code) return;
    S.record = { code, status: 'ok', data, error: null };
    redraw();
  }, (err) => {
    if (S.record.code !== code) return;
    S.record = { code, status: 'error', data: null, error: err };
    redraw();
  });
}

function redraw() {
  if (S.view) render();
  else if (S.record.code) mount(recordOnlyScreen());
}

function openRecord() {
  if (!S.code) return;
  S.recordOpen = true;
  loadRecord(S.code);
  render();
  window.scrollTo(0, 0);
}

function closeRecord() {
  S.recordOpen = false;
  render();
  window.scrollTo(0, 0);
}

$('#open-record').addEventListener('click', openRecord);

function printRecord() {
  window.print();
}

function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(document.documentElement.lang === 'en' ? 'en-GB' : 'zh-CN',
    { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** The record itself: only what POST /me returned, which is mine alone. */
function renderRecord(closable) {
  const r = S.record;
  const actions = h('div', { class: 'record-actions no-print' },
    r.status === 'ok' ? h('button', {
      type: 'button', class: 'btn btn-primary btn-block', testid: 'record-print', onclick: printRecord,
    }, t('record.print')) : null,
    closable ? h('button', {
      type: 'button', class: 'btn btn-secondary btn-block', testid: 'record-close', onclick: closeRecord,
    }, t('record.back')) : null);
  if (r.status !== 'ok') {
    return h('section', { class: 'panel record', testid: 'my-record', dataset: { state: r.status } },
      h('h2', { class: 'record-kicker' }, t('record.heading')),
      r.status === 'error'
        ? h('p', { class: 'form-error', testid: 'record-error' }, t('record.failed', { reason: errorText(r.error) }))
        : h('p', { class: 'muted' }, t('record.loading')),
      r.status === 'error' ? h('button', {
        type: 'button', class: 'btn btn-secondary btn-block no-print', onclick: () => loadRecord(r.code),
      }, t('record.retry')) : null,
      actions);
  }
  const d = r.data;
  const me = d.me || {};
  const session = d.session || {};
  const awards = Array.isArray(d.awards) ? d.awards : [];
  const plan = Array.isArray(d.action_plan) ? d.action_plan : [];
  // The plan has its own section below; its line among the answers would only repeat it.
  const planLine = plan.map((p) => p.what).join(' / ');
  const answers = (Array.isArray(d.answers) ? d.answers : []).filter((a) => !(plan.length && a.answer === planLine));
  const date = when(session.ended_at || session.started_at);
  return h('section', { class: 'panel record', testid: 'my-record', dataset: { state: 'ok' } },
    h('div', { class: 'record-head' },
      h('div', { class: 'record-kicker' }, t('record.heading')),
      h('h2', { class: 'record-title', testid: 'record-title' }, session.title),
      h('p', { class: 'muted record-sub' }, [session.deck_title !== session.title ? session.deck_title : null, date].filter(Boolean).join(' · '))),
    h('div', { class: 'record-me', testid: 'record-me' },
      h('div', { class: 'record-name' },
        h('b', { testid: 'record-name' }, me.name),
        me.group ? h('span', { class: 'me-group' }, me.group) : null),
      h('div', { class: 'standing' },
        h('div', { class: 'stat' },
          h('div', { class: 'stat-value', testid: 'record-score' }, me.score ?? 0),
          h('div', { class: 'stat-label' }, t('me.score'))),
        me.rank ? h('div', { class: 'stat' },
          h('div', { class: 'stat-value', testid: 'record-rank' }, t('record.rank_of', { rank: me.rank, of: me.of })),
          h('div', { class: 'stat-label' }, t('me.rank'))) : null)),
    h('h3', { class: 'record-section' }, t('record.answers')),
    answers.length ? h('ol', { class: 'record-list record-answers', testid: 'record-answers' }, answers.map((a) => h('li', { class: 'record-answer' },
      h('div', { class: 'record-answer-head' },
        h('span', { class: 'record-answer-title' }, a.title),
        h('span', { class: ['record-points', (a.points || 0) > 0 && 'is-plus'] },
          a.points === null || a.points === undefined ? '–' : t('phone.points', { points: signed(a.points) }))),
      h('div', { class: 'record-answer-text' }, a.answer))))
      : h('p', { class: 'muted' }, t('record.no_answers')),
    awards.length ? [
      h('h3', { class: 'record-section' }, t('record.awards')),
      h('ul', { class: 'record-list record-awards', testid: 'record-awards' }, awards.map((a) => h('li', {},
        h('b', { class: ['record-points', a.points > 0 && 'is-plus'] }, signed(a.points)), ' ', a.reason))),
    ] : null,
    h('h3', { class: 'record-section' }, t('record.plan')),
    plan.length ? h('ol', { class: 'record-list record-plan', testid: 'record-plan' }, plan.map((p) => h('li', { class: 'record-plan-item' },
      h('div', { class: 'record-plan-what' }, p.what),
      p.by ? h('div', { class: 'muted' }, t('plan.by_value', { by: p.by })) : null)))
      : h('p', { class: 'muted', testid: 'record-no-plan' }, t('record.no_plan')),
    session.disclaimer ? h('p', { class: 'record-note' }, session.disclaimer) : null,
    h('p', { class: 'record-privacy muted no-print' }, t('record.private')),
    actions);
}

function recordScreen() {
  return {
    key: 'record',
    props: { class: 'record-screen', testid: 'record-screen' },
    parts: [renderRecord(true)],
  };
}

/** An ended session the server no longer holds live: my record, without a connection. */
function recordOnlyScreen() {
  const d = S.record.status === 'ok' ? S.record.data : null;
  return {
    key: 'record-only',
    props: { class: 'ended-screen', testid: 'ended' },
    parts: [
      h('div', { class: 'panel ended no-print' },
        h('div', { class: 'ended-flag', 'aria-hidden': 'true' }, '★'),
        h('h2', {}, t('phone.ended')),
        h('p', { class: 'muted' }, t('phone.thanks'))),
      renderRecord(false),
      h('button', {
        type: 'button', class: 'btn btn-secondary btn-block no-print', testid: 'join-another', onclick: leave,
      }, t('phone.join_another')),
    ],
    title: d && d.session ? d.session.title : '',
  };
}

function recordOnly(code, err) {
  S.code = code;
  S.view = null;
  S.recordOpen = false;
  S.record = { code, status: 'loading', data: null, error: null };
  fetchRecord(code).then((data) => {
    S.record = { code, status: 'ok', data, error: null };
    show(els.join, false);
    show(els.play, true);
    show($('#me-bar'), false);
    showLinkStatus(els.conn, 'open');
    setText(els.title, data.session && data.session.title);
    mount(recordOnlyScreen());
  }, () => {
    // Not even my record: the token is of no use any more; start over.
    S.record = { code: null, status: 'idle', data: null, error: null };
    setToken(code, null);
    if (load(LAST_KEY) === code) store(LAST_KEY, null);
    showJoin(code, t('phone.resume_failed', { reason: errorText(err) }));
  });
}

// -- answering ----------------------------------------------------------------------------
/** Send an answer for the activity on screen; resolves true once the server has stored it. */
function send(a, answer) {
  if (!S.link) return Promise.resolve(false);
  const pending = { activity: a.id, answer, acked: false, seqAtAck: null };
  S.pending = pending;
  render();
  return S.link.send({ type: 'submit', activity: a.id, answer }).then(() => {
    if (S.pending === pending) {
      pending.acked = true;
      pending.seqAtAck = S.seq;
    }
    render();
    return true;
  }, (err) => {
    if (S.pending === pending) S.pending = null;
    toast(errorText(err), 'error');
    render();
    return false;
  });
}

/** The answer in flight (or acked, its view not yet here) for this activity, of this shape. */
function pendingFor(a, field) {
  const p = S.pending;
  return p && p.activity === a.id && p.answer && field in p.answer ? p : null;
}

function sending(a) {
  const p = S.pending;
  return Boolean(p && p.activity === a.id && !p.acked);
}

function sendingText() {
  return S.link && S.link.status === 'open' ? t('phone.sending') : t('phone.queued');
}

function showScores(v) {
  return v.session.show_scores !== false;
}

// -- rendering ----------------------------------------------------------------------------
function render() {
  const v = S.view;
  if (!v) return;
  setText($('#me-name'), v.me.name);
  setText($('#me-group'), v.group ? v.group.name : '');
  show($('#me-group'), Boolean(v.group));
  setText($('#me-score'), v.me.score);
  show($('#me-score').parentElement, showScores(v));
  setText(els.title, v.session.title);

  const a = v.activity;
  if (S.pending && (!a || S.pending.activity !== a.id)) S.pending = null;
  if (S.pending && S.pending.acked && S.seq > S.pending.seqAtAck) S.pending = null;
  const ended = v.session.phase === 'ended';
  if (ended && S.record.code !== S.code) loadRecord(S.code); // the end: my record comes by itself
  show($('#open-record'), !ended && !S.recordOpen);
  let screen;
  if (S.recordOpen && !ended) screen = recordScreen();
  else if (ended) screen = renderEnded(v);
  else if (v.session.break) screen = renderBreak(v);
  else if (!a) screen = renderLobby(v);
  else if (RENDERERS[a.kind]) screen = RENDERERS[a.kind](v, a);
  else screen = renderUnsupported(a);
  keepFocus(els.stage, () => mount(screen));

  const key = S.recordOpen && !ended ? 'record' : ended ? 'ended' : v.session.break ? 'break'
    : a ? `${a.id}:${a.status}` : 'lobby';
  if (key !== S.shownKey) {
    if (S.shownKey !== null) window.scrollTo(0, 0);
    S.shownKey = key;
  }
}

/** Put a screen ({key, props, parts}) on the stage, reusing its section while the key holds. */
function mount(screen) {
  let sec = els.stage.firstElementChild;
  if (!sec || els.stage.childElementCount !== 1 || sec.dataset.screen !== screen.key) {
    sec = h('section', { dataset: { screen: screen.key } });
    fill(els.stage, sec);
  }
  setProps(sec, screen.props);
  patch(sec, screen.parts);
}

function standing(v) {
  const scores = showScores(v);
  return h('div', { class: 'standing', testid: 'standing' },
    scores ? h('div', { class: 'stat' },
      h('div', { class: 'stat-value', testid: 'my-score' }, v.me.score),
      h('div', { class: 'stat-label' }, t('me.score'))) : null,
    v.me.rank ? h('div', { class: 'stat' },
      h('div', { class: 'stat-value', testid: 'my-rank' }, t('me.rank_value', { rank: v.me.rank })),
      h('div', { class: 'stat-label' }, t('me.rank'))) : null,
    v.group ? h('div', { class: 'stat', testid: 'my-group' },
      h('div', { class: 'stat-value stat-value-text' }, scores ? v.group.score : v.group.name),
      h('div', { class: 'stat-label' }, scores ? t('me.group_score', { group: v.group.name }) : t('me.group'))) : null);
}

function renderLobby(v) {
  return {
    key: 'lobby',
    props: { class: 'panel lobby', testid: 'lobby' },
    parts: [
      h('div', { class: 'lobby-tick', 'aria-hidden': 'true' }, '✓'),
      h('h2', { class: 'lobby-name' }, t('phone.joined_as', { name: v.me.name })),
      v.group ? h('p', { class: 'lobby-group', testid: 'lobby-group' }, t('phone.in_group', { group: v.group.name })) : null,
      h('p', { class: 'muted' }, t('phone.wait_start')),
      standing(v),
      h('button', { type: 'button', class: 'btn btn-link', onclick: leave }, t('phone.leave')),
    ],
  };
}

function renderEnded(v) {
  return {
    key: 'ended',
    props: { class: 'ended-screen', testid: 'ended' },
    parts: [
      h('div', { class: 'panel ended no-print' },
        h('div', { class: 'ended-flag', 'aria-hidden': 'true' }, '★'),
        h('h2', {}, t('phone.ended')),
        h('p', { class: 'muted' }, t('phone.thanks')),
        standing(v)),
      renderRecord(false),
      h('button', {
        type: 'button', class: 'btn btn-secondary btn-block no-print', testid: 'join-another', onclick: leave,
      }, t('phone.join_another')),
    ],
  };
}

function renderBreak(v) {
  const b = v.session.break;
  return {
    key: 'break',
    props: { class: 'panel break', testid: 'break' },
    parts: [
      h('div', { class: 'break-kicker' }, t('break.kicker')),
      h('h2', { class: 'break-title' }, t('break.title')),
      b.message ? h('p', { class: 'break-message', testid: 'break-message' }, b.message) : null,
      h('div', { class: 'break-clock' },
        h('div', { class: 'break-label' }, t('break.back_in')),
        countdown(b.until, now, { testid: 'break-countdown', class: 'break-countdown' })),
      h('p', { class: 'muted' }, t('break.note')),
    ],
  };
}

function renderUnsupported(a) {
  return {
    key: `unsupported:${a.id}`,
    props: { class: 'panel', testid: 'unsupported' },
    parts: [h('h2', {}, a.title), h('p', { class: 'muted' }, t('phone.kind_unsupported'))],
  };
}

function renderWait(v, a) {
  return {
    key: `wait:${a.id}`,
    props: { class: 'panel wait', testid: 'wait', dataset: { status: a.status } },
    parts: [
      h('div', { class: 'act-head' },
        h('span', { class: ['chip', `chip-${a.status}`], testid: 'activity-status' }, t(`status.${a.status}`)),
        a.status === 'open' && a.deadline ? countdown(a.deadline, now, { testid: 'countdown', class: 'act-countdown' }) : null),
      h('h2', { class: 'act-title' }, a.title),
      h('p', { class: 'wait-text', testid: 'wait-text' }, t('wait.no_card')),
      h('p', { class: 'muted' }, t('wait.watch')),
    ],
  };
}

/** Status, step, mode and clock of an activity. */
function head(v, a) {
  const mode = modeLabel(a.mode);
  return h('div', { class: 'act-head' },
    h('div', { class: 'act-chips' },
      h('span', { class: ['chip', `chip-${a.status}`], testid: 'activity-status' }, t(`status.${a.status}`)),
      a.stage && a.stage !== a.id ? h('span', { class: 'chip chip-deal', testid: 'deal-chip' },
        v.group ? t('deal.your_card', { group: v.group.name }) : t('deal.card')) : null,
      mode ? h('span', { class: 'chip chip-mode', testid: 'activity-mode' }, mode) : null,
      a.status === 'open' && a.paused ? h('span', { class: 'chip chip-paused', testid: 'paused' }, t('timer.paused')) : null),
    timer(a, now, { testid: 'countdown', class: 'act-countdown' }));
}

function title(a) {
  return h('h2', { class: 'act-title', testid: 'activity-title' }, a.title);
}

function activityScreen(a, parts) {
  return {
    key: `act:${a.stage || a.id}:${a.id}:${a.kind}`,
    props: {
      class: ['activity', `activity-${a.status}`, `activity-${a.kind}`],
      testid: 'activity', dataset: { status: a.status, kind: a.kind, step: a.step || null },
    },
    parts,
  };
}

/** A line about how the group answers (or that the player has no group to answer with). */
function modeNote(v, a) {
  if (a.mode && a.mode !== 'individual' && !v.group) {
    return h('p', { class: 'note note-warn', testid: 'no-group' }, t('mode.no_group'));
  }
  if (a.status !== 'open') return null;
  if (a.mode === MAJORITY) return h('p', { class: 'note', testid: 'mode-note' }, t('mode.majority_note'));
  if (a.mode === GROUP) {
    return h('p', { class: 'note', testid: 'mode-note' }, t('mode.group_note', { group: v.group ? v.group.name : '' }));
  }
  if (a.mode === CONSENSUS && !a.proposal) {
    return h('p', { class: 'note', testid: 'mode-note' }, t('mode.consensus_note'));
  }
  return null;
}

/** Group consensus: who proposed what, and the button for the others to confirm it. */
function proposalBlock(v, a) {
  if (a.mode !== CONSENSUS || a.status !== 'open' || !v.group) return null;
  const p = a.proposal;
  if (!p) return null;
  const what = answerSummary(a, p.answer);
  const confirmIt = () => send(a, { confirm: p.seq });
  if (p.confirmed) {
    return h('div', { class: 'proposal proposal-confirmed', testid: 'proposal', dataset: { state: 'confirmed' } },
      h('div', { class: 'proposal-line' }, t('consensus.confirmed', { name: p.by_name })),
      h('div', { class: 'proposal-answer', testid: 'proposal-answer' }, what),
      h('p', { class: 'proposal-hint' }, t('consensus.change_hint')));
  }
  if (p.mine) {
    // Someone alone in their group may confirm their own proposal (the view may not say the group's size).
    const alone = typeof v.group.size !== 'number' || v.group.size <= 1;
    return h('div', { class: 'proposal proposal-mine', testid: 'proposal', dataset: { state: 'mine' } },
      h('div', { class: 'proposal-line' }, t('consensus.mine_waiting')),
      h('div', { class: 'proposal-answer', testid: 'proposal-answer' }, what),
      alone && h('button', {
        type: 'button', class: 'btn btn-link btn-small', testid: 'confirm-own', disabled: sending(a), onclick: confirmIt,
      }, t('consensus.confirm_alone')));
  }
  return h('div', { class: 'proposal proposal-other', testid: 'proposal', dataset: { state: 'other' } },
    h('div', { class: 'proposal-line' }, t('consensus.other', { name: p.by_name })),
    h('div', { class: 'proposal-answer', testid: 'proposal-answer' }, what),
    h('button', {
      type: 'button', class: 'btn btn-primary btn-block btn-big', testid: 'confirm-proposal',
      disabled: sending(a), onclick: confirmIt,
    }, t('consensus.confirm')),
    h('p', { class: 'proposal-hint' }, t('consensus.or_propose')));
}

/** The points and standing after a reveal. */
function resultBlock(v, a, { rating = 'none', badge = null, feedback = null, extra = null } = {}) {
  return h('section', { class: ['result', `result-${rating}`], testid: 'result', dataset: { rating } },
    h('div', { class: 'result-top' },
      h('span', { class: 'result-badge', testid: 'result-rating' }, badge || t(`rating.${rating}`)),
      showScores(v) ? h('span', { class: 'result-points', testid: 'result-points' },
        t('phone.points', { points: signed(a.points ?? 0) })) : null),
    feedback ? h('p', { class: 'result-feedback', testid: 'result-feedback' }, feedback) : null,
    extra,
    standing(v));
}

function explain(r, recommended, heading = t('reveal.recommended_heading')) {
  if (!r) return null;
  return h('section', { class: 'explain', testid: 'explain' },
    recommended ? h('div', { class: 'explain-block' },
      h('div', { class: 'explain-heading' }, heading),
      recommended) : null,
    r.rationale ? h('div', { class: 'explain-block' },
      h('div', { class: 'explain-heading' }, t('reveal.rationale')),
      h('p', { class: 'explain-text', testid: 'rationale' }, r.rationale)) : null,
    renderLegal(r.legal_basis));
}

function statusLine(kind, text, testid = 'answer-status') {
  return h('p', { class: ['answer-status', `answer-${kind}`], testid, dataset: { state: kind } }, text);
}

/** A partial-credit rating from the points an answer earned. */
function ratingFor(earned, full) {
  if (earned === null || earned === undefined) return 'none';
  if (earned >= full) return 'best';
  return earned > 0 ? 'acceptable' : 'poor';
}

// -- vote ---------------------------------------------------------------------------------------
function renderVote(v, a) {
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
      h('span', { class: 'opt-letter' }, letter(i)),
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
    parts.push(renderCard(a.card));
    parts.push(modeNote(v, a));
    parts.push(h('div', { class: 'options-heading' }, consensus ? t('consensus.choose_heading') : t('phone.choose_heading')));
    parts.push(options);
    parts.push(status);
    parts.push(proposalBlock(v, a));
  }
  return activityScreen(a, parts);
}

// -- order --------------------------------------------------------------------------------------
function renderOrder(v, a) {
  const steps = orderSteps(a) || [];
  const ids = steps.map((s) => s.id);
  const open = a.status === 'open';
  const consensus = a.mode === CONSENSUS;
  const proposed = consensus && a.proposal && !a.proposal.confirmed ? a.proposal.answer.order : null;
  const server = a.my_answer ? a.my_answer.order : null;
  const reference = proposed || server;
  const key = `order:${a.id}`;
  let draft = S.drafts[key];
  if (!draft || draft.order.length !== ids.length) draft = S.drafts[key] = { order: ids.slice(), touched: false };
  if (!draft.touched && reference) draft.order = reference.slice();
  const same = (x, y) => Boolean(x && y) && x.join('|') === y.join('|');
  const move = (id, delta) => {
    const i = draft.order.indexOf(id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= draft.order.length) return;
    [draft.order[i], draft.order[j]] = [draft.order[j], draft.order[i]];
    draft.touched = true;
    render();
  };
  const submit = () => send(a, { order: draft.order.slice() }).then((ok) => {
    if (ok) draft.touched = false;
  });

  const parts = [head(v, a), title(a)];
  if (a.status === 'revealed' && a.result) {
    const r = a.result;
    const mineOrder = server || [];
    const full = r.distance === 0;
    const rating = r.distance === null || r.distance === undefined ? 'none' : full ? 'best' : (a.points > 0 ? 'acceptable' : 'poor');
    parts.push(resultBlock(v, a, {
      rating,
      badge: rating === 'none' ? null : t(`order.rating_${rating}`),
      feedback: r.distance === null || r.distance === undefined ? null : full ? t('order.all_right')
        : t('order.distance', { n: r.distance }),
    }));
    parts.push(h('section', { class: 'order-compare', testid: 'order-compare' },
      h('div', { class: 'explain-heading' }, t('order.correct')),
      h('ol', { class: 'order-list order-list-result' }, (r.correct || []).map((id, i) => {
        const ok = mineOrder[i] === id;
        return h('li', { class: ['order-row', server && (ok ? 'is-right' : 'is-wrong')], testid: `order-correct-${id}` },
          h('span', { class: 'order-pos' }, i + 1),
          h('span', { class: 'order-text' }, stepText(steps, id)),
          server ? h('span', { class: 'order-mark', title: ok ? t('order.right') : t('order.yours', { step: stepText(steps, mineOrder[i]) }) },
            ok ? '✓' : '✗') : null);
      }))));
    parts.push(explain(r, null));
    return activityScreen(a, parts);
  }
  parts.push(a.card ? renderCard(a.card) : null);
  parts.push(modeNote(v, a));
  parts.push(h('div', { class: 'options-heading' }, open ? t('order.heading') : t('order.heading_closed')));
  const shown = open ? draft.order : (server || draft.order);
  parts.push(h('ol', { class: 'order-list', testid: 'order-list' }, shown.map((id, i) => h('li', {
    class: 'order-row', testid: `order-row-${id}`, dataset: { step: id },
  },
  h('span', { class: 'order-pos' }, i + 1),
  h('span', { class: 'order-text' }, stepText(steps, id)),
  open ? h('span', { class: 'order-moves' },
    h('button', {
      type: 'button', class: 'order-move', testid: `order-up-${id}`, disabled: i === 0,
      'aria-label': t('order.up', { step: stepText(steps, id) }), onclick: () => move(id, -1),
    }, '▲'),
    h('button', {
      type: 'button', class: 'order-move', testid: `order-down-${id}`, disabled: i === shown.length - 1,
      'aria-label': t('order.down', { step: stepText(steps, id) }), onclick: () => move(id, 1),
    }, '▼')) : null))));
  if (open) {
    parts.push(h('button', {
      type: 'button', class: 'btn btn-primary btn-block btn-big order-submit', testid: 'order-submit',
      disabled: sending(a), onclick: submit,
    }, consensus ? t('order.propose') : t('order.submit')));
    const p = pendingFor(a, 'order');
    if (p && !p.acked) parts.push(statusLine('wait', sendingText()));
    else if (!consensus && same(draft.order, server)) parts.push(statusLine('ok', t('order.received')));
    else if (!consensus && server) parts.push(statusLine('info', t('order.changed')));
    else if (!consensus) parts.push(statusLine('info', t('order.hint')));
    parts.push(proposalBlock(v, a));
  } else {
    parts.push(statusLine('closed', server ? t('order.closed_answered') : t('phone.closed_none')));
  }
  return activityScreen(a, parts);
}

// -- estimate -----------------------------------------------------------------------------------
function niceStep(span) {
  const raw = Math.abs(span) / 100 || 1;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const f = raw / pow;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
}

function estimateForm(a) {
  const min = Number(a.min);
  const max = Number(a.max);
  const consensus = a.mode === CONSENSUS;
  const start = a.my_answer ? a.my_answer.value
    : consensus && a.proposal ? a.proposal.answer.value : null;
  return persist(`estimate:${a.id}:${a.mode}`, () => {
    const input = h('input', {
      type: 'number', inputmode: 'decimal', class: 'input est-input', testid: 'estimate-input',
      min, max, step: 'any', 'aria-label': t('estimate.value'), placeholder: t('estimate.placeholder'),
    });
    const range = h('input', {
      type: 'range', class: 'est-range', testid: 'estimate-range', min, max, step: niceStep(max - min),
      'aria-label': t('estimate.slider'),
    });
    if (start !== null && start !== undefined) input.value = String(start);
    range.value = String(start ?? (min + max) / 2);
    range.addEventListener('input', () => { input.value = fmtNum(range.value); });
    input.addEventListener('input', () => {
      const n = Number(input.value);
      if (input.value !== '' && Number.isFinite(n)) range.value = String(n);
    });
    const submit = (event) => {
      if (event) event.preventDefault();
      const cur = S.view && S.view.activity;
      if (!cur || cur.id !== a.id || cur.status !== 'open') return;
      const n = Number(String(input.value).replace(',', '.'));
      if (input.value === '' || !Number.isFinite(n)) { toast(t('estimate.need_value'), 'error'); input.focus(); return; }
      if (n < min || n > max) {
        toast(t('estimate.out_of_range', { min: fmtNum(min), max: fmtNum(max), unit: a.unit || '' }), 'error');
        input.focus();
        return;
      }
      send(cur, { value: n });
    };
    return h('form', { class: 'est-form', novalidate: true, onsubmit: submit },
      h('label', { class: 'est-field' }, input, a.unit ? h('span', { class: 'est-unit' }, a.unit) : null),
      range,
      h('div', { class: 'est-scale' }, h('span', {}, withUnit(min, a.unit)), h('span', {}, withUnit(max, a.unit))),
      h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-big', testid: 'estimate-submit' },
        consensus ? t('estimate.propose') : t('estimate.submit')));
  }, (el) => {
    const btn = el.querySelector('button[type=submit]');
    if (btn) btn.disabled = sending(a);
  });
}

function renderEstimate(v, a) {
  const open = a.status === 'open';
  const consensus = a.mode === CONSENSUS;
  const server = a.my_answer ? a.my_answer.value : null;
  const parts = [head(v, a), title(a)];
  if (a.status === 'revealed' && a.result) {
    const r = a.result;
    const d = server === null ? null : Math.abs(server - r.answer);
    const rating = server === null ? 'none' : d <= (r.tolerance || 0) ? 'best' : a.points > 0 ? 'acceptable' : 'poor';
    parts.push(resultBlock(v, a, {
      rating,
      badge: rating === 'none' ? null : t(`estimate.rating_${rating}`),
      feedback: server === null ? null : t('estimate.yours', { value: withUnit(server, a.unit) }),
    }));
    parts.push(explain(r, h('p', { class: 'explain-rec', testid: 'recommended' },
      r.tolerance ? t('estimate.reference_tol', { value: withUnit(r.answer, a.unit), tol: fmtNum(r.tolerance) })
        : withUnit(r.answer, a.unit)), t('estimate.reference')));
    if (a.card) parts.push(details(`case:${a.id}`, t('phone.show_case'), renderCard(a.card)));
    return activityScreen(a, parts);
  }
  parts.push(a.card ? renderCard(a.card) : null);
  parts.push(modeNote(v, a));
  if (open) {
    parts.push(h('div', { class: 'options-heading' }, t('estimate.heading')));
    parts.push(estimateForm(a));
    const p = pendingFor(a, 'value');
    if (p && !p.acked) parts.push(statusLine('wait', sendingText()));
    else if (!consensus && server !== null) parts.push(statusLine('ok', t('estimate.received', { value: withUnit(server, a.unit) })));
    else if (!consensus) parts.push(statusLine('info', t('estimate.hint', { min: withUnit(a.min, a.unit), max: withUnit(a.max, a.unit) })));
    parts.push(proposalBlock(v, a));
  } else {
    parts.push(statusLine('closed', server !== null
      ? t('estimate.closed_answered', { value: withUnit(server, a.unit) }) : t('phone.closed_none')));
  }
  return activityScreen(a, parts);
}

// -- discuss ------------------------------------------------------------------------------------
function discussComposer(a) {
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
        const cur = S.view && S.view.activity;
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
    const cur = S.view && S.view.activity;
    const n = cur && typeof cur.posts_left === 'number' ? cur.posts_left : 0;
    el._parts.left.textContent = t('discuss.left', { n });
    el._parts.btn.disabled = n <= 0 || (cur ? sending(cur) : true);
    el._parts.box.disabled = n <= 0;
  });
}

function renderDiscuss(v, a) {
  const open = a.status === 'open';
  const posts = Array.isArray(a.posts) ? a.posts : [];
  const individual = !a.mode || a.mode === 'individual';
  const parts = [head(v, a), title(a)];
  parts.push(a.prompt ? h('p', { class: 'disc-prompt', testid: 'discuss-prompt' }, a.prompt) : null);
  parts.push(a.card ? details(`case:${a.id}`, t('phone.show_case'), renderCard(a.card)) : null);
  parts.push(modeNote(v, a));
  if (open) {
    parts.push(discussComposer(a));
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

// -- roleplay -----------------------------------------------------------------------------------
const RP_STEPS = ['prep', 'play', 'scoring'];

function stepper(a) {
  const at = a.status === 'open' ? RP_STEPS.indexOf(a.step) : RP_STEPS.length;
  return h('ol', { class: 'stepper', testid: 'stepper' }, RP_STEPS.map((s, i) => h('li', {
    class: ['stepper-item', i < at && 'is-done', i === at && 'is-current'], dataset: { step: s },
  }, h('span', { class: 'stepper-n' }, i < at ? '✓' : i + 1), h('span', { class: 'stepper-label' }, stepLabel(s)))));
}

function castsLine(a) {
  const roles = a.roles || {};
  return (a.casts || []).map((c) => h('div', { class: 'cast', testid: 'cast' },
    h('span', { class: 'cast-role' }, roles.agent || t('rp.role_agent')), ' ',
    h('b', {}, c.agent_name || '–'),
    h('span', { class: 'cast-sep' }, ' · '),
    h('span', { class: 'cast-role' }, roles.customer || t('rp.role_customer')), ' ',
    h('b', {}, c.customer_name || '–')));
}

function rubricScoring(a) {
  const rubric = a.rubric || { criteria: [] };
  const canScore = a.status === 'open' && (a.step === 'play' || a.step === 'scoring');
  const given = a.my_scores || {};
  const key = `rubric:${a.id}:${a.round}`;
  const sel = S.drafts[key] || (S.drafts[key] = {});
  const todo = rubric.criteria.filter((c) => !given[c.id] && sel[c.id]).map((c) => c.id);
  const allDone = rubric.criteria.length > 0 && rubric.criteria.every((c) => given[c.id]);
  const submit = () => {
    const scores = {};
    for (const id of todo) scores[id] = sel[id];
    send(a, { scores });
  };
  return h('section', { class: 'rubric', testid: 'rubric' },
    h('div', { class: 'rubric-head' },
      h('span', { class: 'rubric-title' }, rubric.title || t('rp.rubric')),
      a.observing && a.observing.agent_name ? h('span', { class: 'rubric-who' }, t('rp.scoring_who', { agent: a.observing.agent_name })) : null),
    a.status === 'open' && !canScore ? h('p', { class: 'note', testid: 'score-later' }, t('rp.score_later')) : null,
    rubric.criteria.map((c) => {
      const done = given[c.id];
      const value = done || sel[c.id] || null;
      const anchor = value ? anchorFor(c, value) : '';
      return h('div', { class: ['crit', done && 'is-done'], testid: `crit-${c.id}`, dataset: { value } },
        h('div', { class: 'crit-head' },
          h('span', { class: 'crit-title' }, c.title),
          done ? h('span', { class: 'crit-done' }, t('rp.scored')) : null),
        h('div', { class: 'crit-scale', role: 'group', 'aria-label': c.title }, [1, 2, 3, 4, 5].map((n) => h('button', {
          type: 'button', class: ['crit-btn', value === n && 'is-selected'], testid: `score-${c.id}-${n}`,
          'aria-pressed': value === n ? 'true' : 'false', disabled: !canScore || Boolean(done) || sending(a),
          onclick: () => { sel[c.id] = n; render(); },
        }, String(n)))),
        h('div', { class: 'crit-anchor' }, anchor ? `${value} · ${anchor}` : anchorsText(c)));
    }),
    canScore && !allDone ? h('button', {
      type: 'button', class: 'btn btn-primary btn-block btn-big', testid: 'rubric-submit',
      disabled: !todo.length || sending(a), onclick: submit,
    }, todo.length ? t('rp.submit_scores', { n: todo.length }) : t('rp.pick_scores')) : null,
    sending(a) ? statusLine('wait', sendingText()) : null,
    allDone ? statusLine('ok', t('rp.all_scored'), 'rubric-done') : null);
}

function rubricGuide(a) {
  const rubric = a.rubric || { criteria: [] };
  if (!rubric.criteria.length) return null;
  return details(`rubric:${a.id}`, t('rp.rubric_guide'),
    h('ul', { class: 'rubric-guide' }, rubric.criteria.map((c) => h('li', {},
      h('b', {}, c.title), h('span', { class: 'muted' }, ` ${anchorsText(c)}`)))));
}

function rpResults(a, results) {
  const criteria = (a.rubric && a.rubric.criteria) || [];
  return h('div', { class: 'rp-results', testid: 'rp-results' }, (results || []).map((res) => h('div', { class: 'rp-result' },
    h('div', { class: 'rp-result-head' },
      h('b', {}, res.agent_name || '–'),
      (a.rounds || 1) > 1 ? h('span', { class: 'muted' }, t('rp.round', { n: res.round + 1, of: a.rounds })) : null,
      h('span', { class: 'rp-total' }, `${fmtNum(res.total)} / ${res.max}`)),
    h('ul', { class: 'rp-means' }, criteria.map((c) => h('li', {},
      h('span', {}, c.title), h('b', {}, fmtNum(res.means ? res.means[c.id] : null))))))));
}

function renderRoleplay(v, a) {
  const role = a.my_role || 'observer';
  const parts = [head(v, a), title(a)];
  if ((a.rounds || 1) > 1) parts.push(h('p', { class: 'rp-round', testid: 'rp-round' }, t('rp.round', { n: (a.round || 0) + 1, of: a.rounds })));
  if (a.status === 'open') parts.push(stepper(a));
  if (a.status === 'revealed') {
    parts.push(resultBlock(v, a, {
      rating: role === 'agent' ? ratingFor(a.points, 1) : 'none',
      badge: t('rp.result_badge'),
      extra: a.result ? rpResults(a, a.result.results) : null,
    }));
    if (a.result && a.result.rationale) parts.push(explain({ rationale: a.result.rationale }, null));
  }
  parts.push(h('section', { class: ['role', `role-${role}`], testid: 'my-role', dataset: { role } },
    h('div', { class: 'role-kicker' }, t('rp.your_role')),
    h('div', { class: 'role-title', testid: 'role-title' }, a.role_title || t(`rp.role_${role}`)),
    a.observing ? h('p', { class: 'role-observing', testid: 'observing' },
      t('rp.observing', { agent: a.observing.agent_name || '–' })) : null,
    a.brief ? h('div', { class: 'role-brief' },
      h('div', { class: 'role-brief-label' }, role === 'customer' ? t('rp.brief_secret') : t('rp.brief')),
      h('p', { class: 'role-brief-text', testid: 'my-brief' }, a.brief)) : null));
  parts.push(h('section', { class: 'rp-scenario' },
    renderCard(a.scenario),
    castsLine(a)));
  if (role === 'observer' && a.observing && a.status === 'open') parts.push(rubricScoring(a));
  else parts.push(rubricGuide(a));
  return activityScreen(a, parts);
}

// -- plan ---------------------------------------------------------------------------------------
function cleanPlan(items) {
  return (items || []).map((i) => ({
    what: String(i.what || '').replace(/\s+/g, ' ').trim(),
    by: String(i.by || '').replace(/\s+/g, ' ').trim(),
    module: i.module || null,
  })).filter((i) => i.what);
}

function planEditor(a) {
  const modules = Array.isArray(a.modules) ? a.modules : [];
  return persist(`plan:${a.id}`, () => {
    const list = h('ol', { class: 'plan-items', testid: 'plan-items' });
    const status = h('p', { class: 'answer-status', testid: 'plan-status' });
    const add = h('button', { type: 'button', class: 'btn btn-secondary btn-block', testid: 'plan-add' }, t('plan.add'));
    const save = h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-big', testid: 'plan-save' }, t('plan.save'));
    const rows = () => Array.from(list.children);
    const collect = () => cleanPlan(rows().map((row) => ({
      what: row.querySelector('.plan-what').value,
      by: row.querySelector('.plan-by').value,
      module: row.querySelector('.plan-module') ? row.querySelector('.plan-module').value : null,
    })));
    const refresh = () => {
      const cur = S.view && S.view.activity;
      const saved = cur && cur.my_answer ? cleanPlan(cur.my_answer.items) : null;
      const mine = collect();
      const busy = cur ? sending(cur) : false;
      add.disabled = rows().length >= a.max_items;
      save.disabled = busy;
      rows().forEach((row, i) => { row.querySelector('.plan-n').textContent = String(i + 1); });
      let kind = 'info';
      let text = t('plan.hint', { n: a.max_items });
      if (busy) { kind = 'wait'; text = sendingText(); }
      else if (saved && JSON.stringify(saved) === JSON.stringify(mine)) {
        kind = 'ok';
        text = t('plan.saved', { n: saved.length });
      } else if (saved || mine.length) {
        kind = 'warn';
        text = t('plan.unsaved');
      }
      status.className = `answer-status answer-${kind}`;
      status.dataset.state = kind;
      status.textContent = text;
    };
    const addRow = (item) => {
      const what = h('textarea', {
        class: 'input plan-what', testid: 'plan-what', rows: 2, maxlength: a.max_length,
        placeholder: a.prompt || t('plan.what_placeholder'),
      });
      what.value = item.what || '';
      const by = h('input', {
        class: 'input plan-by', testid: 'plan-by', maxlength: 30, placeholder: t('plan.by_placeholder'),
      });
      by.value = item.by || '';
      const mod = modules.length ? h('select', { class: 'input plan-module', testid: 'plan-module' },
        h('option', { value: '' }, t('plan.module_none')),
        modules.map((m) => h('option', { value: m.id }, m.title))) : null;
      if (mod) mod.value = item.module || '';
      const row = h('li', { class: 'plan-item', testid: 'plan-item' },
        h('div', { class: 'plan-item-head' },
          h('span', { class: 'plan-n' }),
          h('button', {
            type: 'button', class: 'btn btn-link btn-small plan-remove', testid: 'plan-remove',
            onclick: () => { row.remove(); refresh(); },
          }, t('plan.remove'))),
        h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('plan.what')), what),
        h('div', { class: 'field-row' },
          h('label', { class: 'field field-grow' }, h('span', { class: 'field-label' }, t('plan.by')), by),
          mod ? h('label', { class: 'field field-grow' }, h('span', { class: 'field-label' }, t('plan.module')), mod) : null));
      for (const el of [what, by, mod]) if (el) el.addEventListener('input', refresh);
      list.appendChild(row);
      return row;
    };
    const start = a.my_answer && a.my_answer.items && a.my_answer.items.length ? a.my_answer.items : [{}];
    for (const item of start) addRow(item);
    add.addEventListener('click', () => {
      if (rows().length >= a.max_items) return;
      addRow({}).querySelector('.plan-what').focus();
      refresh();
    });
    const form = h('form', {
      class: 'plan-form', novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const cur = S.view && S.view.activity;
        if (!cur || cur.id !== a.id || cur.status !== 'open') return;
        const items = collect().map((i) => {
          const out = { what: i.what };
          if (i.by) out.by = i.by;
          if (i.module) out.module = i.module;
          return out;
        });
        send(cur, { items }).then(refresh);
      },
    }, list, add, save, status);
    form._refresh = refresh;
    refresh();
    return form;
  }, (el) => el._refresh());
}

function renderPlan(v, a) {
  const parts = [head(v, a), title(a)];
  parts.push(a.prompt ? h('p', { class: 'disc-prompt', testid: 'plan-prompt' }, a.prompt) : null);
  parts.push(a.card ? renderCard(a.card) : null);
  if (a.status === 'open') {
    parts.push(planEditor(a));
  } else {
    const items = a.my_answer ? a.my_answer.items || [] : [];
    const modules = new Map((a.modules || []).map((m) => [m.id, m.title]));
    parts.push(statusLine('closed', items.length ? t('plan.closed_saved', { n: items.length }) : t('plan.closed_none')));
    parts.push(items.length ? h('ol', { class: 'plan-final', testid: 'plan-final' }, items.map((i) => h('li', {},
      h('div', { class: 'plan-final-what' }, i.what),
      i.by || i.module ? h('div', { class: 'muted' },
        [i.by ? t('plan.by_value', { by: i.by }) : null, i.module ? modules.get(i.module) : null].filter(Boolean).join(' · ')) : null))) : null);
  }
  return activityScreen(a, parts);
}

const RENDERERS = {
  vote: renderVote,
  order: renderOrder,
  estimate: renderEstimate,
  discuss: renderDiscuss,
  roleplay: renderRoleplay,
  plan: renderPlan,
  wait: renderWait,
};

// -- start ----------------------------------------------------------------------------------
function init() {
  apply();
  bindToggle($('#lang'));
  onLangChange(() => {
    if (!els.submit.disabled) resetSubmit();
    if (S.view) render();
    else if (S.link) showLinkStatus(els.conn, S.link.status);
    else if (S.record.code && !els.play.hidden) mount(recordOnlyScreen());
    if (!els.join.hidden && els.code.value) lookup(els.code.value.trim());
  });
  startCountdowns(now);
  const match = location.pathname.match(/^\/j\/(\d{1,16})\/?$/);
  const pathCode = match ? match[1] : null;
  const code = pathCode || load(LAST_KEY);
  if (code && getToken(code)) {
    show(els.play, true);
    fill(els.stage, h('p', { class: 'muted center' }, t('phone.loading')));
    connect(code);
  } else {
    showJoin(pathCode, '');
  }
}

init();
