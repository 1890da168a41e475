// The trainer's console: agenda, controls, the current activity with its answer key, players, awards.

import { h, fill, setText, $, show, letter } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange } from './lib/i18n.js';
import { Link } from './lib/socket.js';
import {
  toast, errorText, showLinkStatus, renderCard, renderLegal, startCountdowns, countdown, signed,
  secretFromFragment, downloadExport, details,
} from './lib/ui.js';

const match = location.pathname.match(/^\/console\/(\d{1,16})\/?$/);
const CODE = match ? match[1] : null;
const KEY_STORE = `caseroom.key.${CODE}`;

const S = { link: null, key: null, view: null, targetsSig: null };

function now() {
  return S.link ? S.link.now() : Date.now();
}

function say(text) {
  setText($('#message'), text);
  show($('#message'), Boolean(text));
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
$('#btn-lock').addEventListener('click', () => {
  const locked = S.view && S.view.session.locked;
  command(locked ? 'unlock' : 'lock', {}, locked ? t('console.unlocked_ok') : t('console.locked_ok'));
});
$('#btn-end').addEventListener('click', () => {
  if (window.confirm(t('console.end_confirm'))) command('end', {}, t('console.ended_ok'));
});

$('#export').addEventListener('click', async () => {
  try {
    await downloadExport(CODE, S.key);
    toast(t('console.export_ok'), 'ok', 2500);
  } catch (err) {
    toast(errorText(err), 'error');
  }
});

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
  $('#btn-lock').textContent = v.session.locked ? t('console.unlock') : t('console.lock');
  $('#btn-lock').classList.toggle('is-on', Boolean(v.session.locked));
  $('#btn-lock').disabled = ended;
  $('#btn-end').disabled = ended;

  fill($('#current'), renderCurrent(v, a));
  fill($('#agenda'), renderAgenda(v, ended));
  renderTargets(v);
  renderAwards(v);
  renderPlayers(v);
}

function renderCurrent(v, a) {
  if (!a) return h('p', { class: 'muted', testid: 'current-none' }, t('console.no_activity'));
  const key = a.answer_key || null;
  const ratings = new Map(key ? (key.options || []).map((o) => [o.id, o]) : []);
  const tally = a.tally || {};
  const total = Object.values(tally).reduce((s, n) => s + (Number(n) || 0), 0);
  const module = ((v.session.modules || []).find((m) => m.id === a.module) || {}).title;
  const options = Array.isArray(a.options) ? a.options : [];
  return h('div', { class: ['current', `current-${a.status}`], testid: 'current', dataset: { status: a.status } },
    h('div', { class: 'current-head' },
      h('span', { class: ['chip', `chip-${a.status}`], testid: 'current-status' }, t(`status.${a.status}`)),
      module ? h('span', { class: 'muted' }, module) : null,
      a.status === 'open' && a.deadline ? countdown(a.deadline, now, { testid: 'current-countdown' }) : null),
    h('h3', { class: 'current-title', testid: 'current-title' }, a.title),
    h('div', { class: 'current-count', testid: 'current-submitted' },
      t('console.submitted', { n: a.submitted || 0, joined: v.counts.joined })),
    a.kind === 'vote' ? h('ol', { class: 'key-options', testid: 'key-options' }, options.map((o, i) => {
      const r = ratings.get(o.id);
      const n = Number(tally[o.id]) || 0;
      const pct = total ? Math.round((n * 100) / total) : 0;
      const bar = h('div', { class: 'mini-bar-fill' });
      bar.style.width = `${pct}%`;
      return h('li', {
        class: ['key-opt', r && `rating-${r.rating}`, key && key.recommended === o.id && 'is-recommended'],
        testid: `key-option-${o.id}`,
      },
      h('div', { class: 'key-opt-line' },
        h('span', { class: 'key-letter' }, letter(i)),
        h('span', { class: 'key-text' }, o.text),
        h('span', { class: 'key-count', testid: `key-count-${o.id}` }, `${n} · ${pct}%`)),
      h('div', { class: 'mini-bar' }, bar),
      r ? h('div', { class: 'key-meta' },
        h('span', { class: ['tag', `tag-${r.rating}`] }, t(`rating.${r.rating}`)),
        h('span', { class: 'key-points' }, t('console.points', { points: signed(r.points) })),
        r.feedback ? h('span', { class: 'key-feedback' }, r.feedback) : null) : null);
    })) : h('p', { class: 'muted' }, t('console.kind_unsupported')),
    key && key.rationale ? details(`rationale:${a.id}`, t('reveal.rationale'),
      h('p', { class: 'key-rationale' }, key.rationale),
      renderLegal(key.legal_basis)) : null,
    a.card ? details(`card:${a.id}`, t('console.show_card'), renderCard(a.card)) : null);
}

