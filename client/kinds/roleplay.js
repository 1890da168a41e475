// A role-play: a cast per group (customer, agent, observers) through prep, play and scoring.
// Phone: my role and my own brief only, the rubric for observers; screen: the casts, the clock and
// the live rubric aggregate (never a brief); console: every brief and the trainer's own scores.

import { fill, h, setText } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { details, renderCard, signed } from '../lib/ui.js';
import { anchorFor, anchorsText, fmtNum, stepLabel } from '../lib/kinds.js';

// -- phone -------------------------------------------------------------------------------------
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

function rubricScoring(ctx, a) {
  const { send, sending, sendingText, render, statusLine } = ctx;
  const rubric = a.rubric || { criteria: [] };
  const canScore = a.status === 'open' && (a.step === 'play' || a.step === 'scoring');
  const given = a.my_scores || {};
  const key = `rubric:${a.id}:${a.round}`;
  const sel = ctx.drafts[key] || (ctx.drafts[key] = {});
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

function renderRoleplay(ctx, v, a) {
  const { head, title, activityScreen, resultBlock, explain, ratingFor } = ctx;
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
  if (role === 'observer' && a.observing && a.status === 'open') parts.push(rubricScoring(ctx, a));
  else parts.push(rubricGuide(a));
  return activityScreen(a, parts);
}

// -- screen ------------------------------------------------------------------------------------
function buildRoleplay(ctx, v, a, refs) {
  const { closedNote, groupName } = ctx;
  const roles = a.roles || {};
  const criteria = (a.rubric && a.rubric.criteria) || [];
  const revealed = a.status === 'revealed' && a.reveal;
  const at = a.status === 'open' ? RP_STEPS.indexOf(a.step) : RP_STEPS.length;
  const stepper = h('ol', { class: 'h-stepper', testid: 'host-stepper' }, RP_STEPS.map((s, i) => h('li', {
    class: ['h-stepper-item', i < at && 'is-done', i === at && 'is-current'], dataset: { step: s },
  }, h('span', { class: 'h-stepper-n' }, i < at ? '✓' : i + 1), h('span', {}, stepLabel(s)))));
  const casts = h('div', { class: 'h-casts', testid: 'host-casts' }, (a.casts || []).map((c) => h('div', { class: 'h-cast' },
    c.group ? h('div', { class: 'h-cast-group' }, groupName(v, c.group)) : null,
    h('div', { class: 'h-cast-role' }, h('span', { class: 'h-role-tag h-role-agent' }, roles.agent || t('rp.role_agent')),
      h('b', {}, c.agent_name || '–')),
    h('div', { class: 'h-cast-role' }, h('span', { class: 'h-role-tag h-role-customer' }, roles.customer || t('rp.role_customer')),
      h('b', {}, c.customer_name || '–')))));
  refs.live = new Map();
  const rows = revealed ? a.reveal.results || [] : a.live || [];
  const live = h('div', { class: 'h-live', testid: 'host-live' },
    h('div', { class: 'h-section-label' }, revealed ? t('host.rp_results') : t('host.rp_live', { title: (a.rubric && a.rubric.title) || '' })),
    rows.map((res) => {
      const total = h('b', { class: 'h-live-total', testid: `host-live-total-${res.group}` });
      const scorers = h('span', { class: 'h-live-scorers' });
      const bars = new Map();
      const block = h('div', { class: 'h-live-group', testid: `host-live-${res.group}`, dataset: { group: res.group } },
        h('div', { class: 'h-live-head' },
          h('span', { class: 'h-live-name' }, [res.group ? groupName(v, res.group) : null, res.agent_name].filter(Boolean).join(' · ')),
          revealed && (a.rounds || 1) > 1 ? h('span', { class: 'h-live-round' }, t('rp.round', { n: res.round + 1, of: a.rounds })) : null,
          scorers, total),
        criteria.map((c) => {
          const fillEl = h('div', { class: 'h-live-fill' });
          const value = h('b', { class: 'h-live-value', testid: `host-live-${res.group}-${c.id}` });
          bars.set(c.id, { fill: fillEl, value });
          return h('div', { class: 'h-live-row' },
            h('span', { class: 'h-live-crit' }, c.title),
            h('div', { class: 'h-live-track' }, fillEl),
            value);
        }));
      refs.live.set(`${res.round}:${res.group}`, { total, scorers, bars });
      return block;
    }));
  const left = h('div', { class: 'h-col-card h-fit' },
    renderCard(a.scenario, 'h-card'),
    casts,
    h('div', { class: 'h-rp-note' }, t('host.rp_briefs_private')));
  return h('div', { class: ['h-body', revealed && 'h-body-reveal'] },
    left,
    h('div', { class: 'h-col-options h-fit' },
      a.status === 'open' ? stepper : null,
      a.status === 'open' ? h('div', { class: 'h-rp-doing', testid: 'host-rp-doing' }, t(`host.rp_${a.step}`)) : null,
      live,
      revealed && a.reveal.rationale ? h('div', { class: 'h-rationale', testid: 'host-rationale' },
        h('div', { class: 'h-section-label' }, t('reveal.rationale')), h('p', {}, a.reveal.rationale)) : null,
      revealed ? (refs.board = h('div', { class: 'h-board-slot' })) : null,
      closedNote(a)));
}

function updateRoleplay(ctx, v, a, refs) {
  const { setWidth } = ctx;
  const rows = a.status === 'revealed' && a.reveal ? a.reveal.results || [] : a.live || [];
  for (const res of rows) {
    const ref = refs.live.get(`${res.round}:${res.group}`);
    if (!ref) continue;
    setText(ref.total, `${fmtNum(res.total)} / ${res.max}`);
    setText(ref.scorers, t('host.rp_scorers', { n: res.scorers }));
    for (const [crit, bar] of ref.bars) {
      const mean = res.means ? res.means[crit] : null;
      setWidth(bar.fill, mean ? mean / 5 : 0);
      setText(bar.value, fmtNum(mean));
    }
  }
}

/** The role-play's line in the course review (on the plan's screen): each cast's total. */
function reviewRoleplay(ctx, v, r) {
  const { groupName } = ctx;
  return (r.results || []).map((res) => h('span', { class: 'h-review-rp' },
    t('review.roleplay', { who: [res.group ? groupName(v, res.group) : null, res.agent_name].filter(Boolean).join(' '),
      total: fmtNum(res.total), max: res.max })));
}

// -- console -----------------------------------------------------------------------------------
// The trainer's marks per activity, round and group: picked, and sent.
const trainerScores = {}; // `${activity}:${round}:${group}` -> {sel: {crit: n}, sent: {crit: n}}

function scoreState(a, group) {
  const k = `${a.id}:${a.round || 0}:${group}`;
  if (!trainerScores[k]) trainerScores[k] = { sel: {}, sent: {} };
  return trainerScores[k];
}

function trainerScoring(ctx, a, cast) {
  const { command } = ctx;
  const criteria = (a.rubric && a.rubric.criteria) || [];
  const canScore = a.status === 'open' && (a.step === 'play' || a.step === 'scoring');
  const st = scoreState(a, cast.group);
  const todo = criteria.filter((c) => st.sel[c.id] && !st.sent[c.id]).map((c) => c.id);
  const submit = async () => {
    const scores = {};
    for (const id of todo) scores[id] = st.sel[id];
    if (await command('act', { action: 'score', group: cast.group, scores }, t('console.scores_ok'))) {
      Object.assign(st.sent, scores);
      ctx.rerender();
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
          onclick: () => { st.sel[c.id] = n; ctx.rerender(); },
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

function roleplayPanel(ctx, v, a) {
  const { nameOf } = ctx;
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
        a.status === 'open' ? trainerScoring(ctx, a, c) : null);
    }),
    a.answer_key && a.answer_key.rationale ? details(`rationale:${a.id}`, t('reveal.rationale'),
      h('p', { class: 'key-rationale' }, a.answer_key.rationale)) : null);
}

export default {
  phone: renderRoleplay,
  screen: {
    build: buildRoleplay,
    update: updateRoleplay,
    answered: (ctx, v, a, n) => ({ n, label: t('host.scorers') }),
    review: reviewRoleplay,
    stepped: true,
  },
  console: {
    panel: roleplayPanel,
    answered: (ctx, v, a, n) => t('console.scorers', { n }),
    ownRationale: true,
    pickGroup: true,
  },
};
