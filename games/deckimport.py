"""Decks from spreadsheets: the format training departments already keep cases in.

One row per card on a sheet named ``cards`` (or the only sheet of a CSV file).
Columns (header names, any order; unknown columns are an error so typos show):

    id            optional; default <module>-<row>
    module        a module id (defined on the ``modules`` sheet, or created from it)
    kind          vote | order | estimate | discuss | plan        (default vote)
    mode          individual | group | group-consensus | group-majority
    title         the card's title (required)
    time_limit    seconds
    situation     the case                      customer_says   the customer's words
    facts         one fact per line
    A ... F       vote options                  best            the best option's letter
    acceptable    letters of acceptable options, e.g. "B, D" (others are rated poor)
    feedback_A ... feedback_F                   why an option is good or poor
    steps         order: one step per line, in the correct order
    unit, answer, tolerance, zero_at, min, max  estimate
    prompt        discuss / plan
    rationale     the recommended handling and why
    legal_source, legal_article, legal_quote    one legal reference

Every column also has a Chinese header (``CHINESE``: 编号, 模块, 题型, 方式, 标题, …;
``反馈A`` for feedback_A), and a header may carry both, as the template's do
("标题 title", "title（标题）"). ``kind`` and ``mode`` values may be Chinese too
(单选, 排序, 估值, 讨论, 行动计划; 个人, 小组, 小组共识, 小组多数). ``acceptable``
letters are separated by commas, 、, ; or spaces, or run together ("BC"); each
must name a filled option, or the row is refused.

Spreadsheets are untrusted files like decks: the importer answers every file
with deck text or ``DeckInvalid`` (by row), never another exception, and looks
at a zip's declared sizes before openpyxl inflates anything (an XLSX is a zip
of XML; 12 MB of it can inflate to 2.4 GB). Rows and columns are capped.

An XLSX file may also have a ``deck`` sheet (key / value rows: id, title,
locale, description, disclaimer, groups) and a ``modules`` sheet (id / title
rows) and a ``groups`` sheet (id / name rows; or the deck sheet's ``groups``:
names separated by commas or 、). A card in a group mode needs groups.
Bad rows are reported by their row number in the sheet.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import yaml

from games.decks import parse_deck
from games.errors import DeckInvalid, DeckProblem

LETTERS = "ABCDEF"
COLUMNS = (["id", "module", "kind", "mode", "title", "time_limit", "situation", "customer_says", "facts",
            *LETTERS, "best", "acceptable", *[f"feedback_{x}" for x in LETTERS], "steps", "unit", "answer",
            "tolerance", "zero_at", "min", "max", "prompt", "rationale", "legal_source", "legal_article",
            "legal_quote"])
KINDS = ("vote", "order", "estimate", "discuss", "plan")
CHINESE = {
    "编号": "id", "模块": "module", "题型": "kind", "方式": "mode", "作答方式": "mode", "标题": "title",
    "限时": "time_limit", "限时（秒）": "time_limit", "情境": "situation", "案例": "situation",
    "客户原话": "customer_says", "事实": "facts", "最佳": "best", "最佳选项": "best", "可接受": "acceptable",
    "可接受选项": "acceptable", "步骤": "steps", "单位": "unit", "答案": "answer", "参考值": "answer",
    "容差": "tolerance", "零分距离": "zero_at", "最小值": "min", "最大值": "max", "提示": "prompt",
    "解析": "rationale", "法规": "legal_source", "法规来源": "legal_source", "条款": "legal_article",
    "原文": "legal_quote", "法规原文": "legal_quote",
    **{f"选项{x}": x for x in LETTERS}, **{f"反馈{x}": f"feedback_{x}" for x in LETTERS},
}
KIND_WORDS = {"单选": "vote", "投票": "vote", "排序": "order", "估值": "estimate", "估算": "estimate",
              "讨论": "discuss", "行动计划": "plan", "计划": "plan"}
MODE_WORDS = {"个人": "individual", "小组": "group", "小组共识": "group-consensus", "共识": "group-consensus",
              "小组多数": "group-majority", "多数": "group-majority"}
GROUP_MODES = ("group", "group-consensus", "group-majority")
HEADER_PARTS = re.compile(r"[\s()（）/|]+")


def column_of(header: str) -> str | None:
    """A header cell's column: its English id, its Chinese name, or a cell holding both."""
    h = header.strip()
    if h in COLUMNS:
        return h
    if h in CHINESE:
        return CHINESE[h]
    for part in (x for x in HEADER_PARTS.split(h) if x):
        if part in COLUMNS:
            return part
        if part in CHINESE:
            return CHINESE[part]
    return None


