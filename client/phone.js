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
  showLinkStatus(els.conn, 'open');
  showJoin(code, '');
}

@@NEW@@
// -- start ----------------------------------------------------------------------------------
function init() {
  apply();
  bindToggle($('#lang'));
  onLangChange(() => {
    if (!els.submit.disabled) resetSubmit();
    if (S.view) render();
    else if (S.link) showLinkStatus(els.conn, S.link.status);
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
