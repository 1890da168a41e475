// An estimate: a number on a range with a unit. Phone: a slider and a field; screen: the live
// histogram, then the reference answer and the median; console: the key and the spread.

import { h, setText } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { details, renderCard, toast } from '../lib/ui.js';
import { CONSENSUS, fmtNum, pct, persist, withUnit } from '../lib/kinds.js';

// -- phone -------------------------------------------------------------------------------------
function niceStep(span) {
  const raw = Math.abs(span) / 100 || 1;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const f = raw / pow;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
}

function estimateForm(ctx, a) {
  const { send, sending } = ctx;
  const min = Number(a.min);
  const max = Number(a.max);
  const consensus = a.mode === CONSENSUS;
  const start = a.my_answer ? a.my_answer.value
    : consensus && a.proposal ? a.proposal.answer.value : null;
  return persist(`estimate:${a.id}:${a.mode}`, () => {
    const input = h('input', {
      type: 'number', inputmode: 'decimal', class: 'input est-input', testid: 'estimate-input',
      min, max, step: 'any', 'aria-label': t('estimate.value'), placeholder: t('estimate.placeholder'),
    });
    const range = h('input', {
      type: 'range', class: 'est-range', testid: 'estimate-range', min, max, step: niceStep(max - min),
      'aria-label': t('estimate.slider'),
    });
    // No default: the slider never starts on a value (mid-range was the answer of the 定金 card);
    // it shows no thumb until the trainee touches it or types a number.
    const untouched = start === null || start === undefined;
    if (!untouched) input.value = String(start);
    range.value = String(untouched ? min : start);
    range.classList.toggle('is-untouched', untouched);
    range.dataset.touched = untouched ? 'false' : 'true';
    const touched = () => { range.classList.remove('is-untouched'); range.dataset.touched = 'true'; };
    range.addEventListener('pointerdown', touched);
    range.addEventListener('input', () => { touched(); input.value = fmtNum(range.value); });
    input.addEventListener('input', () => {
      const n = Number(input.value);
      if (input.value !== '' && Number.isFinite(n)) { touched(); range.value = String(n); }
    });
    const submit = (event) => {
      if (event) event.preventDefault();
      const cur = ctx.current();
      if (!cur || cur.id !== a.id || cur.status !== 'open') return;
      const n = Number(String(input.value).replace(',', '.'));
      if (input.value === '' || !Number.isFinite(n)) { toast(t('estimate.need_value'), 'error'); input.focus(); return; }
      if (n < min || n > max) {
        toast(t('estimate.out_of_range', { min: fmtNum(min), max: fmtNum(max), unit: a.unit || '' }), 'error');
        input.focus();
        return;
      }
      send(cur, { value: n });
    };
    return h('form', { class: 'est-form', novalidate: true, onsubmit: submit },
      h('label', { class: 'est-field' }, input, a.unit ? h('span', { class: 'est-unit' }, a.unit) : null),
      range,
      h('div', { class: 'est-scale' }, h('span', {}, withUnit(min, a.unit)), h('span', {}, withUnit(max, a.unit))),
      h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-big', testid: 'estimate-submit' },
        consensus ? t('estimate.propose') : t('estimate.submit')));
  }, (el) => {
    const btn = el.querySelector('button[type=submit]');
    if (btn) btn.disabled = sending(a);
  });
}

function renderEstimate(ctx, v, a) {
  const {
    pendingFor, sendingText, head, title, activityScreen, modeNote, proposalBlock, resultBlock, explain,
    statusLine
  } = ctx;
  const open = a.status === 'open';
  const consensus = a.mode === CONSENSUS;
  const server = a.my_answer ? a.my_answer.value : null;
  const parts = [head(v, a), title(a)];
  if (a.status === 'revealed' && a.result) {
    const r = a.result;
    const d = server === null ? null : Math.abs(server - r.answer);
    const rating = server === null ? 'none' : d <= (r.tolerance || 0) ? 'best' : a.points > 0 ? 'acceptable' : 'poor';
    parts.push(resultBlock(v, a, {
      rating,
      badge: rating === 'none' ? null : t(`estimate.rating_${rating}`),
      feedback: server === null ? null : t('estimate.yours', { value: withUnit(server, a.unit) }),
    }));
    parts.push(explain(r, h('p', { class: 'explain-rec', testid: 'recommended' },
      r.tolerance ? t('estimate.reference_tol', { value: withUnit(r.answer, a.unit), tol: fmtNum(r.tolerance) })
        : withUnit(r.answer, a.unit)), t('estimate.reference')));
    if (a.card) parts.push(details(`case:${a.id}`, t('phone.show_case'), renderCard(a.card)));
    return activityScreen(a, parts);
  }
  parts.push(a.card ? renderCard(a.card) : null);
  parts.push(modeNote(v, a));
  if (open) {
    parts.push(h('div', { class: 'options-heading' }, t('estimate.heading')));
    parts.push(estimateForm(ctx, a));
    const p = pendingFor(a, 'value');
    if (p && !p.acked) parts.push(statusLine('wait', sendingText()));
    else if (!consensus && server !== null) parts.push(statusLine('ok', t('estimate.received', { value: withUnit(server, a.unit) })));
    else if (!consensus) parts.push(statusLine('info', t('estimate.hint', { min: withUnit(a.min, a.unit), max: withUnit(a.max, a.unit) })));
    parts.push(proposalBlock(v, a));
  } else {
    parts.push(statusLine('closed', server !== null
      ? t('estimate.closed_answered', { value: withUnit(server, a.unit) }) : t('phone.closed_none')));
  }
  return activityScreen(a, parts);
}

