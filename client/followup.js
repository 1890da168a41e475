// A trainee's follow-up of their action plan, weeks after the course: no account, the link's token
// (in the URL fragment, never sent to the server in the address) opens this trainee's items alone.
// Each change is saved at once (POST) and the page shows what the server stored.

import { h, fill, $ } from './lib/dom.js';
import { t, apply, bindToggle, onLangChange, lang } from './lib/i18n.js';
import { toast, errorText, secretFromFragment } from './lib/ui.js';

const STATUSES = ['done', 'doing', 'dropped'];
const MAX_COMMENT = 200;
const code = decodeURIComponent(location.pathname.split('/')[2] || '');
const token = secretFromFragment('t', `caseroom.followup.${code}`);

const S = { view: null, error: null, drafts: {}, saving: new Set() };

async function post(path, body) {
  const res = await fetch(`/api/sessions/${encodeURIComponent(code)}/${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token, ...body }),
  });
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const e = new Error((data && data.error && data.error.message) || res.statusText);
    e.code = (data && data.error && data.error.code) || `http_${res.status}`;
    throw e;
  }
  return data;
}

function when(ms, withTime = true) {
  if (!ms) return '';
  const opts = { year: 'numeric', month: '2-digit', day: '2-digit' };
  if (withTime) Object.assign(opts, { hour: '2-digit', minute: '2-digit' });
  return new Date(ms).toLocaleString(lang() === 'en' ? 'en-GB' : 'zh-CN', opts);
}

async function load() {
  if (!token || !/^\d{1,16}$/.test(code)) {
    S.error = { code: 'unknown_followup' };
    render();
    return;
  }
  try {
    S.view = await post('followup', {});
    S.error = null;
  } catch (err) {
    S.error = err;
  }
  render();
}

async function save(item, status) {
  const comment = (S.drafts[item.index] ?? item.comment ?? '').trim();
  if (!status) {
    toast(t('followup.pick_status'), 'error');
    return;
  }
  if (comment.length > MAX_COMMENT) {
    toast(t('err.comment_too_long'), 'error');
    return;
  }
  S.saving.add(item.index);
  render();
  try {
    S.view = await post('followup/items', { item: item.index, status, comment });
    delete S.drafts[item.index];
    toast(t('followup.saved_ok'), 'ok', 1800);
  } catch (err) {
    toast(errorText(err), 'error');
  } finally {
    S.saving.delete(item.index);
    render();
  }
}

function itemCard(item, open) {
  const busy = S.saving.has(item.index);
  const draft = S.drafts[item.index] ?? item.comment ?? '';
  const input = h('input', {
    class: 'input followup-comment', type: 'text', maxlength: MAX_COMMENT, value: draft, disabled: !open || busy,
    testid: `comment-${item.index}`, 'aria-label': t('followup.comment_label', { what: item.what }),
    placeholder: t('followup.comment_placeholder'), enterkeyhint: 'done',
  });
  input.addEventListener('input', () => { S.drafts[item.index] = input.value; });
  const saveComment = () => {
    if ((S.drafts[item.index] ?? item.comment ?? '').trim() !== (item.comment || '')) save(item, item.status);
  };
  input.addEventListener('change', saveComment);
  input.addEventListener('keydown', (event) => { if (event.key === 'Enter') { event.preventDefault(); input.blur(); } });
  return h('li', { class: ['followup-item', item.status && `is-${item.status}`], testid: `item-${item.index}`,
    dataset: { status: item.status || 'none' } },
  h('div', { class: 'followup-what' }, item.what),
  item.by || item.module_title ? h('div', { class: 'muted followup-by' },
    [item.by ? t('plan.by_value', { by: item.by }) : null, item.module_title].filter(Boolean).join(' · ')) : null,
  h('div', { class: 'followup-statuses', role: 'group', 'aria-label': t('followup.status_label') },
    STATUSES.map((s) => h('button', {
      type: 'button', class: ['btn', 'followup-status', `followup-${s}`], testid: `status-${item.index}-${s}`,
      'aria-pressed': item.status === s ? 'true' : 'false', disabled: !open || busy,
      onclick: () => save(item, s),
    }, t(`followup.status_${s}`)))),
  input,
  h('div', { class: 'muted followup-saved', testid: `saved-${item.index}` },
    busy ? t('followup.saving') : item.at ? t('followup.saved_at', { when: when(item.at) }) : t('followup.not_marked')));
}

function render() {
  const main = $('#main');
  if (S.error) {
    fill(main, h('section', { class: 'panel followup-panel', testid: 'followup-error' },
      h('h1', { class: 'followup-title' }, t('followup.heading')),
      h('p', { class: 'form-error' }, errorText(S.error)),
      S.error.code === 'unknown_followup' ? h('p', { class: 'muted' }, t('followup.bad_link')) : null));
    return;
  }
  const v = S.view;
  if (!v) {
    fill(main, h('p', { class: 'muted center' }, t('followup.loading')));
    return;
  }
  const items = Array.isArray(v.items) ? v.items : [];
  main.dataset.open = v.open ? 'true' : 'false';
  fill(main,
    h('section', { class: 'panel followup-panel' },
      h('div', { class: 'followup-kicker' }, t('followup.heading')),
      h('h1', { class: 'followup-title', testid: 'followup-title' }, v.session && v.session.title),
      h('p', { class: 'muted' }, [v.me && v.me.name, v.session && v.session.ended_at
        ? t('followup.session_ended', { when: when(v.session.ended_at, false) }) : null].filter(Boolean).join(' · ')),
      v.open ? h('p', { class: 'followup-intro' }, t('followup.intro'))
        : h('p', { class: 'followup-closed', testid: 'followup-closed' }, v.opens_at
          ? t('followup.opens_on', { when: when(v.opens_at, false) }) : t('followup.opens_after_end'))),
    items.length
      ? h('ol', { class: 'followup-items', testid: 'followup-items' }, items.map((item) => itemCard(item, v.open)))
      : h('p', { class: 'muted' }, t('followup.no_items')),
    h('p', { class: 'muted followup-privacy' }, t('followup.private')));
}

apply();
bindToggle($('#lang'));
onLangChange(render);
load();
