"""Tenants (property firms) and their people: sign-up and staff rules."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .fields import Boolean, Choice, Email, Problem, Shape, Text, parse_zone

LOCALES = ("zh-CN", "en")
ROLES = ("admin", "staff")
SLUG_PATTERN = r"[a-z0-9](?:[a-z0-9\-]{1,38}[a-z0-9])"
RESERVED_SLUGS = frozenset({
    "api", "admin", "app", "www", "static", "assets", "signup", "login", "signin", "healthz", "openapi",
    "propdesk", "help", "support", "status", "docs", "r", "t", "s", "p",
})


class TimeZoneName(Text):
    """An IANA zone name, checked by the field layer's one zone parser; kept as its name."""

    def clean(self, value, path, problems):  # type: ignore[override]
        return parse_zone(super().clean(value, path, problems)).key


class Slug(Text):
    def clean(self, value, path, problems):  # type: ignore[override]
        text = super().clean(value, path, problems)
        if text in RESERVED_SLUGS:
            raise Problem("is reserved; choose another")
        if "--" in text:
            raise Problem("must not contain two hyphens in a row")
        return text


def signup_shape(templates: Iterable[str] | None = None) -> Shape:
    names = (lambda: sorted(templates)) if templates is not None else ()
    return Shape(fields={
        "name": Text(max_len=120, description="the firm's name as residents know it"),
        "slug": Slug(min_len=3, max_len=40, pattern=SLUG_PATTERN, lower=True,
                     pattern_reason="must be 3-40 lower-case letters, digits or hyphens, "
                                    "starting and ending with a letter or digit",
                     description="the short name in the residents' link, /r/<slug>"),
        "time_zone": TimeZoneName(max_len=64, description="IANA time zone, e.g. Asia/Shanghai"),
        "locale": Choice(options=LOCALES, description="default language of pages and messages"),
        "admin_email": Email(description="the first admin; Cognito e-mails them a temporary password"),
        "admin_name": Text(required=False, max_len=80),
        "template": Choice(options=names, required=False, default="prc-residential",
                           description="starting service standards from tenants/templates"),
    })


STAFF_INVITE = Shape(fields={
    "email": Email(),
    "name": Text(max_len=80),
    "role": Choice(options=ROLES, required=False, default="staff"),
})

STAFF_CHANGE = Shape(fields={
    "role": Choice(options=ROLES, required=False),
    "active": Boolean(required=False),
    "name": Text(required=False, max_len=80),
})


# --- a short name suggested from the firm's name ---------------------------------------------
# A Chinese firm types 绿苑物业管理有限公司; its residents will type the short name into a
# phone, so it is suggested in pinyin, without the words every firm's name ends with
# (绿苑物业管理有限公司 → lvyuan). Each character's usual reading comes from pinyin.txt
# (generated from pypinyin: infra/pinyin_table.py); a few place names whose first character
# reads otherwise there are written out. It is a suggestion: the admin keeps or changes it.

NAME_ENDINGS = ("物业管理有限责任公司", "物业服务有限责任公司", "物业管理有限公司", "物业服务有限公司",
                "物业管理服务有限公司", "有限责任公司", "股份有限公司", "有限公司", "物业管理", "物业服务",
                "物业", "集团", "公司", "服务")
READ_OTHERWISE = {"长沙": "changsha", "长春": "changchun", "长城": "changcheng", "长江": "changjiang",
                  "长安": "changan", "长宁": "changning", "重庆": "chongqing", "厦门": "xiamen",
                  "银行": "yinhang", "六安": "luan", "蚌埠": "bengbu", "乐山": "leshan", "朝阳": "chaoyang"}
SLUG_MAX = 40


@lru_cache(maxsize=1)
def _readings() -> tuple[list[str], str, int]:
    syllables, codes = Path(__file__).with_name("pinyin.txt").read_text(encoding="ascii").split("\n")[:2]
    return syllables.split(" "), codes, 0x4E00


def pinyin_of(char: str) -> str:
    """A Chinese character's usual reading without tones (ü as v), '' for any other."""
    syllables, codes, first = _readings()
    at = (ord(char) - first) * 2
    if not 0 <= at < len(codes) or codes[at:at + 2] == "zz":
        return ""
    return syllables[int(codes[at:at + 2], 36)]


def suggest_slug(name: str) -> str:
    """A short name for the residents' link from the firm's name ('' when none can be made):
    pinyin for Chinese, lower-case letters and digits kept, words joined by hyphens."""
    text = (name or "").strip()
    for _ in range(3):  # 某某物业服务集团有限公司: the endings, peeled in turn
        ending = next((e for e in NAME_ENDINGS if text.endswith(e) and len(text) > len(e)), None)
        if ending is None:
            break
        text = text[:-len(ending)].strip()
    for phrase, spelled in READ_OTHERWISE.items():
        text = text.replace(phrase, spelled)
    words, current = [], ""
    for char in text:
        if char.isascii() and char.isalnum():
            current += char.lower()
        elif pinyin_of(char):
            current += pinyin_of(char)
        else:
            if current:
                words.append(current)
            current = ""
    words.append(current)
    slug = "-".join(w for w in words if w)[:SLUG_MAX].strip("-")
    return slug if len(slug) >= 3 and slug not in RESERVED_SLUGS else ""
