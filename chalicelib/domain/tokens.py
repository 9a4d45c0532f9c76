"""Capability tokens for residents: unguessable links that need no account.

A tracking token names its tenant and ticket (so a lookup is one keyed read) and
carries 128 random bits; the store keeps only a SHA-256 of the whole token, so a
leaked table backup does not leak working links.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from ulid import ULID

SECRET_BYTES = 16  # 128 bits of entropy


@dataclass(frozen=True)
class CapabilityToken:
    tenant_id: str
    subject_id: str
    token: str

    @property
    def digest(self) -> str:
        return digest(self.token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _encode(raw: bytes) -> str:
    """base64url without padding (48 bytes make 64 characters, 16 bytes 22)."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str) -> bytes:
    """The bytes of unpadded base64url; the decoder ignores padding beyond what the length needs."""
    return base64.urlsafe_b64decode(text + "==")


def issue(tenant_id: str, subject_id: str) -> CapabilityToken:
    raw = ULID.from_str(tenant_id).bytes + ULID.from_str(subject_id).bytes + secrets.token_bytes(SECRET_BYTES)
    return CapabilityToken(tenant_id, subject_id, _encode(raw))


def read(token: str) -> CapabilityToken | None:
    """Split a token into its tenant and subject; None if it cannot be one of ours."""
    if not isinstance(token, str) or len(token) != 64:
        return None
    try:
        raw = _decode(token)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 32 + SECRET_BYTES:
        return None
    try:
        tenant_id = str(ULID.from_bytes(raw[:16]))
        subject_id = str(ULID.from_bytes(raw[16:32]))
    except ValueError:
        return None
    return CapabilityToken(tenant_id, subject_id, token)


def matches(token: CapabilityToken, stored_digest: str | None) -> bool:
    return bool(stored_digest) and hmac.compare_digest(token.digest, stored_digest)


def new_id() -> str:
    return str(ULID())


# --- the short link in a message -------------------------------------------------------------
# A message carries the tracking token's 128 random bits alone (22 characters, short enough
# for an SMS). The store keeps a digest of it next to the tenant and ticket it names
# (``LINK#<digest>``); the long token is rebuilt from the two, so no working link is stored.

SHORT_LENGTH = 22  # base64url of SECRET_BYTES, no padding


def short_of(token: str) -> str | None:
    """The short form of a tracking token: its secret part alone."""
    capability = read(token)
    if capability is None:
        return None
    return _encode(_decode(token)[32:])


def short_secret(short: str) -> bytes | None:
    """The 16 random bytes of a short token; None if it cannot be one."""
    if not isinstance(short, str) or len(short) != SHORT_LENGTH:
        return None
    try:
        raw = _decode(short)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != SECRET_BYTES or _encode(raw) != short:
        return None
    return raw


def from_short(tenant_id: str, subject_id: str, short: str) -> CapabilityToken | None:
    """The long tracking token that a short one (found under its digest) stands for."""
    secret = short_secret(short)
    if secret is None:
        return None
    raw = ULID.from_str(tenant_id).bytes + ULID.from_str(subject_id).bytes + secret
    return CapabilityToken(tenant_id, subject_id, _encode(raw))
