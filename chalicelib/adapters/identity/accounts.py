"""The identity port's `accounts` adapter (the ``cn`` profile: AWS China has no Cognito).

People's logins live in our own table (``store/accounts.py``):

- **Passwords** are hashed with argon2id (argon2-cffi), parameters below (OWASP's minimum
  for argon2id: 19 MiB, 2 iterations, 1 lane), re-hashed on sign-in when they change.
- **ID tokens** are JWTs signed ES256 by an asymmetric KMS key (``ECC_NIST_P256``,
  ``settings().token_key``; KMS exists in the China regions) and verified with its public
  key, fetched once per process and cached: verifying makes no KMS call. They live 15
  minutes (a sign-out or deactivation is enforced within a minute anyway, by
  ``services/access``).
- **Refresh tokens** are ``<family>.<secret>``: random, stored only as a SHA-256 hash, and
  rotated on every use. Presenting a superseded one (a copy in someone else's hands)
  revokes the whole family. Sign-out and deactivation kill every family started before.
- **Lock-out**: after ``LOCK_AFTER`` failed sign-ins in a row, the account refuses sign-in
  for ``LOCK_SECONDS`` (answered 429), even with the right password; after
  ``ADDRESS_LOCK_AFTER`` failures from one network address within ``ADDRESS_WINDOW_SECONDS``
  (whatever the e-mail: password spraying), so does every sign-in from that address.
- The first sign-in with a temporary password answers the same ``NEW_PASSWORD_REQUIRED``
  challenge as Cognito, with a one-time session (stored hashed, 5 minutes).
- **One-time codes** (an invitation: 8 digits, 72 hours; a password reset: 6 digits, 15
  minutes) are sent by ``adapters/channels.send`` as the message kinds ``account_invite`` and
  ``password_reset`` (domain/messages.py; SMS templates in sms_templates.json): by SMS when the
  account has a phone, else by e-mail (SES under ``global``, SMTP under ``cn``). Only their
  SHA-256 is stored. An invitation code signs in like a temporary password (then the
  new-password step); ``CODE_ATTEMPTS`` wrong reset codes void the code, and wrong invitation
  codes count as failed sign-ins (lock-out). A new reset code is sent at most once a minute.
- **TOTP** (RFC 6238: SHA-1, 6 digits, 30 s, one step either side; checked here, not by a
  library) is an optional second factor for admins: set up from the console's account page
  (``start_totp`` → the ``otpauth://`` URI once → ``confirm_totp`` with a first code), then
  sign-in answers ``SOFTWARE_TOKEN_MFA`` (Cognito's name) and ``complete_totp`` takes the code.
  The secret is never returned again, nor logged; a used step cannot be used twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from functools import lru_cache
from typing import Any

from ...domain.errors import DomainError, InvalidInput, RateLimited, Unauthorized
from ...domain.identity import Claims, IdentityUnavailable, TokenRejected
from ...settings import settings
from .port import CodeSent, SignIn

# argon2id parameters (stated, and checked by tests/api/test_accounts.py).
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
ARGON2_HASH_LEN = 32
ARGON2_SALT_LEN = 16

ISSUER = "propdesk-accounts"
AUDIENCE = "propdesk"
ID_TOKEN_SECONDS = 15 * 60
CHALLENGE_SECONDS = 5 * 60
CODE_SECONDS = 15 * 60  # a password-reset code lives this long
INVITE_SECONDS = 72 * 3600  # an invitation code
CODE_ATTEMPTS = 5  # wrong reset codes before the code is void
RESEND_SECONDS = 60  # at most one reset code a minute per person
TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
TOTP_ISSUER = "PropDesk"
LOCK_AFTER = 5  # failed sign-ins in a row, per person
ADDRESS_LOCK_AFTER = 20  # failed sign-ins per network address (any e-mail) ...
ADDRESS_WINDOW_SECONDS = 15 * 60  # ... within this window
LOCK_SECONDS = 15 * 60
PASSWORD_RULE = "at least 8 characters with upper and lower case letters and a digit"


@lru_cache(maxsize=1)
def hasher() -> Any:
    from argon2 import PasswordHasher, Type
    return PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM,
                          hash_len=ARGON2_HASH_LEN, salt_len=ARGON2_SALT_LEN, type=Type.ID)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def _password_matches(stored: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
    try:
        return hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> int:
    return int(time.time())


def _store():
    from ...store import accounts
    return accounts


def _check_password_rule(password: str, field: str) -> None:
    if (len(password) < 8 or not re.search(r"[a-z]", password) or not re.search(r"[A-Z]", password)
            or not re.search(r"\d", password)):
        raise InvalidInput("Choose a stronger password.", {field: f"must have {PASSWORD_RULE}"})


# --- KMS: signing and the cached public key ----------------------------------------------

@lru_cache(maxsize=1)
def _kms() -> Any:
    import boto3
    from botocore.config import Config
    return boto3.client("kms", region_name=settings().region,
                        config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=3,
                                      read_timeout=5))


def _key_id() -> str:
    key = settings().token_key
    if not key:
        raise IdentityUnavailable("Sign-in is not configured (no token key).", {"identity": "no token key"})
    return key


#: DER SubjectPublicKeyInfo of a P-256 key, up to its 65-byte uncompressed point (RFC 5480).
P256_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")


@lru_cache(maxsize=4)
def public_key(key_id: str) -> Any:
    """The key's public half, once per process (verification then needs no KMS call)."""
    return public_key_from_der(_kms().get_public_key(KeyId=key_id)["PublicKey"])


