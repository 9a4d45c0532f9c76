"""Who is asking: taken only from a verified token, never from a request body or query.

Two facts decide whether a token still speaks for its person, and they live in two places:

- the token itself (signature, issuer, audience, expiry, tenant, role, when it was issued),
  checked by the identity adapter (``adapters/identity``: Cognito, or our own accounts);
- the person's *standing* on the firm's staff list (``store/tenants.py``: role, active, and
  ``valid_after``), which deactivation, a role change and sign-out move.

``refusal`` is the rule that joins them, so the API's authorizer and the console, which both
go through ``services/access.verify``, refuse exactly the same tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DomainError, Forbidden
from .tickets import Actor


@dataclass(frozen=True)
class Identity:
    tenant_id: str
    sub: str
    role: str  # "admin" | "staff"
    name: str = ""
    email: str = ""

    @property
    def actor(self) -> Actor:
        return Actor("staff", self.sub, self.name or self.email.split("@")[0])

    def require_admin(self) -> None:
        if self.role != "admin":
            raise Forbidden("Only the firm's admins can do this.")


class TokenRejected(Exception):
    """The token does not (or no longer) speak for anyone: answered as 401 / signed out."""


class IdentityUnavailable(DomainError):
    """The identity provider could not be reached or answered with its own fault: 503,
    nothing was changed on our side; trying again later may work."""

    status = 503
    code = "identity_unavailable"


@dataclass(frozen=True)
class Claims:
    """What a verified token says (the adapter has checked signature, issuer, audience,
    expiry and token type). ``issued_at`` is the token's ``iat`` in epoch seconds."""
    tenant_id: str
    sub: str
    role: str
    issued_at: int
    name: str = ""
    email: str = ""
    signed_in_at: int | None = None  # ``auth_time``: when the session began (kept across refreshes)

    @property
    def identity(self) -> Identity:
        return Identity(tenant_id=self.tenant_id, sub=self.sub, role=self.role, name=self.name, email=self.email)


@dataclass(frozen=True)
class Standing:
    """A person's current standing in their firm, as the staff list keeps it.

    ``valid_after`` (epoch seconds): tokens issued before it are refused. Deactivation and
    sign-out set it to the second *after* the moment they happen, so every token issued up
    to and including that second is refused (token ``iat`` has whole-second precision)."""
    role: str
    active: bool
    valid_after: int = 0


def revocation_time(now_epoch: float) -> int:
    """The ``valid_after`` that revokes every token issued up to ``now_epoch``."""
    return int(now_epoch) + 1


def refusal(claims: Claims, standing: Standing | None) -> str | None:
    """Why ``standing`` no longer admits a token with ``claims`` (None: it does).

    - not on the firm's staff list (another firm's person, or removed);
    - deactivated;
    - the role in the token is not the person's current role (changed since);
    - issued, or its session begun, before the person's ``valid_after`` (signed out, or
      deactivated since)."""
    if standing is None:
        return "not on the firm's staff list"
    if not standing.active:
        return "deactivated"
    if claims.role != standing.role:
        return "role changed since the token was issued"
    # A token renewed from an older session counts from when that session began, so a
    # sign-out ends refreshed sessions too, even if the provider kept their refresh tokens.
    began = min(claims.issued_at, claims.signed_in_at if claims.signed_in_at is not None else claims.issued_at)
    if began < standing.valid_after:
        return "signed out or revoked since the token was issued"
    return None
