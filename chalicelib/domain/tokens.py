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


def issue(tenant_id: str, subject_id: str) -> CapabilityToken:
    raw = ULID.from_str(tenant_id).bytes + ULID.from_str(subject_id).bytes + secrets.token_bytes(SECRET_BYTES)
    token = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    return CapabilityToken(tenant_id, subject_id, token)


def read(token: str) -> CapabilityToken | None:
    """Split a token into its tenant and subject; None if it cannot be one of ours."""
    if not isinstance(token, str) or len(token) != 64:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
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
