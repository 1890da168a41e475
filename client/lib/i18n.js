// UI strings: t(key, params) from one catalogue per language (client/i18n/*.js).
// zh-CN is the default; ?lang=en (or the toggle) switches and the choice is remembered.
// Only the language in use is loaded (a catalogue is a fifth of a phone's first load); the
// other comes when the toggle asks for it.

const FILES = { 'zh-CN': '../i18n/zh-CN.js', en: '../i18n/en.js' };
const SELF = { 'zh-CN': '中文', en: 'EN' }; // each language's own name, before its catalogue is here
export const LANGS = {};
const STORE_KEY = 'caseroom.lang';
const listeners = new Set();

function normalise(lang) {
  if (!lang) return null;
  const l = String(lang).toLowerCase();
  if (l === 'en' || l.startsWith('en-')) return 'en';
  if (l === 'zh' || l.startsWith('zh')) return 'zh-CN';
  return null;
}

function storedLang() {
  try { return localStorage.getItem(STORE_KEY); } catch { return null; }
}

function initialLang() {
  const fromQuery = normalise(new URLSearchParams(location.search).get('lang'));
  if (fromQuery) {
    try { localStorage.setItem(STORE_KEY, fromQuery); } catch { /* private mode */ }
    return fromQuery;
  }
  return normalise(storedLang()) || 'zh-CN';
}

async function load(l) {
  if (!LANGS[l]) LANGS[l] = (await import(FILES[l])).default;
  return LANGS[l];
}

let current = initialLang();
document.documentElement.lang = current;
await load(current);

export function lang() {
  return current;
}

/** t('phone.answered', {n: 3}) -> the current language's string with {n} filled in. */
export function t(key, params) {
  let text = LANGS[current][key];
  if (text === undefined && LANGS['zh-CN']) text = LANGS['zh-CN'][key];
  if (text === undefined) {
    console.warn(`i18n: missing key ${key}`);
    return key;
  }
  if (params) {
    text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  }
  return text;
}

/** Has the catalogue a string for this key (used for optional keys such as error codes)? */
export function has(key) {
  return key in LANGS[current] || Boolean(LANGS['zh-CN'] && key in LANGS['zh-CN']);
}

/** Fill every [data-i18n] (text), [data-i18n-placeholder], [data-i18n-title], [data-i18n-aria-label]. */
export function apply(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const attr of ['placeholder', 'title', 'aria-label']) {
    const data = `i18n${attr.replace(/(^|-)(\w)/g, (m, d, c) => c.toUpperCase())}`;
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, t(el.dataset[data]));
  }
}

export async function setLang(next) {
  const l = normalise(next) || 'zh-CN';
  if (l === current) return;
  await load(l);
  if (l === current) return;
  current = l;
  document.documentElement.lang = l;
  try { localStorage.setItem(STORE_KEY, l); } catch { /* private mode */ }
  apply();
  for (const fn of listeners) fn(l);
}

export function onLangChange(fn) {
  listeners.add(fn);
}

/** Make `button` a language toggle showing the other language's name. */
export function bindToggle(button) {
  if (!button) return;
  const label = () => {
    const other = current === 'en' ? 'zh-CN' : 'en';
    const visible = (LANGS[other] && LANGS[other]['lang.self']) || SELF[other];
    button.textContent = visible;
    // The accessible name starts with the visible text (axe: label-content-name-mismatch).
    button.setAttribute('aria-label', `${visible} · ${t('lang.switch')}`);
    button.dataset.testid = button.dataset.testid || 'lang-toggle';
  };
  label();
  button.addEventListener('click', () => setLang(current === 'en' ? 'zh-CN' : 'en'));
  onLangChange(label);
}
