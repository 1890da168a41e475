// The trainer's start page: decks, a new session, the sessions so far (live and past) with their
// console, screen, review, exports, and deletion after the code is typed again.

import { h, fill, setText, $, $$, show } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange, lang } from './lib/i18n.js';
import {
  toast, errorText, secretFromFragment, downloadExport, reviewUrl, apiJson, EXPORT_FORMATS, httpError, saveBlob,
  dispositionName,
} from './lib/ui.js';

const TOKEN_STORE = 'caseroom.admin';
const KEYS_STORE = 'caseroom.hostkeys'; // {code: host key} of sessions made from this tab

const S = {
  token: null,
  codesArmed: null, // the course whose codes sheet waits for its second press
  decks: [],
  sessions: [],
  created: null,
  deleting: null, // the code whose deletion is being confirmed
  following: null, // the code whose follow-up is shown: {code, data, error}
  cohort: { deck: null, data: null, error: null, loading: false, groups: '' },
  picked: {}, // deck id -> Set of module (or activity) ids ticked in the form
  preset: {}, // deck id -> {id, day} chosen in the form
  courses: [],
  problems: {}, // course id -> the problems of its last refused roster
};

/** Planned seconds as words: "约 1 小时 20 分" / "about 1 h 20 min". */
function duration(seconds) {
  const minutes = Math.round((seconds || 0) / 60);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours && rest) return t('trainer.planned_hm', { h: hours, m: rest });
  if (hours) return t('trainer.planned_h', { h: hours });
  return t('trainer.planned_m', { m: rest });
}

function plannedOf(deck, ids) {
  const by = new Map((deck.activities || []).map((a) => [a.id, a.planned || 0]));
  return ids.reduce((sum, id) => sum + (by.get(id) || 0), 0);
}

function hostKeys() {
  try { return JSON.parse(sessionStorage.getItem(KEYS_STORE) || '{}'); } catch { return {}; }
}

function rememberKey(code, key) {
  const keys = hostKeys();
  keys[code] = key;
  try { sessionStorage.setItem(KEYS_STORE, JSON.stringify(keys)); } catch { /* private mode */ }
}

function forgetKey(code) {
  const keys = hostKeys();
  delete keys[code];
  try { sessionStorage.setItem(KEYS_STORE, JSON.stringify(keys)); } catch { /* private mode */ }
}

function api(method, path, body) {
  return apiJson(path, S.token, { method, body });
}