function renderAgenda(v, ended) {
  const modules = new Map((v.session.modules || []).map((m) => [m.id, m.title]));
  const current = v.activity ? v.activity.id : null;
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
    list.appendChild(h('li', {
      class: ['agenda-item', `agenda-${status}`, item.id === current && 'is-current'],
      testid: `agenda-${item.id}`, dataset: { status },
    },
    h('span', { class: 'agenda-n' }, i + 1),
    h('span', { class: 'agenda-title' }, item.title),
    h('span', { class: ['chip', `chip-${status}`] }, t(`status.${status}`)),
    h('button', {
      type: 'button', class: 'btn btn-small', testid: `start-${item.id}`,
      disabled: Boolean(item.status) || ended,
      onclick: () => command('start', { activity: item.id }),
    }, t('console.start'))));
  });
  return blocks.length ? blocks : h('p', { class: 'muted' }, t('console.agenda_empty'));
}

function renderTargets(v) {
  const groups = v.groups || [];
  const players = v.players || [];
  const sig = JSON.stringify([groups.map((g) => [g.id, g.name]), players.map((p) => [p.id, p.name]),
    document.documentElement.lang]);
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
}

function renderAwards(v) {
  const awards = [...(v.awards || [])].reverse().slice(0, 8);
  fill($('#awards'), awards.length ? h('ul', { class: 'awards', testid: 'awards' }, awards.map((aw) => h('li', { class: 'award' },
    h('span', { class: ['award-points', aw.points < 0 && 'is-negative'] }, signed(aw.points)),
    h('span', { class: 'award-target' }, nameOf(v, aw.target)),
    h('span', { class: 'award-reason' }, aw.reason)))) : null);
}

function renderPlayers(v) {
  const players = v.players || [];
  const online = players.filter((p) => p.online).length;
  setText($('#players-count'), t('console.players_count', { n: players.length, online }));
  const groupName = (id) => ((v.groups || []).find((g) => g.id === id) || {}).name || '';
  const groups = v.groups || [];
  fill($('#players'),
    groups.length ? h('div', { class: 'group-scores', testid: 'group-scores' }, groups.map((g) => h('div', { class: 'group-score' },
      h('span', { class: 'group-score-name' }, g.name),
      h('span', { class: 'muted' }, t('console.group_size', { n: g.size })),
      h('b', {}, g.score)))) : null,
    players.length ? h('table', { class: 'players', testid: 'players' },
      h('thead', {}, h('tr', {},
        h('th', {}, t('console.col_name')), h('th', {}, t('console.col_group')),
        h('th', { class: 'num' }, t('console.col_score')))),
      h('tbody', {}, players.map((p) => h('tr', { class: p.online ? 'is-online' : 'is-offline', testid: 'player-row' },
        h('td', {},
          h('span', { class: 'dot', title: p.online ? t('console.online') : t('console.offline') }),
          h('span', { class: 'player-name' }, p.name)),
        h('td', {}, groupName(p.group)),
        h('td', { class: 'num' }, p.score))))) : h('p', { class: 'muted' }, t('console.no_players')));
}

// -- start ------------------------------------------------------------------------------------------
function init() {
  apply();
  bindToggle($('#lang'));
  onLangChange(() => {
    S.targetsSig = null;
    render();
    if (S.link) showLinkStatus($('#conn'), S.link.status);
  });
  startCountdowns(now);
  if (!CODE) { say(t('console.no_code')); return; }
  S.key = secretFromFragment('key', KEY_STORE);
  if (!S.key) { say(t('console.no_key')); return; }
  $('#open-host').href = `/host/${CODE}#key=${encodeURIComponent(S.key)}`;
  setText($('#code'), CODE);
  S.link = new Link({
    hello: () => ({ type: 'host', code: CODE, key: S.key, view: 'console' }),
    onWelcome: (msg) => {
      document.title = `${t('console.doc_title')} · ${msg.session.title}`;
    },
    onState: (msg) => {
      S.view = msg.view;
      render();
    },
    onHelloError: (err) => {
      if (err.code === 'bad_key') {
        try { sessionStorage.removeItem(KEY_STORE); } catch { /* ignore */ }
      }
      show($('#main'), false);
      say(errorText(err));
    },
    onError: (err) => toast(errorText(err), 'error'),
    onStatus: (status) => showLinkStatus($('#conn'), status),
  }).start();
}

init();
