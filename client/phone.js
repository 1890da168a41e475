// The trainee's phone: join, then whatever the current activity is. Renders views, sends answers.

import { h, fill, setText, $, show, letter } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange } from './lib/i18n.js';
import { Link, newId } from './lib/socket.js';
import {
  toast, errorText, showLinkStatus, renderCard, renderLegal, startCountdowns, countdown, signed, details,
} from './lib/ui.js';

const S = {
  code: null,
  link: null,
  view: null,
  join: null, // {name, group, id} while joining
  helloKind: null, // 'join' | 'resume'
  pending: null, // {activity, choice, acked}
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

// -- answering ----------------------------------------------------------------------------
function choose(activity, choice) {
  if (!S.link || activity.status !== 'open') return;
  const pending = { activity: activity.id, choice, acked: false };
  S.pending = pending;
  render();
  S.link.send({ type: 'submit', activity: activity.id, answer: { choice } }).then(() => {
    if (S.pending === pending) {
      pending.acked = true;
      render();
    }
  }, (err) => {
    if (S.pending === pending) S.pending = null;
    toast(errorText(err), 'error');
    render();
  });
}

// -- rendering ----------------------------------------------------------------------------
function render() {
  const v = S.view;
  if (!v) return;
  setText($('#me-name'), v.me.name);
  setText($('#me-group'), v.group ? v.group.name : '');
  show($('#me-group'), Boolean(v.group));
  setText($('#me-score'), v.me.score);
  setText(els.title, v.session.title);

  const a = v.activity;
  if (S.pending && (!a || S.pending.activity !== a.id)) S.pending = null;
  const key = v.session.phase === 'ended' ? 'ended' : a ? `${a.id}:${a.status}` : 'lobby';
  let content;
  if (v.session.phase === 'ended') content = renderEnded(v);
  else if (!a) content = renderLobby(v);
  else if (a.kind === 'vote') content = renderVote(v, a);
  else content = renderUnsupported(a);
  fill(els.stage, content);
  if (key !== S.shownKey) {
    if (S.shownKey !== null) window.scrollTo(0, 0);
    S.shownKey = key;
  }
}

function standing(v) {
  return h('div', { class: 'standing', testid: 'standing' },
    h('div', { class: 'stat' },
      h('div', { class: 'stat-value', testid: 'my-score' }, v.me.score),
      h('div', { class: 'stat-label' }, t('me.score'))),
    v.me.rank ? h('div', { class: 'stat' },
      h('div', { class: 'stat-value', testid: 'my-rank' }, t('me.rank_value', { rank: v.me.rank })),
      h('div', { class: 'stat-label' }, t('me.rank'))) : null,
    v.group ? h('div', { class: 'stat' },
      h('div', { class: 'stat-value' }, v.group.score),
      h('div', { class: 'stat-label' }, t('me.group_score', { group: v.group.name }))) : null);
}

function renderLobby(v) {
  return h('section', { class: 'panel lobby', testid: 'lobby' },
    h('div', { class: 'lobby-tick', 'aria-hidden': 'true' }, '✓'),
    h('h2', { class: 'lobby-name' }, t('phone.joined_as', { name: v.me.name })),
    v.group ? h('p', { class: 'lobby-group', testid: 'lobby-group' }, t('phone.in_group', { group: v.group.name })) : null,
    h('p', { class: 'muted' }, t('phone.wait_start')),
    standing(v),
    h('button', { type: 'button', class: 'btn btn-link', onclick: leave }, t('phone.leave')));
}

function renderEnded(v) {
  return h('section', { class: 'panel ended', testid: 'ended' },
    h('h2', {}, t('phone.ended')),
    h('p', { class: 'muted' }, t('phone.thanks')),
    standing(v),
    h('button', { type: 'button', class: 'btn btn-secondary btn-block', onclick: leave }, t('phone.join_another')));
}

function renderUnsupported(a) {
  return h('section', { class: 'panel', testid: 'unsupported' },
    h('h2', {}, a.title),
    h('p', { class: 'muted' }, t('phone.kind_unsupported')));
}

function statusChip(a) {
  return h('div', { class: 'act-head' },
    h('span', { class: ['chip', `chip-${a.status}`], testid: 'activity-status' }, t(`status.${a.status}`)),
    a.status === 'open' && a.deadline ? countdown(a.deadline, now, { testid: 'countdown', class: 'act-countdown' }) : null);
}

function renderVote(v, a) {
  const revealed = a.status === 'revealed' && a.result;
  const server = a.my_answer ? a.my_answer.choice : null;
  if (S.pending && S.pending.acked && server === S.pending.choice) S.pending = null;
  const mine = S.pending ? S.pending.choice : server;
  const letterOf = (id) => {
    const i = a.options.findIndex((o) => o.id === id);
    return i >= 0 ? letter(i) : '?';
  };
  const recommended = revealed ? a.result.recommended : null;

  const options = h('div', { class: 'options', role: 'group', 'aria-label': t('phone.options'), testid: 'options' },
    a.options.map((o, i) => {
      const selected = mine === o.id;
      return h('button', {
        type: 'button',
        class: ['opt', `opt-c${i % 6}`, selected && 'is-selected', o.id === recommended && 'is-recommended'],
        testid: `option-${o.id}`,
        'aria-pressed': selected ? 'true' : 'false',
        disabled: a.status !== 'open',
        dataset: { option: o.id },
        onclick: () => choose(a, o.id),
      },
      h('span', { class: 'opt-letter' }, letter(i)),
      h('span', { class: 'opt-text' }, o.text),
      o.id === recommended || selected ? h('span', { class: 'opt-tags' },
        o.id === recommended ? h('span', { class: 'opt-tag opt-tag-rec' }, t('reveal.recommended')) : null,
        selected ? h('span', { class: 'opt-tag opt-tag-mine' }, t('phone.my_choice')) : null) : null);
    }));

  let status = null;
  if (a.status === 'open') {
    let text;
    let kind = 'info';
    if (S.pending && !S.pending.acked) {
      text = S.link && S.link.status === 'open' ? t('phone.sending') : t('phone.queued');
      kind = 'wait';
    } else if (mine) {
      text = t('phone.received', { letter: letterOf(mine) });
      kind = 'ok';
    } else {
      text = t('phone.pick');
    }
    status = h('p', { class: ['answer-status', `answer-${kind}`], testid: 'answer-status', dataset: { state: kind } }, text);
  } else if (a.status === 'closed') {
    status = h('p', { class: 'answer-status answer-closed', testid: 'answer-status', dataset: { state: 'closed' } },
      server ? t('phone.closed_answered', { letter: letterOf(server) }) : t('phone.closed_none'));
  }

  const parts = [statusChip(a), h('h2', { class: 'act-title', testid: 'activity-title' }, a.title)];
  if (revealed) {
    const r = a.result;
    const rating = r.rating || 'none';
    parts.push(h('section', { class: ['result', `result-${rating}`], testid: 'result', dataset: { rating } },
      h('div', { class: 'result-top' },
        h('span', { class: 'result-badge', testid: 'result-rating' }, t(`rating.${rating}`)),
        h('span', { class: 'result-points', testid: 'result-points' }, t('phone.points', { points: signed(a.points ?? 0) }))),
      r.feedback ? h('p', { class: 'result-feedback', testid: 'result-feedback' }, r.feedback) : null,
      standing(v)));
    parts.push(options);
    const recIndex = a.options.findIndex((o) => o.id === r.recommended);
    parts.push(h('section', { class: 'explain', testid: 'explain' },
      recIndex >= 0 ? h('div', { class: 'explain-block' },
        h('div', { class: 'explain-heading' }, t('reveal.recommended_heading')),
        h('p', { class: 'explain-rec', testid: 'recommended' }, `${letter(recIndex)}. ${a.options[recIndex].text}`)) : null,
      r.rationale ? h('div', { class: 'explain-block' },
        h('div', { class: 'explain-heading' }, t('reveal.rationale')),
        h('p', { class: 'explain-text', testid: 'rationale' }, r.rationale)) : null,
      renderLegal(r.legal_basis)));
    parts.push(details(`case:${a.id}`, t('phone.show_case'), renderCard(a.card)));
  } else {
    parts.push(renderCard(a.card));
    parts.push(h('div', { class: 'options-heading' }, t('phone.choose_heading')));
    parts.push(options);
    parts.push(status);
  }
  return h('section', { class: ['activity', `activity-${a.status}`], testid: 'activity', dataset: { status: a.status } }, parts);
}

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