function when(ms) {
  if (!ms) return '';
  return new Date(ms).toLocaleString(lang() === 'en' ? 'en-GB' : 'zh-CN',
    { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

function link(href, label, testid, extraClass) {
  return h('a', { class: ['btn btn-small', extraClass], href, target: '_blank', rel: 'noopener', testid }, label);
}

const FORMAT_LABEL = { json: () => 'JSON', csv: () => 'CSV', xlsx: () => 'Excel', html: () => t('trainer.export_report') };

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

// -- decks and the new-session form -------------------------------------------------------------------
function currentDeck() {
  return S.decks.find((d) => d.id === $('#deck').value) || null;
}

/** What the form can pick from: whole modules when every activity belongs to one, else activities. */
function choices(deck) {
  if (!deck) return { by: 'modules', items: [] };
  const modules = Array.isArray(deck.modules) ? deck.modules.filter((m) => m && m.id) : [];
  const acts = Array.isArray(deck.activities) ? deck.activities : [];
  if (modules.length && acts.length && acts.every((a) => a.module)) {
    return {
      by: 'modules',
      items: modules.map((m) => {
        const mine = acts.filter((a) => a.module === m.id);
        const n = mine.length;
        const planned = mine.reduce((sum, a) => sum + (a.planned || 0), 0);
        return {
          id: m.id, label: m.title || m.id, planned, activities: mine.map((a) => a.id),
          note: n ? `${t('trainer.module_n', { n })} · ${duration(planned)}` : '',
        };
      }),
    };
  }
  return {
    by: 'agenda',
    items: (deck.activities || []).map((a) => ({
      id: a.id, label: a.title || a.id, planned: a.planned || 0, activities: [a.id],
      note: `${t(`kind.${a.kind}`)} · ${duration(a.planned)}`,
    })),
  };
}

function picked(deck) {
  if (!S.picked[deck.id]) S.picked[deck.id] = new Set();
  return S.picked[deck.id];
}

function renderDecks() {
  const select = $('#deck');
  const previous = select.value;
  fill(select, S.decks.map((d) => h('option', { value: d.id }, `${d.title} (${d.id})`)));
  if (S.decks.some((d) => d.id === previous)) select.value = previous;
  renderDeckInfo();
}

function renderDeckInfo() {
  const deck = currentDeck();
  setText($('#deck-info'), deck ? t('trainer.deck_info', { n: (deck.activities || []).length, locale: deck.locale }) : '');
  renderScope();
}

function presets(deck) {
  return deck && Array.isArray(deck.presets) ? deck.presets.filter((p) => p && p.id && Array.isArray(p.days)) : [];
}

function chosenPreset(deck) {
  const list = presets(deck);
  const want = S.preset[deck.id] || {};
  const preset = list.find((p) => p.id === want.id) || list[0] || null;
  const day = preset && want.day >= 1 && want.day <= preset.days.length ? want.day : 1;
  return preset ? { preset, day } : null;
}

/** The planned time of what the form would start: the whole agenda, the ticked items, or a preset's day. */
function renderPlanned() {
  const deck = currentDeck();
  if (!deck) { setText($('#scope-planned'), ''); return; }
  const c = choices(deck);
  let seconds;
  let n;
  if ($('#scope-preset').checked && chosenPreset(deck)) {
    const { preset, day } = chosenPreset(deck);
    seconds = (preset.planned || [])[day - 1] || 0;
    n = preset.days[day - 1].length;
  } else if ($('#scope-pick').checked) {
    const ticked = picked(deck);
    const ids = c.items.filter((i) => ticked.has(i.id)).flatMap((i) => i.activities);
    seconds = plannedOf(deck, ids);
    n = ids.length;
  } else {
    seconds = plannedOf(deck, (deck.activities || []).map((a) => a.id));
    n = (deck.activities || []).length;
  }
  setText($('#scope-planned'), t('trainer.planned_total', { n, time: duration(seconds) }));
  $('#scope-planned').dataset.seconds = String(seconds);
}

function renderPresets(deck) {
  const list = presets(deck);
  show($('#scope-preset-wrap'), list.length > 0);
  const on = $('#scope-preset').checked && list.length > 0;
  show($('#scope-presets'), on);
  if (!on) { fill($('#scope-presets')); return; }
  const chosen = chosenPreset(deck);
  fill($('#scope-presets'), list.map((p) => h('div', { class: 'preset', testid: `preset-${p.id}` },
    h('label', { class: 'radio' },
      h('input', {
        type: 'radio', name: 'preset', value: p.id, testid: `preset-pick-${p.id}`, checked: chosen.preset.id === p.id,
        onchange: () => { S.preset[deck.id] = { id: p.id, day: 1 }; renderScope(); },
      }),
      h('span', { class: 'check-label' }, p.title || p.id),
      h('span', { class: 'check-note', testid: `preset-total-${p.id}` },
        duration((p.planned || []).reduce((a, b) => a + b, 0)))),
    p.days.length > 1 ? h('div', { class: 'preset-days' }, p.days.map((ids, i) => h('label', { class: 'radio' },
      h('input', {
        type: 'radio', name: `preset-day-${p.id}`, value: String(i + 1), testid: `preset-day-${p.id}-${i + 1}`,
        checked: chosen.preset.id === p.id && chosen.day === i + 1, disabled: chosen.preset.id !== p.id,
        onchange: () => { S.preset[deck.id] = { id: p.id, day: i + 1 }; renderScope(); },
      }),
      h('span', {}, t('trainer.preset_day', { n: i + 1, time: duration((p.planned || [])[i]), count: ids.length })))))
      : null)));
}

function renderScope() {
  const deck = currentDeck();
  const c = choices(deck);
  setText($('#scope-pick-label'), c.by === 'modules' ? t('trainer.scope_modules') : t('trainer.scope_activities'));
  const pick = $('#scope-pick').checked;
  show($('#scope-items'), pick && Boolean(deck));
  renderPresets(deck);
  renderPlanned();
  if (!deck) { fill($('#scope-items')); return; }
  const ticked = picked(deck);
  fill($('#scope-items'), c.items.length ? c.items.map((item) => {
    const box = h('input', {
      type: 'checkbox', value: item.id, testid: `scope-item-${item.id}`, checked: ticked.has(item.id),
      onchange: () => {
        if (box.checked) ticked.add(item.id);
        else ticked.delete(item.id);
        renderPlanned();
      },
    });
    return h('label', { class: 'check' }, box,
      h('span', { class: 'check-label' }, item.label),
      item.note ? h('span', { class: 'check-note' }, item.note) : null);
  }) : h('p', { class: 'muted' }, t('trainer.scope_none')));
}

$('#deck').addEventListener('change', renderDeckInfo);
for (const radio of $$('input[name="scope"]')) radio.addEventListener('change', renderScope);

function linksFor(code, key) {
  const base = location.origin;
  return {
    join: `${base}/j/${code}`,
    host: key ? `${base}/host/${code}#key=${encodeURIComponent(key)}` : null,
    console: key ? `${base}/console/${code}#key=${encodeURIComponent(key)}` : null,
    review: key ? `${base}${reviewUrl(code, key)}` : null,
  };
}

function renderCreated() {
  const c = S.created;
  if (!c) { fill($('#created')); return; }
  const review = linksFor(c.code, c.host_key).review;
  fill($('#created'), h('div', { class: 'created', testid: 'created-session' },
    h('div', { class: 'created-head' },
      h('span', {}, t('trainer.created', { title: c.title })),
      h('b', { class: 'created-code', testid: 'created-code' }, c.code),
      Array.isArray(c.agenda) ? h('span', { class: 'muted' }, t('trainer.created_n', { n: c.agenda.length })) : null),
    h('ul', { class: 'created-links' },
      h('li', {}, h('span', { class: 'created-label' }, t('trainer.link_join')),
        h('a', { href: c.join_url, target: '_blank', rel: 'noopener', testid: 'link-join' }, c.join_url)),
      h('li', {}, h('span', { class: 'created-label' }, t('trainer.link_host')),
        h('a', { href: c.host_url, target: '_blank', rel: 'noopener', testid: 'link-host' }, t('trainer.open_host'))),
      h('li', {}, h('span', { class: 'created-label' }, t('trainer.link_console')),
        h('a', { href: c.console_url, target: '_blank', rel: 'noopener', testid: 'link-console' }, t('trainer.open_console'))),
      h('li', {}, h('span', { class: 'created-label' }, t('trainer.link_review')),
        h('a', { href: review, target: '_blank', rel: 'noopener', testid: 'link-review' }, t('trainer.open_review'))))));
}

$('#create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const deck = currentDeck();
  if (!deck) return;
  const body = { deck: deck.id };
  const title = $('#session-title').value.trim();
  if (title) body.title = title;
  if ($('#course').value) {
    body.course = $('#course').value;
    body.day = Number($('#course-day').value) || 1;
  }
  if ($('#scope-preset').checked && chosenPreset(deck)) {
    const { preset, day } = chosenPreset(deck);
    body.preset = preset.id;
    body.day = day;
  } else if ($('#scope-pick').checked) {
    const c = choices(deck);
    const ticked = picked(deck);
    const ids = c.items.map((i) => i.id).filter((id) => ticked.has(id)); // in the deck's order
    if (!ids.length) {
      toast(c.by === 'modules' ? t('trainer.scope_need_module') : t('trainer.scope_need_activity'), 'error');
      return;
    }
    body[c.by] = ids;
  }
  $('#create').disabled = true;
  try {
    const made = await api('POST', '/api/sessions', body);
    rememberKey(made.code, made.host_key);
    S.created = made;
    renderCreated();
    $('#session-title').value = '';
    toast(t('trainer.created_ok', { code: made.code }), 'ok');
    loadSessions();
    loadCourses();
  } catch (err) {
    handleError(err);
  } finally {
    $('#create').disabled = false;
  }
});

// -- the sessions -------------------------------------------------------------------------------------
function stateOf(s) {
  if (s.ended_at) return 'ended';
  return s.live ? 'live' : 'idle';
}

async function exportFile(code, key, format, button) {
  button.disabled = true;
  try {
    const name = await downloadExport(code, key, format);
    toast(t('trainer.export_ok', { name }), 'ok', 2500);
  } catch (err) {
    handleError(err);
  } finally {
    button.disabled = false;
  }
}

function deleteRow(s) {
  const input = h('input', {
    class: 'input input-small delete-input', testid: `delete-input-${s.code}`, inputmode: 'numeric',
    autocomplete: 'off', maxlength: 16, 'aria-label': t('trainer.delete_type', { code: s.code }),
  });
  const confirm = h('button', {
    type: 'button', class: 'btn btn-small btn-danger-solid', testid: `delete-confirm-${s.code}`, disabled: true,
  }, t('trainer.delete_confirm'));
  input.addEventListener('input', () => { confirm.disabled = input.value.trim() !== s.code; });
  const doDelete = async () => {
    if (input.value.trim() !== s.code) return;
    confirm.disabled = true;
    try {
      await api('DELETE', `/api/sessions/${encodeURIComponent(s.code)}`, { confirm: input.value.trim() });
      forgetKey(s.code);
      S.deleting = null;
      S.sessions = S.sessions.filter((x) => x.code !== s.code);
      if (S.created && S.created.code === s.code) { S.created = null; renderCreated(); }
      renderSessions();
      toast(t('trainer.deleted_ok', { code: s.code }), 'ok');
      loadSessions();
    } catch (err) {
      confirm.disabled = false;
      handleError(err);
    }
  };
  confirm.addEventListener('click', doDelete);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { event.preventDefault(); doDelete(); }
    if (event.key === 'Escape') { S.deleting = null; renderSessions(); }
  });
  setTimeout(() => input.focus(), 0);
  return h('tr', { class: 'delete-row', testid: `delete-row-${s.code}` },
    h('td', { colspan: 6 },
      h('div', { class: 'delete-box' },
        h('p', { class: 'delete-warning' }, t('trainer.delete_warning', { code: s.code, title: s.title })),
        h('div', { class: 'delete-actions' },
          h('label', { class: 'delete-label' }, t('trainer.delete_type', { code: s.code }), input),
          confirm,
          h('button', {
            type: 'button', class: 'btn btn-small btn-ghost', testid: `delete-cancel-${s.code}`,
            onclick: () => { S.deleting = null; renderSessions(); },
          }, t('trainer.delete_cancel'))))));
}

