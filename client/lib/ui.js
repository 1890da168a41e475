// Small pieces every page shares: toasts, the connection banner, error texts, downloads.

import { h } from './dom.js';
import { t, has } from './i18n.js';

/** A server or client error as a sentence in the current language. */
export function errorText(err) {
  const code = err && err.code;
  if (code && has(`err.${code}`)) return t(`err.${code}`);
  if (err && err.message) return t('err.generic', { message: err.message });
  return t('err.unknown');
}

let toastRoot = null;

/** A short message at the bottom of the page; kind: 'info' | 'ok' | 'error'. */
export function toast(text, kind = 'info', ms = 4000) {
  if (!toastRoot) {
    toastRoot = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite', testid: 'toasts' });
    document.body.appendChild(toastRoot);
  }
  const item = h('div', { class: ['toast', `toast-${kind}`], testid: `toast-${kind}` }, text);
  toastRoot.appendChild(item);
  setTimeout(() => item.classList.add('toast-out'), ms);
  setTimeout(() => item.remove(), ms + 400);
  return item;
}

/** Reflect the link status in `el` (a banner): hidden while open. */
export function showLinkStatus(el, status) {
  if (!el) return;
  el.dataset.status = status;
  el.hidden = status === 'open' || status === 'idle' || status === 'refused'; // refused: the page says why
  el.textContent = status === 'closed' ? t('conn.closed')
    : status === 'connecting' ? t('conn.connecting') : t('conn.reconnecting');
}

/** The URL fragment as parameters: #key=…&review -> {key: '…', review: ''}. */
export function fragmentParams() {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

/**
 * Read a secret from the URL fragment (#name=value), keep it in sessionStorage, clean the address bar.
 * `keep` names fragment parameters that are not secret and stay in the address (e.g. 'review').
 */
export function secretFromFragment(name, storeKey, keep = []) {
  const params = fragmentParams();
  const fromHash = params.get(name);
  if (fromHash) {
    try { sessionStorage.setItem(storeKey, fromHash); } catch { /* private mode */ }
    const rest = keep.filter((k) => params.has(k))
      .map((k) => (params.get(k) ? `${encodeURIComponent(k)}=${encodeURIComponent(params.get(k))}` : encodeURIComponent(k)));
    history.replaceState(null, '', location.pathname + location.search + (rest.length ? `#${rest.join('&')}` : ''));
    return fromHash;
  }
  try { return sessionStorage.getItem(storeKey); } catch { return null; }
}

/** The review screen of a session: the projector page in review mode. */
export function reviewUrl(code, key) {
  return `/host/${encodeURIComponent(code)}#key=${encodeURIComponent(key)}&review`;
}

/** An HTTP error as an Error with the server's code and the status. */
async function httpError(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const e = new Error((body && body.error && body.error.message) || res.statusText);
  e.code = (body && body.error && body.error.code) || `http_${res.status}`;
  e.status = res.status;
  e.problems = (body && body.error && Array.isArray(body.error.problems)) ? body.error.problems : [];
  return e;
}

export { httpError };

/** GET (or another method) a JSON API with a Bearer key; rejects with an Error carrying .code and .status. */
export async function apiJson(path, key, { method = 'GET', body } = {}) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw await httpError(res);
  return res.json();
}

/** Save a Blob as a file. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, class: 'hidden-link' });
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 1000);
}

export const EXPORT_FORMATS = ['json', 'csv', 'xlsx', 'html'];
const EXPORT_EXT = { json: 'json', csv: 'zip', xlsx: 'xlsx', html: 'html' };

/** The file name a Content-Disposition header gives (filename*=UTF-8'' first), or null. */
export function dispositionName(header) {
  if (!header) return null;
  const star = header.match(/filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/);
  if (star) {
    try { return decodeURIComponent(star[1].trim()); } catch { /* fall through */ }
  }
  const plain = header.match(/filename\s*=\s*"([^"]*)"/) || header.match(/filename\s*=\s*([^;]+)/);
  const name = plain ? plain[1].trim() : '';
  // Only a plain file name: no directories, nothing hidden.
  return name && !/[\\/]/.test(name) && !name.startsWith('.') ? name : null;
}

