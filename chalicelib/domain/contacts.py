"""A resident's contact (phone or e-mail) as a key: finding one's reports again.

Pure: no AWS, no clock. A resident who lost the tracking link types the phone number or
e-mail address they reported with and gets a one-time code; with the code they see that
firm's reports from that contact in the last 12 months.

What is kept, and how (the table never holds a raw phone or e-mail in a key):

================  ===================================================================
contact digest    HMAC-SHA256(pepper, "<tenant id>|<normalised contact>"), hex: the
                  only form of a contact in a key (``CONTACT#…``, ``CODE#…``)
report reference  one item per contact of a ticket, written in the ticket's creation
                  transaction: number, when, and the tracking link *sealed* with a key
                  derived from the pepper and the contact itself (the table alone does
                  not give working links back, as it keeps only their SHA-256 elsewhere)
one-time code     6 digits; stored as HMAC-SHA256(pepper, salt | code) with a fresh
                  random salt per code; valid 10 minutes, 5 tries, then locked
================  ===================================================================

No enumeration: a code is "issued" for any contact (a random one, never sent, when the
contact has no reports), so the page, the status, the tries and the lock look the same.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

CODE_DIGITS = 6
CODE_VALID = timedelta(minutes=10)
MAX_TRIES = 5
LOOKBACK = timedelta(days=365)  # "the last 12 months"
REFERENCE_KEPT = timedelta(days=400)  # TTL tidies references a little after the lookback
CODES_PER_CONTACT = 3  # per CODE_WINDOW
CODES_PER_ADDRESS = 10  # per CODE_WINDOW, per client address and firm
CODE_WINDOW = timedelta(hours=1)

# The country calling code a firm's residents dial without one, by the firm's time zone.
COUNTRY_BY_ZONE = {
    "Asia/Shanghai": "86", "Asia/Chongqing": "86", "Asia/Harbin": "86", "Asia/Urumqi": "86",
    "Asia/Hong_Kong": "852", "Asia/Macau": "853", "Asia/Taipei": "886", "Asia/Singapore": "65",
    "Europe/London": "44", "Europe/Dublin": "353",
}
# How many digits a number has after the country code (no trunk 0), by country calling code:
# the way to tell "85298765432" (Hong Kong's code typed without +) from a local number.
NATIONAL_LENGTHS = {"86": (10, 11), "852": (8,), "853": (8,), "886": (8, 9), "65": (8,), "44": (9, 10),
                    "353": (7, 8, 9)}
EMAIL_PATTERN = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
PHONE_PATTERN = re.compile(r"\+?[0-9]{6,20}")
DEFAULT_PEPPER = b"propdesk-contacts-v1"


class NotAContact(ValueError):
    """Neither a phone number nor an e-mail address."""


@dataclass(frozen=True)
class Contact:
    kind: str  # "phone" | "email"
    value: str  # normalised: +8613800138000, li.na@example.com

    @property
    def channel(self) -> dict:
        """Where a code goes, as the channel adapters take it."""
        return {"channel": "sms" if self.kind == "phone" else "email", "to": self.value}

    @property
    def masked(self) -> str:
        return mask(self)


def parse(text: str, time_zone: str = "UTC") -> Contact:
    """A phone number or an e-mail address as typed → its normalised form.
    Phone numbers without a country code take the firm's (from its time zone)."""
    raw = (text or "").strip()
    if "@" in raw:
        address = raw.lower()
        if len(address) > 254 or not EMAIL_PATTERN.fullmatch(address):
            raise NotAContact("not an e-mail address")
        return Contact("email", address)
    return Contact("phone", normalise_phone(raw, time_zone))


