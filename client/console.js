// The trainer's console: agenda, controls and clock, the current activity (its answer key, moderation
// or role-play scoring drawn by its kind's module in client/kinds/), session settings, groups, players
// and awards.

import { h, fill, setText, $, $$, show } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange } from './lib/i18n.js';
import { Link } from './lib/socket.js';
import {
  toast, errorText, showLinkStatus, renderCard, renderLegal, startCountdowns, countdown, signed,
  secretFromFragment, downloadExport, details, reviewUrl, apiJson,
} from './lib/ui.js';
import { CONSENSUS, timer, timerSteps, stepLabel, modeLabel, keepFocus } from './lib/kinds.js';
import { kindOf, loadKinds } from './kinds/index.js';
import { keepScheduleCurrent, minutes, scheduleLine } from './lib/schedule.js';

const match = location.pathname.match(/^\/console\/(\d{1,16})\/?$/);
const CODE = match ? match[1] : null;
const KEY_STORE = `caseroom.key.${CODE}`;

const S = {
  link: null,
  key: null,
  view: null,
  joins: null, // the state frame's joins_refused: joins this server refused lately (not session state)
  targetsSig: null,
  sigs: new Map(), // element -> signature of what it shows, to re-render only on change
  startGroup: {}, // activity id -> group chosen for a role-play start ('' = every group)
  rev: 0, // bumps on local UI changes (a picked mark), forcing the current panel to re-render
  removing: null, // the empty group whose removal waits for a second click
  move: null, // a move waiting for confirmation: {player, group, preview} (preview from the server)
  ending: null, // the timer while "end" waits for its second press
  banning: null, // the address whose ban waits for a second press (phones already joined from it)
};

function now() {
  return S.link ? S.link.now() : Date.now();
}

function say(text) {
  setText($('#message'), text);
  show($('#message'), Boolean(text));
}

function lang() {
  return document.documentElement.lang;
}

/** Re-render `el` with `fn` only when `sig` changed; keeps focus on the same control. */
function once(el, sig, fn) {
  if (S.sigs.get(el) === sig) return;
  S.sigs.set(el, sig);
  keepFocus(el, fn);
}

// -- commands -------------------------------------------------------------------------------------
function command(name, args, okText) {
  if (!S.link) return Promise.resolve(false);
  return S.link.send({ type: 'command', name, args: args || {} }).then(() => {
    if (okText) toast(okText, 'ok', 2500);
    return true;
  }, (err) => {
    toast(errorText(err), 'error');
    return false;
  });
}

$('#btn-next').addEventListener('click', () => command('next'));
$('#btn-close').addEventListener('click', () => command('close'));
$('#btn-reveal').addEventListener('click', () => command('reveal'));
// -- the reveal moment's switches: live results and closing when everyone has answered, per card;
// presenter-safe (this device only): answer keys and private briefs hidden on a mirrored laptop.
const SAFE_KEY = 'caseroom.presenter_safe';
function presenterSafe() {
  try { return localStorage.getItem(SAFE_KEY) === '1'; } catch { return false; }
}
function applySafe() {
  const on = presenterSafe();
  document.body.classList.toggle('is-presenter-safe', on);
  $('#tg-safe').checked = on;
  show($('#safe-note'), on);
}
$('#tg-safe').addEventListener('change', (event) => {
  try { localStorage.setItem(SAFE_KEY, event.target.checked ? '1' : '0'); } catch { /* not remembered */ }
  applySafe();
});
$('#tg-results').addEventListener('change', (event) => {
  const a = S.view && S.view.activity;
  const args = { show: event.target.checked ? 'live' : 'hidden' };
  if (a) args.activity = a.id;
  command('results', args, event.target.checked ? t('console.results_live') : t('console.results_hidden'));
});
$('#tg-autoclose').addEventListener('change', (event) => {
  const a = S.view && S.view.activity;
  const args = { on: event.target.checked };
  if (a) args.activity = a.id;
  command('auto_close', args);
});
applySafe();

function updateToggles(v) {
  const a = v.activity;
  $('#tg-results').checked = (a ? a.results : v.session.results) === 'live';
  $('#tg-autoclose').checked = a ? Boolean(a.auto_close) : v.session.auto_close !== false;
  $('#tg-autoclose').disabled = Boolean(a) && a.status !== 'open';
}

