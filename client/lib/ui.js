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
  el.hidden = status === 'open' || status === 'idle';
  el.textContent = status === 'closed' ? t('conn.closed')
    : status === 'connecting' ? t('conn.connecting') : t('conn.reconnecting');
}

/** Read a secret from the URL fragment (#name=value), keep it in sessionStorage, clean the address bar. */
export function secretFromFragment(name, storeKey) {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromHash = params.get(name);
  if (fromHash) {
    try { sessionStorage.setItem(storeKey, fromHash); } catch { /* private mode */ }
    history.replaceState(null, '', location.pathname + location.search);
    return fromHash;
  }
  try { return sessionStorage.getItem(storeKey); } catch { return null; }
}

/** Save a Blob as a file. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, class: 'hidden-link' });
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 1000);
}

/** Fetch the JSON export of a session with a host key (or the admin token) and save it. */
export async function downloadExport(code, key) {
  const res = await fetch(`/api/sessions/${encodeURIComponent(code)}/export?format=json`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  if (!res.ok) {
    let body = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    const e = new Error((body && body.error && body.error.message) || res.statusText);
    e.code = (body && body.error && body.error.code) || `http_${res.status}`;
    throw e;
  }
  saveBlob(await res.blob(), `caseroom-${code}.json`);
}

/** mm:ss for a number of milliseconds (never negative). */
export function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