// -- screen ------------------------------------------------------------------------------------
function posOf(a, value) {
  const span = Number(a.max) - Number(a.min);
  return span > 0 ? (Number(value) - Number(a.min)) / span : 0;
}

function buildEstimate(ctx, v, a, refs) {
  const { closedNote, explainSide } = ctx;
  const hist = a.histogram || { counts: [] };
  const bins = hist.counts.length || 10;
  const revealed = a.status === 'revealed' && a.reveal;
  refs.bars = [];
  const bars = [];
  for (let i = 0; i < bins; i += 1) {
    const bar = h('div', { class: 'h-hist-bar' });
    const n = h('div', { class: 'h-hist-n' });
    refs.bars.push({ bar, n });
    bars.push(h('div', { class: 'h-hist-col', testid: `host-bin-${i}` }, n, bar));
  }
  const markers = [];
  if (revealed) {
    const r = a.reveal;
    if (r.tolerance) {
      const band = h('div', { class: 'h-hist-band' });
      const lo = Math.max(0, posOf(a, r.answer - r.tolerance));
      const hi = Math.min(1, posOf(a, r.answer + r.tolerance));
      band.style.left = `${lo * 100}%`;
      band.style.width = `${Math.max(0, hi - lo) * 100}%`;
      markers.push(band);
    }
    const ref = h('div', { class: 'h-hist-marker h-hist-ref', testid: 'host-reference' },
      h('span', { class: 'h-hist-flag' }, t('host.reference', { value: withUnit(r.answer, a.unit) })));
    ref.style.left = `${posOf(a, r.answer) * 100}%`;
    markers.push(ref);
    if (r.median !== null && r.median !== undefined) {
      const med = h('div', { class: 'h-hist-marker h-hist-median', testid: 'host-median' },
        h('span', { class: 'h-hist-flag' }, t('host.median', { value: withUnit(r.median, a.unit) })));
      med.style.left = `${posOf(a, r.median) * 100}%`;
      markers.push(med);
    }
  }
  const labels = [];
  const step = bins % 2 === 0 ? 2 : 1;
  for (let i = 0; i <= bins; i += step) {
    const x = Number(a.min) + ((Number(a.max) - Number(a.min)) * i) / bins;
    const label = h('span', { class: 'h-hist-tick' }, fmtNum(x));
    label.style.left = `${(i / bins) * 100}%`;
    labels.push(label);
  }
  const histogram = h('div', { class: 'h-hist', testid: 'host-histogram' },
    h('div', { class: 'h-hist-plot' }, bars, markers),
    h('div', { class: 'h-hist-axis' }, labels),
    a.unit ? h('div', { class: 'h-hist-unit' }, a.unit) : null);
  refs.consensus = h('div', { class: 'h-consensus-slot' });
  if (revealed) {
    const r = a.reveal;
    refs.board = h('div', { class: 'h-board-slot h-board-side' });
    return h('div', { class: 'h-body h-body-reveal' },
      h('div', { class: 'h-col-main h-fit' },
        h('div', { class: 'h-est-facts', testid: 'host-estimate-facts' },
          h('div', { class: 'h-fact h-fact-ref' },
            h('div', { class: 'h-fact-label' }, t('host.reference_label')),
            h('div', { class: 'h-fact-value' }, withUnit(r.answer, a.unit)),
            r.tolerance ? h('div', { class: 'h-fact-sub' }, t('host.tolerance', { tol: fmtNum(r.tolerance) })) : null),
          h('div', { class: 'h-fact' },
            h('div', { class: 'h-fact-label' }, t('host.median_label')),
            h('div', { class: 'h-fact-value' }, withUnit(r.median, a.unit)),
            r.mean !== null && r.mean !== undefined ? h('div', { class: 'h-fact-sub' }, t('host.mean', { value: fmtNum(r.mean) })) : null)),
        histogram,
        refs.consensus),
      explainSide(v, r, null, refs.board));
  }
  const range = h('div', { class: 'h-range-note' },
    t('host.estimate_range', { min: withUnit(a.min, a.unit), max: withUnit(a.max, a.unit) }));
  if (a.status === 'open' && !a.histogram) histogram.classList.add('is-results-hidden');
  const chart = [histogram,
    a.mode === 'group-majority' ? h('div', { class: 'h-mode-note' }, t('host.majority_note_estimate')) : null,
    refs.consensus, closedNote(a)];
  if (!a.card) return h('div', { class: 'h-body h-body-single' }, h('div', { class: 'h-col-options h-fit' }, range, chart));
  return h('div', { class: 'h-body' },
    h('div', { class: 'h-col-card h-fit' }, renderCard(a.card, 'h-card'), range),
    h('div', { class: 'h-col-options h-fit' }, chart));
}

