"""The language and the clock of an export: words in the session's language, times in the server's zone.

Exports speak the session's language: a deck whose title (or the session's) has Chinese
characters is a zh-CN session (the built-in course), any other an English one. A
training department reads times on its own wall clock, so every time in a workbook,
CSV table or printed report is local to the server's time zone: ``caseroom serve
--timezone`` / ``caseroom export --timezone`` (or ``CASEROOM_TIMEZONE``), by default
the system's. (The JSON export keeps ISO 8601 UTC: it is for programs.)
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sessions.state import SessionState

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def language(st: SessionState) -> str:
    """``zh-CN`` or ``en``: the language the session's texts are written in."""
    return "zh-CN" if CJK.search(f"{st.deck.title} {st.title}") else "en"


def zone(name: str | None = None) -> tzinfo:
    """The named IANA zone, else ``CASEROOM_TIMEZONE``/``TZ``, else the system's own; ValueError if unknown."""
    name = name or os.environ.get("CASEROOM_TIMEZONE") or os.environ.get("TZ") or None
    if name:
        try:
            return ZoneInfo(name.lstrip(":"))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{name}' (use an IANA name such as Asia/Shanghai)") from exc
    try:  # /etc/localtime -> /usr/share/zoneinfo/Asia/Shanghai: keep the name (and its DST rules)
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            return ZoneInfo(target.split("zoneinfo/", 1)[1])
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    return datetime.now().astimezone().tzinfo or UTC


def zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or datetime.now(tz).strftime("UTC%z")