function sessionRow(s, keys) {
  // A session made from another tab (or before a restart): the admin token opens it too.
  const key = keys[s.code] || S.token;
  const l = linksFor(s.code, key);
  const state = stateOf(s);
  const deck = S.decks.find((d) => d.id === s.deck);
  return h('tr', { class: [`is-${state}`, S.deleting === s.code && 'is-deleting'], testid: `session-${s.code}`, dataset: { state } },
    h('td', {}, h('b', { class: 'mono session-code' }, s.code)),
    h('td', { class: 'session-what' },
      h('div', { class: 'session-title' }, s.title),
      h('div', { class: 'muted session-deck' }, deck ? deck.title : s.deck)),
    h('td', { class: 'session-when' },
      h('div', {}, when(s.created_at)),
      s.ended_at ? h('div', { class: 'muted' }, t('trainer.ended_at', { when: when(s.ended_at) })) : null),
    h('td', { class: 'num', testid: `joined-${s.code}`, dataset: { label: t('trainer.col_joined') } },
      s.joined === null || s.joined === undefined ? '–' : s.joined),
    h('td', {}, h('span', { class: ['chip', `chip-state-${state}`], testid: `state-${s.code}` }, t(`trainer.state_${state}`))),
    h('td', { class: 'session-actions' },
      h('div', { class: 'links' },
        state === 'ended' ? null : link(l.console, t('trainer.link_console'), `console-${s.code}`, 'btn-primary'),
        state === 'ended' ? null : link(l.host, t('trainer.link_host'), `host-${s.code}`),
        link(l.review, t('trainer.link_review'), `review-${s.code}`),
        state === 'ended' ? null : link(l.join, t('trainer.link_join'), `join-${s.code}`, 'btn-ghost')),
      h('div', { class: 'links links-export' },
        h('span', { class: 'links-label' }, t('trainer.export')),
        EXPORT_FORMATS.map((f) => {
          const btn = h('button', {
            type: 'button', class: 'btn btn-small btn-ghost', testid: `export-${f}-${s.code}`,
            title: t(`trainer.export_${f}_title`),
          }, FORMAT_LABEL[f]());
          btn.addEventListener('click', () => exportFile(s.code, key, f, btn));
          return btn;
        }),
        h('button', {
          type: 'button', class: 'btn btn-small btn-ghost', testid: `followup-${s.code}`,
          'aria-expanded': S.following && S.following.code === s.code ? 'true' : 'false',
          onclick: () => toggleFollowUp(s.code, key),
        }, t('trainer.followup')),
        h('button', {
          type: 'button', class: 'btn btn-small btn-danger links-delete', testid: `delete-${s.code}`,
          'aria-expanded': S.deleting === s.code ? 'true' : 'false',
          onclick: () => { S.deleting = S.deleting === s.code ? null : s.code; renderSessions(); },
        }, t('trainer.delete')))));
}

