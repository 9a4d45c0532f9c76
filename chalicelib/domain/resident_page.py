"""What a firm tells its residents on every page: its service phone and its personal
information notice. Pure: no AWS.

The firm's settings (``resident_page`` on its tenant and slug items)::

    {"service_phone": "400-820-8820",            # the firm's service desk (tel: link)
     "property_phones": {"<property id>": "..."},  # each property's own number, copied here
     "notice": {"zh-CN": "...", "en": "..."},    # its own notice text; absent: the default
     "notice_version": 3}                        # moves on every change of the notice

A property may have its own ``service_phone``; it wins on that property's pages.

The default notice is a catalogue text per locale (chalicelib/web/i18n) with the firm's
name, its service phone and the retention periods filled in; its version is
``DEFAULT_NOTICE_VERSION``. A firm's own text is ``firm-<n>``. The version shown on the
form is recorded with the ticket's contact as the resident's agreement (``consent``).
"""

from __future__ import annotations

from datetime import datetime

from .fields import Shape, Text

DEFAULT_NOTICE_VERSION = "default-2026-12"
RETENTION_DAYS = 180  # contact details and entry notes, after the report is closed
PHOTO_RETENTION_DAYS = 365
NOTICE_MAX = 3000
SERVICE_PHONE_PATTERN = r"\+?[0-9][0-9 \-]{2,22}[0-9]"
SERVICE_PHONE_REASON = "must be a phone number such as 400-820-8820 or +86 21 6888 8888"


def service_phone_field(required: bool = False) -> Text:
    return Text(required=required, max_len=24, pattern=SERVICE_PHONE_PATTERN, pattern_reason=SERVICE_PHONE_REASON,
                description="the service desk residents may call, e.g. 400-820-8820")


SETTINGS_SHAPE = Shape(fields={
    "service_phone": service_phone_field(),
    "notice_zh_cn": Text(required=False, max_len=NOTICE_MAX,
                         description="the personal information notice in Chinese (empty: the default)"),
    "notice_en": Text(required=False, max_len=NOTICE_MAX,
                      description="the personal information notice in English (empty: the default)"),
})

PROPERTY_PHONE = Shape(fields={"service_phone": service_phone_field()})


def tel_href(phone: str | None) -> str:
    """``400-820-8820`` → ``tel:4008208820`` (digits and a leading + only)."""
    if not phone:
        return ""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "tel:" + ("+" if phone.strip().startswith("+") else "") + digits


def service_phone(firm_page: dict | None, property_phone: str | None = None) -> str:
    return (property_phone or (firm_page or {}).get("service_phone") or "").strip()


def phone_for(firm_page: dict | None, property_id: str | None) -> str:
    """The service phone for a property's residents from the firm's settings alone (its
    ``property_phones`` copy of each property's own number, else the firm's number): what
    messages and the escalation watch carry as ``service_phone``, with no extra read."""
    page = firm_page or {}
    return ((page.get("property_phones") or {}).get(property_id or "") or page.get("service_phone") or "").strip()


def with_property_phone(firm_page: dict | None, property_id: str, phone: str | None) -> dict:
    """The firm's settings with a property's own number copied in (or removed)."""
    page = dict(firm_page or {})
    phones = dict(page.get("property_phones") or {})
    if phone:
        phones[property_id] = phone
    else:
        phones.pop(property_id, None)
    page["property_phones"] = phones
    return page


def changed(before: dict | None, data: dict) -> dict:
    """The firm's new ``resident_page`` from the settings form or API (``SETTINGS_SHAPE``
    parsed): the notice's version moves only when its text changes."""
    before = dict(before or {})
    notice = {k: v.strip() for k, v in (("zh-CN", data.get("notice_zh_cn") or ""),
                                         ("en", data.get("notice_en") or "")) if v.strip()}
    after: dict = {"service_phone": (data.get("service_phone") or "").strip(),
                   "property_phones": dict(before.get("property_phones") or {})}
    if before.get("retention"):  # the retention periods (domain/retention.py) are set on their own
        after["retention"] = before["retention"]
    version = int(before.get("notice_version") or 0)
    if notice != (before.get("notice") or {}):
        version += 1
    if notice:
        after["notice"] = notice
    after["notice_version"] = version
    return after


def notice_version(firm_page: dict | None) -> str:
    page = firm_page or {}
    return f"firm-{int(page.get('notice_version') or 0)}" if page.get("notice") else DEFAULT_NOTICE_VERSION


def custom_notice(firm_page: dict | None, lang: str) -> str | None:
    """The firm's own notice in ``lang`` (None: the default text applies)."""
    return ((firm_page or {}).get("notice") or {}).get(lang) or None


def consent(contact: dict, version: str, now: datetime) -> dict:
    """The contact map with the resident's agreement to be contacted: when, and under which
    notice. Nothing to record when no phone or e-mail was given."""
    if not (contact.get("phone") or contact.get("email")):
        return contact
    at = now.isoformat().replace("+00:00", "Z")
    return {**contact, "consent": {"at": at, "notice": version}}


# --- the firm's logo on its public scorecard ------------------------------------------------

LOGO_MAX_BYTES = 24 * 1024  # the scorecard carries it inline and stays light for phones
LOGO_TYPES = ("image/png", "image/jpeg", "image/webp")
LOGO_SHAPE = Shape(fields={
    "image": Text(max_len=4 * LOGO_MAX_BYTES,  # the size itself is checked on the decoded bytes
                  description="the logo, base64: a PNG, JPEG or WebP image of at most 24 kB"),
})


def logo(text: str) -> tuple[str, str, str]:
    """A logo given as base64: ``(content type, base64 of the clean image, version)``, its type
    read from its bytes and its location metadata removed (domain/photos.py). InvalidInput
    naming ``image`` when it is not base64, too large, or not a PNG, JPEG or WebP image."""
    import base64
    import binascii
    import hashlib

    from .errors import InvalidInput
    from .photos import check
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("That is not an image.", {"image": "must be base64"}) from None
    if len(data) > LOGO_MAX_BYTES:
        raise InvalidInput("That logo is too large.", {"image": f"must be at most {LOGO_MAX_BYTES // 1024} kB"})
    try:
        kind, clean = check(data)
    except InvalidInput:
        kind, clean = "", b""
    if kind not in LOGO_TYPES:
        raise InvalidInput("That is not an image we can show.", {"image": "must be a PNG, JPEG or WebP image"})
    return kind, base64.b64encode(clean).decode("ascii"), hashlib.sha256(clean).hexdigest()[:12]