$('#btn-lock').addEventListener('click', () => {
  const locked = S.view && S.view.session.locked;
  command(locked ? 'unlock' : 'lock', {}, locked ? t('console.unlocked_ok') : t('console.locked_ok'));
});
// Ending the class takes a second press within END_ARMED_MS (no dialog: the console may be mirrored
// to the projector, and a dialog there would show the whole room a browser box).
const END_ARMED_MS = 5000;
function disarmEnd() {
  clearTimeout(S.ending);
  S.ending = null;
  const btn = $('#btn-end');
  btn.classList.remove('is-armed');
  setText(btn, t('console.end'));
  btn.removeAttribute('title');
}
$('#btn-end').addEventListener('click', () => {
  if (S.ending) {
    disarmEnd();
    command('end', {}, t('console.ended_ok'));
    return;
  }
  const btn = $('#btn-end');
  btn.classList.add('is-armed');
  setText(btn, t('console.end_again'));
  btn.title = t('console.end_confirm');
  S.ending = setTimeout(disarmEnd, END_ARMED_MS);
});
$('#btn-advance').addEventListener('click', () => command('advance'));
$('#btn-pause').addEventListener('click', () => command('pause'));
$('#btn-resume').addEventListener('click', () => command('resume'));
for (const btn of $$('[data-extend]')) {
  btn.addEventListener('click', () => command('extend', { seconds: Number(btn.dataset.extend) }));
}
$('#btn-leaderboard').addEventListener('click', () => {
  const shown = !S.view || S.view.session.show_leaderboard !== false;
  command('leaderboard', { show: !shown }, shown ? t('console.leaderboard_hidden_ok') : t('console.leaderboard_shown_ok'));
});
for (const btn of $$('[data-auto]')) {
  btn.addEventListener('click', () => {
    const seconds = btn.dataset.auto ? Number(btn.dataset.auto) : null;
    command('auto_advance', { seconds });
  });
}
$('#break-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const minutes = Number.parseInt($('#break-minutes').value, 10);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 120) {
    toast(t('console.break_need_minutes'), 'error');
    $('#break-minutes').focus();
    return;
  }
  const message = $('#break-message').value.trim();
  command('break', message ? { minutes, message } : { minutes }, t('console.break_ok'));
});
$('#btn-break-end').addEventListener('click', () => command('break_end', {}, t('console.break_end_ok')));

$('#group-add-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = $('#group-add-name').value.trim();
  if (!name) { toast(t('console.group_need_name'), 'error'); $('#group-add-name').focus(); return; }
  if (await command('group_add', { name }, t('console.group_added_ok'))) $('#group-add-name').value = '';
});
$('#group-rename-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const group = $('#group-rename-select').value;
  const name = $('#group-rename-name').value.trim();
  if (!group) { toast(t('console.group_need_pick'), 'error'); return; }
  if (!name) { toast(t('console.group_need_name'), 'error'); $('#group-rename-name').focus(); return; }
  if (await command('group_rename', { group, name }, t('console.group_renamed_ok'))) $('#group-rename-name').value = '';
});

for (const btn of $$('[data-export]')) {
  btn.addEventListener('click', async () => {
    if (!S.key) return;
    btn.disabled = true;
    try {
      const name = await downloadExport(CODE, S.key, btn.dataset.export);
      toast(t('console.export_ok', { name }), 'ok', 2500);
    } catch (err) {
      toast(errorText(err), 'error');
    } finally {
      btn.disabled = false;
    }
  });
}

$('#award-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const target = $('#award-target').value;
  const points = Number.parseInt($('#award-points').value, 10);
  const reason = $('#award-reason').value.trim();
  if (!target) { toast(t('console.award_need_target'), 'error'); return; }
  if (!Number.isInteger(points) || points === 0) { toast(t('console.award_need_points'), 'error'); return; }
  if (!reason) { toast(t('console.award_need_reason'), 'error'); $('#award-reason').focus(); return; }
  const ok = await command('award', { target, points, reason }, t('console.award_ok'));
  if (ok) $('#award-reason').value = '';
});

// -- rendering --------------------------------------------------------------------------------------
function nameOf(v, id) {
  const g = (v.groups || []).find((x) => x.id === id);
  if (g) return g.name;
  const p = (v.players || []).find((x) => x.id === id);
  return p ? p.name : id;
}

