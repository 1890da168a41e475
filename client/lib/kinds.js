// What every page needs to know about activity kinds: timers and steps, group modes, how an
// answer reads as a sentence, numbers with units, and a small DOM patcher that keeps live
// inputs (a half-typed post, a plan being edited, an IME composition) in place while views arrive.

import { h, letter } from './dom.js';
import { t, has, lang } from './i18n.js';
import { clock, countdown } from './ui.js';

export const CONSENSUS = 'group-consensus';
export const MAJORITY = 'group-majority';
export const GROUP = 'group';

/** 5, 4.5, 0.25: at most two decimals, no trailing zeros; '–' for nothing. */
export function fmtNum(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '–';
  const v = Math.round(Number(n) * 100) / 100;
  return String(v);
}

export function withUnit(n, unit) {
  return unit ? `${fmtNum(n)} ${unit}` : fmtNum(n);
}

/** 0.83 -> '83%' */
export function pct(x) {
  return x === null || x === undefined ? '–' : `${Math.round(Number(x) * 100)}%`;
}

/**
 * The steps of an order card, [{id, text}], when the view has them. (The screen and console
 * views may carry the timer's step names under the same key; then there is nothing to show.)
 */
export function orderSteps(a) {
  const s = a && a.steps;
  if (Array.isArray(s) && s.length && s.every((x) => x && typeof x === 'object' && 'id' in x)) return s;
  return null;
}

export function stepText(steps, id) {
  const found = (steps || []).find((s) => s.id === id);
  return found ? found.text : id;
}

/** The timed steps of an activity (['prep', 'play', 'scoring']), when the view has their names. */
export function timerSteps(a) {
  const s = a && (Array.isArray(a.step_names) ? a.step_names : a.steps);
  return Array.isArray(s) && s.every((x) => typeof x === 'string') ? s : [];
}

export function stepLabel(step) {
  if (!step) return '';
  return has(`step.${step}`) ? t(`step.${step}`) : step;
}

export function modeLabel(mode) {
  if (!mode || mode === 'individual') return null;
  return has(`mode.${mode}`) ? t(`mode.${mode}`) : mode;
}

/** The clock of an open activity: a live countdown, the frozen time left when paused, or null. */
export function timer(a, now, props = {}) {
  if (!a || a.status !== 'open') return null;
  if (a.paused) {
    return h('span', {
      class: ['countdown', 'is-paused', props.class], testid: props.testid, dataset: { paused: 'true' },
      title: t('timer.paused'),
    }, h('span', { class: 'pause-mark', 'aria-hidden': 'true' }, '❚❚'), ' ', clock(a.time_left || 0));
  }
  if (a.deadline) return countdown(a.deadline, now, props);
  return null;
}

/** How a vote / order / estimate answer reads: 'A. 甲', '倾听 → 确认 → …', '5 个月'. */
export function answerSummary(a, answer) {
  if (!answer || typeof answer !== 'object') return '';
  if ('choice' in answer) {
    const options = Array.isArray(a.options) ? a.options : [];
    const i = options.findIndex((o) => o.id === answer.choice);
    return i >= 0 ? `${letter(i)}. ${options[i].text}` : String(answer.choice);
  }
  if (Array.isArray(answer.order)) {
    const steps = orderSteps(a);
    return answer.order.map((id) => stepText(steps, id)).join(' → ');
  }
  if ('value' in answer) return withUnit(answer.value, a.unit);
  if (Array.isArray(answer.items)) return answer.items.map((i) => i.what).join('；');
  return '';
}

/** '1 激化 · 3 一般 · 5 平复' */
export function anchorsText(criterion) {
  const anchors = (criterion && criterion.anchors) || {};
  return Object.keys(anchors).sort((x, y) => Number(x) - Number(y)).map((k) => `${k} ${anchors[k]}`).join(' · ');
}

/** The anchor text for a value, or the nearest anchor below it. */
export function anchorFor(criterion, value) {
  const anchors = (criterion && criterion.anchors) || {};
  if (anchors[String(value)]) return anchors[String(value)];
  return '';
}

// -- keeping inputs alive across re-renders ------------------------------------------------------

const PERSIST = Symbol('persist');

/**
 * A part of a patched container that survives re-renders while its key stays the same:
 * build() makes it once, update(el) runs on every render. The key includes the language,
 * so a language switch rebuilds it with new labels.
 */
export function persist(key, build, update) {
  return { [PERSIST]: true, key: `${key}|${lang()}`, build, update };
}

function flatten(parts, out = []) {
  for (const p of parts) {
    if (p === null || p === undefined || p === false || p === true) continue;
    if (Array.isArray(p)) flatten(p, out);
    else out.push(p);
  }
  return out;
}

/**
 * Make `container`'s children be `parts` (nodes, text or persist() parts), without ever
 * detaching a persistent part that is kept: a focused textarea keeps its focus, caret and
 * composition while everything around it is replaced.
 */
export function patch(container, parts) {
  const list = flatten(parts);
  const wanted = new Set(list.filter((p) => p[PERSIST]).map((p) => p.key));
  for (const child of Array.from(container.childNodes)) {
    if (!(child.dataset && child.dataset.pkey && wanted.has(child.dataset.pkey))) child.remove();
  }
  let cursor = container.firstChild;
  for (const p of list) {
    let node;
    if (p[PERSIST]) {
      node = Array.from(container.children).find((c) => c.dataset.pkey === p.key);
      if (!node) {
        node = p.build();
        node.dataset.pkey = p.key;
      }
      if (p.update) p.update(node);
    } else {
      node = p instanceof Node ? p : document.createTextNode(String(p));
    }
    if (node === cursor) {
      cursor = cursor.nextSibling;
    } else {
      container.insertBefore(node, cursor);
    }
  }
  return container;
}

/** Set class, testid and dataset of an element that is kept across renders. */
export function setProps(el, { class: cls, testid, dataset } = {}) {
  if (cls !== undefined) el.className = Array.isArray(cls) ? cls.filter(Boolean).join(' ') : String(cls || '');
  if (testid !== undefined) el.dataset.testid = testid;
  for (const [k, v] of Object.entries(dataset || {})) {
    if (v === null || v === undefined) delete el.dataset[k];
    else el.dataset[k] = String(v);
  }
  return el;
}

/** Remember which element (by data-testid) had the focus inside `root`, to give it back after a re-render. */
export function keepFocus(root, fn) {
  const active = document.activeElement;
  const id = active && root.contains(active) && active.dataset ? active.dataset.testid : null;
  fn();
  if (id && (!document.activeElement || document.activeElement === document.body)) {
    const again = Array.from(root.querySelectorAll('[data-testid]')).find((el) => el.dataset.testid === id);
    if (again && !again.disabled) again.focus({ preventScroll: true });
  }
}
