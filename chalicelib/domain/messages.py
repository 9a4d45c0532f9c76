"""Notification texts: what staff and residents are told, in zh-CN and en.

Pure: no AWS, no clock. ``render(kind, locale, data)`` returns a :class:`Message` whose
``subject`` suits an e-mail subject line and whose ``text`` stands on its own (SMS and
chat bots send only ``text``). Times are shown in the tenant's time zone the way people
write them: ``11月24日 14:30`` in Chinese, ``24 Nov 14:30`` in English.

``data`` keys (all optional unless a kind needs them):

===============  =================================================================
``ticket``       the ticket's number as staff see it (``"1042"``, ``"PD-1042"``)
``category``     category name: a string or ``{"en": ..., "zh-CN": ...}``
``unit``         the unit label (``"3-2-501"``); the only resident detail staff see
``promise``      ``first_response`` | ``resolution`` | ``update`` | ``attend`` | ``milestone``
``milestone_name`` for ``milestone``: its name ``{"en": ..., "zh-CN": ...}`` (from the standard)
``due``          timezone-aware datetime (or ISO 8601 string with offset) the promise
                 falls due; for visit reminders the visit (``visit_at`` is read first)
``time_zone``    IANA name of the tenant's zone (``Asia/Shanghai``); default UTC
``firm``         the firm's name: a string or ``{"en": ..., "zh-CN": ...}``
``link``         a console link (staff) or tracking link (resident)
===============  =================================================================

Anything else in ``data`` (a resident's phone, e-mail, name or description) is never
read, so it cannot leak into a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

KINDS = ("sla_warning", "sla_breach_level1", "sla_breach_level2", "visit_reminder", "survey_invite", "test_message",
         "account_invite", "password_reset")  # the last two: sign-in codes of the accounts adapter
LOCALES = ("zh-CN", "en")
PROMISES = ("first_response", "resolution", "update", "attend", "milestone")

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_PROMISE_NAMES = {
    "en": {"first_response": "first response", "resolution": "resolution", "update": "progress update",
           "attend": "visit on site"},
    "zh-CN": {"first_response": "首次响应", "resolution": "处理完成", "update": "进度更新", "attend": "上门处理"},
}



def promise_name(promise: str, locale: str) -> str:
    """A promise as people call it (``first_response`` → 首次响应 / first response); "" if unknown."""
    return _PROMISE_NAMES[normalise_locale(locale)].get(promise, "")


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    # For channels that carry structure (the generic webhook): what happened, in which
    # locale, and the non-personal facts it was rendered from (due time in ISO 8601 UTC).
    kind: str = ""
    locale: str = "en"
    facts: dict[str, Any] = field(default_factory=dict, hash=False)


def normalise_locale(locale: str | None) -> str:
    """``zh``, ``zh_CN``, ``zh-Hans``, ``zh-SG`` → zh-CN; everything else → en."""
    tag = (locale or "").strip().replace("_", "-").lower()
    if tag == "zh" or tag.startswith(("zh-cn", "zh-hans", "zh-sg")):
        return "zh-CN"
    return "en"


def format_time(moment: datetime, time_zone: str, locale: str) -> str:
    """An aware datetime as people write it in the tenant's zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    local = moment.astimezone(_zone(time_zone))
    if normalise_locale(locale) == "zh-CN":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {_MONTHS_EN[local.month - 1]} {local:%H:%M}"


def render(kind: str, locale: str, data: dict[str, Any]) -> Message:
    if kind == RESIDENT_KIND:
        return render_resident(locale, data)
    if kind not in KINDS and kind not in EMAIL_ONLY_KINDS:
        raise ValueError(f"unknown message kind {kind!r}; expected one of {', '.join(KINDS)}")
    loc = normalise_locale(locale)
    ctx = _Context(loc, data or {})
    subject, text = _TEMPLATES[kind](ctx)
    if ctx.link:
        text += ("\n查看：" if loc == "zh-CN" else "\nOpen: ") + ctx.link
    return Message(subject=subject, text=text, kind=kind, locale=loc, facts=ctx.facts(kind))


