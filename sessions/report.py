"""The printable review report (A4): summary, charts as inline SVG, one page per trainee.

Every piece of text that came from a deck or a person goes through ``esc``
(html.escape) before it touches the page; the page carries no script at all,
so a name like ``<img onerror=…>`` prints as those characters.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, tzinfo
from html import escape
from typing import Any

from games.rounding import half_up
from sessions.headline import headline
from sessions.i18n import FOLLOW_UP_STATUS, language, local_text, zone, zone_name
from sessions.live import LiveSession
from sessions.personal import personal
from sessions.state import SessionState
from sessions.tables import answer_text, local_iso

PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]

CSS = """
@page { size: A4; margin: 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; color: #0f172a;
       font-size: 10.5pt; line-height: 1.5; margin: 0; }
h1 { font-size: 20pt; margin: 0 0 4pt; } h2 { font-size: 14pt; margin: 14pt 0 6pt; border-bottom: 2px solid #1e3a8a;
  padding-bottom: 2pt; } h3 { font-size: 11.5pt; margin: 10pt 0 4pt; }
.muted { color: #64748b; } .small { font-size: 9pt; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; }
th, td { border: 1px solid #cbd5e1; padding: 3pt 5pt; text-align: left; vertical-align: top; }
th { background: #eef2ff; }
td.num, th.num { text-align: right; white-space: nowrap; }
.card { break-inside: avoid; margin-bottom: 10pt; }
.best { color: #15803d; font-weight: bold; }
.page { break-before: page; }
.stats { display: flex; gap: 8pt; margin: 6pt 0; } .stat { border: 1px solid #cbd5e1; padding: 4pt 8pt; }
.stat b { font-size: 14pt; display: block; }
svg text { font-family: inherit; }
.disclaimer { border-left: 3px solid #d97706; padding-left: 6pt; color: #92400e; }
.when { font-size: 12pt; margin: 2pt 0 6pt; }
table.headline td.bar { width: 30%; } table.headline td.bar span { display: block; height: 9pt; background: #16a34a; }
table.board tr, table.headline tr { break-inside: avoid; }
"""


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _bars(items: list[tuple[str, float, bool]], unit: str = "", width: int = 520) -> str:
    """A horizontal bar chart: (label, value, highlighted)."""
    if not items:
        return ""
    top = max(v for _, v, _ in items) or 1
    row, label_w = 22, 200
    height = row * len(items) + 6
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">']
    for i, (label, value, hi) in enumerate(items):
        y = i * row + 3
        w = (width - label_w - 60) * value / top
        color = "#16a34a" if hi else "#94a3b8"
        short = label if len(label) <= 16 else label[:15] + "…"
        parts.append(f'<text x="0" y="{y + 14}" font-size="10">{esc(short)}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="15" fill="{color}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="10">{value:g}{esc(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """Round-numbered axis ticks from lo to hi (about n of them)."""
    span = hi - lo or 1
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def _lines(series: dict[str, list[tuple[int, float]]], names: dict[str, str], tz: tzinfo,
           marks: list[tuple[int, str]] | None = None, width: int = 660, height: int = 240) -> str:
    """Group scores over time: one polyline per group; a y axis with round ticks, an x axis of local
    clock times, and a numbered marker where each activity opened (the legend is the table above)."""
    points = [p for s in series.values() for p in s]
    if not points:
        return '<p class="muted">—</p>'
    t0 = min([t for t, _ in points] + [at for at, _ in marks or []])
    t1 = max(t for t, _ in points)
    v0, v1 = min(0, min(v for _, v in points)), max(v for _, v in points) or 1
    pad_l, pad_b, pad_r, pad_t = 44, 34, 120, 16

    def x(t: int) -> float:
        return pad_l + (width - pad_l - pad_r) * ((t - t0) / (t1 - t0) if t1 > t0 else 1)

    def y(v: float) -> float:
        return pad_t + (height - pad_b - pad_t) * (1 - (v - v0) / (v1 - v0))

    out = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
           f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{y(v0):.1f}" stroke="#475569"/>',
           f'<line x1="{pad_l}" y1="{y(v0):.1f}" x2="{width - pad_r}" y2="{y(v0):.1f}" stroke="#475569"/>']
    for v in _ticks(v0, v1):
        out.append(f'<line x1="{pad_l}" y1="{y(v):.1f}" x2="{width - pad_r}" y2="{y(v):.1f}" stroke="#e2e8f0"/>'
                   f'<text x="{pad_l - 4}" y="{y(v) + 3:.1f}" font-size="9" text-anchor="end">{v:g}</text>')
    span_min = (t1 - t0) / 60000
    if span_min < 6:  # a short session: its first and last moment, to the second
        stamps = [datetime.fromtimestamp(t / 1000, tz) for t in dict.fromkeys((t0, t1))]
        fmt = "%H:%M:%S"
    else:
        step_min = next((m for m in (1, 2, 5, 10, 15, 30, 60, 120) if span_min / m <= 6), 240)
        first = datetime.fromtimestamp(t0 / 1000, tz).replace(second=0, microsecond=0)
        tick = first + timedelta(minutes=(step_min - first.minute % step_min) % step_min)
        stamps, fmt = [], "%H:%M"
        while tick.timestamp() * 1000 <= t1:
            stamps.append(tick)
            tick += timedelta(minutes=step_min)
    for stamp in stamps:
        tx = x(int(stamp.timestamp() * 1000))
        if tx >= pad_l:
            out.append(f'<line x1="{tx:.1f}" y1="{y(v0):.1f}" x2="{tx:.1f}" y2="{y(v0) + 4:.1f}" stroke="#475569"/>'
                       f'<text x="{tx:.1f}" y="{y(v0) + 14:.1f}" font-size="9" text-anchor="middle">'
                       f'{stamp.strftime(fmt)}</text>')
    for n, (at, _title) in enumerate(marks or [], 1):
        if t0 <= at <= t1:
            mx = x(at)
            out.append(f'<line x1="{mx:.1f}" y1="{pad_t}" x2="{mx:.1f}" y2="{y(v0):.1f}" stroke="#cbd5e1" '
                       f'stroke-dasharray="2,3"/><text x="{mx:.1f}" y="{height - 4}" font-size="8" '
                       f'text-anchor="middle" fill="#64748b">{n}</text>')
    for i, (gid, s) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        pts = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in s)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
        last_t, last_v = s[-1]
        out.append(f'<text x="{x(last_t) + 4:.1f}" y="{y(last_v) + 4:.1f}" font-size="10" fill="{color}">'
                   f"{esc(names.get(gid, gid))} {last_v:g}</text>")
    out.append("</svg>")
    return "".join(out)


def _activity_section(live: LiveSession, rec: dict[str, Any], row: dict[str, Any], groups: dict[str, str]) -> str:
    act = live.state.deck.activities[row["id"]]
    parts = [f'<div class="card"><h3>{esc(act.title)} <span class="muted small">'
             f'{esc(act.kind)} · {esc(row.get("mode"))}</span></h3>']
    cfg = act.config
    if act.kind == "vote":
        dist = row.get("distribution", {})
        items = [(f"{o.id.upper()}. {o.text}", dist.get(o.id, 0), o.id == cfg.recommended) for o in cfg.options]
        parts.append(_bars(items))
        best = cfg.option(cfg.recommended)
        parts.append(f'<p>推荐处理 Recommended: <span class="best">{esc(cfg.recommended.upper())}. '
                     f"{esc(best.text if best else '')}</span></p>")
    elif act.kind == "order":
        text = dict(cfg.steps)
        parts.append("<p>正确顺序 Correct: " + esc(" → ".join(t for _, t in cfg.steps)) + "</p>")
        if row.get("class_choice"):
            parts.append(f"<p>全班最常见 Most common ({row.get('class_choice_count', 0)}): "
                         + esc(" → ".join(text.get(s, s) for s in row["class_choice"])) + "</p>")
    elif act.kind == "estimate":
        hist = row.get("histogram", {"counts": [], "min": 0, "max": 0})
        n = len(hist["counts"]) or 1
        step = (hist["max"] - hist["min"]) / n
        items = [(f"{hist['min'] + i * step:g}–{hist['min'] + (i + 1) * step:g}", c,
                  hist["min"] + i * step <= cfg.answer < hist["min"] + (i + 1) * step)
                 for i, c in enumerate(hist["counts"])]
        parts.append(_bars(items))
        parts.append(f"<p>参考值 Reference: <b>{cfg.answer:g} {esc(cfg.unit)}</b> · 中位数 median: "
                     f"{esc(row.get('median'))}</p>")
    elif act.kind == "roleplay":
        crit = {c.id: c.title for c in cfg.rubric.criteria}
        for res in row.get("results", []):
            parts.append(f"<p><b>第 {res['round'] + 1} 轮 Round {res['round'] + 1}</b> · "
                         f"{esc(groups.get(res['group'], res['group']))} · 坐席 agent: {esc(res['agent_name'])} · "
                         f"{res['total']:g}/{res['max']} · {res['points']} 分 ({res['scorers']} 位评分人)</p>")
            parts.append(_bars([(crit.get(c, c), v or 0, False) for c, v in res["means"].items()], " /5"))
    elif act.kind == "discuss" and row.get("clusters"):  # grouped by the trainer: themes, largest first
        texts = {p["id"]: p for p in row.get("posts", [])}
        for cluster in row["clusters"][:12]:
            title = cluster["label"] or "其他 Other"
            parts.append(f"<p><b>{esc(title)}</b> <span class='muted'>({cluster['count']})</span></p>")
            for pid in cluster["posts"][:3]:
                post = texts[pid]
                parts.append(f"<p>“{esc(post['text'])}” <span class='muted'>+{post['votes']}</span></p>")
    elif act.kind == "discuss":
        for post in row.get("posts", [])[:8]:  # the review's board: hidden posts are not on it
            star = "★ " if post.get("highlighted") else ""
            author = groups.get(post.get("author", ""), "")
            parts.append(f"<p>{star}“{esc(post['text'])}” <span class='muted'>{esc(author)} +{post['votes']}"
                         "</span></p>")
    elif act.kind == "plan":
        parts.append(f"<p>{row.get('answered', 0)} 人写了行动计划 wrote a plan.</p>")
    if row.get("by_group"):
        cells = []
        for gid, answer in row["by_group"].items():
            if answer is not None:
                cells.append(f"<tr><td>{esc(groups.get(gid, gid))}</td>"
                             f"<td>{esc(answer_text(live, row['id'], answer))}</td></tr>")
        if cells:
            parts.append("<table><tr><th>小组 Group</th><th>选择 Choice</th></tr>" + "".join(cells) + "</table>")
    if row.get("rationale"):
        parts.append(f'<p class="small">理由 Rationale: {esc(row["rationale"])}</p>')
    parts.append("</div>")
    return "".join(parts)


def _trainee_page(live: LiveSession, rec: dict[str, Any], p: dict[str, Any], groups: dict[str, str]) -> str:
    """One trainee's page: the personal record (sessions.personal), so its lines and awards add up to
    the score, group answers show the group's answer, and hidden posts are left out."""
    me = personal(live, p["id"], rec)
    rows = []
    for line in me["answers"]:
        answer = line["answer"]
        if line["by_group"] and answer:
            answer = "小组 group: " + answer
        for r in line.get("rounds", []):
            answer = (answer + "; " if answer else "") + f"第 {r['round']} 轮坐席 agent · {r['total']:g}/{r['max']}"
        if not line["present"]:
            answer = "未参加 not present"
        pts = line["points"]
        rows.append(f"<tr><td>{esc(line['title'])}</td><td>{esc(answer or '—')}</td>"
                    f"<td class='num'>{'' if pts is None else pts}</td></tr>")
    plans = [f"<li>{esc(x['what'])}{' — ' + esc(x['by']) if x['by'] else ''}</li>" for x in me["action_plan"]]
    awards = [f"<li>{a['points']:+d} {esc(a['reason'])}</li>" for a in me["awards"]]
    totals = me["totals"]
    return (f'<section class="page"><h2>{esc(p["name"])}</h2>'
            f'<div class="stats"><div class="stat"><b>{totals["score"]}</b>得分 score</div>'
            f'<div class="stat"><b>{me["me"]["rank"] or "—"}</b>名次 rank</div>'
            f'<div class="stat"><b>{esc(groups.get(p["group"] or "", "—"))}</b>小组 group</div></div>'
            "<h3>作答 Answers</h3><table><tr><th>活动 Activity</th><th>作答 Answer</th><th class='num'>得分</th></tr>"
            + "".join(rows)
            + f"<tr><th colspan='2'>活动合计 activities {totals['activities']} + 加减分 awards {totals['awards']}"
              f"</th><th class='num'>{totals['score']}</th></tr></table>"
            + ("<h3>加减分 Awards</h3><ul>" + "".join(awards) + "</ul>" if awards else "")
            + "<h3>行动计划 Action plan</h3>" + ("<ul>" + "".join(plans) + "</ul>" if plans else "<p>—</p>")
            + "</section>")


def _headline(head: dict[str, Any]) -> str:
    """Page 1's figures: the share choosing the recommended handling per card, and the weakest three."""
    cards = [c for c in head["cards"] if c["agreement"] is not None]
    if not cards:
        return ""
    rows = "".join(
        f"<tr><td>{n}</td><td>{esc(c['title'])}</td><td class='num'>{c['answered']}</td>"
        f"<td class='num'>{half_up(c['agreement'] * 100):d}%</td>"
        f"<td class='bar'><span style='width:{half_up(c['agreement'] * 100)}%'></span></td>"
        f"<td class='num'>{'' if c['average_points'] is None else format(c['average_points'], 'g')}</td></tr>"
        for n, c in enumerate(cards, 1))
    weakest = "".join(f"<li>{esc(c['title'])} — {half_up(c['agreement'] * 100):d}%</li>" for c in head["weakest"])
    return ("<h2>选择推荐处理的比例 Share choosing the recommended handling</h2>"
            "<table class='headline'><tr><th>#</th><th>活动 Activity</th><th class='num'>作答</th>"
            "<th class='num'>推荐</th><th></th><th class='num'>平均分 avg</th></tr>" + rows + "</table>"
            + f"<h3>最薄弱的三题 The three weakest cards</h3><ol>{weakest}</ol>")


def _follow_up(st: SessionState, section: dict[str, Any], tz: tzinfo) -> str:
    """The plans' follow-up (``rec["follow_up"]``): when it opens, the totals, each item's latest mark."""
    if not section["items"]:
        return ""
    label = FOLLOW_UP_STATUS.get(language(st), FOLLOW_UP_STATUS["en"])
    total = section["total"]

    def local(at: str | None, fmt: str) -> str:
        when = local_iso(at, tz)
        return when.strftime(fmt) if when is not None else "—"

    share = "—" if total["completion"] is None else f"{half_up(total['completion'] * 100)} %"
    rows = "".join(f"<tr><td>{esc(r['name'])}</td><td>{esc(r['what'])}</td><td>{esc(r['by'])}</td>"
                   f"<td>{esc(label.get(r['status'] or '', '—'))}</td><td>{esc(r['comment'])}</td>"
                   f"<td>{local(r['at'], '%Y-%m-%d %H:%M')}</td></tr>" for r in section["items"])
    return (f"<h2>行动计划跟进 Follow-up of the plans</h2>"
            f"<p class='small muted'>开放 opens {local(section['opens_at'], '%Y-%m-%d')} · "
            f"{esc(label['done'])} {total['done']} · {esc(label['doing'])} {total['doing']} · "
            f"{esc(label['dropped'])} {total['dropped']} · 未填写 unmarked {total['unmarked']} · "
            f"完成率 completion {share}</p>"
            f"<table><tr><th>姓名</th><th>行动</th><th>期限</th><th>跟进</th><th>说明</th><th>更新</th></tr>"
            f"{rows}</table>")


def html_report(live: LiveSession, rec: dict[str, Any], timeline: dict[str, Any], tz: tzinfo | None = None) -> str:
    """Page 1: title, local date and times, duration, head-counts, class average and the headline
    figures; page 2: groups, scores over time, leaderboard; then activity by activity, awards,
    plans and their follow-up, and one page per trainee."""
    tz = tz or zone()
    st = live.state
    s = rec["session"]
    head = headline(live)
    groups = {g["id"]: g["name"] for g in rec["groups"]}
    names = {p["id"]: p["name"] for p in rec["participants"]}
    playing = {g["id"] for g in head["groups"]}
    series: dict[str, list[tuple[int, float]]] = {gid: [] for gid in groups if gid in playing}
    for snap in timeline["scores"]:
        for gid, v in snap["groups"].items():
            if gid in series:
                series[gid].append((snap["at"], v))
    marks = [(stage.opened_at, st.deck.activities[aid].title) for aid in st.agenda
             if (stage := st.stages.get(aid)) is not None]
    marks_legend = " · ".join(f"{n} {esc(title)}" for n, (_at, title) in enumerate(marks, 1))
    board = "".join(f"<tr><td class='num'>{r['rank']}</td><td>{esc(r['name'])}</td>"
                    f"<td>{esc(groups.get(r['group'] or '', ''))}</td><td class='num'>{r['score']}</td></tr>"
                    for r in rec["scores"]["leaderboard"])
    group_rows = "".join(f"<tr><td>{esc(g['name'])}</td><td class='num'>{g['size']}</td>"
                         f"<td class='num'>{rec['scores']['groups'].get(g['id'], 0)}</td></tr>"
                         for g in rec["groups"] if g["id"] in playing)
    sections = "".join(_activity_section(live, rec, row, groups) for row in rec["review"])
    awards = "".join(f"<tr><td>{esc(names.get(a['target']) or groups.get(a['target'], a['target']))}</td>"
                     f"<td class='num'>{a['points']:+d}</td><td>{esc(a['reason'])}</td></tr>" for a in rec["awards"])
    plans = "".join(f"<tr><td>{esc(p['name'])}</td><td>{esc(p['what'])}</td><td>{esc(p['by'])}</td></tr>"
                    for p in rec["action_plans"])
    pages = "".join(_trainee_page(live, rec, p, groups) for p in rec["participants"])
    answered = sum(1 for x in rec["submissions"] if x["counted"])
    played = sum(1 for a in rec["activities"] if a["status"] != "not_played")
    duration = head["duration_ms"]
    minutes = f"{half_up(duration / 60000):d} 分钟 min" if duration is not None else "—"
    late = [p for p in st.players.values() if st.started_at is not None and p.joined_at > st.started_at]
    day = local_text(st.started_at or st.created_at, tz, "%Y-%m-%d")
    average = "—" if head["class_average"] is None else f"{head['class_average']:g}"
    return f"""<!doctype html>
<html lang="{language(st)}"><head><meta charset="utf-8"><title>{esc(s['title'])} · {esc(s['code'])}</title>
<style>{CSS}</style></head><body>
<section><h1>{esc(s['title'])}</h1>
<p class="muted">课程回顾报告 Review report · {esc(s['deck_title'])} · 课堂代码 {esc(s['code'])}</p>
<p class="when"><b>{day}</b> · 开始 {local_text(st.started_at, tz, '%H:%M') or '—'} · 结束
{local_text(st.ended_at, tz, '%H:%M') or '—'} · 时长 {minutes}
<span class="muted small">({esc(zone_name(tz))})</span></p>
<div class="stats"><div class="stat"><b>{head['trainees']}</b>学员 trainees</div>
<div class="stat"><b>{len(head['groups'])}</b>小组 groups</div>
<div class="stat"><b>{played}</b>活动 activities</div>
<div class="stat"><b>{answered}</b>作答 answers</div>
<div class="stat"><b>{average}</b>全班平均分 class average</div></div>
{f'<p class="small muted">{len(late)} 位学员开课后加入 joined after the start: '
 + esc("、".join(p.name for p in late)) + '（加入前的活动不计分 not scored before they joined）</p>' if late else ''}
{_headline(head)}
<p class="disclaimer small">{esc(s['disclaimer'])}</p>
</section>
<section class="page"><h2>小组得分 Group scores</h2>
<table><tr><th>小组</th><th class="num">人数</th><th class="num">得分</th></tr>{group_rows}</table>
<h3>得分变化 Scores over time</h3>{_lines(series, groups, tz, marks)}
<p class="small muted">{marks_legend}</p>
<h2>排行榜 Leaderboard</h2>
<table class="board"><tr><th class="num">#</th><th>姓名</th><th>小组</th><th class="num">得分</th></tr>{board}</table>
</section>
<section class="page"><h2>逐题回顾 Activity by activity</h2>{sections}</section>
<section class="page"><h2>加减分记录 Awards</h2>
<table><tr><th>对象</th><th class="num">分数</th><th>理由</th></tr>{awards}</table>
<h2>行动计划 Action plans</h2><table><tr><th>姓名</th><th>行动</th><th>期限</th></tr>{plans}</table>
{_follow_up(st, rec["follow_up"], tz)}</section>
{pages}
</body></html>"""