def _letters(value: str) -> list[str] | None:
    """Option letters of an ``acceptable`` cell ("B, D", "B、D", "B;D", "BD"), or None if unreadable."""
    out: list[str] = []
    for token in re.split(r"[\s,，、;；/]+", value.strip().upper()):
        if not token:
            continue
        if not all(ch in LETTERS for ch in token):
            return None
        out += list(token)
    return out
DEFAULT_DISCLAIMER = "本课件为培训材料，不构成法律意见。"
MAX_FILE_BYTES = 20_000_000  # the spreadsheet itself
MAX_XLSX_INFLATED = 16_000_000  # the sum of the zip members' declared sizes (500 full cards: ~7 MB)
MAX_XLSX_MEMBERS = 1_000
MAX_ROWS = 2_000  # per sheet; a deck holds at most 500 activities
MAX_COLUMNS = 100  # the cards sheet has 45 known columns
MAX_SCANNED_ROWS = 20_000  # blank rows included; rows below are never read


def _refuse(message: str, line: int | None = None) -> DeckInvalid:
    return DeckInvalid([DeckProblem("", line, message)])


def _lines(value: str) -> list[str]:
    return [x.strip() for x in re.split(r"[\n；;]+", value) if x.strip()]


def _number(value: str, row: int, column: str, problems: list[DeckProblem]) -> float | int | None:
    if value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    # "inf", "nan" and "1e999" are floats to Python, never amounts in a course.
    if not math.isfinite(number):
        problems.append(DeckProblem(f"row {row}", row, f"'{column}' should be a number, not '{value[:40]}'"))
        return None
    return int(number) if number.is_integer() else number


def _card(row: dict[str, str], n: int, problems: list[DeckProblem]) -> dict[str, Any] | None:
    def bad(message: str) -> None:
        problems.append(DeckProblem(f"row {n}", n, message))

    kind = row.get("kind") or "vote"
    kind = KIND_WORDS.get(kind, kind.lower())
    if kind not in KINDS:
        bad(f"kind '{kind}' is not one of {', '.join(KINDS)} (role-plays need briefs: write them in YAML)")
        return None
    module = row.get("module", "")
    card: dict[str, Any] = {"id": row.get("id") or f"{module or 'card'}-{n}".lower(), "kind": kind}
    if module:
        card["module"] = module
    card["title"] = row.get("title", "")
    if row.get("mode"):
        card["mode"] = MODE_WORDS.get(row["mode"], row["mode"].lower())
    for key in ("time_limit",):
        value = _number(row.get(key, ""), n, key, problems)
        if value is not None:
            card[key] = value
    if row.get("situation") or row.get("customer_says") or row.get("facts"):
        body: dict[str, Any] = {"situation": row.get("situation", "")}
        if row.get("customer_says"):
            body["customer_says"] = row["customer_says"]
        if row.get("facts"):
            body["facts"] = _lines(row["facts"])
        card["card"] = body
    if kind == "vote":
        best = row.get("best", "").strip().upper()
        letters = _letters(row.get("acceptable", ""))
        if letters is None:
            bad(f"'acceptable' is '{row.get('acceptable')}': write option letters A-F, e.g. 'B, D'")
            letters = []
        for letter in letters:
            if not row.get(letter):
                bad(f"'acceptable' names {letter}, but there is no option {letter}")
        acceptable = set(letters)
        options = []
        for letter in LETTERS:
            if row.get(letter):
                rating = "best" if letter == best else "acceptable" if letter in acceptable else "poor"
                option = {"id": letter.lower(), "text": row[letter], "rating": rating}
                if row.get(f"feedback_{letter}"):
                    option["feedback"] = row[f"feedback_{letter}"]
                options.append(option)
        if (best and best not in LETTERS) or (best and not row.get(best)):
            bad(f"'best' is '{best}', but there is no option {best}")
        card["options"] = options
    elif kind == "order":
        card["steps"] = [{"id": f"s{i}", "text": text} for i, text in enumerate(_lines(row.get("steps", "")), 1)]
    elif kind == "estimate":
        for key in ("unit",):
            if row.get(key):
                card[key] = row[key]
        for key in ("answer", "tolerance", "zero_at", "min", "max"):
            value = _number(row.get(key, ""), n, key, problems)
            if value is not None:
                card[key] = value
    if kind in ("discuss", "plan"):
        card["prompt"] = row.get("prompt", "")
    if kind in ("vote", "order", "estimate"):
        card["rationale"] = row.get("rationale", "")
        if row.get("legal_source"):
            ref = {"source": row["legal_source"]}
            for key in ("article", "quote"):
                if row.get(f"legal_{key}"):
                    ref[key] = row[f"legal_{key}"]
            card["legal_basis"] = [ref]
    return card


