"""Tenants (property firms) and their people: sign-up and staff rules."""

from __future__ import annotations

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