function render() {
  const v = S.view;
  if (!v) return;
  show($('#main'), true);
  const ended = v.session.phase === 'ended';
  setText($('#title'), v.session.title);
  setText($('#code'), v.session.code);
  setText($('#counts'), t('console.counts', { joined: v.counts.joined, connected: v.counts.connected }));
  say(ended ? t('console.ended_banner') : '');

  const a = v.activity;
  const agenda = v.agenda || [];
  $('#btn-next').disabled = ended || agenda.every((x) => x.status);
  $('#btn-close').disabled = ended || !a || a.status !== 'open';
  $('#btn-reveal').disabled = ended || !a || a.status === 'revealed';
  const answerless = Boolean(a && (kindOf(a.kind) || {}).takesAnswers === false); // a slide: nothing to close or reveal
  show($('#btn-close'), !answerless);
  show($('#btn-reveal'), !answerless);
  updateToggles(v);
  $('#btn-lock').textContent = v.session.locked ? t('console.unlock') : t('console.lock');
  $('#btn-lock').classList.toggle('is-on', Boolean(v.session.locked));
  $('#btn-lock').disabled = ended;
  $('#btn-end').disabled = ended;

  renderJoins(ended);
  renderTimerbar(v, a, ended);
  fill($('#schedule'), ended ? null : scheduleLine(v, now));
  renderSession(v, ended);
  once($('#current'), JSON.stringify([a, lang(), S.rev, (v.players || []).map((p) => [p.id, p.name]),
    (v.groups || []).map((g) => [g.id, g.name]), v.counts.joined]), () => fill($('#current'), renderCurrent(v, a)));
  once($('#agenda'), JSON.stringify([agenda, ended, lang(), (v.groups || []).map((g) => [g.id, g.name]),
    v.activity ? v.activity.id : null]), () => fill($('#agenda'), renderAgenda(v, ended)));
  renderTargets(v);
  renderAwards(v);
  renderGroups(v);
  renderPlayers(v);
}

// -- refused joins (a session-level notice in the page frame) ------------------------------------------
const JOIN_REASONS = ['rate', 'lock', 'full', 'ban'];

function renderJoins(ended) {
  const j = ended ? null : S.joins;
  show($('#joins'), Boolean(j));
  once($('#joins'), JSON.stringify([j, lang(), S.banning]), () => fill($('#joins'), j ? joinsNotice(j) : null));
}

/** "Ban" for one address; when trainees already joined from it (maybe the whole room behind one
 * network), a second press on the warning confirms (no dialog: the console may be mirrored). */
function banButton(a) {
  const ban = () => {
    S.banning = null;
    command('ban_address', { address: a.address }, t('console.joins_ban_ok'));
  };
  if (a.joined && S.banning === a.address) {
    return h('span', { class: 'joins-ban-confirm' },
      h('span', { class: 'joins-ban-warning', testid: 'joins-ban-warning' },
        t('console.joins_ban_confirm', { joined: a.joined })), ' ',
      h('button', { type: 'button', class: 'btn btn-small btn-danger-solid', testid: 'joins-ban-confirm', onclick: ban },
        t('console.joins_ban')), ' ',
      h('button', {
        type: 'button', class: 'btn btn-small', testid: 'joins-ban-cancel',
        onclick: () => { S.banning = null; render(); },
      }, t('console.cancel')));
  }
  return h('button', {
    type: 'button', class: 'btn btn-small btn-danger', testid: 'joins-ban',
    onclick: () => {
      if (!a.joined) return ban();
      S.banning = a.address;
      return render();
    },
  }, t('console.joins_ban'));
}

