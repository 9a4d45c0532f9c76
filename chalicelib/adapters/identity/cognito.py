"""The identity port's Cognito adapter (the ``global`` profile): create, change, disable,
sign in, and verify the ID tokens the user pool signs.

The only module that calls Cognito. The user pool's custom attributes ``tenant_id`` and
``role`` end up in the ID token. Every call goes through ``_calling``, which turns each
way Cognito (or botocore before it) can say no into one of our errors: the caller's mistake
→ 4xx with the field, a session or password not accepted → 401, throttling → 429, the
service or the network failing → 503 (``IdentityUnavailable``). Nothing escapes as a 500.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Callable, Iterator

from ...domain.errors import Conflict, DomainError, InvalidInput, RateLimited, Unauthorized
from ...domain.identity import Claims, IdentityUnavailable, TokenRejected
from ...settings import settings
from .port import CodeSent, SignIn

__all__ = ["CodeSent", "SignIn", "verify_token", "create_user", "set_password", "set_role", "set_active",
           "delete_user", "sign_in", "complete_new_password", "send_invitation", "refresh", "forgot_password",
           "confirm_forgot_password", "sign_out"]


@lru_cache(maxsize=1)
def _client() -> Any:
    import boto3  # lazily: importing the app must not build clients
    from botocore.config import Config
    # Few, quick retries: a person is waiting on the other end of every call.
    return boto3.client("cognito-idp", region_name=settings().region,
                        config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=3,
                                      read_timeout=5))


# --- every call's errors, mapped ---------------------------------------------------------

# Cognito's error codes by what they mean for the caller (the rest: IdentityUnavailable).
THROTTLED = {"TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException",
             "ThrottlingException", "Throttling", "RequestLimitExceeded"}
REFUSED = {"NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException",
           "PasswordResetRequiredException", "CodeMismatchException", "ExpiredCodeException"}
INVALID = {"InvalidParameterException", "InvalidPasswordException", "ValidationException",
           "InvalidEmailRoleAccessPolicyException", "AliasExistsException", "UsernameExistsException"}

# botocore's own parameter names → our field names (its validation runs before any request).
PARAMETER_FIELDS = {"Username": "email", "Password": "password", "ConfirmationCode": "code",
                    "Session": "session", "NEW_PASSWORD": "new_password", "PASSWORD": "password",
                    "USERNAME": "email", "REFRESH_TOKEN": "session", "TemporaryPassword": "password"}
_PARAMETER = re.compile(r"parameter ([\w.\[\]]+)")


def _parameter_fields(report: str, password_field: str) -> dict[str, str]:
    """botocore's report ("Invalid length for parameter ChallengeResponses.NEW_PASSWORD, ...")
    → {our field: reason}."""
    fields: dict[str, str] = {}
    for path in _PARAMETER.findall(report):
        leaf = path.split(".")[-1].split("[")[0]
        name = PARAMETER_FIELDS.get(leaf, "body")
        fields[password_field if name == "password" else name] = "is not in a form the sign-in service accepts"
    return fields or {"body": "is not in a form the sign-in service accepts"}


@contextmanager
def _calling(*, refused: Callable[[], DomainError] | None = None, password_field: str = "password",
             codes: dict[str, Callable[[], DomainError]] | None = None,
             session_fields: frozenset[str] = frozenset({"session"})) -> Iterator[None]:
    """Run one Cognito call; map whatever it raises.

    ``refused``: the error when Cognito says no to the person (wrong password, unknown or
    expired session or code, disabled user), and when botocore finds one of
    ``session_fields`` malformed (a session too short to be real is simply not valid).
    Without it such an answer is unexpected here (→ 503). ``codes``: this call's own
    meanings for particular error codes (e.g. moto answers an unknown challenge session
    with ResourceNotFoundException)."""
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

    try:
        yield
    except ParamValidationError as error:
        fields = _parameter_fields(str(error), password_field)
        if refused is not None and set(fields) & session_fields:
            raise refused() from None
        raise InvalidInput("The sign-in service could not accept this.", fields) from None
    except ClientError as error:
        code = (error.response.get("Error") or {}).get("Code", "")
        message = (error.response.get("Error") or {}).get("Message", "")
        if codes and code in codes:
            raise codes[code]() from None
        if refused is not None and code in REFUSED:
            raise refused() from None
        if code in THROTTLED:
            raise RateLimited("Too many attempts just now; wait a minute and try again.",
                              {"email": "too many attempts"}) from None
        if code == "InvalidPasswordException":
            raise InvalidInput("Choose a stronger password.",
                               {password_field: message.split(": ", 1)[-1] or "is too weak"}) from None
        if code in INVALID:
            raise InvalidInput("The sign-in service refused this.", {"body": message or code}) from None
        raise IdentityUnavailable("Sign-in is not available just now; try again in a minute.",
                                  {"identity": code or "no answer"}) from None
    except BotoCoreError:  # endpoint unreachable, timeouts, credentials: nothing the caller did
        raise IdentityUnavailable("Sign-in is not available just now; try again in a minute.",
                                  {"identity": "no answer"}) from None


def _pool() -> dict:
    return {"UserPoolId": settings().user_pool_id}


# --- tokens ------------------------------------------------------------------------------

JWKS_SECONDS = 3600  # the pool's keys are read again after this long ...
JWKS_RETRY_SECONDS = 60  # ... or when a token names a key we lack, at most this often
_jwks_cache: dict[str, tuple[float, dict[str, Any]]] = {}  # url -> (read at, {kid: public key})


def _fetch_jwks(url: str) -> dict:
    import urllib.request  # lazily: only the first token check of a process reads the keys
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - our configured https URL
        return json.loads(answer.read())


def _rsa_keys(jwks: Any) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from . import jws
    keys = {}
    for jwk in (jwks.get("keys") if isinstance(jwks, dict) else None) or []:
        if (isinstance(jwk, dict) and jwk.get("kty") == "RSA" and jwk.get("alg", "RS256") == "RS256"
                and jwk.get("use", "sig") == "sig" and isinstance(jwk.get("kid"), str)):
            try:
                keys[jwk["kid"]] = rsa.RSAPublicNumbers(jws.b64_int(jwk["e"]), jws.b64_int(jwk["n"])).public_key()
            except (KeyError, ValueError, TypeError):
                continue
    return keys


def _signing_key(url: str, kid: Any) -> Any:
    """The pool's public key ``kid``, from the JWKS read once an hour (sooner for a new kid)."""
    import time
    if not isinstance(kid, str):
        raise TokenRejected("token not valid: no key id")
    now = time.monotonic()
    read_at, keys = _jwks_cache.get(url, (None, {}))
    stale = read_at is None or now - read_at > JWKS_SECONDS
    if stale or (kid not in keys and now - read_at > JWKS_RETRY_SECONDS):
        try:
            keys = _rsa_keys(_fetch_jwks(url))
        except Exception:  # noqa: BLE001 - unreachable or unreadable keys: no token can be checked
            raise TokenRejected("token keys not available") from None
        _jwks_cache[url] = (now, keys)
    if kid not in keys:
        raise TokenRejected("token not valid: no such key")
    return keys[kid]