# --- internals ---------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _localised(value: Any, locale: str) -> str:
    if isinstance(value, dict):
        for key in (locale, "en", "zh-CN"):
            if value.get(key):
                return str(value[key])
        return next((str(v) for v in value.values() if v), "")
    return "" if value is None else str(value)


def _one_line(value: str) -> str:
    """Names come from admins: keep them on one line so they cannot forge extra lines."""
    return " ".join(value.split())


class _Context:
    def __init__(self, locale: str, data: dict[str, Any]) -> None:
        self.locale = locale
        self.zh = locale == "zh-CN"
        self.data = data
        self.time_zone = str(data.get("time_zone") or "UTC")
        _zone(self.time_zone)
        self.ticket = _one_line(str(data.get("ticket") or ""))
        self.category = _one_line(_localised(data.get("category"), locale))
        self.unit = _one_line(str(data.get("unit") or ""))
        self.firm = _one_line(_localised(data.get("firm"), locale))
        self.link = _one_line(str(data.get("link") or ""))

    def require(self, *keys: str) -> None:
        missing = [k for k in keys if not self.data.get(k)]
        if missing:
            raise ValueError(f"message data lacks {', '.join(missing)}")

    @property
    def promise_key(self) -> str:
        promise = self.data.get("promise")
        if promise not in PROMISES:
            raise ValueError(f"unknown promise {promise!r}; expected one of {', '.join(PROMISES)}")
        return promise

    @property
    def promise(self) -> str:
        if self.promise_key == "milestone":  # a milestone of the firm's standard, by its own name
            name = _one_line(_localised(self.data.get("milestone_name"), self.locale))
            if not name:
                raise ValueError("message data lacks milestone_name")
            return name
        return _PROMISE_NAMES[self.locale][self.promise_key]

    def moment(self, *keys: str) -> datetime:
        for key in keys:
            value = self.data.get(key)
            if isinstance(value, str) and value:  # as stored in JSON: ISO 8601 with an offset or Z
                try:
                    value = datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    raise ValueError(f"{key} is not an ISO 8601 time: {value!r}") from None
            if value is not None and value != "":
                if not isinstance(value, datetime):
                    raise ValueError(f"{key} must be a datetime")
                return value
        raise ValueError(f"message data lacks {keys[0]}")

    def when(self, *keys: str) -> str:
        return format_time(self.moment(*keys), self.time_zone, self.locale)

    @property
    def tag(self) -> str:
        """The sender's name as a prefix: 【Firm】 in Chinese (as SMS signatures are), [Firm] in English."""
        if not self.firm:
            return ""
        return f"【{self.firm}】" if self.zh else f"[{self.firm}] "

    def about(self) -> str:
        """Ticket and its non-personal context: ``工单 1042（维修，3-2-501）`` / ``Ticket 1042 (Repairs, unit 3-2-501)``."""
        if self.zh:
            parts = "，".join(p for p in (self.category, self.unit) if p)
            return f"工单 {self.ticket}" + (f"（{parts}）" if parts else "")
        parts = ", ".join(p for p in (self.category, f"unit {self.unit}" if self.unit else "") if p)
        return f"Ticket {self.ticket}" + (f" ({parts})" if parts else "")

    def facts(self, kind: str) -> dict[str, Any]:
        facts: dict[str, Any] = {"ticket": self.ticket or None, "category": self.category or None,
                                 "unit": self.unit or None, "time_zone": self.time_zone, "link": self.link or None}
        if kind in ("sla_warning", "sla_breach_level1", "sla_breach_level2"):
            facts["promise"] = self.promise_key
            facts["due"] = _iso_utc(self.moment("due"))
        elif kind == "visit_reminder":
            facts["visit_at"] = _iso_utc(self.moment("visit_at", "due"))
        return {k: v for k, v in facts.items() if v is not None}


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _sla_warning(c: _Context) -> tuple[str, str]:
    c.require("ticket", "due")
    when, promise = c.when("due"), c.promise
    if c.zh:
        return (f"{c.tag}即将超时：工单 {c.ticket} 的{promise}须在 {when} 前完成",
                f"{c.tag}{c.about()}的{promise}须在 {when} 前完成，目前尚未完成，请尽快处理。")
    return (f"{c.tag}Due soon: ticket {c.ticket} needs its {promise} by {when}",
            f"{c.tag}{c.about()} will miss its {promise} promise at {when} unless someone acts now.")


