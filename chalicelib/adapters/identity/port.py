"""The identity port: what PropDesk needs from a directory of staff, whoever keeps it.

Two adapters implement it, one per deployment profile (``settings().identity``):
``cognito`` (global regions: a Cognito user pool) and ``accounts`` (AWS China, where there is
no Cognito: people in our own table, KMS-signed tokens). Everything above this package
calls the functions of ``chalicelib.adapters.identity``, which hand over to the chosen one.

Every adapter keeps the same promises:
- ``verify_token`` checks only the token (signature, issuer, audience, expiry, type) and
  returns its ``Claims``; whether the person still stands behind it (active, role, signed
  out since) is decided once, for every adapter, in ``services/access.verify``.
- No provider error escapes as anything but a ``DomainError`` (4xx, or
  ``IdentityUnavailable`` = 503) or, from ``verify_token``, ``TokenRejected``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ...domain.identity import Claims


@dataclass(frozen=True)
class SignIn:
    tokens: dict | None = None  # IdToken, AccessToken, RefreshToken, ExpiresIn
    challenge: str | None = None
    session: str | None = None
    audited: bool = False  # the adapter wrote the caller's audit entry with its own write (accounts)


@dataclass(frozen=True)
class Person:
    """Whose an e-mail address is (for the audit log of sign-ins): never a secret."""
    tenant_id: str
    sub: str
    name: str


@dataclass(frozen=True)
class CodeSent:
    destination: str
    local_code: str | None = None  # the local stack only: the code a real provider would send


class Directory(Protocol):  # pragma: no cover — a description of the adapters' module interface
    def verify_token(self, token: str) -> Claims: ...
    def create_user(self, email: str, name: str, tenant_id: str, role: str, *, temporary_password: str | None = None,
                    send_invite: bool = True) -> str: ...
    def set_password(self, email: str, password: str) -> None: ...
    def set_role(self, email: str, role: str) -> None: ...
    def set_active(self, email: str, active: bool) -> None: ...
    def delete_user(self, email: str) -> None: ...
    def person_exists(self, email: str) -> bool: ...
    def whose(self, email: str) -> Person | None: ...
    def sign_in(self, email: str, password: str, *, source_ip: str = "", audit=None) -> SignIn: ...
    def complete_new_password(self, email: str, session: str, new_password: str) -> SignIn: ...
    def send_invitation(self, email: str) -> None: ...
    def refresh(self, refresh_token: str) -> dict: ...
    def forgot_password(self, email: str) -> CodeSent: ...
    def confirm_forgot_password(self, email: str, code: str, new_password: str) -> None: ...
    def sign_out(self, email: str) -> None: ...
    # ``accounts`` only (Cognito's own MFA is not wired): the admins' optional TOTP second factor
    def complete_totp(self, email: str, session: str, code: str) -> SignIn: ...