function joinsNotice(j) {
  const reasons = JOIN_REASONS.filter((r) => j.by_reason[r] > 0)
    .map((r) => t(`console.joins_reason_${r}`, { n: j.by_reason[r] }));
  const raise = j.limit.raised
    ? h('span', { class: 'chip', testid: 'joins-raised' },
      t('console.joins_raised', { burst: j.limit.burst, rate: j.limit.per_second }))
    : h('button', {
      type: 'button', class: 'btn btn-small btn-primary', testid: 'joins-raise',
      title: t('console.joins_raise_help', { burst: j.limit.burst, rate: j.limit.per_second }),
      onclick: () => command('raise_join_limit', {}, t('console.joins_raise_ok')),
    }, t('console.joins_raise'));
  const rows = j.addresses.map((a) => h('li', { class: 'joins-address', testid: 'joins-address' },
    h('code', {}, a.address), ' ',
    t('console.joins_address', { refused: a.refused, joined: a.joined }), ' ',
    a.banned
      ? h('span', { class: 'chip', testid: 'joins-banned' }, t('console.joins_banned'))
      : banButton(a)));
  return [
    h('div', { class: 'joins-head' },
      h('b', { testid: 'joins-total' }, t('console.joins_refused', { n: j.total, s: j.window_s })), ' ',
      h('span', { testid: 'joins-reasons' }, reasons.join(' · ')), ' ', j.by_reason.rate ? raise : null),
    j.by_reason.rate && !j.limit.raised ? h('p', { class: 'muted joins-help' }, t('console.joins_rate_help',
      { burst: j.limit.burst, rate: j.limit.per_second })) : null,
    h('ul', { class: 'joins-addresses' }, rows),
  ];
}

// -- the clock ------------------------------------------------------------------------------------
function advanceLabel(a) {
  const steps = timerSteps(a);
  const i = steps.indexOf(a.step);
  if (i >= 0 && i + 1 < steps.length) return t('console.advance_to', { step: stepLabel(steps[i + 1]) });
  if ((a.round || 0) + 1 < (a.rounds || 1)) return t('console.advance_round', { n: (a.round || 0) + 2 });
  return t('console.advance_end');
}

function renderTimerbar(v, a, ended) {
  const open = Boolean(a) && a.status === 'open' && !ended;
  const steps = a ? timerSteps(a) : [];
  let step = '';
  if (open && steps.length > 1) {
    step = t('console.step_of', { step: stepLabel(a.step), n: steps.indexOf(a.step) + 1, of: steps.length });
    if ((a.rounds || 1) > 1) step += ` · ${t('rp.round', { n: (a.round || 0) + 1, of: a.rounds })}`;
  } else if (a) {
    step = t(`status.${a.status}`);
  } else {
    step = t('console.no_clock');
  }
  setText($('#timer-step'), step);
  const clockEl = open ? timer(a, now, { testid: 'console-timer-value' }) : null;
  const sig = JSON.stringify([open, a && a.deadline, a && a.paused, a && a.time_left, lang()]);
  once($('#timer-clock'), sig, () => fill($('#timer-clock'),
    clockEl || h('span', { class: 'muted' }, open ? t('console.no_deadline') : '–')));
  $('#btn-advance').disabled = !open;
  $('#btn-advance').textContent = open ? advanceLabel(a) : t('console.advance');
  $('#btn-pause').disabled = !open || Boolean(a.paused) || !a.deadline;
  $('#btn-resume').disabled = !open || !a.paused;
  for (const btn of $$('[data-extend]')) {
    btn.disabled = !open || (Number(btn.dataset.extend) < 0 && !a.deadline && !a.paused);
  }
}

// -- session settings -------------------------------------------------------------------------------
function renderSession(v, ended) {
  const shown = v.session.show_leaderboard !== false;
  setText($('#leaderboard-state'), shown ? t('console.leaderboard_on') : t('console.leaderboard_off'));
  $('#leaderboard-state').classList.toggle('is-off', !shown);
  setText($('#btn-leaderboard'), shown ? t('console.leaderboard_hide') : t('console.leaderboard_show'));
  $('#btn-leaderboard').disabled = ended;
  const auto = v.session.auto_advance;
  for (const btn of $$('[data-auto]')) {
    const value = btn.dataset.auto ? Number(btn.dataset.auto) : null;
    btn.classList.toggle('is-on', value === auto);
    btn.setAttribute('aria-pressed', value === auto ? 'true' : 'false');
    btn.disabled = ended;
  }
  const brk = v.session.break;
  show($('#btn-break-end'), Boolean(brk));
  $('#btn-break').disabled = ended;
  once($('#break-status'), JSON.stringify([brk, lang()]), () => fill($('#break-status'), brk
    ? [h('span', { class: 'chip chip-break' }, t('console.break_on')), ' ',
      countdown(brk.until, now, { testid: 'break-left' }),
      brk.message ? h('span', { class: 'muted' }, ` · ${brk.message}`) : null]
    : null));
}

