// A deal: one card of a set dealt to each group. Each group's phone shows its card through that
// card's own kind; the screen and the console show every group's card and outcome.

import { fill, h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { details, renderCard } from '../lib/ui.js';

// -- screen ------------------------------------------------------------------------------------
/** A dealt card after reveal, by its own kind: {answer, recommended, ok}, or null before or without one. */
function outcome(ctx, card) {
  const kind = ctx.kindOf(card.kind);
  return card.reveal && kind && kind.outcome ? kind.outcome(card) : null;
}

function buildDeal(ctx, v, a, refs) {
  const { closedNote } = ctx;
  const revealed = a.status === 'revealed';
  return h('div', { class: ['h-body', 'h-body-deal', revealed && v.leaderboard && 'has-board'] },
    h('div', { class: 'h-deal-wrap h-fit' },
      refs.deal = h('div', { class: 'h-deal', testid: 'host-deal' }),
      closedNote(a)),
    revealed ? (refs.board = h('div', { class: 'h-board-slot h-board-side' })) : null);
}

/** Where a dealt card's group stands before the reveal (a closed card nobody answered is not
 * "answering"): the projector and the console say the same. */
function answerState(a, c) {
  if (c.confirmed) return 'confirmed';
  if (c.submitted) return 'answered';
  return a.status === 'open' ? 'open' : 'none';
}

function updateDeal(ctx, v, a, refs) {
  const { groupName } = ctx;
  const cards = Array.isArray(a.cards) ? a.cards : [];
  fill(refs.deal, cards.map((c) => {
    const out = outcome(ctx, c);
    const state = out ? (out.ok === null ? 'none' : out.ok ? 'right' : 'wrong') : answerState(a, c);
    return h('div', { class: ['h-deal-card', `is-${state}`], testid: `host-deal-${c.group}`, dataset: { state } },
      h('div', { class: 'h-deal-group' }, c.group_name || groupName(v, c.group)),
      h('div', { class: 'h-deal-title' }, c.title),
      h('div', { class: 'h-deal-kind' }, t(`kind.${c.kind}`)),
      out ? h('div', { class: 'h-deal-outcome' },
        h('div', {}, h('span', { class: 'h-deal-label' }, t('host.deal_group_answer')), out.answer || t('host.nobody')),
        h('div', {}, h('span', { class: 'h-deal-label' }, t('reveal.recommended')), out.recommended))
        : h('div', { class: 'h-deal-state' }, t(`host.deal_${state}`, { n: c.submitted || 0 })));
  }));
}

// -- console -----------------------------------------------------------------------------------
function dealPanel(ctx, v, a) {
  const { nameOf, kindOf } = ctx;
  const cards = Array.isArray(a.cards) ? a.cards : [];
  return h('div', { class: 'deal-cards', testid: 'deal-cards' }, cards.map((c) => {
    const out = outcome(ctx, c);
    const state = answerState(a, c);
    const prefix = `${c.group}-`;
    const kind = kindOf(c.kind); // a dealt card shows its own kind's panel, its test ids kept apart
    const key = kind && kind.console ? () => kind.console.panel(ctx, v, c, { prefix, card: c.id }) : null;
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

export default {
  screen: {
    build: buildDeal,
    update: updateDeal,
    answered: (ctx, v, a, n) => ({ n, label: t('host.deal_groups_answered', { n: (a.cards || []).length }) }),
  },
  console: {
    panel: dealPanel,
    answered: (ctx, v, a, n) => t('console.deal_answered', { n, of: (a.cards || []).length }),
  },
};
