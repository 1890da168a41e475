"""The XLSX workbook a training department files: an overview, one sheet per played card, then the data.

Sheet order: 概览/Overview (title, code, deck, local start and end, duration, trainees,
groups, the headline figures of ``sessions.headline``), one sheet per played card
(its options, steps or values with counts and shares, the recommended one marked, each
group's choice, each trainee's answer), then the data tables of ``sessions.tables``
(trainees, groups, plans, awards, activities, submissions, role-play scores, events).
Words are the session's language; times are real Excel dates in the server's time
zone; a blank cell means "not played / not taken part", never 0. Every sheet prints:
A4 landscape, fit to the page width, its header rows repeated on every page.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import datetime, timedelta, tzinfo
from typing import Any

from games.rounding import half_up
from sessions.headline import headline
from sessions.i18n import KINDS, MODES, STATUS, language, local, words, zone, zone_name
from sessions.live import LiveSession
from sessions.tables import Table, answer_text
from sessions.views import _by_group

DATE = "yyyy-mm-dd hh:mm:ss"
SHARE = "0.0%"
BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
Cell = Any


class Sheet:
    """Rows to write and how: which are headings, which are table headers, the print title rows."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[list[Cell]] = []
        self.styles: dict[int, str] = {}  # row index (0-based) -> "title" | "head" | "section"
        self.freeze: str | None = "A2"
        self.print_rows = "1:1"
        self.formats: dict[tuple[int, int], str] = {}
        self.filter: str | None = None

    def add(self, row: list[Cell], style: str | None = None) -> int:
        self.rows.append(row)
        if style:
            self.styles[len(self.rows) - 1] = style
        return len(self.rows) - 1


def build(live: LiveSession, rec: dict[str, Any], data: list[Table], tz: tzinfo | None = None) -> bytes:
    tz = tz or zone()
    sheets = [overview(live, rec, tz), *card_sheets(live, rec), *[_table_sheet(t) for t in data]]
    return _write(sheets)


# -- overview ----------------------------------------------------------------------------------------------

def overview(live: LiveSession, rec: dict[str, Any], tz: tzinfo) -> Sheet:
    st = live.state
    lang = language(st)
    w, kinds = words(lang), KINDS[lang]
    head = headline(live)
    sheet = Sheet(w["overview"])
    sheet.freeze = None
    sheet.print_rows = "1:1"
    sheet.add([st.title], "title")
    duration = timedelta(milliseconds=head["duration_ms"]) if head["duration_ms"] is not None else None
    pairs: list[tuple[str, Cell]] = [
        (w["session_title"], st.title), (w["code"], st.code),
        (w["deck"], f"{st.deck.title} ({st.deck.id}, v{st.deck.version})"),
        (w["started"], local(st.started_at, tz)), (w["ended"], local(st.ended_at, tz)),
        (w["duration"], duration), (w["timezone"], zone_name(tz)),
        (w["trainee_count"], head["trainees"]),
        (w["group_count"], len(head["groups"])),
        (w["groups"], "、".join(f"{g['name']} {g['size']}" for g in head["groups"]) if lang == "zh-CN"
         else ", ".join(f"{g['name']} ({g['size']})" for g in head["groups"])),
        (w["class_average"], head["class_average"]),
    ]
    for key, value in pairs:
        r = sheet.add([key, value])
        if isinstance(value, timedelta):
            sheet.formats[(r, 1)] = "[h]:mm:ss"
    sheet.add([])
    sheet.add([w["headline"]], "section")
    sheet.add([w["activity"], w["kind"], w["answered"], w["share_recommended"], w["average_points"]], "head")
    for card in head["cards"]:
        if card["kind"] in ("discuss", "plan", "slide"):
            continue
        r = sheet.add([card["title"], kinds.get(card["kind"], card["kind"]), card["answered"], card["agreement"],
                       card["average_points"]])
        sheet.formats[(r, 3)] = SHARE
    sheet.add([])
    sheet.add([w["weakest"]], "section")
    sheet.add([w["rank"], w["activity"], w["share_recommended"]], "head")
    for i, card in enumerate(head["weakest"], 1):
        r = sheet.add([i, card["title"], card["agreement"]])
        sheet.formats[(r, 2)] = SHARE
    return sheet


# -- one sheet per played card ---------------------------------------------------------------------------------