// -- the current activity ---------------------------------------------------------------------------
/** The console part of a kind's module (client/kinds/), or null. */
function consoleOf(kindName) {
  const kind = kindOf(kindName);
  return kind && kind.console ? kind.console : null;
}

function submittedLine(v, a) {
  const n = a.submitted || 0;
  const kind = consoleOf(a.kind);
  if (kind && kind.answered) return kind.answered(CTX, v, a, n);
  if (a.mode === CONSENSUS && (v.groups || []).length) return t('console.groups_confirmed', { n, of: v.groups.length });
  return t('console.submitted', { n, joined: v.counts.joined });
}

function consensusChips(a) {
  if (!Array.isArray(a.groups) || !a.groups.length) return null;
  return h('div', { class: 'consensus', testid: 'console-consensus' }, a.groups.map((g) => {
    const state = g.confirmed ? 'confirmed' : g.proposed ? 'proposed' : 'none';
    return h('span', { class: ['cg', `is-${state}`], testid: `console-consensus-${g.group}`, dataset: { state } },
      g.name, ' · ', t(`consensus.state_${state}`));
  }));
}

function renderCurrent(v, a) {
  if (!a) return h('p', { class: 'muted', testid: 'current-none' }, t('console.no_activity'));
  const module = ((v.session.modules || []).find((m) => m.id === a.module) || {}).title;
  const mode = modeLabel(a.mode);
  const key = a.answer_key || null;
  const kind = consoleOf(a.kind);
  const body = kind && kind.panel ? () => kind.panel(CTX, v, a) : null;
  return h('div', { class: ['current', `current-${a.status}`], testid: 'current', dataset: { status: a.status, kind: a.kind } },
    h('div', { class: 'current-head' },
      h('span', { class: ['chip', `chip-${a.status}`], testid: 'current-status' }, t(`status.${a.status}`)),
      h('span', { class: 'chip chip-kind' }, t(`kind.${a.kind}`)),
      mode ? h('span', { class: 'chip chip-mode', testid: 'current-mode' }, mode) : null,
      module ? h('span', { class: 'muted' }, module) : null,
      timer(a, now, { testid: 'current-countdown' })),
    h('h3', { class: 'current-title', testid: 'current-title' }, a.title),
    h('div', { class: 'current-count', testid: 'current-submitted' }, submittedLine(v, a)),
    consensusChips(a),
    h('div', { class: 'safe-hide', testid: 'current-private' },
      body ? body() : h('p', { class: 'muted' }, t('console.kind_unsupported')),
      key && key.rationale && !(kind && kind.ownRationale) ? details(`rationale:${a.id}`, t('reveal.rationale'),
        h('p', { class: 'key-rationale' }, key.rationale),
        renderLegal(key.legal_basis)) : null),
    h('p', { class: 'safe-only muted', testid: 'current-private-hidden' }, t('console.hidden_safe')),
    a.card ? details(`card:${a.id}`, t('console.show_card'), renderCard(a.card)) : null);
}

// -- what the frame lends each kind's console renderer (client/kinds/index.js) ------------------
const CTX = {
  now, kindOf, command, nameOf,
  rerender: () => { S.rev += 1; render(); },
};