function renderSessions() {
  const keys = hostKeys();
  const rows = [...S.sessions].sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
  const live = rows.filter((s) => stateOf(s) !== 'ended').length;
  setText($('#sessions-count'), rows.length ? t('trainer.sessions_count', { n: rows.length, live }) : '');
  if (!rows.length) {
    fill($('#sessions'), h('p', { class: 'muted', testid: 'no-sessions' }, t('trainer.no_sessions')));
    return;
  }
  fill($('#sessions'), h('table', { class: 'sessions', testid: 'sessions' },
    h('thead', {}, h('tr', {},
      h('th', {}, t('trainer.col_code')), h('th', {}, t('trainer.col_title')),
      h('th', {}, t('trainer.col_created')), h('th', { class: 'num' }, t('trainer.col_joined')),
      h('th', {}, t('trainer.col_state')), h('th', {}, t('trainer.col_links')))),
    h('tbody', {}, rows.map((s) => [sessionRow(s, keys), S.deleting === s.code ? deleteRow(s) : null,
      S.following && S.following.code === s.code ? followUpRow(s, keys[s.code] || S.token) : null]))));
  renderCohortDecks();
}

// -- follow-up of the action plans: the date, completion per trainee -----------------------------------
function share(x) {
  return x === null || x === undefined ? '–' : `${Math.round(x * 1000) / 10}%`;
}

async function loadFollowUp(code, key, method = 'GET', body) {
  try {
    const data = await apiJson(`/api/sessions/${encodeURIComponent(code)}/followup`, key, { method, body });
    if (S.following && S.following.code === code) S.following = { code, data, error: null };
  } catch (err) {
    if (S.following && S.following.code === code) S.following = { code, data: null, error: err };
    if (method !== 'GET') toast(errorText(err), 'error');
  }
  renderSessions();
}