def verify_token(token: str) -> Claims:
    """The claims of an ID token this pool signed for this app client, or TokenRejected
    (bad signature, wrong algorithm, expired, another pool or app client, not an ID token,
    no tenant or role). RS256 only, checked by ``jws`` (cryptography alone, no PyJWT)."""
    from . import jws

    conf = settings()
    key = _signing_key(conf.jwks_url, jws.header(token).get("kid"))
    return jws.identity_claims(jws.decode(token, key, algorithm="RS256", issuer=conf.issuer,
                                          audience=conf.client_id))


# --- people ------------------------------------------------------------------------------

def create_user(email: str, name: str, tenant_id: str, role: str, *, temporary_password: str | None = None,
                send_invite: bool = True) -> str:
    """Create a person in the pool; Cognito e-mails the temporary password unless told not to.
    Returns their ``sub``. Raises Conflict(email) when the address is already in use."""
    args: dict[str, Any] = {
        **_pool(),
        "Username": email,
        "UserAttributes": [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": name},
            {"Name": "custom:tenant_id", "Value": tenant_id},
            {"Name": "custom:role", "Value": role},
        ],
        "DesiredDeliveryMediums": ["EMAIL"],
    }
    if temporary_password:
        args["TemporaryPassword"] = temporary_password
    if not send_invite:
        args["MessageAction"] = "SUPPRESS"
    def taken() -> DomainError:
        return Conflict("That e-mail address already has a PropDesk account.",
                        {"email": "already has a PropDesk account"})

    def refused_address() -> DomainError:
        return InvalidInput("Cognito refused the address.", {"email": "is not an address Cognito accepts"})

    with _calling(codes={"UsernameExistsException": taken, "AliasExistsException": taken,
                         "InvalidParameterException": refused_address}):
        user = _client().admin_create_user(**args)["User"]
    attrs = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
    return attrs.get("sub") or user["Username"]


