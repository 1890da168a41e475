// The trainee's phone: join, then whatever the current activity is (drawn by its kind's module in
// client/kinds/). Renders views, sends answers.

import { h, fill, setText, $, show } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange } from './lib/i18n.js';
import { Link, newId } from './lib/socket.js';
import {
  toast, errorText, showLinkStatus, renderLegal, startCountdowns, countdown, signed,
} from './lib/ui.js';
import {
  CONSENSUS, MAJORITY, GROUP, timer, modeLabel, answerSummary, patch, setProps, keepFocus,
} from './lib/kinds.js';
import { kindOf, kindsReady, loadKinds } from './kinds/index.js';

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
  awardSeq: null, // seq of the newest award seen (null: no view yet on this connection)
  lookupSeq: 0,
  lookupError: false, // the join form's error came from the lookup (and may be cleared by it)
  roster: null, // {code, people: [{id, name, unit}], check}: the class list of a rostered session
  picked: null, // the roster person chosen on this phone
  record: { code: null, status: 'idle', data: null, error: null }, // my own record (POST /me)
  recordOpen: false, // the "my record" page is on screen instead of the activity
  leaveArmed: 0, // when "leave" was pressed once (a second press within LEAVE_ARMED_MS leaves)
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
  nameField: $('#join-name-field'),
  roster: $('#join-roster'),
  search: $('#join-search'),
  people: $('#join-people'),
  checkField: $('#join-check-field'),
  checkLabel: $('#join-check-label'),
  check: $('#join-check'),
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
    if (!message && !S.roster) els.name.focus();
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
  show(els.groupField, groups.length > 0 && !body.roster);
  if (body.roster) await loadRoster(code, seq);
  else showRoster(null);
}

/** A rostered session: the class list to pick a name from (names and units only). */
async function loadRoster(code, seq) {
  if (S.roster && S.roster.code === code) { showRoster(S.roster); return; }
  let body = null;
  try {
    const res = await fetch(`/api/sessions/${encodeURIComponent(code)}/roster`);
    body = await res.json();
    if (!res.ok) { joinError(errorText(body && body.error)); return; }
  } catch {
    return;
  }
  if (seq !== S.lookupSeq) return;
  S.picked = null;
  showRoster(body.roster ? { code, people: body.people || [], check: body.check } : null);
}

function showRoster(roster) {
  S.roster = roster;
  show(els.roster, Boolean(roster));
  show(els.nameField, !roster);
  els.name.required = !roster;
  if (!roster) return;
  setText(els.checkLabel, t(roster.check === 'code' ? 'join.check_code' : 'join.check_staff_no'));
  renderPeople();
}

function renderPeople() {
  const roster = S.roster;
  if (!roster) return;
  const q = els.search.value.trim().toLowerCase();
  const matches = roster.people.filter((p) => !q || p.name.toLowerCase().includes(q)
    || (p.unit || '').toLowerCase().includes(q));
  fill(els.people, matches.length ? matches.slice(0, 100).map((p) => h('button', {
    type: 'button', class: 'btn btn-secondary roster-person', role: 'option', testid: 'roster-person',
    'aria-selected': String(S.picked === p.id),
    onclick: () => pick(p),
  }, [h('span', { class: 'roster-name' }, p.name), p.unit ? h('span', { class: 'roster-unit' }, p.unit) : null]))
    : h('p', { class: 'muted' }, t('join.roster_none')));
  show(els.checkField, Boolean(S.picked));
}

function pick(person) {
  S.picked = person.id;
  els.search.value = person.name;
  renderPeople();
  joinError('');
  els.check.value = '';
  els.check.focus();
}

els.search.addEventListener('input', () => {
  S.picked = null;
  renderPeople();
});

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
  const rostered = S.roster && S.roster.code === code;
  if (rostered && !S.picked) { joinError(t('join.need_pick')); els.search.focus(); return; }
  if (rostered && !els.check.value.trim()) { joinError(t('join.need_check')); els.check.focus(); return; }
  if (!rostered && !name) { joinError(t('join.need_name')); els.name.focus(); return; }
  joinError('');
  els.submit.disabled = true;
  els.submit.textContent = t('join.joining');
  S.join = rostered ? { person: S.picked, check: els.check.value.trim(), id: newId() }
    : { name, group: els.group.value || null, id: newId() };
  connect(code);
});

// -- a toast when the trainer awards me or my group points (once; never for the first view) -----
function awardToast(v) {
  const w = v && v.last_award;
  const seq = w ? w.seq : 0;
  const before = S.awardSeq;
  S.awardSeq = seq;
  if (before === null || !w || seq <= before) return;
  const points = signed(w.points);
  const mine = v.me && w.target === v.me.id;
  toast(mine ? t('toast.award', { points, reason: w.reason })
    : t('toast.award_to', { name: w.name, points, reason: w.reason }), 'award', 6000);
}