def _sla_breach_level1(c: _Context) -> tuple[str, str]:
    c.require("ticket", "due")
    when, promise = c.when("due"), c.promise
    if c.zh:
        return (f"{c.tag}已超时：工单 {c.ticket} 未按时完成{promise}（应于 {when}）",
                f"{c.tag}{c.about()}未在 {when} 前完成{promise}，已超时。按升级规则通知您（一级）。")
    return (f"{c.tag}Overdue: ticket {c.ticket} missed its {promise} (due {when})",
            f"{c.tag}{c.about()} missed its {promise} promise, due {when}. "
            f"You are told as escalation level 1.")


def _sla_breach_level2(c: _Context) -> tuple[str, str]:
    c.require("ticket", "due")
    when, promise = c.when("due"), c.promise
    if c.zh:
        return (f"{c.tag}二级升级：工单 {c.ticket} 仍未完成{promise}（应于 {when}）",
                f"{c.tag}{c.about()}应于 {when} 前完成{promise}，至今仍未完成，已升级至二级，请督办。")
    return (f"{c.tag}Escalated to level 2: ticket {c.ticket} still lacks its {promise} (due {when})",
            f"{c.tag}{c.about()} is still overdue: its {promise} was due {when}. "
            f"It has been escalated to you at level 2.")


def _visit_reminder(c: _Context) -> tuple[str, str]:
    c.require("ticket")
    when = c.when("visit_at", "due")
    if c.zh:
        where = f" {c.unit} " if c.unit else ""
        what = f"，{c.category}" if c.category else ""
        return (f"{c.tag}上门提醒：{when}",
                f"{c.tag}工作人员将于 {when} 到{where}上门处理您的报事（工单 {c.ticket}{what}）。"
                f"如时间不便，请联系物业服务中心。")
    where = f" at {c.unit}" if c.unit else ""
    what = f" ({c.category})" if c.category else ""
    return (f"{c.tag}Visit reminder: {when}",
            f"{c.tag}Our staff will visit you{where} on {when} about your request {c.ticket}{what}. "
            f"If that time no longer suits you, please contact us.")


def _survey_invite(c: _Context) -> tuple[str, str]:
    """The resident's survey link, with one link per rating: tapping one opens the form with
    that rating chosen (only the form's POST records it: mail scanners follow links)."""
    c.require("ticket", "link")
    ratings = "\n".join(f"{'★' * r}{'☆' * (5 - r)} {c.link}?rating={r}" for r in range(5, 0, -1))
    if c.zh:
        return (f"{c.tag}请评价工单 {c.ticket} 的服务",
                f"{c.tag}您的报事（{c.about()}）已处理完成。请点击一个评分告诉我们您是否满意：\n{ratings}\n"
                f"链接 28 天内有效。")
    return (f"{c.tag}How did we do on request {c.ticket}?",
            f"{c.tag}Your request ({c.about()}) is resolved. Tap a rating to tell us how we did:\n{ratings}\n"
            f"The link works for 28 days.")


def _test_message(c: _Context) -> tuple[str, str]:
    if c.zh:
        name = f"（{c.firm}）" if c.firm else ""
        return (f"{c.tag}PropDesk 测试消息",
                f"{c.tag}这是来自 PropDesk{name}的测试消息。收到即表示该通知渠道可用。")
    name = f" for {c.firm}" if c.firm else ""
    return (f"{c.tag}PropDesk test message",
            f"{c.tag}This is a test message from PropDesk{name}. If you can read it, this channel works.")


# --- staff sign-in codes (the ``accounts`` identity adapter: AWS China has no Cognito to send
# them). ``data``: ``code`` (required), ``minutes`` it lives, ``firm``, ``link`` (the console's
# sign-in).


def _lifetime(c: _Context) -> str:
    minutes = int(c.data.get("minutes") or 0)
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes // 60} 小时" if c.zh else f"{minutes // 60} hours"
    return f"{minutes} 分钟" if c.zh else f"{minutes} minutes"