def set_password(email: str, password: str) -> None:
    """Operators and the local stack only: give a user a permanent password."""
    with _calling():
        _client().admin_set_user_password(**_pool(), Username=email, Password=password, Permanent=True)


def set_role(email: str, role: str) -> None:
    with _calling():
        _client().admin_update_user_attributes(**_pool(), Username=email,
                                               UserAttributes=[{"Name": "custom:role", "Value": role}])


def set_active(email: str, active: bool) -> None:
    client = _client()
    with _calling():
        if active:
            client.admin_enable_user(**_pool(), Username=email)
        else:
            client.admin_disable_user(**_pool(), Username=email)
            client.admin_user_global_sign_out(**_pool(), Username=email)


def delete_user(email: str) -> None:
    client = _client()
    try:
        with _calling(refused=lambda: Unauthorized("no such user")):
            client.admin_delete_user(**_pool(), Username=email)
    except Unauthorized:
        pass  # already gone


def person_exists(email: str) -> bool:
    """Whether the pool still holds this person (a deleted firm's verifier counts them)."""
    try:
        with _calling(refused=lambda: Unauthorized("no such user")):
            _client().admin_get_user(**_pool(), Username=email)
    except Unauthorized:
        return False
    return True


def whose(email: str):
    """The pool's person behind an e-mail address (None when the pool has nobody by it)."""
    from .port import Person
    try:
        with _calling(refused=lambda: Unauthorized("no such user")):
            answer = _client().admin_get_user(**_pool(), Username=email)
    except Unauthorized:
        return None
    attributes = {a["Name"]: a["Value"] for a in answer.get("UserAttributes", [])}
    if not attributes.get("custom:tenant_id"):
        return None
    return Person(attributes["custom:tenant_id"], attributes.get("sub", ""), attributes.get("name", ""))


# --- signing in --------------------------------------------------------------------------

def _wrong_credentials() -> DomainError:
    return Unauthorized("E-mail or password is not right, or the account is disabled.")


def _session_expired() -> DomainError:
    return Unauthorized("The sign-in session has expired; sign in again.", {"session": "expired or not valid"})


def _session_ended() -> DomainError:
    return Unauthorized("The session has ended; sign in again.")


def sign_in(email: str, password: str, *, source_ip: str = "", audit=None) -> SignIn:
    """(``source_ip`` is not passed on: the pool's own advanced security covers addresses.
    ``audit`` is not used: nothing of ours is written here, the caller writes the entry.)"""
    with _calling(refused=_wrong_credentials, session_fields=frozenset({"password", "email"})):
        answer = _client().admin_initiate_auth(**_pool(), ClientId=settings().client_id,
                                               AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                               AuthParameters={"USERNAME": email, "PASSWORD": password})
    return _sign_in_result(answer)


def complete_new_password(email: str, session: str, new_password: str) -> SignIn:
    with _calling(refused=_session_expired, password_field="new_password",
                  codes={"ResourceNotFoundException": _session_expired}):
        answer = _client().admin_respond_to_auth_challenge(
            **_pool(), ClientId=settings().client_id, ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session, ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password})
    return _sign_in_result(answer)