function toggleFollowUp(code, key) {
  if (S.following && S.following.code === code) {
    S.following = null;
    renderSessions();
    return;
  }
  S.following = { code, data: null, error: null };
  renderSessions();
  loadFollowUp(code, key);
}

function dateValue(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A date field's value (YYYY-MM-DD) as the epoch ms of that day's local midnight (dateValue's inverse). */
function dateMs(value) {
  const [y, m, day] = value.split('-').map(Number);
  return new Date(y, m - 1, day).getTime();
}

function followUpRow(s, key) {
  const f = S.following;
  let body;
  if (f.error) body = h('p', { class: 'form-error' }, errorText(f.error));
  else if (!f.data) body = h('p', { class: 'muted' }, t('trainer.loading'));
  else {
    const d = f.data;
    const dateInput = h('input', {
      class: 'input input-small', type: 'date', value: dateValue(d.opens_at || d.chosen_at), testid: `followup-date-${s.code}`,
      'aria-label': t('trainer.followup_date'),
    });
    const setDate = () => {
      if (dateInput.value) loadFollowUp(s.code, key, 'PUT', { opens_at: dateMs(dateInput.value) });
    };
    const total = d.total || {};
    body = [
      h('p', { class: 'followup-when', testid: `followup-state-${s.code}` },
        d.open ? t('trainer.followup_open', { when: when(d.opens_at) })
          : d.opens_at ? t('trainer.followup_opens', { when: when(d.opens_at) })
            : d.chosen_at ? t('trainer.followup_after_end_chosen', { when: when(d.chosen_at) })
              : t('trainer.followup_after_end')),
      h('div', { class: 'row-actions' },
        h('label', { class: 'row-label' }, t('trainer.followup_date'), dateInput),
        h('button', { type: 'button', class: 'btn btn-small', onclick: setDate }, t('trainer.followup_set')),
        d.open ? null : h('button', {
          type: 'button', class: 'btn btn-small btn-primary', testid: `followup-open-${s.code}`,
          onclick: () => loadFollowUp(s.code, key, 'PUT', { open_now: true }),
        }, t('trainer.followup_open_now')),
        d.chosen ? h('button', {
          type: 'button', class: 'btn btn-small btn-ghost',
          onclick: () => loadFollowUp(s.code, key, 'PUT', { opens_at: null }),
        }, t('trainer.followup_default')) : null),
      h('p', { class: 'followup-total', testid: `followup-total-${s.code}` }, total.items
        ? t('trainer.followup_total', { items: total.items, done: total.done, doing: total.doing,
          dropped: total.dropped, unmarked: total.unmarked, completion: share(total.completion) })
        : t('trainer.followup_none')),
      (d.people || []).length ? h('table', { class: 'sessions followup-people', testid: `followup-people-${s.code}` },
        h('thead', {}, h('tr', {}, ['name', 'group', 'items', 'done', 'doing', 'dropped', 'unmarked', 'completion']
          .map((c) => h('th', { class: c === 'name' || c === 'group' ? null : 'num' }, t(`trainer.followup_col_${c}`))))),
        h('tbody', {}, d.people.map((p) => h('tr', { dataset: { player: p.player_id } },
          h('td', {}, p.name), h('td', {}, p.group), h('td', { class: 'num' }, p.items),
          h('td', { class: 'num' }, p.done), h('td', { class: 'num' }, p.doing), h('td', { class: 'num' }, p.dropped),
          h('td', { class: 'num' }, p.unmarked), h('td', { class: 'num' }, share(p.completion)))))) : null,
    ];
  }
  return h('tr', { class: 'followup-row', testid: `followup-row-${s.code}` },
    h('td', { colspan: 6 }, h('div', { class: 'followup-box' },
      h('h3', { class: 'followup-heading' }, t('trainer.followup_heading')), body)));
}

// -- cohorts: the classes that played one deck, compared -------------------------------------------------
function renderCohortDecks() {
  const select = $('#cohort-deck');
  if (!select) return;
  const counts = new Map();
  for (const s of S.sessions) counts.set(s.deck, (counts.get(s.deck) || 0) + 1);
  const decks = S.decks.filter((d) => (counts.get(d.id) || 0) >= 2);
  show($('#cohort-panel'), decks.length > 0);
  const chosen = S.cohort.deck && decks.some((d) => d.id === S.cohort.deck) ? S.cohort.deck : (decks[0] && decks[0].id);
  fill(select, decks.map((d) => h('option', { value: d.id, selected: d.id === chosen }, `${d.title} (${counts.get(d.id)})`)));
  S.cohort.deck = chosen || null;
}

function cohortPath(ext = '') {
  const params = new URLSearchParams({ deck: S.cohort.deck });
  if (S.cohort.groups) params.set('groups', S.cohort.groups);
  return `/api/cohorts${ext}?${params}`;
}

async function loadCohort() {
  if (!S.cohort.deck) return;
  S.cohort = { ...S.cohort, loading: true, error: null };
  renderCohort();
  try {
    S.cohort = { ...S.cohort, data: await api('GET', cohortPath()), loading: false };
  } catch (err) {
    S.cohort = { ...S.cohort, data: null, error: err, loading: false };
    handleError(err);
  }
  renderCohort();
}

/** A share (0..1) as a CSS bar with its text (``text`` instead of the percentage, e.g. a mean of 5). */
function bar(x, testid, text) {
  const fillEl = h('span', { class: 'cohort-bar-fill' });
  fillEl.style.width = `${Math.max(0, Math.min(100, Math.round((x || 0) * 1000) / 10))}%`;
  return h('span', { class: 'cohort-cell', testid },
    h('span', { class: 'cohort-bar', 'aria-hidden': 'true' }, fillEl),
    h('span', { class: 'cohort-share' }, text === undefined ? share(x) : text));
}

function classPicker(data) {
  // Pick sessions into classes: a number per session; the same number makes one class.
  const inputs = (data.sessions || []).map((s, i) => {
    const current = (data.classes || []).findIndex((c) => c.sessions.includes(s.code));
    const input = h('input', {
      class: 'input input-small cohort-class-input', type: 'number', min: 1, max: 99,
      value: current >= 0 ? current + 1 : i + 1, testid: `cohort-class-${s.code}`,
      'aria-label': t('trainer.cohort_class_of', { code: s.code }),
    });
    return { s, input };
  });
  const applyGroups = () => {
    const by = new Map();
    for (const { s, input } of inputs) {
      const n = Number(input.value);
      if (!Number.isInteger(n) || n < 1) continue;
      if (!by.has(n)) by.set(n, []);
      by.get(n).push(s.code);
    }
    S.cohort.groups = [...by.entries()].sort((a, b) => a[0] - b[0]).map(([, codes]) => codes.join(',')).join('|');
    loadCohort();
  };
  return h('details', { class: 'cohort-picker' },
    h('summary', {}, t('trainer.cohort_pick')),
    h('p', { class: 'muted' }, t('trainer.cohort_pick_help')),
    h('ul', { class: 'cohort-pick-list' }, inputs.map(({ s, input }) => h('li', {},
      h('label', {}, input, ' ', h('span', { class: 'mono' }, s.code), ' ', s.title, ' ',
        h('span', { class: 'muted' }, when(s.created_at)))))),
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', class: 'btn btn-small btn-primary', testid: 'cohort-apply', onclick: applyGroups },
        t('trainer.cohort_apply')),
      S.cohort.groups ? h('button', {
        type: 'button', class: 'btn btn-small btn-ghost',
        onclick: () => { S.cohort.groups = ''; loadCohort(); },
      }, t('trainer.cohort_reset')) : null));
}

