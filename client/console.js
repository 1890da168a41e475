// The trainer's console: agenda, controls and clock, the current activity with its answer key,
// moderation and role-play scoring, session settings, groups, players and awards.

import { h, fill, setText, $, $$, show, letter } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange } from './lib/i18n.js';
import { Link } from './lib/socket.js';
import {
  toast, errorText, showLinkStatus, renderCard, renderLegal, startCountdowns, countdown, signed,
  secretFromFragment, downloadExport, details, reviewUrl,
} from './lib/ui.js';
import {
  CONSENSUS, timer, timerSteps, stepLabel, modeLabel, orderSteps, stepText, withUnit, fmtNum, anchorsText,
  keepFocus, cardOutcome,
} from './lib/kinds.js';

const match = location.pathname.match(/^\/console\/(\d{1,16})\/?$/);
const CODE = match ? match[1] : null;
const KEY_STORE = `caseroom.key.${CODE}`;

const S = {
  link: null,
  key: null,
  view: null,
  targetsSig: null,
  sigs: new Map(), // element -> signature of what it shows, to re-render only on change
  startGroup: {}, // activity id -> group chosen for a role-play start ('' = every group)
  trainerScores: {}, // `${activity}:${round}:${group}` -> {sel: {crit: n}, sent: {crit: n}}
  rev: 0, // bumps on local UI changes (a picked mark), forcing the current panel to re-render
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
$('#btn-lock').addEventListener('click', () => {
  const locked = S.view && S.view.session.locked;
  command(locked ? 'unlock' : 'lock', {}, locked ? t('console.unlocked_ok') : t('console.locked_ok'));
});
$('#btn-end').addEventListener('click', () => {
  if (window.confirm(t('console.end_confirm'))) command('end', {}, t('console.ended_ok'));
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
  $('#btn-lock').textContent = v.session.locked ? t('console.unlock') : t('console.lock');
  $('#btn-lock').classList.toggle('is-on', Boolean(v.session.locked));
  $('#btn-lock').disabled = ended;
  $('#btn-end').disabled = ended;

  renderTimerbar(v, a, ended);
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
function submittedLine(v, a) {
  const n = a.submitted || 0;
  switch (a.kind) {
    case 'discuss': return t('console.posts', { n: a.post_count || 0, authors: n });
    case 'roleplay': return t('console.scorers', { n });
    case 'plan': return t('console.planners', { n, joined: v.counts.joined });
    case 'deal': return t('console.deal_answered', { n, of: (a.cards || []).length });
    default:
      if (a.mode === CONSENSUS && (v.groups || []).length) return t('console.groups_confirmed', { n, of: v.groups.length });
      return t('console.submitted', { n, joined: v.counts.joined });
  }
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
  const body = {
    vote: () => voteKey(a, ''),
    order: () => orderKey(a, ''),
    estimate: () => estimateKey(a, ''),
    discuss: () => moderation(v, a, null),
    roleplay: () => roleplayPanel(v, a),
    plan: () => planPanel(a),
    deal: () => dealPanel(v, a),
  }[a.kind];
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
    body ? body() : h('p', { class: 'muted' }, t('console.kind_unsupported')),
    key && key.rationale && a.kind !== 'roleplay' ? details(`rationale:${a.id}`, t('reveal.rationale'),
      h('p', { class: 'key-rationale' }, key.rationale),
      renderLegal(key.legal_basis)) : null,
    a.card ? details(`card:${a.id}`, t('console.show_card'), renderCard(a.card)) : null);
}

/** A vote's options with the live tally and the answer key; `prefix` keeps test ids apart in a deal. */
function voteKey(a, prefix) {
  const key = a.answer_key || null;
  const ratings = new Map(key ? (key.options || []).map((o) => [o.id, o]) : []);
  const tally = a.tally || {};
  const total = Object.values(tally).reduce((s, n) => s + (Number(n) || 0), 0);
  const options = Array.isArray(a.options) ? a.options : [];
  return h('ol', { class: 'key-options', testid: `${prefix}key-options` }, options.map((o, i) => {
    const r = ratings.get(o.id);
    const n = Number(tally[o.id]) || 0;
    const p = total ? Math.round((n * 100) / total) : 0;
    const bar = h('div', { class: 'mini-bar-fill' });
    bar.style.width = `${p}%`;
    return h('li', {
      class: ['key-opt', r && `rating-${r.rating}`, key && key.recommended === o.id && 'is-recommended'],
      testid: `${prefix}key-option-${o.id}`,
    },
    h('div', { class: 'key-opt-line' },
      h('span', { class: 'key-letter' }, letter(i)),
      h('span', { class: 'key-text' }, o.text),
      h('span', { class: 'key-count', testid: `${prefix}key-count-${o.id}` }, `${n} · ${p}%`)),
    h('div', { class: 'mini-bar' }, bar),
    r ? h('div', { class: 'key-meta' },
      h('span', { class: ['tag', `tag-${r.rating}`] }, t(`rating.${r.rating}`)),
      h('span', { class: 'key-points' }, t('console.points', { points: signed(r.points) })),
      r.feedback ? h('span', { class: 'key-feedback' }, r.feedback) : null) : null);
  }));
}

function orderKey(a, prefix) {
  const steps = orderSteps(a);
  const correct = (a.answer_key && a.answer_key.correct) || (a.reveal && a.reveal.correct) || [];
  const common = a.most_common || (a.reveal && a.reveal.most_common) || null;
  const count = a.most_common_count || (a.reveal && a.reveal.most_common_count) || 0;
  const average = a.reveal ? a.reveal.average_points : null;
  return h('div', { class: 'key-order', testid: `${prefix}key-order` },
    h('div', { class: 'key-col' },
      h('div', { class: 'key-heading' }, t('console.order_correct')),
      h('ol', { class: 'key-steps' }, correct.map((id) => h('li', { class: 'is-right' }, stepText(steps, id))))),
    h('div', { class: 'key-col' },
      h('div', { class: 'key-heading' }, t('console.order_common', { n: count })),
      common ? h('ol', { class: 'key-steps' }, common.map((id, i) => h('li', {
        class: correct[i] === id ? 'is-right' : 'is-wrong',
      }, stepText(steps, id)))) : h('p', { class: 'muted' }, t('console.no_answers'))),
    average !== null && average !== undefined
      ? h('p', { class: 'key-note' }, t('host.average_points', { points: fmtNum(average) })) : null);
}

function estimateKey(a, prefix) {
  const key = a.answer_key || {};
  const counts = (a.histogram && a.histogram.counts) || [];
  const top = Math.max(1, ...counts);
  const median = a.median ?? (a.reveal ? a.reveal.median : null);
  const mean = a.mean ?? (a.reveal ? a.reveal.mean : null);
  return h('div', { class: 'key-estimate', testid: `${prefix}key-estimate` },
    h('div', { class: 'key-facts' },
      h('div', { class: 'key-fact is-key' },
        h('span', { class: 'key-fact-label' }, t('console.estimate_answer')),
        h('b', { testid: `${prefix}key-answer` }, withUnit(key.answer, a.unit)),
        key.tolerance ? h('span', { class: 'muted' }, t('host.tolerance', { tol: fmtNum(key.tolerance) })) : null),
      h('div', { class: 'key-fact' },
        h('span', { class: 'key-fact-label' }, t('host.median_label')),
        h('b', {}, withUnit(median, a.unit)),
        mean !== null && mean !== undefined ? h('span', { class: 'muted' }, t('host.mean', { value: fmtNum(mean) })) : null)),
    h('div', { class: 'mini-hist' }, counts.map((n) => {
      const bar = h('div', { class: 'mini-hist-bar' });
      bar.style.height = `${Math.round((n / top) * 100)}%`;
      return h('div', { class: 'mini-hist-col', title: String(n) }, bar);
    })),
    h('div', { class: 'mini-hist-axis' }, h('span', {}, withUnit(a.min, a.unit)), h('span', {}, withUnit(a.max, a.unit))));
}

/** Discussion posts with the trainer's moderation: highlight, hide, award the author. */
function moderation(v, a, card) {
  const posts = a.all_posts || a.posts || [];
  const act = (action, post) => command('act', card ? { action, post, card } : { action, post });
  const award = (p, points) => command('award', {
    target: p.author, points, reason: t('console.post_award_reason', { text: p.text.slice(0, 80) }),
  }, t('console.award_ok'));
  return h('div', { class: 'mod', testid: 'moderation' },
    a.prompt ? h('p', { class: 'mod-prompt' }, a.prompt) : null,
    posts.length ? h('ul', { class: 'mod-posts' }, posts.map((p) => h('li', {
      class: ['mod-post', p.highlighted && 'is-highlighted', p.hidden && 'is-hidden'], testid: `mod-post-${p.id}`,
    },
    h('div', { class: 'mod-text' }, p.text),
    h('div', { class: 'mod-meta' },
      h('span', { class: 'mod-author' }, nameOf(v, p.author)),
      h('span', { class: 'mod-votes' }, `▲ ${p.votes}`),
      p.highlighted ? h('span', { class: 'tag tag-best' }, t('discuss.highlighted')) : null,
      p.hidden ? h('span', { class: 'tag tag-poor' }, t('console.post_hidden')) : null),
    h('div', { class: 'mod-actions' },
      h('button', {
        type: 'button', class: ['btn btn-small', p.highlighted && 'is-on'], testid: `post-highlight-${p.id}`,
        onclick: () => act(p.highlighted ? 'unhighlight' : 'highlight', p.id),
      }, p.highlighted ? t('console.unhighlight') : t('console.highlight')),
      h('button', {
        type: 'button', class: ['btn btn-small', p.hidden && 'is-on'], testid: `post-hide-${p.id}`,
        onclick: () => act(p.hidden ? 'unhide' : 'hide', p.id),
      }, p.hidden ? t('console.unhide') : t('console.hide')),
      [10, 20].map((n) => h('button', {
        type: 'button', class: 'btn btn-small btn-secondary', testid: `post-award-${p.id}-${n}`,
        title: t('console.post_award_title', { name: nameOf(v, p.author) }), onclick: () => award(p, n),
      }, `+${n}`)))))) : h('p', { class: 'muted', testid: 'mod-empty' }, t('console.no_posts')));
}

function scoreState(a, group) {
  const k = `${a.id}:${a.round || 0}:${group}`;
  if (!S.trainerScores[k]) S.trainerScores[k] = { sel: {}, sent: {} };
  return S.trainerScores[k];
}

function trainerScoring(a, cast) {
  const criteria = (a.rubric && a.rubric.criteria) || [];
  const canScore = a.status === 'open' && (a.step === 'play' || a.step === 'scoring');
  const st = scoreState(a, cast.group);
  const todo = criteria.filter((c) => st.sel[c.id] && !st.sent[c.id]).map((c) => c.id);
  const submit = async () => {
    const scores = {};
    for (const id of todo) scores[id] = st.sel[id];
    if (await command('act', { action: 'score', group: cast.group, scores }, t('console.scores_ok'))) {
      Object.assign(st.sent, scores);
      S.rev += 1;
      render();
    }
  };
  return h('div', { class: 'trainer-score', testid: `trainer-score-${cast.group}` },
    h('div', { class: 'key-heading' }, t('console.trainer_score')),
    !canScore && a.status === 'open' ? h('p', { class: 'muted' }, t('rp.score_later')) : null,
    criteria.map((c) => {
      const value = st.sent[c.id] || st.sel[c.id] || null;
      return h('div', { class: ['tcrit', st.sent[c.id] && 'is-done'] },
        h('span', { class: 'tcrit-title', title: anchorsText(c) }, c.title),
        h('span', { class: 'tcrit-scale' }, [1, 2, 3, 4, 5].map((n) => h('button', {
          type: 'button', class: ['tcrit-btn', value === n && 'is-selected'], testid: `trainer-score-${cast.group}-${c.id}-${n}`,
          'aria-pressed': value === n ? 'true' : 'false', disabled: !canScore || Boolean(st.sent[c.id]),
          onclick: () => { st.sel[c.id] = n; S.rev += 1; render(); },
        }, String(n)))),
        h('span', { class: 'tcrit-anchor muted' }, value ? (c.anchors || {})[String(value)] || '' : ''));
    }),
    canScore && criteria.every((c) => st.sent[c.id])
      ? h('p', { class: 'tcrit-done', testid: `trainer-score-done-${cast.group}` }, t('console.trainer_done'))
      : canScore ? h('button', {
        type: 'button', class: 'btn btn-small btn-primary', testid: `trainer-score-submit-${cast.group}`,
        disabled: !todo.length, onclick: submit,
      }, t('console.trainer_submit', { n: todo.length })) : null);
}

function roleplayPanel(v, a) {
  const roles = a.roles || {};
  const criteria = (a.rubric && a.rubric.criteria) || [];
  const revealed = a.status === 'revealed' && a.reveal;
  const rows = revealed ? a.reveal.results || [] : a.live || [];
  return h('div', { class: 'rp-panel' },
    h('div', { class: 'briefs', testid: 'briefs' },
      ['customer', 'agent', 'observer'].filter((r) => a.briefs && a.briefs[r]).map((r) => h('div', {
        class: ['brief', `brief-${r}`], testid: `brief-${r}`,
      },
      h('div', { class: 'brief-role' }, roles[r] || t(`rp.role_${r}`),
        r === 'customer' ? h('span', { class: 'tag tag-poor' }, t('console.brief_secret')) : null),
      h('p', { class: 'brief-text' }, a.briefs[r])))),
    details(`scenario:${a.id}`, t('rp.scenario'), renderCard(a.scenario)),
    (a.casts || []).map((c) => {
      const live = rows.filter((r) => r.group === c.group);
      return h('div', { class: 'cast-panel', testid: `cast-${c.group}` },
        h('div', { class: 'cast-head' },
          c.group ? h('b', {}, nameOf(v, c.group)) : null,
          h('span', {}, `${roles.agent || t('rp.role_agent')}：`, h('b', {}, c.agent_name || '–')),
          h('span', {}, `${roles.customer || t('rp.role_customer')}：`, h('b', {}, c.customer_name || '–'))),
        live.map((res) => h('div', { class: 'live-agg', testid: `console-live-${c.group}` },
          h('div', { class: 'live-agg-head' },
            revealed && (a.rounds || 1) > 1 ? h('span', {}, t('rp.round', { n: res.round + 1, of: a.rounds })) : null,
            h('span', {}, res.agent_name || ''),
            h('span', { class: 'muted' }, t('host.rp_scorers', { n: res.scorers })),
            h('b', { class: 'live-agg-total' }, `${fmtNum(res.total)} / ${res.max}`),
            revealed ? h('span', { class: 'key-points' }, t('console.points', { points: signed(res.points) })) : null),
          h('div', { class: 'live-agg-means' }, criteria.map((cr) => h('span', { class: 'live-agg-mean' },
            cr.title, ' ', h('b', {}, fmtNum(res.means ? res.means[cr.id] : null))))))),
        a.status === 'open' ? trainerScoring(a, c) : null);
    }),
    a.answer_key && a.answer_key.rationale ? details(`rationale:${a.id}`, t('reveal.rationale'),
      h('p', { class: 'key-rationale' }, a.answer_key.rationale)) : null);
}

function planPanel(a) {
  const notes = Array.isArray(a.highlights) ? a.highlights : [];
  return h('div', { class: 'plan-panel', testid: 'console-plan' },
    a.prompt ? h('p', { class: 'mod-prompt' }, a.prompt) : null,
    h('p', { class: 'key-note' }, t('console.plan_items', { n: a.items || 0 })),
    notes.length ? h('ul', { class: 'plan-notes' }, notes.map((n) => h('li', {},
      h('span', {}, n.what),
      n.by || n.module ? h('span', { class: 'muted' }, ` · ${[n.by, n.module].filter(Boolean).join(' · ')}`) : null)))
      : h('p', { class: 'muted' }, t('host.no_plans')),
    h('p', { class: 'muted' }, t('console.plan_review_on_screen')));
}

function dealPanel(v, a) {
  const cards = Array.isArray(a.cards) ? a.cards : [];
  return h('div', { class: 'deal-cards', testid: 'deal-cards' }, cards.map((c) => {
    const out = cardOutcome(c);
    const state = c.confirmed ? 'confirmed' : c.submitted ? 'answered' : 'open';
    const prefix = `${c.group}-`;
    const key = {
      vote: () => voteKey(c, prefix),
      order: () => orderKey(c, prefix),
      estimate: () => estimateKey(c, prefix),
      discuss: () => moderation(v, c, c.id),
    }[c.kind];
    return h('div', { class: ['deal-card', `is-${state}`], testid: `deal-card-${c.group}`, dataset: { state } },
      h('div', { class: 'deal-card-head' },
        h('b', {}, c.group_name || nameOf(v, c.group)),
        h('span', { class: 'deal-card-title' }, c.title),
        h('span', { class: 'chip chip-kind' }, t(`kind.${c.kind}`)),
        h('span', { class: ['chip', `chip-deal-${state}`] }, t(`host.deal_${state}`, { n: c.submitted || 0 }))),
      out ? h('p', { class: ['deal-outcome', out.ok ? 'is-right' : out.ok === false ? 'is-wrong' : null] },
        t('console.deal_outcome', { answer: out.answer || t('host.nobody'), rec: out.recommended })) : null,
      key ? key() : null,
      c.answer_key && c.answer_key.rationale ? details(`rationale:${c.id}`, t('reveal.rationale'),
        h('p', { class: 'key-rationale' }, c.answer_key.rationale)) : null,
      c.card ? details(`card:${c.id}`, t('console.show_card'), renderCard(c.card)) : null);
  }));
}

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
    if (item.kind === 'roleplay' && groups.length) {
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
      modeLabel(item.mode) ? h('span', { class: 'agenda-kind' }, modeLabel(item.mode)) : null),
    h('span', { class: ['chip', `chip-${status}`] }, t(`status.${status}`)),
    groupPick,
    h('button', {
      type: 'button', class: 'btn btn-small', testid: `start-${item.id}`,
      disabled: !playable,
      onclick: () => {
        const group = item.kind === 'roleplay' ? S.startGroup[item.id] : '';
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

function renderGroups(v) {
  const groups = v.groups || [];
  once($('#groups'), JSON.stringify([groups, lang()]), () => fill($('#groups'),
    groups.length ? h('div', { class: 'group-scores', testid: 'group-scores' }, groups.map((g) => h('div', {
      class: 'group-score', testid: `group-${g.id}`,
    },
    h('span', { class: 'group-score-name' }, g.name),
    h('span', { class: 'muted' }, t('console.group_size', { n: g.size })),
    h('b', {}, g.score)))) : h('p', { class: 'muted' }, t('console.no_groups'))));
}

function renderPlayers(v) {
  const players = v.players || [];
  const groups = v.groups || [];
  const online = players.filter((p) => p.online).length;
  setText($('#players-count'), t('console.players_count', { n: players.length, online }));
  once($('#players'), JSON.stringify([players, groups.map((g) => [g.id, g.name]), lang()]), () => fill($('#players'),
    players.length ? h('table', { class: 'players', testid: 'players' },
      h('thead', {}, h('tr', {},
        h('th', {}, t('console.col_name')), h('th', {}, t('console.col_group')),
        h('th', { class: 'num' }, t('console.col_score')))),
      h('tbody', {}, players.map((p) => h('tr', { class: p.online ? 'is-online' : 'is-offline', testid: 'player-row' },
        h('td', {},
          h('span', { class: 'dot', title: p.online ? t('console.online') : t('console.offline') }),
          h('span', { class: 'player-name' }, p.name)),
        h('td', {}, groups.length ? moveSelect(p, groups) : ''),
        h('td', { class: 'num' }, p.score))))) : h('p', { class: 'muted' }, t('console.no_players'))));
}

function moveSelect(p, groups) {
  const select = h('select', {
    class: 'input input-small', testid: `move-${p.id}`, 'aria-label': t('console.move', { name: p.name }),
    onchange: async () => {
      const group = select.value;
      if (!group || group === p.group) return;
      const ok = await command('move', { player: p.id, group }, t('console.moved_ok', { name: p.name }));
      if (!ok) select.value = p.group || '';
    },
  },
  p.group ? null : h('option', { value: '' }, '–'),
  groups.map((g) => h('option', { value: g.id }, g.name)));
  select.value = p.group || '';
  return select;
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

init();