def public_key_from_der(der: bytes) -> Any:
    """A P-256 key read straight from its point (cryptography's serialization module costs a
    cold start ~12 ms); any other DER through the general loader."""
    if len(der) == len(P256_SPKI_PREFIX) + 65 and der.startswith(P256_SPKI_PREFIX):
        from cryptography.hazmat.primitives.asymmetric import ec
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), der[len(P256_SPKI_PREFIX):])
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    return load_der_public_key(der)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_claims(claims: dict) -> str:
    """A compact JWS (ES256) of ``claims``, signed by the KMS key (one KMS call)."""
    from botocore.exceptions import BotoCoreError, ClientError
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key_id = _key_id()
    header = {"alg": "ES256", "typ": "JWT", "kid": key_id.rsplit("/", 1)[-1]}
    signing_input = f"{_b64(json.dumps(header, separators=(',', ':')).encode())}." \
                    f"{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
    try:
        der = _kms().sign(KeyId=key_id, Message=signing_input.encode(), MessageType="RAW",
                          SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    except (ClientError, BotoCoreError):
        raise IdentityUnavailable("Sign-in is not available just now; try again in a minute.",
                                  {"identity": "token signing failed"}) from None
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _id_token(account: Any, now: int, signed_in_at: int | None = None) -> str:
    return sign_claims({"iss": ISSUER, "aud": AUDIENCE, "sub": account.sub, "token_use": "id",
                        "custom:tenant_id": account.tenant_id, "custom:role": account.role,
                        "email": account.email, "name": account.name, "iat": now,
                        "auth_time": now if signed_in_at is None else signed_in_at,
                        "exp": now + ID_TOKEN_SECONDS, "jti": secrets.token_urlsafe(12)})


def decode_es256(token: str, key: Any, *, now: float | None = None) -> dict:
    """A compact JWS checked for ES256 only, our issuer and audience (``jws.decode``)."""
    from . import jws
    return jws.decode(token, key, algorithm="ES256", issuer=ISSUER, audience=AUDIENCE, now=now)


def verify_token(token: str) -> Claims:
    """The claims of an ID token our KMS key signed (ES256 only: ``alg=none``, HS256 and any
    other algorithm are refused before the signature is looked at), or TokenRejected."""
    try:
        key = public_key(_key_id())
    except Exception:  # no key configured or KMS unreachable: nobody can be verified
        raise TokenRejected("token key not available") from None
    from .jws import identity_claims
    return identity_claims(decode_es256(token, key))


# --- people ------------------------------------------------------------------------------

def create_user(email: str, name: str, tenant_id: str, role: str, *, temporary_password: str | None = None,
                send_invite: bool = True) -> str:
    from ...domain.tokens import new_id
    sub = new_id()
    temporary = temporary_password or secrets.token_urlsafe(12) + "a9A"
    _store().create(email, tenant_id=tenant_id, sub=sub, name=name, role=role, active=True,
                    password_hash=hasher().hash(temporary), must_change=True)
    if send_invite:
        send_invitation(email)
    return sub


def set_password(email: str, password: str) -> None:
    """Operators and the local stack only: give a person a permanent password."""
    _store().change(email, password_hash=hasher().hash(password), must_change=False, failures=0, locked_until=0,
                    code_hash=None, code_expires=0, code_purpose=None)


def set_role(email: str, role: str) -> None:
    _store().change(email, role=role)


def set_active(email: str, active: bool) -> None:
    if active:
        _store().change(email, active=True)
    else:
        _store().change(email, active=False, refresh_after=_now() + 1)


def delete_user(email: str) -> None:
    _store().delete(email)


def person_exists(email: str) -> bool:
    return _store().get(email) is not None


def whose(email: str):
    """The account behind an e-mail address (None when there is none)."""
    from .port import Person
    account = _store().get(email)
    return None if account is None else Person(account.tenant_id, account.sub, account.name)


def send_invitation(email: str) -> None:
    """A one-time invitation code (8 digits, 72 hours) by SMS or e-mail: it signs in like a
    temporary password, then the person chooses their own. A failed delivery is logged (not
    the address) and leaves the account as it is: "forgot password" sends a new code."""
    account = _store().get(email)
    if account is None or not account.active:
        return
    code = f"{secrets.randbelow(10 ** 8):08d}"
    _store().change(email, code_hash=_digest(code), code_expires=_now() + INVITE_SECONDS, code_purpose="invite",
                    code_failures=0)
    _send_code(account, "account_invite", code, INVITE_SECONDS)


def _masked(address: str) -> str:
    """Where a code went, as a page may say it: ``f***@example.com``, ``+86138****8000``."""
    if "@" in address:
        name, domain = address.split("@", 1)
        return f"{name[:1]}***@{domain}"
    return f"{address[:6]}****{address[-4:]}" if len(address) > 10 else "****"


def _send_code(account: Any, kind: str, code: str, lifetime: int) -> str:
    """Send ``code`` to the account's phone (SMS) or e-mail as message ``kind``, in the firm's
    language; returns where it went (masked), "" when it could not be sent."""
    from dataclasses import replace

    from ...domain import messages
    from ...observability import logger
    from .. import channels

    locale, firm = "zh-CN", ""
    try:
        from ...store import tenants
        tenant = tenants.get_tenant(account.tenant_id)
        locale, firm = tenant.locale, tenant.name
    except Exception:  # noqa: BLE001 - the code matters more than the firm's name in it
        logger.warning("one-time code: firm not read; sent in zh-CN")
    link = f"{settings().public_base_url}/console/signin" if settings().public_base_url else ""
    message = messages.render(kind, locale, {"code": code, "minutes": lifetime // 60, "firm": firm, "link": link})
    message = replace(message, facts={**message.facts, "code": code})  # the SMS template's variable
    to = getattr(account, "phone", None) or account.email
    channel = {"channel": "sms" if getattr(account, "phone", None) else "email", "to": to}
    delivery = channels.send(channel, message, idempotency_key=f"{kind}-{_digest(code)[:16]}")
    if not delivery.ok:
        logger.warning("one-time code not delivered", extra={"kind": kind, "detail": delivery.detail})
        return ""
    return _masked(to)


# --- signing in --------------------------------------------------------------------------

def _wrong() -> DomainError:
    return Unauthorized("E-mail or password is not right, or the account is disabled.")


def _tokens(account: Any, now: int, also: tuple = (), **account_values: Any) -> dict:
    family, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
    id_token = _id_token(account, now)
    _store().start_family(account.email, family, _digest(secret), now, also=also, failures=0, locked_until=0,
                          **account_values)
    return {"IdToken": id_token, "RefreshToken": f"{family}.{secret}", "ExpiresIn": ID_TOKEN_SECONDS}


def _address_key(source_ip: str) -> str:
    """The caller's address as a key that does not store it (personal data)."""
    return hashlib.sha256(b"propdesk-signin\0" + (source_ip or "unknown").encode()).hexdigest()[:32]


def sign_in(email: str, password: str, *, source_ip: str = "", audit=None) -> SignIn:
    """One BatchGetItem (the account and the caller's address record), the password check,
    then one transaction (the refresh family + the account) and one KMS signature."""
    now = _now()
    address_key = _address_key(source_ip)
    account, address = _store().get_with_address(email, address_key)
    if ((account is not None and int(account.locked_until or 0) > now)
            or (address is not None and int(address.locked_until or 0) > now)):
        raise RateLimited("Too many failed sign-ins; wait 15 minutes.", {"password": "too many failed attempts"})
    matched = account is not None and _password_matches(account.password_hash, password)
    by_code = not matched and _invitation_code_matches(account, password, now)
    if account is None or not (matched or by_code) or not account.active:
        _store().count_address_failure(address_key, address, now, ADDRESS_WINDOW_SECONDS, ADDRESS_LOCK_AFTER,
                                       LOCK_SECONDS)
        if account is not None and _store().count_failure(email) >= LOCK_AFTER:
            _store().change(email, locked_until=now + LOCK_SECONDS, failures=0)
        raise _wrong()
    rehash = {"password_hash": hasher().hash(password)} if matched and hasher().check_needs_rehash(
        account.password_hash) else {}
    if by_code:  # used once: the new-password step follows
        rehash.update(code_hash=None, code_expires=0, code_purpose=None)
    if account.must_change or by_code:
        session = secrets.token_urlsafe(32)
        _store().change(email, challenge_hash=_digest(session), challenge_expires=now + CHALLENGE_SECONDS,
                        failures=0, **rehash)
        return SignIn(challenge="NEW_PASSWORD_REQUIRED", session=session)
    if account.totp_secret:
        return _totp_challenge(email, now, **rehash)
    also = (audit(account.tenant_id, account.sub, account.name),) if audit is not None else ()
    return SignIn(tokens=_tokens(account, now, also=also, **rehash), audited=bool(also))


def _invitation_code_matches(account: Any, code: str, now: int) -> bool:
    return (account is not None and account.code_purpose == "invite" and bool(account.code_hash)
            and int(account.code_expires or 0) >= now
            and hmac.compare_digest(account.code_hash, _digest(code.strip())))


def _totp_challenge(email: str, now: int, **account_values: Any) -> SignIn:
    session = secrets.token_urlsafe(32)
    _store().change(email, challenge_hash=_digest("totp\0" + session), challenge_expires=now + CHALLENGE_SECONDS,
                    failures=0, **account_values)
    return SignIn(challenge="SOFTWARE_TOKEN_MFA", session=session)


def complete_new_password(email: str, session: str, new_password: str) -> SignIn:
    now = _now()
    account = _store().get(email)
    if (account is None or not account.active or not account.challenge_hash or int(account.challenge_expires or 0) < now
            or not hmac.compare_digest(account.challenge_hash, _digest(session))):
        raise Unauthorized("The sign-in session has expired; sign in again.", {"session": "expired or not valid"})
    _check_password_rule(new_password, "new_password")
    if account.totp_secret:  # a reset password does not skip the second factor
        return _totp_challenge(email, now, password_hash=hasher().hash(new_password), must_change=False)
    return SignIn(tokens=_tokens(account, now, password_hash=hasher().hash(new_password), must_change=False,
                                 challenge_hash=None, challenge_expires=0))


def complete_totp(email: str, session: str, code: str) -> SignIn:
    """The sign-in's second step for an account with TOTP: the session from ``sign_in`` and the
    authenticator's current code. A wrong code counts as a failed sign-in (lock-out)."""
    now = _now()
    account = _store().get(email)
    if (account is None or not account.active or not account.challenge_hash or int(account.challenge_expires or 0) < now
            or not hmac.compare_digest(account.challenge_hash, _digest("totp\0" + (session or "")))):
        raise Unauthorized("The sign-in session has expired; sign in again.", {"session": "expired or not valid"})
    if int(account.locked_until or 0) > now:
        raise RateLimited("Too many failed sign-ins; wait 15 minutes.", {"code": "too many failed attempts"})
    step = totp_step_matching(account.totp_secret or "", code, now)
    if step is None or step <= int(account.totp_last_step or 0):
        if _store().count_failure(email) >= LOCK_AFTER:
            _store().change(email, locked_until=now + LOCK_SECONDS, failures=0, challenge_hash=None)
        raise InvalidInput("That code is not right; enter the one your app shows now.", {"code": "not right"})
    return SignIn(tokens=_tokens(account, now, challenge_hash=None, challenge_expires=0, totp_last_step=step))


# --- TOTP (RFC 6238), our own check --------------------------------------------------------

def totp_code(secret: str, step: int) -> str:
    """The RFC 6238 code (HMAC-SHA-1, 6 digits) of base32 ``secret`` for time step ``step``."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFFFFFF
    return f"{number % 10 ** TOTP_DIGITS:0{TOTP_DIGITS}d}"


def totp_step_matching(secret: str, code: str, now: int) -> int | None:
    """The time step (now, or one either side for clock drift) whose code is ``code``."""
    code = (code or "").strip().replace(" ", "")
    if not secret or not re.fullmatch(r"\d{6}", code):
        return None
    current = now // TOTP_STEP_SECONDS
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp_code(secret, step), code):
            return step
    return None


def totp_enabled(email: str) -> bool:
    account = _store().get(email)
    return bool(account is not None and account.totp_secret)


def start_totp(email: str) -> dict:
    """A new secret to set up (kept as pending until a first code confirms it): the
    ``otpauth://`` URI and the secret as text, shown this once. Admins only (the caller checks)."""
    import pyotp  # the secret's randomness and the URI's format (verification is ours, above)
    secret = pyotp.random_base32()
    if not _store().change(email, totp_pending=secret):
        raise Unauthorized("No such account.")
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)
    return {"secret": secret, "uri": uri}


def confirm_totp(email: str, code: str) -> None:
    """Turn TOTP on, if ``code`` is the pending secret's current code."""
    now = _now()
    account = _store().get(email)
    step = totp_step_matching(account.totp_pending or "", code, now) if account is not None else None
    if account is None or step is None:
        raise InvalidInput("That code is not right; enter the one your app shows now.", {"code": "not right"})
    _store().change(email, totp_secret=account.totp_pending, totp_pending=None, totp_last_step=step)


def disable_totp(email: str, code: str) -> None:
    """Turn TOTP off, with a current code (a stolen session alone cannot remove it)."""
    account = _store().get(email)
    step = totp_step_matching(account.totp_secret or "", code, _now()) if account is not None else None
    if account is None or step is None or step <= int(account.totp_last_step or 0):
        raise InvalidInput("That code is not right; enter the one your app shows now.", {"code": "not right"})
    _store().change(email, totp_secret=None, totp_pending=None, totp_last_step=0)


REFRESH_TOKEN = re.compile(r"([A-Za-z0-9_\-]{16,64})\.([A-Za-z0-9_\-]{32,128})")


def refresh(refresh_token: str) -> dict:
    """New tokens for the family's current refresh token, which is replaced (rotation). An
    older one of the family means it was copied: the family is revoked."""
    ended = Unauthorized("The session has ended; sign in again.")
    found = REFRESH_TOKEN.fullmatch(refresh_token or "")
    if not found:
        raise ended
    family_id, secret = found.groups()
    family, account = _store().family_and_account(family_id)
    if family is None or family.revoked or account is None:
        raise ended
    if not hmac.compare_digest(family.current_hash, _digest(secret)):
        _store().revoke_family(family_id)  # reuse of a superseded token: nobody keeps this family
        raise ended
    if not account.active or int(family.started) < int(account.refresh_after or 0):
        raise ended
    new_secret = secrets.token_urlsafe(32)
    if not _store().rotate(family_id, family.current_hash, _digest(new_secret)):
        _store().revoke_family(family_id)  # two uses at once: one of them is not the owner
        raise ended
    return {"IdToken": _id_token(account, _now(), int(family.started)), "RefreshToken": f"{family_id}.{new_secret}",
            "ExpiresIn": ID_TOKEN_SECONDS}


def forgot_password(email: str) -> CodeSent:
    """A reset code (6 digits, 15 minutes, stored hashed) by SMS or e-mail. An unknown
    address looks the same; asking again within a minute is refused (429)."""
    account = _store().get(email)
    if account is None or not account.active:
        return CodeSent(destination="")
    now = _now()
    if account.code_purpose == "reset" and int(account.code_expires or 0) - CODE_SECONDS > now - RESEND_SECONDS:
        raise RateLimited("A code was sent a moment ago; wait a minute.", {"email": "code sent a moment ago"})
    code = f"{secrets.randbelow(10 ** 6):06d}"
    _store().change(email, code_hash=_digest(code), code_expires=now + CODE_SECONDS, code_purpose="reset",
                    code_failures=0)
    return CodeSent(destination=_send_code(account, "password_reset", code, CODE_SECONDS))


def confirm_forgot_password(email: str, code: str, new_password: str) -> None:
    """The new password, if ``code`` is the account's current code (a reset, or an unused
    invitation); ``CODE_ATTEMPTS`` wrong codes void it."""
    wrong = InvalidInput("That code is not right or has expired.", {"code": "not right or expired"})
    account = _store().get(email)
    if account is None or not account.code_hash or int(account.code_expires or 0) < _now():
        raise wrong
    if not hmac.compare_digest(account.code_hash, _digest(code.strip())):
        if _store().add(email, "code_failures") >= CODE_ATTEMPTS:
            _store().change(email, code_hash=None, code_expires=0, code_purpose=None)
        raise wrong
    _check_password_rule(new_password, "new_password")
    _store().change(email, password_hash=hasher().hash(new_password), must_change=False, code_hash=None,
                    code_expires=0, code_purpose=None, code_failures=0, failures=0, locked_until=0)


def sign_out(email: str) -> None:
    """Every refresh-token family of the person started until now stops working."""
    _store().change(email, refresh_after=_now() + 1)
