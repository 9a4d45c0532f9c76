"""The directory of staff behind one port (``port.py``): Cognito or our own accounts,
chosen by ``settings().identity``. Callers use these functions and never name an adapter.

The adapter module is imported on first use, so importing the app loads neither boto3's
Cognito model nor jwt/cryptography.
"""

from __future__ import annotations

import importlib
from typing import Any

from ...domain.identity import Claims
from ...settings import settings
from .port import CodeSent, Person, SignIn

__all__ = ["Claims", "CodeSent", "SignIn", "adapter", "verify_token", "create_user", "set_password", "set_role",
           "set_active", "delete_user", "person_exists", "whose", "Person", "sign_in", "complete_new_password", "send_invitation", "refresh",
           "forgot_password", "confirm_forgot_password", "sign_out", "invites_by_code", "complete_totp",
           "totp_available", "totp_enabled", "start_totp", "confirm_totp", "disable_totp"]

ADAPTERS = ("cognito", "accounts")


def adapter() -> Any:
    name = settings().identity
    if name not in ADAPTERS:
        raise RuntimeError(f"PROPDESK_IDENTITY must be one of {ADAPTERS}, not {name!r}")
    return importlib.import_module(f"{__name__}.{name}")


def verify_token(token: str) -> Claims:
    """The token's claims if the adapter's keys signed it for us and it has not expired;
    else TokenRejected. (Standing — active, role, signed out — is services/access.py's.)"""
    return adapter().verify_token(token)


def create_user(email: str, name: str, tenant_id: str, role: str, *, temporary_password: str | None = None,
                send_invite: bool = True) -> str:
    return adapter().create_user(email, name, tenant_id, role, temporary_password=temporary_password,
                                 send_invite=send_invite)


def set_password(email: str, password: str) -> None:
    adapter().set_password(email, password)


def set_role(email: str, role: str) -> None:
    adapter().set_role(email, role)


def set_active(email: str, active: bool) -> None:
    adapter().set_active(email, active)


def delete_user(email: str) -> None:
    adapter().delete_user(email)


def person_exists(email: str) -> bool:
    return adapter().person_exists(email)


def whose(email: str) -> Person | None:
    """The firm and person an e-mail address signs in as (None: nobody we know)."""
    return adapter().whose(email)


def sign_in(email: str, password: str, *, source_ip: str = "", audit=None) -> SignIn:
    """``source_ip`` (never stored as such) lets an adapter lock out an address that keeps failing.
    ``audit(tenant_id, sub, name)`` builds the audit entry of a successful sign-in: an adapter
    that writes to our table then (accounts) puts it in that write and answers ``audited``."""
    return adapter().sign_in(email, password, source_ip=source_ip, audit=audit)


def complete_new_password(email: str, session: str, new_password: str) -> SignIn:
    return adapter().complete_new_password(email, session, new_password)


def send_invitation(email: str) -> None:
    adapter().send_invitation(email)


def refresh(refresh_token: str) -> dict:
    return adapter().refresh(refresh_token)


def forgot_password(email: str) -> CodeSent:
    return adapter().forgot_password(email)


def confirm_forgot_password(email: str, code: str, new_password: str) -> None:
    adapter().confirm_forgot_password(email, code, new_password)


def sign_out(email: str) -> None:
    adapter().sign_out(email)


def invites_by_code() -> bool:
    """True when the adapter delivers invitations itself through our channels (``accounts``:
    a one-time code by e-mail or SMS, which also reaches the local stack's mailbox), so no
    temporary password need be shown, even locally. Cognito mails its own (not under moto)."""
    return settings().identity == "accounts"


def complete_totp(email: str, session: str, code: str) -> SignIn:
    """The second step of a sign-in that answered ``SOFTWARE_TOKEN_MFA``. An adapter without
    our TOTP (Cognito) never asks for it, so any session sent here is not one of ours: 401."""
    if not totp_available():
        from ...domain.errors import Unauthorized
        raise Unauthorized("This sign-in has no second step: sign in again.", {"session": "is not a sign-in step"})
    return adapter().complete_totp(email, session, code)


def totp_available() -> bool:
    """Whether admins can set up a TOTP second factor with this adapter (``accounts`` only)."""
    return hasattr(adapter(), "start_totp")


def totp_enabled(email: str) -> bool:
    return totp_available() and adapter().totp_enabled(email)


def start_totp(email: str) -> dict:
    return adapter().start_totp(email)


def confirm_totp(email: str, code: str) -> None:
    adapter().confirm_totp(email, code)


def disable_totp(email: str, code: str) -> None:
    adapter().disable_totp(email, code)
