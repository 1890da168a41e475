// The action plan: each trainee writes their own items. Phone: the editor; screen: highlights
// and the course review, one line per activity; console: the count and the highlights.

import { fill, h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { renderCard } from '../lib/ui.js';
import { persist } from '../lib/kinds.js';

// -- phone -------------------------------------------------------------------------------------
function cleanPlan(items) {
  return (items || []).map((i) => ({
    what: String(i.what || '').replace(/\s+/g, ' ').trim(),
    by: String(i.by || '').replace(/\s+/g, ' ').trim(),
    module: i.module || null,
  })).filter((i) => i.what);
}

function planEditor(ctx, a) {
  const { send, sending, sendingText } = ctx;
  const modules = Array.isArray(a.modules) ? a.modules : [];
  return persist(`plan:${a.id}`, () => {
    const list = h('ol', { class: 'plan-items', testid: 'plan-items' });
    const status = h('p', { class: 'answer-status', testid: 'plan-status' });
    const add = h('button', { type: 'button', class: 'btn btn-secondary btn-block', testid: 'plan-add' }, t('plan.add'));
    const save = h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-big', testid: 'plan-save' }, t('plan.save'));
    const rows = () => Array.from(list.children);
    const collect = () => cleanPlan(rows().map((row) => ({
      what: row.querySelector('.plan-what').value,
      by: row.querySelector('.plan-by').value,
      module: row.querySelector('.plan-module') ? row.querySelector('.plan-module').value : null,
    })));
    const refresh = () => {
      const cur = ctx.current();
      const saved = cur && cur.my_answer ? cleanPlan(cur.my_answer.items) : null;
      const mine = collect();
      const busy = cur ? sending(cur) : false;
      add.disabled = rows().length >= a.max_items;
      save.disabled = busy;
      rows().forEach((row, i) => { row.querySelector('.plan-n').textContent = String(i + 1); });
      let kind = 'info';
      let text = t('plan.hint', { n: a.max_items });
      if (busy) { kind = 'wait'; text = sendingText(); }
      else if (saved && JSON.stringify(saved) === JSON.stringify(mine)) {
        kind = 'ok';
        text = t('plan.saved', { n: saved.length });
      } else if (saved || mine.length) {
        kind = 'warn';
        text = t('plan.unsaved');
      }
      status.className = `answer-status answer-${kind}`;
      status.dataset.state = kind;
      status.textContent = text;
    };
    const addRow = (item) => {
      const what = h('textarea', {
        class: 'input plan-what', testid: 'plan-what', rows: 2, maxlength: a.max_length,
        placeholder: a.prompt || t('plan.what_placeholder'),
      });
      what.value = item.what || '';
      const by = h('input', {
        class: 'input plan-by', testid: 'plan-by', maxlength: 30, placeholder: t('plan.by_placeholder'),
      });
      by.value = item.by || '';
      const mod = modules.length ? h('select', { class: 'input plan-module', testid: 'plan-module' },
        h('option', { value: '' }, t('plan.module_none')),
        modules.map((m) => h('option', { value: m.id }, m.title))) : null;
      if (mod) mod.value = item.module || '';
      const row = h('li', { class: 'plan-item', testid: 'plan-item' },
        h('div', { class: 'plan-item-head' },
          h('span', { class: 'plan-n' }),
          h('button', {
            type: 'button', class: 'btn btn-link btn-small plan-remove', testid: 'plan-remove',
            onclick: () => { row.remove(); refresh(); },
          }, t('plan.remove'))),
        h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('plan.what')), what),
        h('div', { class: 'field-row' },
          h('label', { class: 'field field-grow' }, h('span', { class: 'field-label' }, t('plan.by')), by),
          mod ? h('label', { class: 'field field-grow' }, h('span', { class: 'field-label' }, t('plan.module')), mod) : null));
      for (const el of [what, by, mod]) if (el) el.addEventListener('input', refresh);
      list.appendChild(row);
      return row;
    };
    const start = a.my_answer && a.my_answer.items && a.my_answer.items.length ? a.my_answer.items : [{}];
    for (const item of start) addRow(item);
    add.addEventListener('click', () => {
      if (rows().length >= a.max_items) return;
      addRow({}).querySelector('.plan-what').focus();
      refresh();
    });
    const form = h('form', {
      class: 'plan-form', novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const cur = ctx.current();
        if (!cur || cur.id !== a.id || cur.status !== 'open') return;
        const items = collect().map((i) => {
          const out = { what: i.what };
          if (i.by) out.by = i.by;
          if (i.module) out.module = i.module;
          return out;
        });
        send(cur, { items }).then(refresh);
      },
    }, list, add, save, status);
    form._refresh = refresh;
    refresh();
    return form;
  }, (el) => el._refresh());
}

function renderPlan(ctx, v, a) {
  const { head, title, activityScreen, statusLine } = ctx;
  const parts = [head(v, a), title(a)];
  parts.push(a.prompt ? h('p', { class: 'disc-prompt', testid: 'plan-prompt' }, a.prompt) : null);
  parts.push(a.card ? renderCard(a.card) : null);
  if (a.status === 'open') {
    parts.push(planEditor(ctx, a));
  } else {
    const items = a.my_answer ? a.my_answer.items || [] : [];
    const modules = new Map((a.modules || []).map((m) => [m.id, m.title]));
    parts.push(statusLine('closed', items.length ? t('plan.closed_saved', { n: items.length }) : t('plan.closed_none')));
    parts.push(items.length ? h('ol', { class: 'plan-final', testid: 'plan-final' }, items.map((i) => h('li', {},
      h('div', { class: 'plan-final-what' }, i.what),
      i.by || i.module ? h('div', { class: 'muted' },
        [i.by ? t('plan.by_value', { by: i.by }) : null, i.module ? modules.get(i.module) : null].filter(Boolean).join(' · ')) : null))) : null);
  }
  return activityScreen(a, parts);
}

