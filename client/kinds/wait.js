// The phone's wait state: an activity with no card for this player (a deal dealt to other groups).

import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { countdown } from '../lib/ui.js';

// -- phone -------------------------------------------------------------------------------------
function renderWait(ctx, v, a) {
  const { now } = ctx;
  return {
    key: `wait:${a.id}`,
    props: { class: 'panel wait', testid: 'wait', dataset: { status: a.status } },
    parts: [
      h('div', { class: 'act-head' },
        h('span', { class: ['chip', `chip-${a.status}`], testid: 'activity-status' }, t(`status.${a.status}`)),
        a.status === 'open' && a.deadline ? countdown(a.deadline, now, { testid: 'countdown', class: 'act-countdown' }) : null),
      h('h2', { class: 'act-title' }, a.title),
      h('p', { class: 'wait-text', testid: 'wait-text' }, t('wait.no_card')),
      h('p', { class: 'muted' }, t('wait.watch')),
    ],
  };
}

export default {
  phone: renderWait,
};