/** Fetch an export of a session (json | csv | xlsx | html) with a host key or the admin token and save it. */
export async function downloadExport(code, key, format = 'json') {
  const res = await fetch(`/api/sessions/${encodeURIComponent(code)}/export?format=${encodeURIComponent(format)}`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  if (!res.ok) throw await httpError(res);
  const name = dispositionName(res.headers.get('content-disposition'))
    || `caseroom-${code}.${EXPORT_EXT[format] || format}`;
  saveBlob(await res.blob(), name);
  return name;
}

/** mm:ss for a number of milliseconds (never negative). */
export function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A case card: situation, the customer's words, facts. `headingLevel` picks h2/h3 for its parts. */
export function renderCard(card, extraClass) {
  if (!card) return null;
  const facts = Array.isArray(card.facts) ? card.facts : [];
  return h('div', { class: ['case-card', extraClass], testid: 'case-card' },
    h('div', { class: 'case-part case-situation' },
      h('div', { class: 'case-label' }, t('card.situation')),
      h('p', { class: 'case-text', testid: 'card-situation' }, card.situation)),
    card.customer_says ? h('div', { class: 'case-part case-says' },
      h('div', { class: 'case-label' }, t('card.customer_says')),
      h('blockquote', { class: 'case-quote', testid: 'card-says' }, card.customer_says)) : null,
    facts.length ? h('div', { class: 'case-part case-facts' },
      h('div', { class: 'case-label' }, t('card.facts')),
      h('ul', { class: 'case-fact-list', testid: 'card-facts' }, facts.map((f) => h('li', {}, f)))) : null);
}

/** Legal basis references: source + article, then the quoted text. */
export function renderLegal(refs) {
  if (!Array.isArray(refs) || refs.length === 0) return null;
  return h('div', { class: 'legal', testid: 'legal-basis' },
    h('div', { class: 'legal-heading' }, t('reveal.legal_basis')),
    h('ul', { class: 'legal-list' }, refs.map((ref) => h('li', { class: 'legal-item' },
      h('div', { class: 'legal-source' },
        h('span', { class: 'legal-law' }, ref.source),
        ref.article ? h('span', { class: 'legal-article' }, ref.article) : null),
      ref.quote ? h('blockquote', { class: 'legal-quote' }, ref.quote) : null))));
}

/** Keep every [data-deadline] element showing the time left, by the server's clock `now()`. */
export function startCountdowns(now) {
  const tick = () => {
    for (const el of document.querySelectorAll('[data-deadline]')) {
      const left = Number(el.dataset.deadline) - now();
      el.textContent = clock(left);
      el.classList.toggle('is-urgent', left <= 10000);
      el.classList.toggle('is-over', left <= 0);
    }
  };
  tick();
  return setInterval(tick, 250);
}

/** '+50', '0', '-20' */
export function signed(n) {
  const v = Number(n) || 0;
  return v > 0 ? `+${v}` : String(v);
}

/** A countdown element (kept current by startCountdowns). */
export function countdown(deadline, now, props = {}) {
  const left = deadline - now();
  return h('span', { ...props, class: ['countdown', props.class, left <= 10000 && 'is-urgent'],
    dataset: { deadline } }, clock(left));
}

const openDetails = new Set();

/** A <details> that stays open (or closed) across re-renders; `key` names it. */
export function details(key, summary, ...content) {
  const el = h('details', { class: 'details', open: openDetails.has(key), dataset: { key } },
    h('summary', {}, summary), ...content);
  el.addEventListener('toggle', () => {
    if (el.open) openDetails.add(key);
    else openDetails.delete(key);
  });
  return el;
}