def _account_invite(c: _Context) -> tuple[str, str]:
    c.require("code")
    code, lifetime = _one_line(str(c.data["code"])), _lifetime(c)
    if c.zh:
        return (f"{c.tag}PropDesk 邀请：您的一次性登录码",
                f"{c.tag}您受邀使用 PropDesk 工作台。您的一次性登录码是 {code}（{lifetime}内有效）："
                f"请用您的电子邮箱和此登录码登录，然后设置您自己的密码。")
    return (f"{c.tag}Your PropDesk invitation code",
            f"{c.tag}You are invited to the PropDesk console. Your one-time sign-in code is {code} "
            f"(valid for {lifetime}): sign in with your e-mail address and this code, then choose your own password.")


def _password_reset(c: _Context) -> tuple[str, str]:
    c.require("code")
    code, lifetime = _one_line(str(c.data["code"])), _lifetime(c)
    if c.zh:
        return (f"{c.tag}PropDesk 重置密码验证码",  # not the code: subjects get printed and logged
                f"{c.tag}您的 PropDesk 重置密码验证码是 {code}，{lifetime}内有效。如非本人操作，请忽略此消息。")
    return (f"{c.tag}Your PropDesk password reset code",
            f"{c.tag}Your PropDesk password reset code is {code}. It works for {lifetime}. "
            f"If you did not ask for it, ignore this message.")


# --- the firm's admins: a plan limit reached (e-mail only; domain/metering.py). ``data``:
# ``limit`` (a name of metering.LIMITS), ``value`` (the plan's number), ``plan``, ``firm``.

_LIMIT_NAMES = {"zh-CN": {"staff_seats": "员工席位", "properties": "物业项目", "sms_per_month": "本月短信条数",
                          "photo_bytes": "照片存储空间"},
                "en": {"staff_seats": "staff seats", "properties": "properties", "sms_per_month": "SMS this month",
                       "photo_bytes": "photo storage"}}
_LIMIT_EFFECTS = {
    "zh-CN": {"staff_seats": "在停用员工或更换套餐之前，无法邀请新员工。",
              "properties": "在更换套餐之前，无法添加新的物业项目。",
              "sms_per_month": "本月后续短信将暂缓发送（记录为暂缓，不会发出）；电子邮件照常发送，住户报事照常受理。",
              "photo_bytes": "住户的照片和报事仍会照常受理。"},
    "en": {"staff_seats": "Nobody more can be invited until someone is deactivated or the plan changes.",
           "properties": "No property can be added until the plan changes.",
           "sms_per_month": "Further text messages this month are held (recorded as held, not sent); e-mails "
                            "still go and residents' reports are still taken.",
           "photo_bytes": "Residents' photos and reports are still accepted."}}


def _plan_limit(c: _Context) -> tuple[str, str]:
    c.require("limit")
    limit = str(c.data["limit"])
    if limit not in _LIMIT_NAMES["en"]:
        raise ValueError(f"unknown plan limit {limit!r}")
    name, effect = _LIMIT_NAMES[c.locale][limit], _LIMIT_EFFECTS[c.locale][limit]
    value = _one_line(str(c.data.get("value") or ""))
    if c.zh:
        return (f"{c.tag}PropDesk：已达到套餐上限（{name}）",
                f"{c.tag}{c.firm or '贵公司'}已达到套餐的{name}上限（{value}）。{effect}")
    return (f"{c.tag}PropDesk: your plan's limit of {name} is reached",
            f"{c.tag}{c.firm or 'Your firm'} has reached its plan's limit of {name} ({value}). {effect}")


EMAIL_ONLY_KINDS = ("plan_limit",)  # never by SMS: no approved SMS template is needed for them

_TEMPLATES = {
    "plan_limit": _plan_limit,
    "sla_warning": _sla_warning,
    "sla_breach_level1": _sla_breach_level1,
    "sla_breach_level2": _sla_breach_level2,
    "visit_reminder": _visit_reminder,
    "survey_invite": _survey_invite,
    "test_message": _test_message,
    "account_invite": _account_invite,
    "password_reset": _password_reset,
}


# --- residents: every public step of their report --------------------------------------------