def local(ms: int | None, tz: tzinfo) -> datetime | None:
    """Epoch ms as a naive local datetime (what Excel stores), or None."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz).replace(tzinfo=None)


def local_text(ms: int | None, tz: tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    when = local(ms, tz)
    return when.strftime(fmt) if when else ""


WORDS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "overview": "概览", "trainees": "学员", "groups": "小组", "plans": "行动计划", "awards": "加分记录",
        "events": "事件", "submissions": "作答明细", "rubric": "角色扮演评分", "activities": "活动",
        "scores": "得分",
        "session_title": "课堂", "code": "课堂码", "deck": "课程包", "started": "开始时间", "ended": "结束时间",
        "duration": "时长", "timezone": "时区", "trainee_count": "学员人数", "group_count": "小组数",
        "class_average": "全班平均分", "headline": "各题选择推荐处理的比例", "weakest": "最薄弱的三题",
        "activity": "活动", "kind": "题型", "mode": "方式", "answered": "作答数", "share_recommended": "选择推荐处理",
        "average_points": "平均得分", "rank": "名次", "title": "标题", "status": "状态", "opened": "开始",
        "closed": "结束", "module": "模块", "recommended": "推荐", "rationale": "解析",
        "answer": "答案", "count": "人数", "group_count_col": "组数", "share": "占比", "group": "小组",
        "name": "姓名", "id": "编号", "joined": "加入时间", "score": "总分", "total": "合计", "points": "得分",
        "award_points": "讲师加分", "reason": "理由", "target": "对象", "time": "时间", "seq": "序号",
        "type": "类型", "actor": "操作者", "data": "内容", "what": "行动", "by": "完成时间", "size": "人数",
        "group_points": "小组自有分", "counted": "计入", "as": "作答身份", "client_id": "消息编号",
        "answer_json": "答案（JSON）", "round": "轮次", "agent": "客服代表", "max": "满分", "scorers": "评分人数",
        "option": "选项", "step_order": "排序", "value": "数值", "posts": "帖子", "votes": "点赞",
        "highlighted": "讲师标记", "by_group": "各小组的选择", "by_player": "每位学员", "class_choice": "全班最多",
        "within_tolerance": "在容差内", "players": "人", "minutes": "分钟", "not_played": "未进行",
        "yes": "是", "no": "否", "mean": "平均", "median": "中位数", "result": "结果",
        "present": "在场", "page_of": "第 &P 页，共 &N 页", "recommended_answer": "推荐答案",
        "criterion": "评分项", "none": "—",
        "follow_up": "行动计划跟进", "comment": "说明", "class": "班级", "sessions": "课堂",
        "cohort_cards": "各题按班级", "cohort_weakest": "最薄弱的题", "cohort_rubric": "角色扮演评分项按班级",
        "cohort_followup": "行动计划完成情况", "completion": "完成率", "mean_points": "平均得分",
        "overall": "全部", "done": "完成", "doing": "进行中", "dropped": "放弃", "unmarked": "未填写",
        "items": "条目数",
        "attendance": "出勤", "left": "离开时间", "present_min": "在场（分钟）", "course": "培训班",
        "person": "学员编号", "staff_no": "工号", "unit": "部门/营业厅", "day": "第几天",
        "days_present": "出席天数", "people": "学员",
    },
    "en": {
        "overview": "Overview", "trainees": "Trainees", "groups": "Groups", "plans": "Action plans",
        "awards": "Awards", "events": "Events", "submissions": "Submissions", "rubric": "Role-play scores",
        "activities": "Activities", "scores": "Scores",
        "session_title": "Session", "code": "Code", "deck": "Deck", "started": "Started", "ended": "Ended",
        "duration": "Duration", "timezone": "Time zone", "trainee_count": "Trainees", "group_count": "Groups",
        "class_average": "Class average", "headline": "Share choosing the recommended handling",
        "weakest": "The three weakest cards", "activity": "Activity", "kind": "Kind", "mode": "Mode",
        "answered": "Answered", "share_recommended": "Recommended chosen", "average_points": "Average points",
        "rank": "Rank", "title": "Title", "status": "Status", "opened": "Opened", "closed": "Closed",
        "module": "Module", "recommended": "Recommended", "rationale": "Rationale", "answer": "Answer",
        "count": "People", "group_count_col": "Groups", "share": "Share", "group": "Group", "name": "Name",
        "id": "Id", "joined": "Joined", "score": "Score", "total": "Total", "points": "Points",
        "award_points": "Trainer points", "reason": "Reason", "target": "For", "time": "Time", "seq": "Seq",
        "type": "Type", "actor": "By", "data": "Data", "what": "Action", "by": "Due", "size": "Size",
        "group_points": "Group's own points", "counted": "Counted", "as": "Answered as",
        "client_id": "Message id", "answer_json": "Answer (JSON)", "round": "Round", "agent": "Agent",
        "max": "Max", "scorers": "Scorers", "option": "Option", "step_order": "Order", "value": "Value",
        "posts": "Posts", "votes": "Upvotes", "highlighted": "Highlighted", "by_group": "Each group's choice",
        "by_player": "Each trainee", "class_choice": "Class's most chosen", "within_tolerance": "Within tolerance",
        "players": "trainees", "minutes": "min", "not_played": "not played", "yes": "yes", "no": "no",
        "mean": "Mean", "median": "Median", "result": "Result", "present": "Present",
        "page_of": "Page &P of &N", "recommended_answer": "Recommended answer", "criterion": "Criterion",
        "none": "—",
        "follow_up": "Follow-up", "comment": "Comment", "class": "Class", "sessions": "Sessions",
        "cohort_cards": "Cards by class", "cohort_weakest": "Weakest cards", "cohort_rubric": "Rubric by class",
        "cohort_followup": "Plan follow-up", "completion": "Completion", "mean_points": "Mean points",
        "overall": "All", "done": "Done", "doing": "In progress", "dropped": "Dropped", "unmarked": "Not marked",
        "items": "Items",
        "attendance": "Attendance", "left": "Left", "present_min": "Present (min)", "course": "Course",
        "person": "Person", "staff_no": "Staff no.", "unit": "Unit", "day": "Day",
        "days_present": "Days present", "people": "People",
    },
}

KINDS = {
    "zh-CN": {"vote": "单选", "order": "排序", "estimate": "估值", "discuss": "讨论", "roleplay": "角色扮演",
              "plan": "行动计划", "deal": "分组发牌", "slide": "讲解"},
    "en": {"vote": "vote", "order": "order", "estimate": "estimate", "discuss": "discussion",
           "roleplay": "role-play", "plan": "action plan", "deal": "deal", "slide": "slide"},
}
MODES = {
    "zh-CN": {"individual": "个人", "group": "小组", "group-consensus": "小组共识", "group-majority": "小组多数"},
    "en": {"individual": "individual", "group": "group", "group-consensus": "group consensus",
           "group-majority": "group majority"},
}
FOLLOW_UP_STATUS = {
    "zh-CN": {"done": "完成", "doing": "进行中", "dropped": "放弃"},
    "en": {"done": "done", "doing": "in progress", "dropped": "dropped"},
}
STATUS = {
    "zh-CN": {"revealed": "已公布", "closed": "已结束", "open": "进行中", "not_played": "未进行"},
    "en": {"revealed": "revealed", "closed": "closed", "open": "open", "not_played": "not played"},
}


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])