// -- screen ------------------------------------------------------------------------------------
function buildPlan(ctx, v, a, refs) {
  return h('div', { class: 'h-body h-body-plan' },
    h('div', { class: 'h-col-card h-fit' },
      a.prompt ? h('div', { class: 'h-prompt', testid: 'host-prompt' }, a.prompt) : null,
      refs.planStats = h('div', { class: 'h-plan-stats', testid: 'host-plan-stats' }),
      refs.notes = h('div', { class: 'h-notes', testid: 'host-highlights' })),
    h('div', { class: 'h-col-side h-fit' },
      h('div', { class: 'h-section-label h-review-label' }, t('host.review')),
      refs.review = h('div', { class: 'h-review', testid: 'host-review' })));
}

/** One activity's line in the course review: drawn by that activity's own kind. */
function reviewLine(ctx, v, r) {
  const kind = ctx.kindOf(r.kind);
  return kind && kind.screen && kind.screen.review ? kind.screen.review(ctx, v, r) : [];
}

function updatePlan(ctx, v, a, refs) {
  const { groupName } = ctx;
  fill(refs.planStats,
    h('div', { class: 'h-plan-stat' },
      h('b', { class: 'h-plan-n', testid: 'host-plan-items' }, a.items || 0),
      h('span', {}, t('host.plan_items'))),
    h('div', { class: 'h-plan-stat' },
      h('b', { class: 'h-plan-n' }, a.submitted || 0),
      h('span', {}, t('host.plan_people'))));
  const notes = Array.isArray(a.highlights) ? a.highlights : [];
  const themes = Array.isArray(a.highlight_groups) ? a.highlight_groups : [];
  refs.notes.classList.toggle('is-grouped', themes.length > 0);
  if (themes.length) {
    fill(refs.notes, themes.map((g) => h('section', { class: ['h-note-group', g.other && 'is-other'], testid: 'host-note-group' },
      h('header', { class: 'h-note-group-head' },
        h('span', { class: 'h-note-group-label' }, g.other ? t('discuss.other') : g.label),
        h('span', { class: 'h-note-group-count' }, t('plan.group_count', { n: g.count }))),
      g.highlights.map((n) => h('div', { class: 'h-note-group-item', testid: 'host-note' }, n.what)))));
  } else fill(refs.notes, notes.length ? notes.map((n, i) => h('div', { class: ['h-note', `h-note-${i % 4}`], testid: 'host-note' },
    h('div', { class: 'h-note-what' }, n.what),
    n.by || n.module ? h('div', { class: 'h-note-meta' }, [n.by, n.module].filter(Boolean).join(' · ')) : null))
    : h('div', { class: 'h-empty' }, t('host.no_plans')));
  const review = Array.isArray(a.review) ? a.review : [];
  fill(refs.review, review.length ? review.map((r) => h('div', { class: 'h-review-row', testid: `host-review-${r.id}` },
    h('div', { class: 'h-review-title' },
      h('span', { class: 'h-kind-tag' }, t(`kind.${r.kind}`)),
      h('span', {}, r.title),
      r.groups && r.groups.length ? h('span', { class: 'h-review-groups' }, r.groups.map((g) => groupName(v, g)).join('、')) : null),
    h('div', { class: 'h-review-line' }, reviewLine(ctx, v, r))))
    : h('div', { class: 'h-empty' }, t('host.no_review')));
}

// -- console -----------------------------------------------------------------------------------
function planPanel(a, ctx) {
  const notes = Array.isArray(a.highlights) ? a.highlights : [];
  const grouped = Array.isArray(a.highlight_groups);
  return h('div', { class: 'plan-panel', testid: 'console-plan' },
    a.prompt ? h('p', { class: 'mod-prompt' }, a.prompt) : null,
    h('p', { class: 'key-note' }, t('console.plan_items', { n: a.items || 0 })),
    a.items ? h('button', {
      type: 'button', class: 'btn btn-small btn-secondary', testid: 'plan-cluster',
      onclick: () => ctx.command('cluster', { activity: a.id }, t('console.cluster_ok')),
    }, grouped ? t('console.recluster') : t('console.cluster')) : null,
    notes.length ? h('ul', { class: 'plan-notes' }, notes.map((n) => h('li', {},
      h('span', {}, n.what),
      n.by || n.module ? h('span', { class: 'muted' }, ` · ${[n.by, n.module].filter(Boolean).join(' · ')}`) : null)))
      : h('p', { class: 'muted' }, t('host.no_plans')),
    h('p', { class: 'muted' }, t('console.plan_review_on_screen')));
}

export default {
  phone: renderPlan,
  screen: {
    build: buildPlan,
    update: updatePlan,
    answered: (ctx, v, a, n) => ({ n, label: t('host.planners', { joined: v.counts.joined }) }),
  },
  console: {
    panel: (ctx, v, a) => planPanel(a, ctx),
    answered: (ctx, v, a, n) => t('console.planners', { n, joined: v.counts.joined }),
  },
};