function updateEstimate(ctx, v, a, refs) {
  const counts = (a.histogram && a.histogram.counts) || [];
  const top = Math.max(1, ...counts);
  refs.bars.forEach((ref, i) => {
    const n = Number(counts[i]) || 0;
    ref.bar.style.height = `${Math.round((n / top) * 100)}%`;
    ref.bar.classList.toggle('is-empty', n === 0);
    setText(ref.n, n ? n : '');
  });
}

/** The estimate's line in the course review (on the plan's screen): the median against the reference. */
function reviewEstimate(ctx, v, r) {
  return [t('review.estimate', { median: withUnit(r.median, r.unit), rec: withUnit(r.recommended, r.unit) }),
    r.agreement !== null && r.agreement !== undefined ? h('span', { class: 'h-review-pct' }, t('review.within', { pct: pct(r.agreement) })) : null];
}

// -- console -----------------------------------------------------------------------------------
function estimateKey(a, prefix) {
  const key = a.answer_key || {};
  const counts = (a.histogram && a.histogram.counts) || [];
  const top = Math.max(1, ...counts);
  const median = a.median ?? (a.reveal ? a.reveal.median : null);
  const mean = a.mean ?? (a.reveal ? a.reveal.mean : null);
  return h('div', { class: 'key-estimate', testid: `${prefix}key-estimate` },
    h('div', { class: 'key-facts' },
      h('div', { class: 'key-fact is-key' },
        h('span', { class: 'key-fact-label' }, t('console.estimate_answer')),
        h('b', { testid: `${prefix}key-answer` }, withUnit(key.answer, a.unit)),
        key.tolerance ? h('span', { class: 'muted' }, t('host.tolerance', { tol: fmtNum(key.tolerance) })) : null),
      h('div', { class: 'key-fact' },
        h('span', { class: 'key-fact-label' }, t('host.median_label')),
        h('b', {}, withUnit(median, a.unit)),
        mean !== null && mean !== undefined ? h('span', { class: 'muted' }, t('host.mean', { value: fmtNum(mean) })) : null)),
    h('div', { class: 'mini-hist' }, counts.map((n) => {
      const bar = h('div', { class: 'mini-hist-bar' });
      bar.style.height = `${Math.round((n / top) * 100)}%`;
      return h('div', { class: 'mini-hist-col', title: String(n) }, bar);
    })),
    h('div', { class: 'mini-hist-axis' }, h('span', {}, withUnit(a.min, a.unit)), h('span', {}, withUnit(a.max, a.unit))));
}

// -- a dealt card ------------------------------------------------------------------------------
/** A dealt estimate card after reveal: the group's median against the reference answer. */
function outcomeEstimate(card) {
  const r = card.reveal;
  const m = r.median;
  return {
    answer: m === null || m === undefined ? null : withUnit(m, card.unit),
    recommended: withUnit(r.answer, card.unit),
    ok: m === null || m === undefined ? null : Math.abs(m - r.answer) <= (r.tolerance || 0),
  };
}

export default {
  outcome: outcomeEstimate,
  phone: renderEstimate,
  screen: { build: buildEstimate, update: updateEstimate, review: reviewEstimate, resultsNote: true },
  console: { panel: (ctx, v, a, place = {}) => estimateKey(a, place.prefix || '') },
};