def normalise_phone(text: str, time_zone: str = "UTC") -> str:
    digits = re.sub(r"[\s\-().]", "", text or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not PHONE_PATTERN.fullmatch(digits):
        raise NotAContact("not a phone number")
    if digits.startswith("+"):
        return digits
    country = COUNTRY_BY_ZONE.get(time_zone)
    if country is None:
        return digits  # no country known: the same digits still find the same reports
    national = digits.lstrip("0")  # the trunk 0 (a Chinese mobile starts with 1 and has none)
    lengths = NATIONAL_LENGTHS[country]
    if national.startswith(country) and len(national) not in lengths and len(national) - len(country) in lengths:
        return "+" + national  # typed with the country code, without +
    return f"+{country}{national}"


def try_parse(text: str | None, time_zone: str) -> Contact | None:
    try:
        return parse(text or "", time_zone)
    except NotAContact:
        return None


def contacts_of(contact: dict, time_zone: str) -> list[Contact]:
    """The findable contacts of a ticket's contact map (phone and/or e-mail)."""
    found = [try_parse(contact.get("phone"), time_zone), try_parse(contact.get("email"), time_zone)]
    return [c for c in found if c is not None]


def mask(contact: Contact | str) -> str:
    """``138****8000``, ``l***@example.com``: enough to recognise, not to use."""
    if isinstance(contact, str):
        contact = Contact("email" if "@" in contact else "phone", contact)
    if contact.kind == "email":
        local, _, domain = contact.value.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = contact.value.lstrip("+")
    for code in sorted(set(COUNTRY_BY_ZONE.values()), key=len, reverse=True):
        if contact.value.startswith("+" + code) and len(digits) - len(code) >= 8:
            digits = digits[len(code):]
            break
    if len(digits) <= 6:
        return "*" * (len(digits) - 2) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def _key(pepper: bytes | str | None) -> bytes:
    if isinstance(pepper, str):
        pepper = pepper.encode()
    return pepper or DEFAULT_PEPPER


def digest(tenant_id: str, contact: Contact, pepper: bytes | str | None = None) -> str:
    """The contact as a key part: keyed, per firm, never reversible without the pepper."""
    return hmac.new(_key(pepper), f"{tenant_id}|{contact.value}".encode(), hashlib.sha256).hexdigest()[:40]


# --- tracking links, sealed for the contact ------------------------------------------------

def _stream(tenant_id: str, contact: Contact, ticket_id: str, length: int, pepper) -> bytes:
    out, block = b"", 0
    while len(out) < length:
        out += hmac.new(_key(pepper), f"seal|{tenant_id}|{contact.value}|{ticket_id}|{block}".encode(),
                        hashlib.sha256).digest()
        block += 1
    return out[:length]


def seal(token: str, tenant_id: str, contact: Contact, ticket_id: str, pepper=None) -> str:
    """A tracking token only the holder of the contact (and the pepper) can unseal."""
    raw = token.encode("ascii")
    return bytes(a ^ b for a, b in zip(raw, _stream(tenant_id, contact, ticket_id, len(raw), pepper))).hex()


def unseal(sealed: str, tenant_id: str, contact: Contact, ticket_id: str, pepper=None) -> str | None:
    try:
        raw = bytes.fromhex(sealed)
        token = bytes(a ^ b for a, b in zip(raw, _stream(tenant_id, contact, ticket_id, len(raw), pepper)))
        return token.decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None


# --- one-time codes ------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedCode:
    code: str  # sent to the resident (known contact) or thrown away (unknown): never stored
    salt: str
    code_hash: str
    expires_at: datetime


def new_code(now: datetime, pepper=None) -> IssuedCode:
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    return IssuedCode(code, salt, code_hash(code, salt, pepper), now + CODE_VALID)


def code_hash(code: str, salt: str, pepper=None) -> str:
    return hmac.new(_key(pepper), f"{salt}|{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(typed: str, salt: str, stored_hash: str, pepper=None) -> bool:
    typed = re.sub(r"\s", "", typed or "")
    if not re.fullmatch(r"[0-9]{%d}" % CODE_DIGITS, typed):
        return False
    return hmac.compare_digest(code_hash(typed, salt, pepper), stored_hash)


def code_text(locale: str, firm: str, code: str) -> tuple[str, str]:
    """(subject, text) of the message carrying a code: short enough for one SMS segment."""
    minutes = int(CODE_VALID.total_seconds() // 60)
    if locale == "zh-CN":
        return (f"{firm}：查询报修的验证码",
                f"【{firm}】验证码 {code}，用于查看您的报修记录，{minutes}分钟内有效。如非本人操作请忽略。")
    return (f"{firm}: your code to find your reports",
            f"{firm}: your code is {code}. Use it within {minutes} minutes to see your reports. "
            f"Not you? Ignore this message.")