def _rows_from_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _refuse(f"the file is not UTF-8 text (byte {exc.start}, line {line}); save it as "
                      "\"CSV UTF-8\"", line) from None
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text))
    try:
        for r in reader:
            if len(rows) >= MAX_ROWS:
                raise _refuse(f"the file has more than {MAX_ROWS} rows", reader.line_num)
            rows.append(r[:MAX_COLUMNS])
    except csv.Error as exc:  # a field over 128 KB, or a NUL byte
        raise _refuse(f"line {reader.line_num}: not a readable CSV row ({exc})", reader.line_num) from None
    return rows


def _check_zip(data: bytes) -> None:
    """Refuse a zip whose members would inflate past our bound, before anything inflates them.

    zipfile never yields more than a member's declared size, so declared sizes bound the work.
    The member count is read from the end-of-directory record first: building 400,000 ZipInfo
    objects for a 20 MB file of empty entries would itself take seconds and hundreds of MB.
    """
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if eocd >= 0 and len(data) >= eocd + 12:
        entries = int.from_bytes(data[eocd + 10:eocd + 12], "little")
        if entries > MAX_XLSX_MEMBERS:  # 0xFFFF (a zip64 archive) included: no XLSX has that many parts
            raise _refuse(f"not a plausible XLSX file: {entries} parts (at most {MAX_XLSX_MEMBERS})")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _refuse("not a readable XLSX file (not a zip archive)") from None
    if len(members) > MAX_XLSX_MEMBERS:
        raise _refuse(f"not a plausible XLSX file: {len(members)} parts (at most {MAX_XLSX_MEMBERS})")
    inflated = sum(m.file_size for m in members)
    if inflated > MAX_XLSX_INFLATED:
        raise _refuse(f"the XLSX file would inflate to {inflated} bytes; at most {MAX_XLSX_INFLATED} "
                      "are read (is it a zip bomb?)")


def _sheets_from_xlsx(data: bytes) -> dict[str, list[list[str]]]:
    from openpyxl import load_workbook

    _check_zip(data)
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    out = {}
    try:
        for sheet in book.worksheets:
            rows: list[list[str]] = []
            filled = 0
            # Blank rows (Excel keeps formatted ones) do not count, but even they are read only so far.
            for r in sheet.iter_rows(values_only=True, max_row=MAX_SCANNED_ROWS, max_col=MAX_COLUMNS):
                row = ["" if c is None else str(c).strip() for c in r]
                if any(row):
                    filled += 1
                    if filled > MAX_ROWS:
                        raise _refuse(f"the sheet '{sheet.title[:31]}' has more than {MAX_ROWS} rows")
                rows.append(row)
            while rows and not any(rows[-1]):
                rows.pop()
            out[sheet.title.strip().lower()] = rows
    finally:
        book.close()
    return out


