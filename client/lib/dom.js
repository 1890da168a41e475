// A tiny element builder. Text only ever goes in through textContent / text nodes:
// nothing here parses HTML, so a trainee's name can never become markup on the big screen.

const URL_OK = /^(https?:|blob:|\/|#|\?)/i;
const FORBIDDEN = new Set(['innerHTML', 'outerHTML', 'style', 'srcdoc']);

function appendChildren(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === true) continue;
    if (Array.isArray(child)) appendChildren(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * h('button', {class: 'big', testid: 'go', onclick: fn, disabled: true}, 'text', child, [more])
 * Props: class (string or array), text, testid, dataset {..}, on<event> (function), any other
 * attribute (set with setAttribute; true = present, false/null/undefined = absent).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (FORBIDDEN.has(key)) throw new Error(`dom.h: '${key}' is not allowed`);
    if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'testid') {
      el.dataset.testid = String(value);
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[k] = String(v);
    } else if (key.startsWith('on')) {
      if (typeof value !== 'function') throw new Error(`dom.h: '${key}' must be a function`);
      el.addEventListener(key.slice(2), value);
    } else if ((key === 'href' || key === 'src') && !URL_OK.test(String(value))
               && !(key === 'src' && /^data:image\//i.test(String(value)))) {
      throw new Error(`dom.h: refusing ${key}=${String(value).slice(0, 40)}`);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  appendChildren(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * svg('line', {x1: 0, class: 'axis'}, child...): the same rules as h() for SVG elements
 * (charts drawn with DOM calls, never parsed from markup). No event handlers, no links.
 */
export function svg(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (FORBIDDEN.has(key) || key.startsWith('on') || key === 'href' || key === 'xlink:href') {
      throw new Error(`dom.svg: '${key}' is not allowed`);
    }
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value));
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'testid') el.dataset.testid = String(value);
    else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[k] = String(v);
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
  appendChildren(el, children);
  return el;
}

/** Replace every child of `el` with `children` (same rules as h). */
export function fill(el, ...children) {
  el.replaceChildren();
  appendChildren(el, children);
  return el;
}

export function setText(el, text) {
  if (el) el.textContent = text === null || text === undefined ? '' : String(text);
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function $$(selector, root = document) {
  return Array.from(root.querySelectorAll(selector));
}

/** Show or hide with the hidden attribute (our CSS makes [hidden] win over display rules). */
export function show(el, visible = true) {
  if (el) el.hidden = !visible;
  return el;
}

/** A, B, C ... for option positions: labels are presentation, ids stay the deck's. */
export function letter(index) {
  return String.fromCharCode(65 + index);
}

/** The shape of an option (▲ ◆ ● ■ ★ ⬢, drawn by style.css from the `opt-c<i>` class around it):
 * colour-blind trainees tell the options apart by it, on the phones and the projector alike. */
export function shape() {
  return h('span', { class: 'opt-shape', 'aria-hidden': 'true', testid: 'opt-shape' });
}
