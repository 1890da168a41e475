// An order: put the steps of a procedure in sequence. Phone: arrange with arrows; screen: the
// class's most common order against the correct one; console: both orders side by side.

import { h, letter } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { renderCard } from '../lib/ui.js';
import { CONSENSUS, answerSummary, fmtNum, orderSteps, pct, stepText } from '../lib/kinds.js';

// -- phone -------------------------------------------------------------------------------------
function renderOrder(ctx, v, a) {
  const {
    send, pendingFor, sending, sendingText, render, head, title, activityScreen, modeNote, proposalBlock,
    resultBlock, explain, statusLine
  } = ctx;
  const steps = orderSteps(a) || [];
  const ids = steps.map((s) => s.id);
  const open = a.status === 'open';
  const consensus = a.mode === CONSENSUS;
  const proposed = consensus && a.proposal && !a.proposal.confirmed ? a.proposal.answer.order : null;
  const server = a.my_answer ? a.my_answer.order : null;
  const reference = proposed || server;
  const key = `order:${a.id}`;
  let draft = ctx.drafts[key];
  if (!draft || draft.order.length !== ids.length) draft = ctx.drafts[key] = { order: ids.slice(), touched: false };
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

// -- screen ------------------------------------------------------------------------------------
function orderColumn(label, ids, steps, correct, testid, note) {
  return h('div', { class: 'h-order-col', testid },
    h('div', { class: 'h-order-head' }, label, note ? h('span', { class: 'h-order-note' }, note) : null),
    ids ? h('ol', { class: 'h-order-list' }, ids.map((id, i) => {
      const ok = !correct || correct[i] === id;
      return h('li', { class: ['h-order-item', correct && (ok ? 'is-right' : 'is-wrong')] },
        h('span', { class: 'h-order-n' }, i + 1),
        h('span', { class: 'h-order-text' }, stepText(steps, id)),
        correct ? h('span', { class: 'h-order-mark' }, ok ? '✓' : '✗') : null);
    })) : h('div', { class: 'h-empty' }, t('host.nobody')));
}

function buildOrder(ctx, v, a, refs) {
  const { closedNote, explainSide, promptCard } = ctx;
  const steps = orderSteps(a);
  refs.consensus = h('div', { class: 'h-consensus-slot' });
  if (a.status === 'revealed' && a.reveal) {
    const r = a.reveal;
    return h('div', { class: 'h-body h-body-reveal' },
      h('div', { class: 'h-col-main h-fit' },
        h('div', { class: 'h-order-compare', testid: 'host-order-compare' },
          orderColumn(t('host.order_correct'), r.correct || [], steps, null, 'host-order-correct'),
          orderColumn(t('host.order_common'), r.most_common, steps, r.correct || [], 'host-order-common',
            r.most_common ? t('host.order_common_n', { n: r.most_common_count }) : null)),
        r.average_points !== null && r.average_points !== undefined
          ? h('div', { class: 'h-stat-line', testid: 'host-order-average' }, t('host.average_points', { points: fmtNum(r.average_points) }))
          : null,
        refs.consensus),
      explainSide(v, r, null, refs.board = h('div', { class: 'h-board-slot h-board-side' })));
  }
  return h('div', { class: 'h-body' },
    h('div', { class: 'h-col-card h-fit' },
      a.card ? renderCard(a.card, 'h-card') : promptCard(t('host.order_task'), t('host.order_prompt'))),
    h('div', { class: 'h-col-options h-fit' },
      steps ? h('ol', { class: 'h-steps', testid: 'host-steps' }, steps.map((s, i) => h('li', { class: ['h-step', `opt-c${i % 6}`] },
        h('span', { class: 'h-step-letter' }, letter(i)),
        h('span', { class: 'h-step-text' }, s.text))))
        : h('div', { class: 'h-big-hint', testid: 'host-order-hint' }, t('host.order_on_phones')),
      a.mode === 'group-majority' ? h('div', { class: 'h-mode-note' }, t('host.majority_note')) : null,
      refs.consensus, closedNote(a)));
}

/** The order's line in the course review (on the plan's screen). */
function reviewOrder(ctx, v, r) {
  const { reviewMark } = ctx;
  return [r.class_choice ? reviewMark(JSON.stringify(r.class_choice) === JSON.stringify(r.recommended)) : null,
    t('review.order', { pct: pct(r.agreement) }),
    r.average_points !== null && r.average_points !== undefined
      ? h('span', { class: 'h-review-pct' }, t('review.average', { points: fmtNum(r.average_points) })) : null];
}

// -- console -----------------------------------------------------------------------------------
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

// -- a dealt card ------------------------------------------------------------------------------
/** A dealt order card after reveal: the group's order against the correct one. */
function outcomeOrder(card) {
  const r = card.reveal;
  const mc = r.most_common;
  return {
    answer: mc ? answerSummary(card, { order: mc }) : null,
    recommended: answerSummary(card, { order: r.correct || [] }),
    ok: mc ? JSON.stringify(mc) === JSON.stringify(r.correct) : null,
  };
}

export default {
  outcome: outcomeOrder,
  phone: renderOrder,
  screen: { build: buildOrder, review: reviewOrder },
  console: { panel: (ctx, v, a, place = {}) => orderKey(a, place.prefix || '') },
};