async function downloadCohort(button) {
  button.disabled = true;
  try {
    const res = await fetch(cohortPath('.xlsx'), { headers: { Authorization: `Bearer ${S.token}` } });
    if (!res.ok) throw Object.assign(new Error(res.statusText), { status: res.status, code: `http_${res.status}` });
    const name = `caseroom-cohorts-${S.cohort.deck}.xlsx`;
    saveBlob(await res.blob(), name);
    toast(t('trainer.export_ok', { name }), 'ok', 2500);
  } catch (err) {
    handleError(err);
  } finally {
    button.disabled = false;
  }
}

function renderCohort() {
  const out = $('#cohort');
  const c = S.cohort;
  if (c.loading) { fill(out, h('p', { class: 'muted' }, t('trainer.loading'))); return; }
  if (!c.data) { fill(out); return; }
  const d = c.data;
  const classes = d.classes || [];
  const download = h('button', { type: 'button', class: 'btn btn-small', testid: 'cohort-xlsx' }, t('trainer.cohort_xlsx'));
  download.addEventListener('click', () => downloadCohort(download));
  if (classes.length < 2) {
    fill(out, h('p', { class: 'muted', testid: 'cohort-too-few' }, t('trainer.cohort_too_few')), classPicker(d));
    return;
  }
  const head = h('tr', {}, h('th', {}, t('trainer.cohort_card')),
    classes.map((k) => h('th', {}, h('div', {}, k.label), h('div', { class: 'muted' }, t('trainer.cohort_trainees', { n: k.trainees })))),
    h('th', {}, t('trainer.cohort_overall')));
  const rows = (d.cards || []).map((card) => h('tr', { testid: `cohort-card-${card.id}` },
    h('td', {}, card.title),
    card.by_class.map((cell, i) => h('td', {}, cell ? bar(cell.share, `cohort-${card.id}-${i}`) : '–')),
    h('td', {}, bar(card.overall.share))));
  const rubric = d.rubric || [];
  fill(out,
    h('div', { class: 'links' }, download),
    h('h3', { class: 'cohort-heading' }, t('trainer.cohort_cards')),
    h('table', { class: 'sessions cohort-table', testid: 'cohort-cards' }, h('thead', {}, head), h('tbody', {}, rows)),
    h('h3', { class: 'cohort-heading' }, t('trainer.cohort_weakest')),
    h('ol', { class: 'cohort-weakest', testid: 'cohort-weakest' }, (d.weakest || []).map((card) => h('li', {},
      card.title, ' ', h('b', {}, share(card.overall.share)),
      card.overall.mean_points !== null ? h('span', { class: 'muted' }, ` · ${t('trainer.cohort_points', { n: card.overall.mean_points })}`) : null))),
    rubric.length ? [
      h('h3', { class: 'cohort-heading' }, t('trainer.cohort_rubric')),
      h('table', { class: 'sessions cohort-table', testid: 'cohort-rubric' },
        h('thead', {}, h('tr', {}, h('th', {}, t('trainer.cohort_criterion')), classes.map((k) => h('th', {}, k.label)),
          h('th', {}, t('trainer.cohort_overall')))),
        h('tbody', {}, rubric.map((r) => h('tr', {},
          h('td', {}, `${r.title} · ${r.criterion_title}`),
          r.by_class.map((m) => h('td', {}, m === null ? '–' : bar(m / 5, null, String(m)))),
          h('td', {}, r.overall === null ? '–' : String(r.overall)))))),
    ] : null,
    h('h3', { class: 'cohort-heading' }, t('trainer.cohort_followup')),
    h('ul', { class: 'cohort-followup', testid: 'cohort-followup' }, classes.map((k) => h('li', {},
      h('b', {}, k.label), ' ', k.follow_up.items
        ? t('trainer.followup_total', { ...k.follow_up, completion: share(k.follow_up.completion) })
        : t('trainer.followup_none')))),
    classPicker(d));
}