// -- agenda -----------------------------------------------------------------------------------------
function renderAgenda(v, ended) {
  const modules = new Map((v.session.modules || []).map((m) => [m.id, m.title]));
  const current = v.activity ? v.activity.id : null;
  const groups = v.groups || [];
  const blocks = [];
  let lastModule;
  let list = null;
  (v.agenda || []).forEach((item, i) => {
    if (item.module !== lastModule || !list) {
      lastModule = item.module;
      list = h('ol', { class: 'agenda-list' });
      blocks.push(h('div', { class: 'agenda-module' },
        h('div', { class: 'agenda-module-title' }, modules.get(item.module) || t('console.no_module')), list));
    }
    const status = item.status || 'pending';
    const playable = !item.status && !ended;
    let groupPick = null;
    const pickGroup = Boolean(consoleOf(item.kind) && consoleOf(item.kind).pickGroup);
    if (pickGroup && groups.length) {
      const select = h('select', {
        class: 'input input-small', testid: `group-for-${item.id}`, disabled: !playable,
        'aria-label': t('console.rp_group'),
        onchange: () => { S.startGroup[item.id] = select.value; },
      },
      h('option', { value: '' }, t('console.rp_all_groups')),
      groups.map((g) => h('option', { value: g.id }, g.name)));
      select.value = S.startGroup[item.id] || '';
      groupPick = select;
    }
    list.appendChild(h('li', {
      class: ['agenda-item', `agenda-${status}`, item.id === current && 'is-current'],
      testid: `agenda-${item.id}`, dataset: { status },
    },
    h('span', { class: 'agenda-n' }, i + 1),
    h('span', { class: 'agenda-title' }, item.title,
      h('span', { class: 'agenda-kind' }, t(`kind.${item.kind}`)),
      modeLabel(item.mode) ? h('span', { class: 'agenda-kind' }, modeLabel(item.mode)) : null,
      item.planned ? h('span', { class: 'agenda-planned', testid: `planned-${item.id}` }, minutes(item.planned)) : null),
    h('span', { class: ['chip', `chip-${status}`] }, t(`status.${status}`)),
    groupPick,
    h('button', {
      type: 'button', class: 'btn btn-small', testid: `start-${item.id}`,
      disabled: !playable,
      onclick: () => {
        const group = pickGroup ? S.startGroup[item.id] : '';
        command('start', group ? { activity: item.id, group } : { activity: item.id });
      },
    }, t('console.start'))));
  });
  return blocks.length ? blocks : h('p', { class: 'muted' }, t('console.agenda_empty'));
}

// -- people -----------------------------------------------------------------------------------------
function renderTargets(v) {
  const groups = v.groups || [];
  const players = v.players || [];
  const sig = JSON.stringify([groups.map((g) => [g.id, g.name]), players.map((p) => [p.id, p.name]), lang()]);
  if (sig === S.targetsSig) return;
  S.targetsSig = sig;
  const select = $('#award-target');
  const previous = select.value;
  fill(select,
    h('option', { value: '' }, t('console.award_pick')),
    groups.length ? h('optgroup', { label: t('console.groups') },
      groups.map((g) => h('option', { value: g.id }, g.name))) : null,
    players.length ? h('optgroup', { label: t('console.players') },
      players.map((p) => h('option', { value: p.id }, p.name))) : null);
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
  const rename = $('#group-rename-select');
  const was = rename.value;
  fill(rename, h('option', { value: '' }, t('console.group_pick')), groups.map((g) => h('option', { value: g.id }, g.name)));
  if ([...rename.options].some((o) => o.value === was)) rename.value = was;
}

function renderAwards(v) {
  const awards = [...(v.awards || [])].reverse().slice(0, 8);
  once($('#awards'), JSON.stringify([awards, lang(), (v.players || []).map((p) => p.name)]), () => fill($('#awards'),
    awards.length ? h('ul', { class: 'awards', testid: 'awards' }, awards.map((aw) => h('li', { class: 'award' },
      h('span', { class: ['award-points', aw.points < 0 && 'is-negative'] }, signed(aw.points)),
      h('span', { class: 'award-target' }, nameOf(v, aw.target)),
      h('span', { class: 'award-reason' }, aw.reason)))) : null));
}

// -- groups: scores, removing an empty group, where newcomers go, moving a trainee ------------------
function renderGroups(v) {
  const groups = v.groups || [];
  const target = v.session.join_group || '';
  if (S.removing && !groups.some((g) => g.id === S.removing && !g.size)) S.removing = null;
  once($('#groups'), JSON.stringify([groups, target, S.removing, lang()]), () => fill($('#groups'),
    groups.length ? h('div', { class: 'group-scores', testid: 'group-scores' }, groups.map((g) => h('div', {
      class: 'group-score', testid: `group-${g.id}`, dataset: { score: g.score, size: g.size },
    },
    h('span', { class: 'group-score-name' }, g.name),
    h('span', { class: 'muted' }, t('console.group_size', { n: g.size })),
    h('b', {}, g.score),
    g.size ? null : removeButtons(g)))) : h('p', { class: 'muted' }, t('console.no_groups')),
    groups.length ? joinGroupSelect(groups, target) : null));
}