def card_sheets(live: LiveSession, rec: dict[str, Any]) -> list[Sheet]:
    st = live.state
    lang = language(st)
    w, kinds, modes, status = words(lang), KINDS[lang], MODES[lang], STATUS[lang]
    out = []
    n = 0
    for aid in st.agenda:
        stage = st.stages.get(aid)
        if stage is None:
            continue
        for card, kstate in stage.cards.items():
            n += 1
            act = st.activity(card)
            impl = act.impl
            review = impl.review(act.config, kstate)
            sheet = Sheet(f"{n} {act.title}")
            sheet.freeze, sheet.print_rows = "A3", "1:2"
            sheet.add([act.title], "title")
            groups_of = [st.groups.get(g, g) for g, c in (stage.deal or {}).items() if c == card]
            sheet.add([" · ".join(x for x in [kinds.get(act.kind, act.kind), modes.get(stage.mode, stage.mode),
                                               status.get(stage.status, stage.status),
                                               f"{w['answered']} {review.get('answered', '')}",
                                               "、".join(groups_of)] if x)])
            sheet.add([])
            _card_body(live, sheet, stage, card, review, w)
            out.append(sheet)
    return out


def _card_body(live: LiveSession, sheet: Sheet, stage: Any, card: str, review: dict[str, Any],
               w: dict[str, str]) -> None:
    st = live.state
    act = st.activity(card)
    cfg = act.config
    impl = act.impl
    answers = impl.answers(stage.cards[card])
    unit = w["group_count_col"] if stage.mode in ("group-consensus", "group") else w["count"]
    answered = len(answers)

    def share(count: int) -> float | None:
        return half_up(count / answered, 3) if answered else None

    if act.kind == "vote":
        sheet.add([w["option"], w["answer"], unit, w["share"], w["recommended"]], "head")
        dist = review.get("distribution", {})
        for opt in cfg.options:
            r = sheet.add([opt.id.upper(), opt.text, dist.get(opt.id, 0), share(dist.get(opt.id, 0)),
                           "✓" if opt.id == cfg.recommended else ""])
            sheet.formats[(r, 3)] = SHARE
    elif act.kind == "order":
        correct = [s for s, _ in cfg.steps]
        counts = Counter(tuple(a["order"]) for a in answers.values())
        counts.setdefault(tuple(correct), 0)
        sheet.add([w["step_order"], unit, w["share"], w["recommended"]], "head")
        for order, count in sorted(counts.items(), key=lambda kv: (list(kv[0]) != correct, -kv[1])):
            r = sheet.add([answer_text(live, card, {"order": list(order)}), count, share(count),
                           "✓" if list(order) == correct else ""])
            sheet.formats[(r, 2)] = SHARE
    elif act.kind == "estimate":
        sheet.add([w["recommended_answer"], answer_text(live, card, {"value": cfg.answer}) + f" (±{cfg.tolerance:g})"])
        sheet.add([w["value"], unit, w["share"], w["within_tolerance"]], "head")
        counts = Counter(float(a["value"]) for a in answers.values())
        for value, count in sorted(counts.items()):
            r = sheet.add([value, count, share(count), "✓" if abs(value - cfg.answer) <= cfg.tolerance else ""])
            sheet.formats[(r, 2)] = SHARE
        sheet.add([w["mean"], review.get("mean")])
        sheet.add([w["median"], review.get("median")])
    elif act.kind == "discuss":
        sheet.add([w["posts"], w["group"], w["name"], w["votes"], w["highlighted"]], "head")
        for post in sorted(stage.cards[card].posts.values(), key=lambda p: (not p.highlighted, -len(p.votes), p.at)):
            if post.hidden:
                continue  # hidden by the trainer: not part of the record handed on
            sheet.add([post.text, st.groups.get(post.author, ""), st.name_of(post.by), len(post.votes),
                       "★" if post.highlighted else ""])
    elif act.kind == "roleplay":
        crits = list(cfg.rubric.criteria)
        sheet.add([w["round"], w["group"], w["agent"], *[c.title for c in crits], w["total"], w["max"],
                   w["scorers"], w["points"]], "head")
        for res in review["results"]:
            sheet.add([res["round"] + 1, st.groups.get(res["group"], res["group"]), res["agent_name"],
                       *[res["means"].get(c.id) for c in crits], res["total"], res["max"], res["scorers"],
                       res["points"]])
    elif act.kind == "plan":
        sheet.add([w["name"], w["group"], w["what"], w["by"]], "head")
        for pid, answer in answers.items():
            for item in answer["items"]:
                group = st.players[pid].group if pid in st.players else None
                sheet.add([st.name_of(pid), st.groups.get(group or "", ""), item["what"], item.get("by")])
        return
    else:
        return
    if act.kind in ("vote", "order", "estimate"):
        by_group = _by_group(st, stage, card)
        if by_group:
            sheet.add([])
            sheet.add([w["by_group"]], "section")
            sheet.add([w["group"], w["answer"], w["recommended"]], "head")
            for gid, name in st.groups.items():
                if gid in by_group and by_group[gid] is not None:
                    sheet.add([name, answer_text(live, card, by_group[gid]),
                               "✓" if _is_recommended(act, by_group[gid]) else ""])
        sheet.add([])
        sheet.add([w["by_player"]], "section")
        sheet.add([w["name"], w["group"], w["answer"], w["points"]], "head")
        for p in st.players.values():
            if stage.deal is not None and stage.deal.get(p.group or "") != card:
                continue
            key = p.group if stage.mode in ("group-consensus", "group") and p.group else p.id
            answer = answers.get(key)
            sheet.add([p.name, st.groups.get(p.group or "", ""), answer_text(live, card, answer) if answer else None,
                       stage.credits.get(p.id) if stage.status == "revealed" else None])