$('#cohort-form').addEventListener('submit', (event) => {
  event.preventDefault();
  S.cohort = { ...S.cohort, deck: $('#cohort-deck').value, groups: '' };
  loadCohort();
});

async function loadSessions() {
  try {
    S.sessions = (await api('GET', '/api/sessions')).sessions || [];
    if (S.deleting && !S.sessions.some((s) => s.code === S.deleting)) S.deleting = null;
    renderSessions();
  } catch (err) {
    handleError(err);
  }
}

function handleError(err) {
  if (err.status === 401 || (err.status === 403 && err.code !== 'confirm_required')) {
    try { sessionStorage.removeItem(TOKEN_STORE); } catch { /* ignore */ }
    S.token = null;
    askToken(t('trainer.bad_token'));
  } else {
    toast(errorText(err), 'error');
  }
}

$('#refresh').addEventListener('click', loadSessions);

// -- courses: a class list, and the sessions that are its days ----------------------------------------
function renderCoursePick() {
  const select = $('#course');
  const previous = select.value;
  fill(select, h('option', { value: '' }, t('trainer.course_none')),
    S.courses.map((c) => h('option', { value: c.id }, t('trainer.course_option', { title: c.title, people: c.people }))));
  if (S.courses.some((c) => c.id === previous)) select.value = previous;
  show($('#course-day-field'), Boolean(select.value));
}

$('#course').addEventListener('change', () => {
  const course = S.courses.find((c) => c.id === $('#course').value);
  show($('#course-day-field'), Boolean(course));
  if (course) $('#course-day').value = String((course.sessions || []).reduce((n, s) => Math.max(n, s.day || 0), 0) + 1);
});

async function uploadRoster(course, file) {
  if (!file) return;
  try {
    const res = await fetch(`/api/courses/${encodeURIComponent(course.id)}/roster?filename=${encodeURIComponent(file.name)}`, {
      method: 'PUT', headers: { Authorization: `Bearer ${S.token}` }, body: file,
    });
    if (!res.ok) throw await httpError(res);
    const body = await res.json();
    delete S.problems[course.id];
    toast(t('trainer.roster_ok', { people: body.people }), 'ok');
  } catch (err) {
    S.problems[course.id] = err.problems || [];
    handleError(err);
  }
  loadCourses();
}

async function exportCourse(course, format, button) {
  button.disabled = true;
  try {
    const res = await fetch(`/api/courses/${encodeURIComponent(course.id)}/export?format=${format}`, {
      headers: { Authorization: `Bearer ${S.token}` },
    });
    if (!res.ok) throw await httpError(res);
    const name = dispositionName(res.headers.get('content-disposition')) || `caseroom-course-${course.id}.${format}`;
    saveBlob(await res.blob(), name);
  } catch (err) {
    handleError(err);
  } finally {
    button.disabled = false;
  }
}

/** The printed codes sheet: every person gets a fresh code (the 工号 check no longer works, and
 * any sheet printed before is void), so it takes a second press; the sheet is downloaded once. */