/** The kinds' modules, once (a card on screen before they are here is drawn when they come). */
function fetchKinds() {
  if (kindsReady()) return;
  loadKinds().then(() => { if (S.view) render(); }, () => setTimeout(fetchKinds, 2000));
}

// -- the connection -----------------------------------------------------------------------
function connect(code) {
  if (S.link) S.link.stop();
  S.code = code;
  S.view = null;
  S.pending = null;
  S.shownKey = null;
  S.awardSeq = null;
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
      if (join.person) return { type: 'join', code, person: join.person, check: join.check, id: join.id };
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
      fetchKinds(); // joined: the activities' modules come while the lobby waits
    },
    onState: (msg) => {
      awardToast(msg.view);
      S.view = msg.view;
      if (typeof msg.seq === 'number') S.seq = msg.seq;
      render();
    },
    onHelloError: (err) => {
      S.link = null;
      if (err.code === 'rate_limited') {
        // Many phones joining through one network (a company NAT): wait a moment and try again,
        // keeping the resume token. Giving it up would make a returning trainee a new player.
        if (S.helloKind === 'join') joinError(t('phone.busy_retrying'));
        else setText(els.title, t('phone.busy_retrying'));
        setTimeout(() => { if (!S.link && S.code === code) connect(code); }, 1000 + Math.random() * 2000);
        return;
      }
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

/** Leaving forgets this phone's seat (and its link to the personal record): a second press within
 * LEAVE_ARMED_MS confirms it, as the console's end does; no browser dialog. */
const LEAVE_ARMED_MS = 5000;

function leaveArmed() {
  return Boolean(S.leaveArmed) && Date.now() - S.leaveArmed < LEAVE_ARMED_MS;
}

/** A leave button: its label (a catalogue key) until pressed once, then what a second press does. */
function leaveButton(cls, label, testid) {
  return dressLeave(h('button', { type: 'button', class: cls, testid, dataset: { leave: label }, onclick: leave }));
}

function dressLeave(btn) {
  const armed = leaveArmed();
  btn.classList.toggle('is-armed', armed);
  setText(btn, armed ? t('phone.leave_again') : t(btn.dataset.leave));
  if (armed) btn.title = t('phone.leave_confirm');
  else btn.removeAttribute('title');
  return btn;
}

function showLeaveButtons() {
  for (const btn of document.querySelectorAll('[data-leave]')) dressLeave(btn);
}

function leave() {
  if (!leaveArmed()) {
    S.leaveArmed = Date.now();
    showLeaveButtons();
    setTimeout(showLeaveButtons, LEAVE_ARMED_MS + 50);
    return;
  }
  S.leaveArmed = 0;
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
  const answers = Array.isArray(d.answers) ? d.answers : [];
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
    answers.length ? h('ol', { class: 'record-list record-answers', testid: 'record-answers' }, answers.map((a) => recordLine(a, plan.length > 0)))
      : h('p', { class: 'muted' }, t('record.no_answers')),
    awards.length ? [
      h('h3', { class: 'record-section' }, t('record.awards')),
      h('ul', { class: 'record-list record-awards', testid: 'record-awards' }, awards.map((a) => h('li', {},
        h('b', { class: ['record-points', a.points > 0 && 'is-plus'] }, signed(a.points)), ' ', a.reason))),
    ] : null,
    d.totals ? h('p', { class: 'record-totals', testid: 'record-totals' }, t('record.totals', d.totals)) : null,
    h('h3', { class: 'record-section' }, t('record.plan')),
    plan.length ? h('ol', { class: 'record-list record-plan', testid: 'record-plan' }, plan.map((p) => h('li', { class: 'record-plan-item' },
      h('div', { class: 'record-plan-what' }, p.what),
      p.by ? h('div', { class: 'muted' }, t('plan.by_value', { by: p.by })) : null)))
      : h('p', { class: 'muted', testid: 'record-no-plan' }, t('record.no_plan')),
    d.follow_up ? followUpBlock(d.follow_up) : null,
    courseDays(d.course),
    session.disclaimer ? h('p', { class: 'record-note' }, session.disclaimer) : null,
    h('p', { class: 'record-privacy muted no-print' }, t('record.private')),
    actions);
}

/** Where I follow up my plan later: the link (and its QR code, for the printed record) and when it opens. */
function followUpBlock(f) {
  const note = f.open ? t('record.followup_open')
    : f.opens_at ? t('record.followup_opens', { when: when(f.opens_at) }) : t('record.followup_after_end');
  return h('div', { class: 'record-followup', testid: 'record-followup' },
    h('h3', { class: 'record-section' }, t('record.followup')),
    h('p', { class: 'muted', testid: 'record-followup-when' }, note),
    h('div', { class: 'record-followup-body' },
      h('img', { class: 'record-qr', src: f.qr, alt: t('record.followup_qr'), width: 144, height: 144 }),
      h('div', {},
        h('a', {
          class: 'btn btn-secondary btn-block no-print', href: f.url, target: '_blank', rel: 'noopener',
          testid: 'record-followup-link',
        }, t('record.followup_link')),
        h('p', { class: 'record-followup-url muted' }, t('record.followup_keep')))));
}

