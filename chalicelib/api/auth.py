"""The API's authorizer: ``Authorization: Bearer <ID token>`` → who is asking.

A Chalice built-in authorizer, so the very same check runs under API Gateway (as its
own Lambda, its answer cached per token for ``AUTHORIZER_CACHE_SECONDS``) and under
``chalice local`` and the test client. The check itself is ``services/access.verify`` —
the identity adapter's token check plus the person's standing on the staff list — the
same function the console's session calls. It passes the tenant id, role and user on to
the route as the authorizer context; nothing downstream reads the tenant from anywhere else.

(The authorizer keeps its historical name ``cognito``: it names the authorizer in the
deployed API, whichever identity adapter the profile uses.)
"""

from __future__ import annotations

from chalice import AuthResponse, Blueprint

from ..domain.identity import Identity, TokenRejected
from ..services.access import AUTHORIZER_CACHE_SECONDS, verify

__all__ = ["TokenRejected", "verify", "cognito", "identity_from_context", "bp"]

bp = Blueprint(__name__)


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


@bp.authorizer(ttl_seconds=AUTHORIZER_CACHE_SECONDS)
def cognito(auth_request) -> AuthResponse:
    header = auth_request.token or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        _reject()
    try:
        who = verify(token.strip())
    except TokenRejected:
        _reject()
    except Exception:  # the standing could not be read (a DynamoDB fault): refuse, never let it in
        from ..observability import logger
        logger.exception("token check failed")
        _reject()
    return AuthResponse(routes=["*"], principal_id=who.sub, context={
        "tenant_id": who.tenant_id, "role": who.role, "sub": who.sub, "name": who.name, "email": who.email})


def identity_from_context(context: dict) -> Identity | None:
    auth = (context or {}).get("authorizer") or {}
    if not auth.get("tenant_id") or not auth.get("sub"):
        return None
    return Identity(tenant_id=auth["tenant_id"], sub=auth["sub"], role=auth.get("role", ""),
                    name=auth.get("name", ""), email=auth.get("email", ""))