/** "Remove" on an empty group; a second click confirms (no dialog: the console may be mirrored). */
function removeButtons(g) {
  if (S.removing !== g.id) {
    return h('button', {
      type: 'button', class: 'btn btn-small group-remove', testid: `group-remove-${g.id}`,
      'aria-label': `${t('console.group_remove')} ${g.name}`,
      onclick: () => { S.removing = g.id; render(); },
    }, t('console.group_remove'));
  }
  return h('span', { class: 'group-remove-confirm' },
    h('button', {
      type: 'button', class: 'btn btn-small btn-danger', testid: `group-remove-confirm-${g.id}`,
      onclick: async () => {
        S.removing = null;
        await command('group_remove', { group: g.id }, t('console.group_removed_ok'));
        render();
      },
    }, t('console.group_remove_confirm', { name: g.name })),
    h('button', {
      type: 'button', class: 'btn btn-small', testid: `group-remove-cancel-${g.id}`,
      onclick: () => { S.removing = null; render(); },
    }, t('console.cancel')));
}

function joinGroupSelect(groups, target) {
  const select = h('select', {
    class: 'input input-small', id: 'join-group', testid: 'join-group',
    onchange: () => command('join_group', { group: select.value || null }, t('console.join_group_ok')),
  },
  h('option', { value: '' }, t('console.join_group_auto')),
  groups.map((g) => h('option', { value: g.id }, g.name)));
  select.value = target;
  return h('label', { class: 'join-group', for: 'join-group' }, h('span', {}, t('console.join_group')), select);
}

function renderPlayers(v) {
  const players = v.players || [];
  const groups = v.groups || [];
  const online = players.filter((p) => p.online).length;
  if (S.move && !players.some((p) => p.id === S.move.player)) S.move = null;
  if (S.move && S.move.preview && !S.move.loading && standing(v, S.move.player) !== S.move.standing) {
    fetchMove(S.move); // scores moved while the console waits for 确认移动: the figures follow
  }
  setText($('#players-count'), t('console.players_count', { n: players.length, online }));
  once($('#players'), JSON.stringify([players, groups.map((g) => [g.id, g.name]), S.move, lang()]), () => fill($('#players'),
    S.move ? movePreview(v, S.move) : null,
    players.length ? h('table', { class: 'players', testid: 'players' },
      h('thead', {}, h('tr', {},
        h('th', {}, t('console.col_name')), h('th', {}, t('console.col_group')),
        v.course ? h('th', {}, t('console.col_joined')) : null,
        v.course ? h('th', { class: 'num' }, t('console.col_present')) : null,
        h('th', { class: 'num' }, t('console.col_score')))),
      h('tbody', {}, players.map((p) => h('tr', { class: p.online ? 'is-online' : 'is-offline', testid: 'player-row' },
        h('td', {},
          h('span', { class: 'dot', title: p.online ? t('console.online') : t('console.offline') }),
          h('span', { class: 'player-name' }, p.name),
          p.seat_moves ? h('span', { class: 'chip', testid: 'seat-moved', title: t('console.seat_moved_hint') },
            t('console.seat_moved', { n: p.seat_moves })) : null),
        h('td', {}, groups.length ? moveSelect(p, groups) : ''),
        v.course ? h('td', { testid: 'player-joined' }, clockTime(p.joined_at)) : null,
        v.course ? h('td', { class: 'num', testid: 'player-present' }, t('console.minutes', { n: presentMinutes(p) })) : null,
        h('td', { class: 'num' }, p.score))))) : h('p', { class: 'muted' }, t('console.no_players'))));
}

/** Attendance of a course session: the time of day a trainee joined, the minutes they were connected. */
function clockTime(ms) {
  return ms ? new Date(ms).toLocaleTimeString(lang() === 'en' ? 'en-GB' : 'zh-CN', { hour: '2-digit', minute: '2-digit' }) : '';
}

function presentMinutes(p) {
  const ms = (p.spans || []).reduce((sum, [from, to]) => sum + Math.max(0, (to || Date.now()) - from), 0);
  return Math.round(ms / 60000);
}

/** Picking a group asks the server what the move would do to both groups' scores (the same rule
 * that computes them, sessions/regroup.py); the move happens only on 确认移动. */
function moveSelect(p, groups) {
  const pending = S.move && S.move.player === p.id ? S.move.group : null;
  const select = h('select', {
    class: 'input input-small', testid: `move-${p.id}`, 'aria-label': t('console.move', { name: p.name }),
    onchange: () => {
      const group = select.value;
      if (!group || group === p.group) { S.move = null; render(); return; }
      askMove(p.id, group);
    },
  },
  p.group ? null : h('option', { value: '' }, '–'),
  groups.map((g) => h('option', { value: g.id }, g.name)));
  select.value = pending || p.group || '';
  return select;
}