# The bounded readers, for other spreadsheets than decks (a course's roster: sessions/roster.py).
rows_from_csv = _rows_from_csv
sheets_from_xlsx = _sheets_from_xlsx


def _table(rows: list[list[str]], problems: list[DeckProblem]) -> list[tuple[int, dict[str, str]]]:
    if not rows:
        problems.append(DeckProblem("", 1, "the sheet is empty"))
        return []
    header = []
    unknown = False
    for h in rows[0]:
        column = column_of(h) if h.strip() else ""
        if column is None:
            problems.append(DeckProblem("row 1", 1, f"unknown column '{h.strip()}'"))
            unknown = True
        header.append(column or "")
    if unknown:
        problems.append(DeckProblem("row 1", 1, f"known columns: {', '.join(COLUMNS)} (or their Chinese names: "
                                                f"{', '.join(CHINESE)})"))
    out = []
    for i, raw in enumerate(rows[1:], 2):
        row = {h: (raw[j].strip() if j < len(raw) and raw[j] is not None else "")
               for j, h in enumerate(header) if h}
        if any(row.values()):
            out.append((i, row))
    return out


def import_deck(data: bytes, filename: str, *, deck_id: str | None = None, title: str | None = None,
                groups: list[str] | None = None) -> str:
    """Spreadsheet bytes -> deck YAML text that passes validation, or DeckInvalid by row.

    ``groups``: group names (``caseroom deck import --groups``), instead of a groups sheet.
    """
    problems: list[DeckProblem] = []
    meta: dict[str, str] = {}
    modules: list[dict[str, str]] = []
    group_list: list[dict[str, str]] = []
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(f"the file is larger than {MAX_FILE_BYTES} bytes")
    if filename.lower().endswith(".csv"):
        card_rows = _rows_from_csv(data)
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        try:
            sheets = _sheets_from_xlsx(data)
        except DeckInvalid:
            raise
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise DeckInvalid([DeckProblem("", None, f"not a readable XLSX file ({exc.__class__.__name__})")]) from None
        card_rows = sheets.get("cards") or next(iter(sheets.values()), [])
        for row in sheets.get("deck", [])[1:]:
            if len(row) >= 2 and row[0]:
                meta[row[0]] = row[1]
        for row in sheets.get("modules", [])[1:]:
            if len(row) >= 2 and row[0]:
                modules.append({"id": row[0], "title": row[1]})
        for row in sheets.get("groups", [])[1:]:
            if len(row) >= 2 and row[0] and row[1]:
                group_list.append({"id": row[0], "name": row[1]})
    else:
        raise DeckInvalid([DeckProblem("", None, "import reads .xlsx or .csv files")])
    rows = _table(card_rows, problems)
    cards = [c for n, row in rows if (c := _card(row, n, problems)) is not None]
    named = groups or ([x for x in re.split(r"[,，、;；]+", meta.get("groups", "")) if x.strip()] if not group_list
                       else [])
    if named:
        group_list = [{"id": f"g{i}", "name": name.strip()} for i, name in enumerate(named, 1)]
    if not group_list:
        for n, row in rows:
            if MODE_WORDS.get(row.get("mode", ""), row.get("mode", "").lower()) in GROUP_MODES:
                problems.append(DeckProblem(f"row {n}", n, f"mode '{row['mode']}' needs groups: add a 'groups' "
                                                           "sheet (id / name rows) or --groups"))
    stem = re.sub(r"[^a-z0-9-]+", "-", Path(filename).stem.lower()).strip("-") or "imported"
    known = {m["id"] for m in modules}
    for card in cards:
        if card.get("module") and card["module"] not in known:
            modules.append({"id": card["module"], "title": card["module"]})
            known.add(card["module"])
    deck: dict[str, Any] = {"id": deck_id or meta.get("id") or stem, "title": title or meta.get("title") or stem,
                            "locale": meta.get("locale", "zh-CN"), "version": 1}
    for key in ("description",):
        if meta.get(key):
            deck[key] = meta[key]
    deck["disclaimer"] = meta.get("disclaimer") or DEFAULT_DISCLAIMER
    if group_list:
        deck["groups"] = group_list
    if modules:
        deck["modules"] = modules
    deck["activities"] = cards
    text = yaml.safe_dump(deck, allow_unicode=True, sort_keys=False, width=100)
    if problems:
        raise DeckInvalid(problems, filename)
    try:
        parse_deck(text, filename)
    except DeckInvalid as exc:  # point each problem at its spreadsheet row
        row_of = [n for n, _row in rows][: len(cards)]
        mapped = []
        for p in exc.problems:
            m = re.match(r"activities\[(\d+)\]\.?(.*)", p.path)
            if m and int(m.group(1)) < len(row_of):
                row = row_of[int(m.group(1))]
                mapped.append(DeckProblem(f"row {row}" + (f" {m.group(2)}" if m.group(2) else ""), row, p.message))
            else:
                mapped.append(DeckProblem(p.path, None, p.message))
        raise DeckInvalid(mapped, filename) from None
    return text


