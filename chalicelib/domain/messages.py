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
``promise``      ``first_response`` | ``resolution`` | ``update`` | ``attend``
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

KINDS = ("sla_warning", "sla_breach_level1", "sla_breach_level2", "visit_reminder", "survey_invite", "test_message")
LOCALES = ("zh-CN", "en")
PROMISES = ("first_response", "resolution", "update", "attend")

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_PROMISE_NAMES = {
    "en": {"first_response": "first response", "resolution": "resolution", "update": "progress update",
           "attend": "visit on site"},
    "zh-CN": {"first_response": "首次响应", "resolution": "处理完成", "update": "进度更新", "attend": "上门处理"},
}


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
    if kind not in KINDS:
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


_TEMPLATES = {
    "sla_warning": _sla_warning,
    "sla_breach_level1": _sla_breach_level1,
    "sla_breach_level2": _sla_breach_level2,
    "visit_reminder": _visit_reminder,
    "survey_invite": _survey_invite,
    "test_message": _test_message,
}


# --- staff sign-in codes (the ``accounts`` identity adapter: AWS China has no Cognito to send
# them). ``data``: ``code`` (required), ``minutes`` it lives, ``firm``, ``link`` (the console's
# sign-in). Kept at the end, apart from the other kinds, so each addition stays its own hunk.

KINDS = KINDS + ("account_invite", "password_reset")


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


_TEMPLATES.update({"account_invite": _account_invite, "password_reset": _password_reset})