async function printCodes(course, button) {
  if (S.codesArmed !== course.id) {
    S.codesArmed = course.id;
    renderCourses();
    return;
  }
  S.codesArmed = null;
  button.disabled = true;
  try {
    const res = await fetch(`/api/courses/${encodeURIComponent(course.id)}/codes`, {
      method: 'POST', headers: { Authorization: `Bearer ${S.token}` },
    });
    if (!res.ok) throw await httpError(res);
    const name = dispositionName(res.headers.get('content-disposition')) || `caseroom-codes-${course.id}.csv`;
    saveBlob(await res.blob(), name);
    toast(t('trainer.codes_ok'), 'ok');
  } catch (err) {
    handleError(err);
  }
  renderCourses();
}

/** One follow-up date for every day (session) of a course, from the course's row. */
async function setCourseFollowUp(c, body) {
  try {
    const r = await api('PUT', `/api/courses/${encodeURIComponent(c.id)}/followup`, body);
    const n = (r.sessions || []).length;
    toast(r.chosen_at ? t('trainer.course_followup_ok', { n, when: when(r.chosen_at) })
      : t('trainer.course_followup_default_ok', { n }), 'ok', 3000);
    if (S.following) loadFollowUp(S.following.code, S.token);
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

function courseFollowUp(c) {
  if (!(c.sessions || []).length) return null;
  const input = h('input', {
    class: 'input input-small', type: 'date', testid: `course-followup-date-${c.id}`,
    'aria-label': t('trainer.course_followup_date'),
  });
  const set = () => {
    if (input.value) setCourseFollowUp(c, { opens_at: dateMs(input.value) });
    else input.focus();
  };
  return h('div', { class: 'row-actions' },
    h('label', { class: 'row-label' }, t('trainer.course_followup_date'), input),
    h('button', { type: 'button', class: 'btn btn-small', testid: `course-followup-set-${c.id}`, onclick: set },
      t('trainer.course_followup_set')),
    h('button', {
      type: 'button', class: 'btn btn-small btn-ghost', testid: `course-followup-default-${c.id}`,
      onclick: () => setCourseFollowUp(c, { opens_at: null }),
    }, t('trainer.followup_default')));
}

function courseRow(c) {
  const input = h('input', {
    type: 'file', accept: '.csv,.xlsx,text/csv', class: 'input input-small', testid: `roster-file-${c.id}`,
    'aria-label': t('trainer.roster_load'),
  });
  input.addEventListener('change', () => uploadRoster(c, input.files && input.files[0]));
  const problems = S.problems[c.id] || [];
  const days = (c.sessions || []).map((s) => t('trainer.course_session', { day: s.day || '?', code: s.code }));
  return h('div', { class: 'course-row', testid: `course-row-${c.id}` },
    h('div', { class: 'course-head' },
      h('strong', {}, c.title),
      h('span', { class: 'muted' }, t('trainer.course_people', { people: c.people, groups: (c.groups || []).length })),
      days.length ? h('span', { class: 'muted' }, days.join(' · ')) : null),
    h('div', { class: 'course-actions' },
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('trainer.roster_load')), input),
      ['json', 'xlsx'].map((f) => h('button', {
        type: 'button', class: 'btn btn-ghost btn-small', testid: `course-export-${f}-${c.id}`,
        onclick: (event) => exportCourse(c, f, event.currentTarget),
      }, t('trainer.course_export', { format: f === 'json' ? 'JSON' : 'Excel' }))),
      c.people ? h('button', {
        type: 'button', class: ['btn', 'btn-small', S.codesArmed === c.id ? 'btn-danger-solid' : 'btn-ghost'],
        testid: `course-codes-${c.id}`, title: t('trainer.codes_help'),
        onclick: (event) => printCodes(c, event.currentTarget),
      }, S.codesArmed === c.id ? t('trainer.codes_again') : t('trainer.codes')) : null),
    courseFollowUp(c),
    problems.length ? h('ul', { class: 'form-error roster-problems', testid: `roster-problems-${c.id}` },
      problems.slice(0, 50).map((p) => h('li', {}, t('trainer.roster_problem', {
        row: p.row || '—', column: p.column || '', message: p.message,
      })))) : null);
}

function renderCourses() {
  fill($('#courses'), S.courses.length ? S.courses.map(courseRow) : h('p', { class: 'muted' }, t('trainer.courses_none')));
  renderCoursePick();
}

async function loadCourses() {
  try {
    S.courses = (await api('GET', '/api/courses')).courses || [];
    renderCourses();
  } catch (err) {
    handleError(err);
  }
}

$('#course-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const title = $('#course-title').value.trim();
  if (!title) { $('#course-title').focus(); return; }
  try {
    const course = await api('POST', '/api/courses', { title });
    $('#course-title').value = '';
    await loadCourses();
    $('#course').value = course.id;
    show($('#course-day-field'), true);
  } catch (err) {
    handleError(err);
  }
});

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
  loadCourses();
}

function init() {
  apply();
  bindToggle($('#lang'));
  onLangChange(() => {
    if (S.token) {
      renderDeckInfo();
      renderCreated();
      renderSessions();
      renderCohort();
      renderCourses();
    }
  });
  S.token = secretFromFragment('token', TOKEN_STORE);
  if (S.token) start();
  else askToken('');
}

init();
