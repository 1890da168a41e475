"""The printable review report (A4): summary, charts as inline SVG, one page per trainee.

Every piece of text that came from a deck or a person goes through ``esc``
(html.escape) before it touches the page; the page carries no script at all,
so a name like ``<img onerror=…>`` prints as those characters.
"""

from __future__ import annotations

from datetime import tzinfo
from html import escape
from typing import Any

from sessions.live import LiveSession
from sessions.tables import answer_text

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


def _lines(series: dict[str, list[tuple[int, float]]], names: dict[str, str], width: int = 640,
           height: int = 220) -> str:
    """Group scores over time: one polyline per group, time on x."""
    points = [p for s in series.values() for p in s]
    if not points:
        return '<p class="muted">—</p>'
    t0, t1 = min(t for t, _ in points), max(t for t, _ in points)
    v0, v1 = min(0, min(v for _, v in points)), max(v for _, v in points) or 1
    pad_l, pad_b, pad_r = 40, 20, 110

    def x(t: int) -> float:
        return pad_l + (width - pad_l - pad_r) * ((t - t0) / (t1 - t0) if t1 > t0 else 1)

    def y(v: float) -> float:
        return 8 + (height - pad_b - 8) * (1 - (v - v0) / (v1 - v0))

    out = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
           f'<line x1="{pad_l}" y1="{y(v0):.1f}" x2="{width - pad_r}" y2="{y(v0):.1f}" stroke="#94a3b8"/>',
           f'<text x="0" y="{y(v1) + 4:.1f}" font-size="9">{v1:g}</text>',
           f'<text x="0" y="{y(v0):.1f}" font-size="9">{v0:g}</text>']
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
            parts.append(f"<p>{esc(groups.get(res['group'], res['group']))} · 坐席 agent: {esc(res['agent_name'])} · "
                         f"{res['total']:g}/{res['max']} · {res['points']} 分 ({res['scorers']} 位评分人)</p>")
            parts.append(_bars([(crit.get(c, c), v or 0, False) for c, v in res["means"].items()], " /5"))
    elif act.kind == "discuss":
        for post in row.get("posts", [])[:8]:
            parts.append(f"<p>“{esc(post['text'])}” <span class='muted'>+{post['votes']}</span></p>")
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
    """One trainee's page: per activity played, their (or their group's) answer and the points it earned."""
    ranks = {row["id"]: row["rank"] for row in rec["scores"]["leaderboard"]}
    mine: dict[str, list[str]] = {}
    for s in rec["submissions"]:
        if s["player_id"] == p["id"] and (s["counted"] or s["mode"] == "group"):
            mine.setdefault(s["stage"], []).append(answer_text(live, s["activity"], s["answer"], s.get("confirmed")))
    for r in rec["rubric_scores"]:
        if r["agent"] == p["id"]:
            mine.setdefault(r["activity"], []).append(f"坐席 agent · {r['total']:g}/{r['max']}")
    rows = []
    for a in rec["activities"]:
        if a["status"] == "not_played":
            continue
        pts = rec["scores"]["activities"].get(a["id"], {}).get(p["id"])
        answer = "; ".join(mine.get(a["id"], [])) or "—"
        rows.append(f"<tr><td>{esc(a['title'])}</td><td>{esc(answer)}</td>"
                    f"<td class='num'>{'' if pts is None else pts}</td></tr>")
    plans = [f"<li>{esc(x['what'])}{' — ' + esc(x['by']) if x['by'] else ''}</li>"
             for x in rec["action_plans"] if x["player_id"] == p["id"]]
    awards = [f"<li>{a['points']:+d} {esc(a['reason'])}</li>" for a in rec["awards"] if a["target"] == p["id"]]
    return (f'<section class="page"><h2>{esc(p["name"])}</h2>'
            f'<div class="stats"><div class="stat"><b>{rec["scores"]["players"].get(p["id"], 0)}</b>得分 score</div>'
            f'<div class="stat"><b>{ranks.get(p["id"], "—")}</b>名次 rank</div>'
            f'<div class="stat"><b>{esc(groups.get(p["group"] or "", "—"))}</b>小组 group</div></div>'
            "<h3>作答 Answers</h3><table><tr><th>活动 Activity</th><th>作答 Answer</th><th class='num'>得分</th></tr>"
            + "".join(rows) + "</table>"
            + ("<h3>加减分 Awards</h3><ul>" + "".join(awards) + "</ul>" if awards else "")
            + "<h3>行动计划 Action plan</h3>" + ("<ul>" + "".join(plans) + "</ul>" if plans else "<p>—</p>")
            + "</section>")