def _is_recommended(act: Any, answer: dict[str, Any]) -> bool:
    cfg = act.config
    if "choice" in answer:
        return bool(answer["choice"] == cfg.recommended)
    if "order" in answer:
        return list(answer["order"]) == [s for s, _ in cfg.steps]
    if "value" in answer:
        return bool(abs(float(answer["value"]) - cfg.answer) <= cfg.tolerance)
    return False


# -- data tables and writing -----------------------------------------------------------------------------------

def _table_sheet(table: Table) -> Sheet:
    sheet = Sheet(table.title)
    sheet.add(table.header, "head")
    for row in table.rows:
        sheet.add(row)
    if table.rows:
        sheet.filter = "all"
    return sheet


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return 19
    text = "" if value is None else str(value)
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text[:80])


def _sheet_name(title: str, taken: set[str]) -> str:
    base = BAD_SHEET_CHARS.sub(" ", title).strip().strip("'")[:31] or "sheet"
    name, i = base, 2
    while name.casefold() in taken:
        suffix = f" ({i})"
        name, i = base[:31 - len(suffix)] + suffix, i + 1
    taken.add(name.casefold())
    return name


def _write(sheets: list[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    head_font, head_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1E3A8A")
    title_font, section_font = Font(bold=True, size=14), Font(bold=True, size=12, color="1E3A8A")
    taken: set[str] = set()
    for spec in sheets:
        ws = book.create_sheet(_sheet_name(spec.title, taken))
        for r, row in enumerate(spec.rows, 1):
            style = spec.styles.get(r - 1)
            for c, value in enumerate(row, 1):
                cell = ws.cell(row=r, column=c)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                    if "\n" in value:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                elif isinstance(value, datetime):
                    cell.number_format = DATE
                fmt = spec.formats.get((r - 1, c - 1))
                if fmt:
                    cell.number_format = fmt
                if style == "head":
                    cell.font, cell.fill = head_font, head_fill
                elif style == "section":
                    cell.font = section_font
                elif style == "title":
                    cell.font = title_font
        widths: dict[int, int] = {}
        for r, row in enumerate(spec.rows[:500]):
            if spec.styles.get(r) in ("title", "section") or (len(row) == 1 and r < 2):
                continue  # a heading may run across the columns
            for c, value in enumerate(row, 1):
                widths[c] = max(widths.get(c, 0), _width(value))
        for c, widest in widths.items():
            ws.column_dimensions[get_column_letter(c)].width = min(60, max(8, widest + 2))
        if spec.freeze:
            ws.freeze_panes = spec.freeze
        if spec.filter and ws.max_row > 1:
            ws.auto_filter.ref = ws.dimensions
        ws.print_title_rows = spec.print_rows
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.oddFooter.center.text = "&P / &N"
        ws.oddHeader.left.text = spec.title.replace("&", "&&")
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