/** What a move's figures depend on: each group's size and score, the mover's group and score. */
function standing(v, player) {
  const p = (v.players || []).find((x) => x.id === player);
  return JSON.stringify([(v.groups || []).map((g) => [g.id, g.size, g.score]), p ? [p.group, p.score] : null]);
}

function askMove(player, group) {
  const move = { player, group, preview: null, loading: false, standing: null };
  S.move = move;
  render();
  fetchMove(move);
}

async function fetchMove(move) {
  move.loading = true;
  const asked = S.view ? standing(S.view, move.player) : null;
  try {
    const q = `player=${encodeURIComponent(move.player)}&group=${encodeURIComponent(move.group)}`;
    const preview = await apiJson(`/api/sessions/${encodeURIComponent(CODE)}/regroup?${q}`, S.key);
    move.preview = preview;
    move.standing = asked;
  } catch (err) {
    if (S.move === move) S.move = null;
    toast(errorText(err), 'error');
  }
  move.loading = false;
  if (S.move === move) render();
}

function movePreview(v, move) {
  const name = nameOf(v, move.player);
  const rows = move.preview ? move.preview.groups : [];
  const line = (g) => h('span', { class: 'move-preview-group', testid: `move-preview-${g.id}`,
    dataset: { before: g.before, after: g.after } }, t('console.move_preview_group', { name: g.name, a: g.before, b: g.after }));
  return h('div', { class: 'move-preview', testid: 'move-preview', role: 'status' },
    h('div', { class: 'move-preview-title' }, t('console.move_preview_title', { name, group: nameOf(v, move.group) })),
    move.preview ? h('div', { class: 'move-preview-scores' }, rows.map(line)) : h('div', { class: 'muted' }, t('console.loading')),
    h('div', { class: 'move-preview-actions' },
      h('button', {
        type: 'button', class: 'btn btn-primary', testid: 'move-confirm', disabled: !move.preview,
        onclick: async () => {
          S.move = null;
          await command('move', { player: move.player, group: move.group }, t('console.moved_ok', { name }));
          render();
        },
      }, t('console.move_confirm')),
      h('button', {
        type: 'button', class: 'btn', testid: 'move-cancel', onclick: () => { S.move = null; render(); },
      }, t('console.cancel'))));
}

// -- start ------------------------------------------------------------------------------------------
function init() {
  apply();
  bindToggle($('#lang'));
  onLangChange(() => {
    S.targetsSig = null;
    S.sigs.clear();
    render();
    if (S.link) showLinkStatus($('#conn'), S.link.status);
  });
  startCountdowns(now);
  keepScheduleCurrent(now);
  if (!CODE) { say(t('console.no_code')); return; }
  S.key = secretFromFragment('key', KEY_STORE);
  if (!S.key) { say(t('console.no_key')); return; }
  $('#open-host').href = `/host/${CODE}#key=${encodeURIComponent(S.key)}`;
  $('#open-review').href = reviewUrl(CODE, S.key);
  setText($('#code'), CODE);
  S.link = new Link({
    hello: () => ({ type: 'host', code: CODE, key: S.key, view: 'console' }),
    onWelcome: (msg) => {
      document.title = `${t('console.doc_title')} · ${msg.session.title}`;
    },
    onState: (msg) => {
      S.view = msg.view;
      S.joins = msg.joins_refused || null;
      render();
    },
    onHelloError: (err) => {
      if (err.code === 'bad_key') {
        try { sessionStorage.removeItem(KEY_STORE); } catch { /* ignore */ }
      }
      show($('#main'), false);
      say(errorText(err));
      if (err.code === 'unknown_session' || err.code === 'session_ended') {
        // An ended session is no longer live after a restart: its record is still there to review.
        $('#message').append(' ', h('a', { href: reviewUrl(CODE, S.key), testid: 'console-review-link' }, t('console.open_review')));
      }
    },
    onError: (err) => toast(errorText(err), 'error'),
    onStatus: (status) => showLinkStatus($('#conn'), status),
  }).start();
}

await loadKinds(); // (the screen and the console draw every kind from their first view)
init();
