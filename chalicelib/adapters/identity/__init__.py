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
from .port import CodeSent, SignIn

__all__ = ["Claims", "CodeSent", "SignIn", "adapter", "verify_token", "create_user", "set_password", "set_role",
           "set_active", "delete_user", "sign_in", "complete_new_password", "send_invitation", "refresh",
           "forgot_password", "confirm_forgot_password", "sign_out"]

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


def sign_in(email: str, password: str, *, source_ip: str = "") -> SignIn:
    """``source_ip`` (never stored as such) lets an adapter lock out an address that keeps failing."""
    return adapter().sign_in(email, password, source_ip=source_ip)


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