/** A rostered trainee's course: every day of it, with the score and plan of each (or absent). */
function courseDays(course) {
  if (!course || !Array.isArray(course.days)) return null;
  return [
    h('h3', { class: 'record-section' }, t('record.course', { title: course.title })),
    h('ol', { class: 'record-list record-days', testid: 'record-days' }, course.days.map((day) => h('li', {
      class: 'record-day', testid: 'record-day',
    },
    h('div', {}, h('b', {}, t('record.day', { day: day.day || '?' })), ' ', day.title,
      day.current ? h('span', { class: 'record-tag' }, t('record.today')) : null),
    h('div', { class: 'muted' }, day.present ? t('record.day_score', { score: day.score }) : t('record.day_absent')),
    (day.action_plan || []).length ? h('ul', {}, day.action_plan.map((p) => h('li', {}, p.what))) : null))),
    h('p', { class: 'record-totals', testid: 'record-course-total' }, t('record.course_total', { score: course.score })),
  ];
}

/** One line of my record: an activity, where its points came from, and the answer that earned them. */
function recordLine(a, planBelow) {
  const parts = Array.isArray(a.parts) ? a.parts : [];
  // Discussions, plans and slides score nobody: no points column for them unless an award made it so.
  const unscored = ['discuss', 'plan', 'slide'].includes(a.kind) && !a.points;
  let pointsText = '';
  if (!a.present) pointsText = t('record.absent');
  else if (unscored) pointsText = '';
  else if (a.points === null || a.points === undefined) pointsText = t('record.not_revealed');
  else pointsText = t('phone.points', { points: signed(a.points) });
  const rounds = Array.isArray(a.rounds) ? a.rounds : [];
  const observed = Array.isArray(a.observer_scores) ? a.observer_scores : [];
  // The plan has its own section below; its text here would only repeat it.
  const answer = a.kind === 'plan' && planBelow ? '' : a.answer;
  const split = parts.length > 1 || (parts.length === 1 && parts[0].source !== 'answer' && a.kind !== 'roleplay');
  return h('li', { class: 'record-answer', dataset: { stage: a.stage } },
    h('div', { class: 'record-answer-head' },
      h('span', { class: 'record-answer-title' }, a.title),
      h('span', { class: ['record-points', (a.points || 0) > 0 && 'is-plus'] }, pointsText)),
    answer ? h('div', { class: 'record-answer-text' },
      a.by_group ? h('span', { class: 'record-tag' }, t('record.group_answer')) : null,
      a.by_group ? ' ' : null, answer) : null,
    a.my_answer ? h('div', { class: 'record-answer-text muted' }, t('record.my_vote', { answer: a.my_answer })) : null,
    rounds.map((r) => h('div', { class: 'record-answer-text' },
      t('record.round_agent', { round: r.round, role: t('record.agent'), group: r.group_name || r.group, total: r.total, max: r.max }),
      ' ', h('b', {}, signed(r.points)))),
    observed.length ? h('div', { class: 'record-answer-text muted' }, t('record.observer_scores', { scores: observed.join('；') })) : null,
    split ? h('div', { class: 'record-parts muted' }, parts.map((p) =>
      `${t(`record.source.${p.source}`, { round: p.round })} ${signed(p.points)}`).join(' · ')) : null);
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
      leaveButton('btn btn-secondary btn-block no-print', 'phone.join_another', 'join-another'),
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

/** The activity as the phone shows it: an answer the server acknowledged is this player's answer
 * even before the view that says so arrives (the server sends that view with the next change). */
function withAcked(a) {
  const p = S.pending;
  if (!p || !p.acked || p.activity !== a.id || a.mode === CONSENSUS || a.status !== 'open') return a;
  return { ...a, my_answer: p.answer };
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
  else if (!kindsReady()) {
    screen = { key: 'loading', props: { class: 'panel', testid: 'loading' },
               parts: [h('p', { class: 'muted center' }, t('phone.loading'))] };
    fetchKinds();
  }
  else if (kindOf(a.kind) && kindOf(a.kind).phone) screen = kindOf(a.kind).phone(CTX, v, withAcked(a));
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
      leaveButton('btn btn-link', 'phone.leave', 'leave'),
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
      leaveButton('btn btn-secondary btn-block no-print', 'phone.join_another', 'join-another'),
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

// -- what the frame lends each kind's phone renderer (client/kinds/index.js) ---------------------
const CTX = {
  now, kindOf, send, pendingFor, sending, sendingText, showScores, standing, render,
  current: () => S.view && S.view.activity,
  drafts: S.drafts,
  head, title, activityScreen, modeNote, proposalBlock, resultBlock, explain, statusLine, ratingFor,
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
