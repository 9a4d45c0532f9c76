"""The Cognito authorizer: verifies the ID token against the pool's JWKS.

A Chalice built-in authorizer, so the very same check runs under API Gateway (as its
own Lambda, cached by API Gateway per token) and under ``chalice local`` and the test
client. It passes the tenant id, role and user on to the route as the authorizer
context; nothing downstream reads the tenant from anywhere else.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalice import AuthResponse, Blueprint

from ..domain.identity import Identity
from ..domain.tenants import ROLES
from ..settings import settings

bp = Blueprint(__name__)


class TokenRejected(Exception):
    pass


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> Any:
    from jwt import PyJWKClient  # lazily: only the authorizer needs jwt + cryptography
    return PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


def verify(token: str) -> Identity:
    """Return who the token speaks for, or raise TokenRejected (bad signature, expired,
    another pool or app client, not an ID token, no tenant or role)."""
    import jwt

    conf = settings()
    try:
        key = _jwks_client(conf.jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], issuer=conf.issuer,
                            options={"verify_aud": False, "require": ["exp", "iss", "sub", "token_use"]},
                            leeway=30)
    except jwt.PyJWTError as error:
        raise TokenRejected(f"token not valid: {type(error).__name__}") from None
    # ID tokens name the app client in aud; access tokens in client_id.
    if claims.get("token_use") == "id":
        if claims.get("aud") != conf.client_id:
            raise TokenRejected("token is for another app client")
    elif claims.get("token_use") == "access":
        if claims.get("client_id") != conf.client_id:
            raise TokenRejected("token is for another app client")
    else:
        raise TokenRejected("not an ID or access token")
    tenant_id, role = claims.get("custom:tenant_id"), claims.get("custom:role")
    if not tenant_id or role not in ROLES:
        # Access tokens carry these only with a pre-token-generation trigger; use the ID token.
        raise TokenRejected("token has no tenant or role")
    return Identity(tenant_id=tenant_id, sub=claims["sub"], role=role, name=claims.get("name", ""),
                    email=claims.get("email", ""))


def _reject() -> None:
    """Answer 401. API Gateway maps an authorizer's 'Unauthorized' error to 401; the local
    gateway (chalice local and the test client) has its own exception for the same answer.
    chalice.local is not in the Lambda package, so the import tells the two apart."""
    try:
        from chalice.local import NotAuthorizedError
    except ImportError:
        raise Exception("Unauthorized")  # noqa: TRY002 — the exact message API Gateway expects
    raise NotAuthorizedError({"Content-Type": "application/json", "x-amzn-ErrorType": "UnauthorizedException"},
                             b'{"error": {"code": "unauthorized", "message": "Sign in again: the token is not valid."'
                             b', "fields": {}}}')


@bp.authorizer(ttl_seconds=300)
def cognito(auth_request) -> AuthResponse:
    header = auth_request.token or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        _reject()
    try:
        who = verify(token.strip())
    except TokenRejected:
        _reject()
    return AuthResponse(routes=["*"], principal_id=who.sub, context={
        "tenant_id": who.tenant_id, "role": who.role, "sub": who.sub, "name": who.name, "email": who.email})


def identity_from_context(context: dict) -> Identity | None:
    auth = (context or {}).get("authorizer") or {}
    if not auth.get("tenant_id") or not auth.get("sub"):
        return None
    return Identity(tenant_id=auth["tenant_id"], sub=auth["sub"], role=auth.get("role", ""),
                    name=auth.get("name", ""), email=auth.get("email", ""))