def _sign_in_result(answer: dict) -> SignIn:
    if "AuthenticationResult" in answer:
        result = answer["AuthenticationResult"]
        return SignIn(tokens={k: result[k] for k in ("IdToken", "AccessToken", "RefreshToken", "ExpiresIn")
                              if k in result})
    return SignIn(challenge=answer.get("ChallengeName"), session=answer.get("Session"))


def send_invitation(email: str) -> None:
    """(Re)send Cognito's invitation with a temporary password."""
    with _calling():
        _client().admin_create_user(**_pool(), Username=email, MessageAction="RESEND",
                                    DesiredDeliveryMediums=["EMAIL"])


# A refresh token as Cognito issues them (a JWE: five base64url parts; moto: a UUID).
REFRESH_TOKEN = re.compile(r"[A-Za-z0-9_\-.]{20,8192}")


def refresh(refresh_token: str) -> dict:
    """New ID and access tokens for a refresh token; Unauthorized when it is garbage, unknown,
    revoked, expired, or its person disabled (and when Cognito fails on it: the person is
    signed out, not shown an error); IdentityUnavailable only when Cognito cannot be reached."""
    if not REFRESH_TOKEN.fullmatch(refresh_token or ""):
        raise _session_ended()
    try:
        with _calling(refused=_session_ended, session_fields=frozenset({"session", "body"})):
            answer = _client().admin_initiate_auth(**_pool(), ClientId=settings().client_id,
                                                AuthFlow="REFRESH_TOKEN_AUTH",
                                                AuthParameters={"REFRESH_TOKEN": refresh_token})
    except InvalidInput:
        raise _session_ended() from None
    except RateLimited:
        raise IdentityUnavailable("Sign-in is busy just now; try again in a minute.",
                                  {"identity": "no answer"}) from None
    except IdentityUnavailable as error:
        if error.fields.get("identity") == "no answer":
            raise
        raise _session_ended() from None  # an answer, but not tokens: this token is no good
    result = answer.get("AuthenticationResult") or {}
    if "IdToken" not in result:
        raise _session_ended()
    return {k: result[k] for k in ("IdToken", "AccessToken", "ExpiresIn") if k in result}


def forgot_password(email: str) -> CodeSent:
    """Ask Cognito to send a reset code. An unknown address looks the same to the caller
    (no account enumeration)."""
    try:
        with _calling(refused=lambda: Unauthorized("unknown"),
                      codes={"InvalidParameterException": lambda: Unauthorized("unknown")}):
            answer = _client().forgot_password(ClientId=settings().client_id, Username=email)
    except (Unauthorized, InvalidInput):
        return CodeSent(destination="")
    except RateLimited:
        raise RateLimited("Too many reset requests; wait a few minutes.", {"email": "too many requests"}) from None
    headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    code = headers.get("x-moto-forgot-password-confirmation-code", "").rpartition(":")[2] or None
    return CodeSent(destination=answer.get("CodeDeliveryDetails", {}).get("Destination", ""),
                    local_code=code if settings().is_local else None)


def confirm_forgot_password(email: str, code: str, new_password: str) -> None:
    def wrong_code() -> DomainError:
        return InvalidInput("That code is not right or has expired.", {"code": "not right or expired"})

    with _calling(refused=wrong_code, password_field="new_password", session_fields=frozenset({"code", "email"})):
        _client().confirm_forgot_password(ClientId=settings().client_id, Username=email, ConfirmationCode=code,
                                          Password=new_password)


def sign_out(email: str) -> None:
    """End the person's sessions at Cognito: every refresh token they hold stops working.
    (Their ID tokens are refused by services/access.py from the person's ``valid_after``.)"""
    try:
        with _calling(refused=lambda: Unauthorized("no such user")):
            _client().admin_user_global_sign_out(**_pool(), Username=email)
    except Unauthorized:
        pass