RESIDENT_KIND = "resident_update"
_WEEKDAYS = {"zh-CN": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
             "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
CLOSE_REASON_NAMES = {
    "zh-CN": {"duplicate": "与另一条报事重复", "withdrawn": "报事已撤回", "spam": "不是有效的报事"},
    "en": {"duplicate": "it repeats another report", "withdrawn": "it was withdrawn",
           "spam": "it was not a genuine report"},
}
SMS_TEXT_MAX = {"zh-CN": 30, "en": 60}  # staff's words in an SMS (a reply, a question) are cut to this


def visit_words(start: datetime, until: datetime | None, time_zone: str, locale: str) -> str:
    """A visit as residents say it: ``12月10日周四 09:00-11:00`` / ``Thu 10 Dec, 09:00-11:00``."""
    loc = normalise_locale(locale)
    zone = _zone(time_zone)
    a = start.astimezone(zone)
    span = f"{a:%H:%M}" + (f"-{until.astimezone(zone):%H:%M}" if until else "")
    day = _WEEKDAYS[loc][a.weekday()]
    if loc == "zh-CN":
        return f"{a.month}月{a.day}日{day} {span}"
    return f"{day} {a.day} {_MONTHS_EN[a.month - 1]}, {span}"


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def _cut(text: str, limit: int, mark: str = "…") -> str:
    text = _one_line(text)
    return text if len(text) <= limit else text[:limit - len(mark)] + mark


def _step_line(step: dict, n: str, loc: str, zone: str, sms: bool) -> str:
    """One step in the resident's words (nothing here may be a code: names only)."""
    kind = step["kind"]
    zh = loc == "zh-CN"
    # "…" is not in the GSM alphabet: an English SMS that used it would be sent as UCS-2 (70 a part)
    words = (lambda t: _cut(t, SMS_TEXT_MAX[loc], "…" if zh else "...")) if sms else _one_line
    visit = ""
    if kind.startswith("visit_"):
        start = _when(step.get("visit_at"))
        if start is None:
            raise ValueError("a visit step lacks its time")
        visit = visit_words(start, _when(step.get("visit_until")), zone, loc)
    name = _one_line(str(step.get("name") or ""))
    if zh:
        lines = {
            "received": f"已收到您的报事，编号{n}。",
            "acknowledged": f"报事{n}已受理。",
            "assigned": f"报事{n}由{name}负责处理。",
            "visit_booked": f"报事{n}已约{visit}上门。",
            "visit_moved": f"报事{n}上门时间改为{visit}。",
            "visit_cancelled": f"报事{n}原定{visit}的上门已取消。",
            "reply": f"报事{n}回复：{words(str(step.get('body') or ''))}",
            "waiting": f"报事{n}需要您回复：{words(str(step.get('question') or ''))}",
            "resolved": f"报事{n}已处理完成" + (f"：{words(str(step.get('note')))}" if step.get("note") else "。"),
            "reopened": f"报事{n}已重新处理。",
            "closed": f"报事{n}已关闭：{CLOSE_REASON_NAMES['zh-CN'].get(step.get('reason'), '')}。",
        }
    else:
        lines = {
            "received": f"We received your report, number {n}.",
            "acknowledged": f"Report {n} is being handled.",
            "assigned": f"{name} will handle report {n}.",
            "visit_booked": f"Report {n}: visit booked for {visit}.",
            "visit_moved": f"Report {n}: visit moved to {visit}.",
            "visit_cancelled": f"Report {n}: the visit on {visit} is cancelled.",
            "reply": f"Report {n}, reply: {words(str(step.get('body') or ''))}",
            "waiting": f"Report {n}, please answer: {words(str(step.get('question') or ''))}",
            "resolved": f"Report {n} is resolved" + (f": {words(str(step.get('note')))}" if step.get("note")
                                                      else "."),
            "reopened": f"Report {n} is open again.",
            "closed": f"Report {n} is closed: {CLOSE_REASON_NAMES['en'].get(step.get('reason'), '')}.",
        }
    if kind not in lines:
        raise ValueError(f"unknown step {kind!r}")
    line = lines[kind]
    if kind == "closed" and step.get("note") and not sms:
        line += (" " if not zh else "") + _one_line(str(step["note"]))
    return line


def render_resident(locale: str, data: dict[str, Any]) -> Message:
    """A message to a resident about one or more steps of their report.

    ``data``: ``steps`` (from domain/notices.py), ``ticket`` (number), ``channel`` (``sms``
    or ``email``), ``signature`` (SMS, ≤ 10 characters), ``firm`` (e-mail), ``time_zone``,
    ``links`` (``track``, ``stop``, and for a resolve ``survey`` and ``not_fixed``). An SMS
    carries one link (its page shows the report and a stop button) to stay in one part
    where it can; an e-mail carries each link on its own line.
    """
    from .notices import merge
    loc = normalise_locale(locale)
    zh = loc == "zh-CN"
    steps = merge(list(data.get("steps") or []))
    if not steps:
        raise ValueError("nothing to tell")
    n = _one_line(str(data.get("ticket") or ""))
    zone = str(data.get("time_zone") or "UTC")
    links = data.get("links") or {}
    if not n or not links.get("track") or not links.get("stop"):
        raise ValueError("message data lacks ticket or links")
    sms = data.get("channel") == "sms"
    kinds = [s["kind"] for s in steps]
    body = ("" if zh else " ").join(_step_line(s, n, loc, zone, sms) for s in steps)
    resolved = "resolved" in kinds
    if sms:
        signature = _one_line(str(data.get("signature") or ""))
        text = (f"【{signature}】" if zh else f"{signature}: ") if signature else ""
        text += body
        if resolved:
            text += (f"评价：{links.get('survey')} 没修好：{links.get('not_fixed')} 详情/退订：{links['track']}" if zh
                     else f" Rate us: {links.get('survey')} Not fixed? {links.get('not_fixed')} "
                          f"Details/stop: {links['track']}")
        else:
            label = ("回复/退订：" if zh else " Answer/stop: ") if "waiting" in kinds else (
                "详情/退订：" if zh else " Details/stop: ")
            text += label + links["track"]
        # facts: what an approved SMS template (cn profile) is filled with instead of this text
        return Message(subject="", text=text, kind=RESIDENT_KIND, locale=loc,
                       facts={"ticket": n, "steps": kinds, "update": body, "link": links["track"]})
    firm = _one_line(_localised(data.get("firm"), loc))
    subject = (f"【{firm}】" if zh and firm else f"[{firm}] " if firm else "") + (
        f"您的报事 {n}：" if zh else f"Your report {n}: ") + _subject_words(kinds[-1], loc)
    lines = [("\n" if zh else "\n").join(_step_line(s, n, loc, zone, False) for s in steps), ""]
    if resolved:
        lines += [("评价这次服务：" if zh else "Tell us how we did: ") + str(links.get("survey")),
                  ("还没修好？" if zh else "Not fixed? ") + str(links.get("not_fixed"))]
    lines.append(("回复问题：" if zh else "Answer here: ") + links["track"] if "waiting" in kinds else
                 ("查看进度：" if zh else "Follow your report: ") + links["track"])
    lines += ["", ("不想再收到这些消息？" if zh else "Stop these messages: ") + links["stop"]]
    return Message(subject=subject, text="\n".join(lines), kind=RESIDENT_KIND, locale=loc,
                   facts={"ticket": n, "steps": kinds})


def _subject_words(kind: str, loc: str) -> str:
    words = {
        "zh-CN": {"received": "已收到", "acknowledged": "已受理", "assigned": "已派工", "visit_booked": "已预约上门",
                  "visit_moved": "上门时间已更改", "visit_cancelled": "上门已取消", "reply": "物业回复",
                  "waiting": "请您回复", "resolved": "已处理完成", "reopened": "已重新处理", "closed": "已关闭"},
        "en": {"received": "received", "acknowledged": "being handled", "assigned": "someone is on it",
               "visit_booked": "visit booked", "visit_moved": "visit moved", "visit_cancelled": "visit cancelled",
               "reply": "a reply from us", "waiting": "please answer", "resolved": "resolved",
               "reopened": "open again", "closed": "closed"},
    }
    return words[loc][kind]