def html_report(live: LiveSession, rec: dict[str, Any], timeline: dict[str, Any], tz: tzinfo | None = None) -> str:
    s = rec["session"]
    groups = {g["id"]: g["name"] for g in rec["groups"]}
    names = {p["id"]: p["name"] for p in rec["participants"]}
    series: dict[str, list[tuple[int, float]]] = {gid: [] for gid in groups}
    for snap in timeline["scores"]:
        for gid, v in snap["groups"].items():
            series.setdefault(gid, []).append((snap["at"], v))
    board = "".join(f"<tr><td class='num'>{r['rank']}</td><td>{esc(r['name'])}</td>"
                    f"<td>{esc(groups.get(r['group'] or '', ''))}</td><td class='num'>{r['score']}</td></tr>"
                    for r in rec["scores"]["leaderboard"][:15])
    group_rows = "".join(f"<tr><td>{esc(g['name'])}</td><td class='num'>{g['size']}</td>"
                         f"<td class='num'>{rec['scores']['groups'].get(g['id'], 0)}</td></tr>" for g in rec["groups"])
    sections = "".join(_activity_section(live, rec, row, groups) for row in rec["review"])
    awards = "".join(f"<tr><td>{esc(names.get(a['target']) or groups.get(a['target'], a['target']))}</td>"
                     f"<td class='num'>{a['points']:+d}</td><td>{esc(a['reason'])}</td></tr>" for a in rec["awards"])
    plans = "".join(f"<tr><td>{esc(p['name'])}</td><td>{esc(p['what'])}</td><td>{esc(p['by'])}</td></tr>"
                    for p in rec["action_plans"])
    pages = "".join(_trainee_page(live, rec, p, groups) for p in rec["participants"])
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(s['title'])} · {esc(s['code'])}</title>
<style>{CSS}</style></head><body>
<section><h1>{esc(s['title'])}</h1>
<p class="muted">课程回顾报告 Review report · {esc(s['deck_title'])} · 课堂代码 {esc(s['code'])}<br>
开始 {esc(s['started_at'] or '—')} · 结束 {esc(s['ended_at'] or '—')}</p>
<div class="stats"><div class="stat"><b>{len(rec['participants'])}</b>学员 trainees</div>
<div class="stat"><b>{len(rec['groups'])}</b>小组 groups</div>
<div class="stat"><b>{sum(1 for a in rec['activities'] if a['status'] != 'not_played')}</b>活动 activities</div>
<div class="stat"><b>{len(rec['submissions'])}</b>作答 submissions</div></div>
<p class="disclaimer small">{esc(s['disclaimer'])}</p>
<h2>小组得分 Group scores</h2>
<table><tr><th>小组</th><th class="num">人数</th><th class="num">得分</th></tr>{group_rows}</table>
<h3>得分变化 Scores over time</h3>{_lines(series, groups)}
<h2>排行榜 Leaderboard</h2>
<table><tr><th class="num">#</th><th>姓名</th><th>小组</th><th class="num">得分</th></tr>{board}</table>
</section>
<section class="page"><h2>逐题回顾 Activity by activity</h2>{sections}</section>
<section class="page"><h2>加减分记录 Awards</h2>
<table><tr><th>对象</th><th class="num">分数</th><th>理由</th></tr>{awards}</table>
<h2>行动计划 Action plans</h2><table><tr><th>姓名</th><th>行动</th><th>期限</th></tr>{plans}</table></section>
{pages}
</body></html>"""