TEMPLATE_ROWS = [
    {"id": "m3-refund", "module": "m3", "kind": "vote", "title": "宽带修了4天，该不该赔？", "time_limit": "60",
     "situation": "客户家宽带故障，报修后第4天才修好。", "customer_says": "四天没网，你们得赔我！",
     "facts": "城镇用户；报修记录齐全；月租 100 元", "A": "按规定免收障碍期间月租，并致歉",
     "B": "说明是设备老化，不予处理", "C": "赠送一个月流量包，请客户撤诉", "best": "A", "acceptable": "C",
     "feedback_A": "有据可依", "feedback_B": "推诿", "rationale": "城镇 48 小时未修复，应免收障碍期间月租。",
     "legal_source": "《中华人民共和国电信条例》（2016年修订）", "legal_article": "第三十二条"},
    {"id": "m5-three-step", "module": "m5", "kind": "order", "title": "三段式法则的顺序",
     "steps": "表示理解客户感受\n说明事实与原因\n提出解决方案", "rationale": "先处理心情，再处理事情。"},
    {"id": "m3-appeal-months", "module": "m3", "kind": "estimate", "title": "收费争议的申诉期限是几个月？",
     "unit": "个月", "answer": "5", "tolerance": "0", "zero_at": "3", "min": "0", "max": "24",
     "rationale": "收费争议超过五个月的申诉不予受理。",
     "legal_source": "《电信用户申诉处理办法》（工业和信息化部令第35号）", "legal_article": "第十一条"},
    {"id": "m10-stories", "module": "m10", "kind": "discuss", "mode": "group", "title": "故事分享",
     "prompt": "你们组遇到过最难缠的客户是哪一类？怎么处理的？"},
]


def write_template(path: Path) -> None:
    """The documented template: a deck sheet, a modules sheet and a cards sheet with one card per kind."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    cards = book.active
    cards.title = "cards"
    chinese = {}
    for zh, column in CHINESE.items():
        chinese.setdefault(column, zh)
    cards.append([f"{chinese[c]} {c}" if c in chinese and c not in LETTERS else c for c in COLUMNS])
    for row in TEMPLATE_ROWS:
        cards.append([row.get(c, "") for c in COLUMNS])
    for cell in cards[1]:
        cell.font = Font(bold=True)
    cards.freeze_panes = "A2"
    deck = book.create_sheet("deck")
    for row in (["key", "value"], ["id", "my-course"], ["title", "我的课程"], ["locale", "zh-CN"],
                ["disclaimer", DEFAULT_DISCLAIMER]):
        deck.append(row)
    groups = book.create_sheet("groups")
    for row in (["id", "name"], ["g1", "第一组"], ["g2", "第二组"], ["g3", "第三组"]):
        groups.append(row)
    modules = book.create_sheet("modules")
    for row in (["id", "title"], ["m3", "赔偿标准的界定"], ["m5", "安抚客户的情绪"],
                ["m10", "客户服务之难缠客户应对技巧"]):
        modules.append(row)
    book.save(path)
