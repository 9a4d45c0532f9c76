"""Who is asking, for every route: the ONE ``verify(token) -> Identity`` that the API's
authorizer (api/auth.py) and the console's session (api/console/session.py) both call.

1. The identity adapter checks the token itself (signature, issuer, audience, expiry,
   tenant and role claims) and returns its claims — Cognito or our own accounts alike.
2. The person's standing on the firm's staff list must still admit it
   (``domain.identity.refusal``: on the list, active, same role, issued after
   ``valid_after``). Deactivation and sign-out move ``valid_after``; a role change makes the
   token's role stale. So all three end the old token's access.

Cost: the standing is read at most once per ``STANDING_SECONDS`` per person per warm
process (a small cache keyed by tenant and person), so a warm request adds no DynamoDB
call. Together with API Gateway's authorizer cache (``api/auth.AUTHORIZER_CACHE_SECONDS``)
a revocation reaches every route within ``REVOCATION_LIMIT_SECONDS``; the process that
made the change forgets its cached standing at once.

One refinement keeps fresh sign-ins from being refused by an old cache entry: when the
cached standing would refuse a token that was issued *after* the standing was read, the
standing is read again (once per such token, give or take the second ``iat`` rounds away:
the new read is newer than the token).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from ..domain.identity import Claims, Identity, IdentityUnavailable, Standing, TokenRejected, refusal, revocation_time

STANDING_SECONDS = 40
AUTHORIZER_CACHE_SECONDS = 15  # api/auth.py's ttl_seconds; kept here so the sum is checked in one place
REVOCATION_LIMIT_SECONDS = 60
assert STANDING_SECONDS + AUTHORIZER_CACHE_SECONDS < REVOCATION_LIMIT_SECONDS  # margin for DynamoDB's own lag


@dataclass(frozen=True)
class _Entry:
    read_at: float  # by the cache's clock (epoch seconds)
    standing: Standing | None


class StandingCache:
    """Each person's standing, kept for ``ttl`` seconds per process. ``clock`` is
    injectable (epoch seconds), so tests move time instead of sleeping."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.time, max_people: int = 5000) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_people = max_people
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()

    def get(self, tenant_id: str, sub: str) -> _Entry | None:
        entry = self._entries.get((tenant_id, sub))
        if entry is None or self.clock() - entry.read_at >= self.ttl:
            return None
        return entry

    def put(self, tenant_id: str, sub: str, standing: Standing | None) -> _Entry:
        entry = _Entry(self.clock(), standing)
        with self._lock:
            if len(self._entries) >= self.max_people:
                now = self.clock()
                self._entries = {k: v for k, v in self._entries.items() if now - v.read_at < self.ttl}
                if len(self._entries) >= self.max_people:
                    self._entries.clear()
            self._entries[(tenant_id, sub)] = entry
        return entry

    def forget(self, tenant_id: str, sub: str) -> None:
        with self._lock:
            self._entries.pop((tenant_id, sub), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


cache = StandingCache(STANDING_SECONDS)


def _read(tenant_id: str, sub: str) -> _Entry:
    from ..store import tenants as store
    return cache.put(tenant_id, sub, store.standing(tenant_id, sub))


def admit(claims: Claims) -> Identity:
    """The identity the verified ``claims`` speak for, if the person's standing admits them;
    else TokenRejected."""
    entry = cache.get(claims.tenant_id, claims.sub) or _read(claims.tenant_id, claims.sub)
    reason = refusal(claims, entry.standing)
    if reason is not None and entry.read_at < claims.issued_at + 1:  # iat is whole seconds
        entry = _read(claims.tenant_id, claims.sub)  # the token may be newer than what we know
        reason = refusal(claims, entry.standing)
    if reason is not None:
        raise TokenRejected(reason)
    return claims.identity


def verify(token: str) -> Identity:
    """Who ``token`` speaks for, or TokenRejected. The one check behind every route."""
    from ..adapters import identity as directory
    return admit(directory.verify_token(token))


def forget(tenant_id: str, sub: str) -> None:
    """This process's cached standing of the person is stale (it just changed it)."""
    cache.forget(tenant_id, sub)


def sign_out(who: Identity, *, now: datetime | None = None) -> None:
    """End every session of the person, on every device: their tokens issued until now are
    refused (within a minute everywhere, at once in this process) and the identity provider
    revokes their refresh tokens."""
    from ..adapters import identity as directory
    from ..store import tenants as store
    now = now or datetime.now(timezone.utc)
    store.revoke_tokens(who.tenant_id, who.sub, revocation_time(now.timestamp()))
    forget(who.tenant_id, who.sub)
    try:
        directory.sign_out(who.email)
    except IdentityUnavailable:
        # Our side already refuses every token of the sessions begun until now (refreshed
        # ones carry their session's start): the sign-out holds without the provider.
        from ..observability import logger
        logger.warning("identity provider sign-out failed")
