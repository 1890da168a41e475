// A lecture slide: title, points the console reveals one at a time, an image or a clip, a quote,
// a comparison. Screen: the shown points large beside the media (the <video> is built once per
// layout, so revealing a point never interrupts it); phone: the title and the shown points, or
// "look at the screen" for media; console: the trainer's notes (讲师提示) and the reveal buttons.
// Notes come in the console view only; the screen and phone views never carry them.

import { fill, h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

const list = (a) => (Array.isArray(a.bullets) ? a.bullets : []);

function quoteBlock(a, cls) {
  if (!a.quote || !a.quote.text) return null;
  return h('blockquote', { class: `${cls}-quote`, testid: `${cls}-quote` },
    h('p', {}, a.quote.text),
    a.quote.source ? h('footer', { class: `${cls}-quote-source` }, a.quote.source) : null);
}

function compareBlock(a, cls) {
  const cols = Array.isArray(a.compare) ? a.compare : [];
  if (!cols.length) return null;
  return h('div', { class: `${cls}-compare`, testid: `${cls}-compare`, dataset: { columns: String(cols.length) } },
    cols.map((c) => h('div', { class: `${cls}-compare-col` },
      h('h3', {}, c.title),
      h('ul', {}, (c.points || []).map((p) => h('li', {}, p))))));
}

// -- phone -------------------------------------------------------------------------------------
function renderSlide(ctx, v, a) {
  const { head, title, activityScreen } = ctx;
  const shown = list(a);
  const parts = [head(v, a), title(a)];
  if (a.look_at_screen) {
    parts.push(h('p', { class: 'slide-look', testid: 'slide-look' }, t('slide.look_at_screen')));
  }
  parts.push(shown.length ? h('ol', { class: 'slide-points', testid: 'slide-points' },
    shown.map((p) => h('li', {}, p))) : null);
  parts.push(quoteBlock(a, 'slide'));
  parts.push(compareBlock(a, 'slide'));
  return activityScreen(a, parts);
}

// -- screen ------------------------------------------------------------------------------------
function media(a) {
  if (a.video && a.video.url) {
    return h('video', {
      class: 'h-slide-video', testid: 'host-slide-video', src: a.video.url, controls: true, preload: 'auto',
      playsinline: true,
    });
  }
  if (a.image && a.image.url) {
    return h('img', { class: 'h-slide-image', testid: 'host-slide-image', src: a.image.url, alt: a.caption || a.title });
  }
  return null;
}

function buildSlide(ctx, v, a) {
  const refs = {};
  const figure = media(a);
  const audio = a.audio && a.audio.url
    ? h('audio', { class: 'h-slide-audio', testid: 'host-slide-audio', src: a.audio.url, controls: true, preload: 'auto' })
    : null;
  const body = h('div', { class: ['h-body', 'h-body-slide', (figure || audio) && 'has-media'] },
    h('div', { class: 'h-slide-text' },
      refs.points = h('ol', { class: 'h-slide-points', testid: 'host-slide-points' }),
      quoteBlock(a, 'h-slide'),
      compareBlock(a, 'h-slide')),
    figure || audio ? h('figure', { class: 'h-slide-figure' },
      figure, audio,
      a.caption ? h('figcaption', { class: 'h-slide-caption', testid: 'host-slide-caption' }, a.caption) : null)
      : null);
  body._slide = refs;
  return body;
}

function updateSlide(ctx, v, a, refs) {
  const body = refs && refs.slideBody;
  if (!body) return;
  fill(body._slide.points, list(a).map((p, i) => h('li', { class: 'h-slide-point', testid: `host-slide-point-${i}` }, p)));
}

function answeredSlide(ctx, v, a) {
  // A slide takes no answers: the counter shows how many of its points are up (nothing without points).
  if (!a.bullets_total) return { n: '', label: '' };
  return { n: `${list(a).length}/${a.bullets_total}`, label: t('slide.points_shown') };
}

// -- console -----------------------------------------------------------------------------------
function slidePanel(ctx, v, a) {
  const { command } = ctx;
  const all = Array.isArray(a.all_bullets) ? a.all_bullets : [];
  const shown = list(a).length;
  const act = (action) => command('act', { action });
  return h('div', { class: 'slide-console', testid: 'slide-console' },
    h('div', { class: 'slide-console-bar' },
      h('button', {
        type: 'button', class: 'btn btn-small', testid: 'slide-back', disabled: shown === 0,
        onclick: () => act('back'),
      }, t('slide.back')),
      h('button', {
        type: 'button', class: 'btn btn-primary', testid: 'slide-next-point', disabled: shown >= all.length,
        onclick: () => act('point'),
      }, t('slide.next_point', { n: shown, of: all.length })),
      h('button', {
        type: 'button', class: 'btn btn-small btn-ghost', testid: 'slide-all', disabled: shown >= all.length,
        onclick: () => act('all'),
      }, t('slide.all'))),
    all.length ? h('ol', { class: 'slide-console-points', testid: 'slide-console-points' },
      all.map((p, i) => h('li', { class: i < shown ? 'is-shown' : 'is-hidden', dataset: { shown: String(i < shown) } }, p)))
      : null,
    (a.media || []).length ? h('p', { class: 'muted' }, t('slide.has_media')) : null,
    h('div', { class: 'slide-notes', testid: 'slide-notes' },
      h('div', { class: 'slide-notes-label' }, t('slide.notes')),
      a.notes ? h('div', { class: 'slide-notes-text' }, a.notes) : h('p', { class: 'muted' }, t('slide.no_notes'))),
    a.duration ? h('p', { class: 'muted', testid: 'slide-duration' },
      t('slide.duration', { m: Math.round(a.duration / 60) })) : null);
}

export default {
  takesAnswers: false, // the console shows no close/reveal for it: next goes on
  phone: renderSlide,
  screen: {
    build: (ctx, v, a, refs) => {
      const body = buildSlide(ctx, v, a);
      refs.slideBody = body;
      return body;
    },
    update: updateSlide,
    answered: answeredSlide,
    review: (ctx, v, r) => [t('slide.review', { n: r.shown || 0, of: r.total || 0 })],
  },
  console: { panel: slidePanel, answered: (ctx, v, a) => t('slide.points_line', { n: list(a).length, of: a.bullets_total || 0 }) },
};
