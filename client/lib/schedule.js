// The console's schedule line: planned against actual time for the day, ahead or behind, what is
// left. The figures come from the console view's `schedule` (sessions/schedule.py); only the
// running activity's share uses the page's clock (docs/protocol.md §6.2), so the line moves each
// second without a new view. Kept current by keepScheduleCurrent().

import { h } from './dom.js';
import { t } from './i18n.js';

/** Minutes as words ("1 小时 5 分" / "1 h 5 min"); seconds under a minute count as one. */
export function minutes(seconds) {
  const m = Math.max(0, Math.round(Math.abs(seconds) / 60));
  const hours = Math.floor(m / 60);
  return hours ? t('schedule.hm', { h: hours, m: m % 60 }) : t('schedule.m', { m });
}

/** The live figures at `now` (epoch ms): what sessions/schedule.at() computes. */
export function scheduleAt(s, now) {
  let delta = s.delta_done || 0;
  let left = s.left_after || 0;
  let spent = 0;
  const cur = s.current;
  if (cur) {
    const onBreak = cur.break_since ? now - cur.break_since : 0;
    spent = Math.max(0, Math.floor((now - cur.opened_at - onBreak) / 1000) - (cur.breaks || 0));
    delta += Math.min(0, cur.planned - spent);
    left += Math.max(0, cur.planned - spent);
  }
  return { delta, left, actual: (s.done_actual || 0) + spent, planned: (s.done_planned || 0) + (cur ? cur.planned : 0) };
}

function fillLine(el, s, now) {
  const f = scheduleAt(s, now);
  const state = Math.abs(f.delta) < 60 ? 'on' : f.delta > 0 ? 'ahead' : 'behind';
  el.dataset.state = state;
  el.dataset.delta = String(f.delta);
  el.dataset.left = String(f.left);
  const end = new Date(now + f.left * 1000);
  el.textContent = [
    s.preset ? t('schedule.day', { n: s.preset.day }) : null,
    t('schedule.planned', { planned: minutes(s.planned_total || 0) }),
    t('schedule.so_far', { actual: minutes(f.actual), planned: minutes(f.planned) }),
    state === 'on' ? t('schedule.on_time') : t(`schedule.${state}`, { d: minutes(f.delta) }),
    t('schedule.left', { left: minutes(f.left), n: s.left_count || 0,
      end: `${String(end.getHours()).padStart(2, '0')}:${String(end.getMinutes()).padStart(2, '0')}` }),
  ].filter(Boolean).join(' · ');
}

/** The line for a console view (null without a schedule). */
export function scheduleLine(view, now) {
  const s = view && view.schedule;
  if (!s) return null;
  const el = h('div', { class: 'schedule-line', testid: 'console-schedule' });
  el._schedule = s;
  fillLine(el, s, now());
  return el;
}

/** Refresh every schedule line once a second by the server's clock `now()`. */
export function keepScheduleCurrent(now) {
  return setInterval(() => {
    for (const el of document.querySelectorAll('[data-testid="console-schedule"]')) {
      if (el._schedule) fillLine(el, el._schedule, now());
    }
  }, 1000);
}
