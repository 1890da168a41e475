// The trainer's start page: decks, a new session, the sessions so far and their links.

import { h, fill, setText, $, show } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange } from './lib/i18n.js';
import { toast, errorText, secretFromFragment, downloadExport } from './lib/ui.js';

const TOKEN_STORE = 'caseroom.admin';
const KEYS_STORE = 'caseroom.hostkeys'; // {code: host key} of sessions made from this tab

const S = { token: null, decks: [], sessions: [], created: null };

function hostKeys() {
  try { return JSON.parse(sessionStorage.getItem(KEYS_STORE) || '{}'); } catch { return {}; }
}

function rememberKey(code, key) {
  const keys = hostKeys();
  keys[code] = key;
  try { sessionStorage.setItem(KEYS_STORE, JSON.stringify(keys)); } catch { /* private mode */ }
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${S.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  let data = null;
  try { data = await res.json(); } catch { /* empty */ }
  if (!res.ok) {
    const e = new Error((data && data.error && data.error.message) || res.statusText);
    e.code = (data && data.error && data.error.code) || `http_${res.status}`;
    e.status = res.status;
    throw e;
  }
  return data;
}

function when(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  return d.toLocaleString(document.documentElement.lang === 'en' ? 'en-GB' : 'zh-CN',
    { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

function link(href, label, testid) {
  return h('a', { class: 'btn btn-small', href, target: '_blank', rel: 'noopener', testid }, label);
}

// -- token ------------------------------------------------------------------------------------------
function askToken(message) {
  show($('#workspace'), false);
  show($('#forget'), false);
  show($('#token-panel'), true);
  setText($('#token-error'), message || '');
  show($('#token-error'), Boolean(message));
  $('#token-input').focus();
}

$('#token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('#token-input').value.trim();
  if (!value) return;
  $('#token-input').value = '';
  S.token = value;
  try { sessionStorage.setItem(TOKEN_STORE, value); } catch { /* private mode */ }
  start();
});

$('#forget').addEventListener('click', () => {
  try {
    sessionStorage.removeItem(TOKEN_STORE);
    sessionStorage.removeItem(KEYS_STORE);
  } catch { /* ignore */ }
  S.token = null;
  askToken('');
});

// -- decks and sessions -----------------------------------------------------------------------------
function renderDecks() {
  const select = $('#deck');
  const previous = select.value;
  fill(select, S.decks.map((d) => h('option', { value: d.id }, `${d.title} (${d.id})`)));
  if (S.decks.some((d) => d.id === previous)) select.value = previous;
  renderDeckInfo();
}

function renderDeckInfo() {
  const deck = S.decks.find((d) => d.id === $('#deck').value);
  setText($('#deck-info'), deck ? t('trainer.deck_info', { n: (deck.activities || []).length, locale: deck.locale }) : '');
}

$('#deck').addEventListener('change', renderDeckInfo);

function linksFor(code, key) {
  const base = location.origin;
  return {
    join: `${base}/j/${code}`,
    host: key ? `${base}/host/${code}#key=${encodeURIComponent(key)}` : null,
    console: key ? `${base}/console/${code}#key=${encodeURIComponent(key)}` : null,
  };
}

function renderCreated() {
  const c = S.created;
  if (!c) { fill($('#created')); return; }
  fill($('#created'), h('div', { class: 'created', testid: 'created-session' },
    h('div', { class: 'created-head' },
      h('span', {}, t('trainer.created', { title: c.title })),
      h('b', { class: 'created-code', testid: 'created-code' }, c.code)),
    h('ul', { class: 'created-links' },
      h('li', {}, h('span', { class: 'created-label' }, t('trainer.link_join')),
        h('a', { href: c.join_url, target: '_blank', rel: 'noopener', testid: 'link-join' }, c.join_url)),
      h('li', {}, h('span', { class: 'created-label' }, t('trainer.link_host')),
        h('a', { href: c.host_url, target: '_blank', rel: 'noopener', testid: 'link-host' }, t('trainer.open_host'))),
      h('li', {}, h('span', { class: 'created-label' }, t('trainer.link_console')),
        h('a', { href: c.console_url, target: '_blank', rel: 'noopener', testid: 'link-console' }, t('trainer.open_console'))))));
}

function renderSessions() {
  const keys = hostKeys();
  const rows = [...S.sessions].sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
  if (!rows.length) {
    fill($('#sessions'), h('p', { class: 'muted' }, t('trainer.no_sessions')));
    return;
  }
  fill($('#sessions'), h('table', { class: 'sessions', testid: 'sessions' },
    h('thead', {}, h('tr', {},
      h('th', {}, t('trainer.col_code')), h('th', {}, t('trainer.col_title')),
      h('th', {}, t('trainer.col_created')), h('th', { class: 'num' }, t('trainer.col_joined')),
      h('th', {}, t('trainer.col_links')))),
    h('tbody', {}, rows.map((s) => {
      // A session made from another tab: the admin token opens it too.
      const key = keys[s.code] || S.token;
      const l = linksFor(s.code, key);
      const ended = Boolean(s.ended_at);
      return h('tr', { class: ended ? 'is-ended' : '', testid: `session-${s.code}` },
        h('td', {}, h('b', { class: 'mono' }, s.code)),
        h('td', {}, s.title, ended ? h('span', { class: 'chip chip-ended' }, t('trainer.ended')) : null),
        h('td', {}, when(s.created_at)),
        h('td', { class: 'num' }, s.joined === null || s.joined === undefined ? '–' : s.joined),
        h('td', {}, h('div', { class: 'links' },
          ended ? null : link(l.join, t('trainer.link_join'), `join-${s.code}`),
          ended ? null : link(l.host, t('trainer.link_host'), `host-${s.code}`),
          ended ? null : link(l.console, t('trainer.link_console'), `console-${s.code}`),
          h('button', {
            type: 'button', class: 'btn btn-small btn-ghost',
            onclick: () => downloadExport(s.code, key).catch((err) => toast(errorText(err), 'error')),
          }, t('trainer.export')))));
    }))));
}

async function loadSessions() {
  try {
    S.sessions = (await api('GET', '/api/sessions')).sessions || [];
    renderSessions();
  } catch (err) {
    handleError(err);
  }
}

function handleError(err) {
  if (err.status === 401 || err.status === 403) {
    try { sessionStorage.removeItem(TOKEN_STORE); } catch { /* ignore */ }
    S.token = null;
    askToken(t('trainer.bad_token'));
  } else {
    toast(errorText(err), 'error');
  }
}

$('#create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const deck = $('#deck').value;
  if (!deck) return;
  const title = $('#session-title').value.trim();
  $('#create').disabled = true;
  try {
    const made = await api('POST', '/api/sessions', title ? { deck, title } : { deck });
    rememberKey(made.code, made.host_key);
    S.created = made;
    renderCreated();
    $('#session-title').value = '';
    toast(t('trainer.created_ok', { code: made.code }), 'ok');
    loadSessions();
  } catch (err) {
    handleError(err);
  } finally {
    $('#create').disabled = false;
  }
});

$('#refresh').addEventListener('click', loadSessions);

async function start() {
  show($('#token-panel'), false);
  try {
    S.decks = (await api('GET', '/api/decks')).decks || [];
  } catch (err) {
    handleError(err);
    return;
  }
  show($('#workspace'), true);
  show($('#forget'), true);
  renderDecks();
  renderCreated();
  loadSessions();
}

function init() {
  apply();
  bindToggle($('#lang'));
  onLangChange(() => {
    if (S.token) {
      renderDeckInfo();
      renderCreated();
      renderSessions();
    }
  });
  S.token = secretFromFragment('token', TOKEN_STORE);
  if (S.token) start();
  else askToken('');
}

init();
