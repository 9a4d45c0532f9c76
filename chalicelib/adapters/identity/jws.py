"""ID tokens (compact JWS, RFC 7515/7519) checked with ``cryptography`` alone, for both identity
adapters: ES256 (``accounts``, a KMS P-256 key) and RS256 (``cognito``). One algorithm per
call, named by the caller: the header must name exactly it (``alg=none``, HS256 with a public
key, any other are refused before the signature is looked at). Then the signature, the
issuer, the audience, the required claims and the times (30 s leeway).

Why not PyJWT: importing it costs a cold start ~30 ms on top of cryptography, which the first
authorized request of every fresh Lambda pays (bench/cold_start.py, ``first_request_ratio``);
tests/unit/test_es256.py holds these checks against PyJWT as the oracle.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

from ...domain.identity import Claims, TokenRejected

_SEGMENT = re.compile(r"[A-Za-z0-9_\-]*")
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = ("exp", "iat", "iss", "sub", "aud", "token_use")
ALGORITHMS = ("ES256", "RS256")


def _unb64(segment: str) -> bytes:
    if not _SEGMENT.fullmatch(segment):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64_int(segment: str) -> int:
    """A JWK's base64url big-endian integer (``n``, ``e``)."""
    return int.from_bytes(_unb64(segment), "big")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def header(token: str) -> dict:
    """The token's header, unverified (to pick a key by ``kid``); TokenRejected if unreadable."""
    parts = token.split(".") if isinstance(token, str) else []
    try:
        found = json.loads(_unb64(parts[0])) if len(parts) == 3 else None
    except (ValueError, TypeError, RecursionError):
        found = None
    if not isinstance(found, dict):
        raise TokenRejected("token not valid: DecodeError")
    return found


def _check_signature(algorithm: str, key: Any, signature: bytes, signed: bytes) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes

    bad = TokenRejected("token not valid: InvalidSignatureError")
    try:
        if algorithm == "ES256":
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
            if len(signature) != 64 or not isinstance(key, ec.EllipticCurvePublicKey):
                raise bad
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
        elif algorithm == "RS256":
            from cryptography.hazmat.primitives.asymmetric import padding, rsa
            if not isinstance(key, rsa.RSAPublicKey):
                raise bad
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise bad
    except InvalidSignature:
        raise bad from None


def decode(token: str, key: Any, *, algorithm: str, issuer: str, audience: str, now: float | None = None) -> dict:
    """The claims of ``token`` if ``key`` signed it with ``algorithm`` for ``issuer`` and
    ``audience`` and it is within its times; else TokenRejected naming what failed."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise TokenRejected("token not valid: DecodeError")
    try:
        header = json.loads(_unb64(parts[0]))
        signature = _unb64(parts[2])
    except (ValueError, TypeError, RecursionError):
        raise TokenRejected("token not valid: DecodeError") from None
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unsupported algorithm {algorithm!r}")
    if not isinstance(header, dict) or header.get("alg") != algorithm or "crit" in header:
        raise TokenRejected("token not valid: InvalidAlgorithmError")
    _check_signature(algorithm, key, signature, f"{parts[0]}.{parts[1]}".encode())
    try:
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, TypeError, RecursionError):
        raise TokenRejected("token not valid: DecodeError") from None
    if not isinstance(claims, dict) or any(name not in claims for name in REQUIRED_CLAIMS):
        raise TokenRejected("token not valid: MissingRequiredClaimError")
    aud = claims["aud"]
    if claims["iss"] != issuer:
        raise TokenRejected("token not valid: InvalidIssuerError")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise TokenRejected("token not valid: InvalidAudienceError")
    moment = time.time() if now is None else now
    if not _number(claims["exp"]) or not _number(claims["iat"]) or ("nbf" in claims and not _number(claims["nbf"])):
        raise TokenRejected("token not valid: DecodeError")
    if claims["exp"] <= moment - LEEWAY_SECONDS:
        raise TokenRejected("token not valid: ExpiredSignatureError")
    if claims["iat"] > moment + LEEWAY_SECONDS or claims.get("nbf", 0) > moment + LEEWAY_SECONDS:
        raise TokenRejected("token not valid: ImmatureSignatureError")
    return claims


def identity_claims(claims: dict) -> Claims:
    """What a verified ID token says of its person, the same for both adapters: an ID token
    (not an access token), with a tenant, a known role and an integer issue time."""
    from ...domain.tenants import ROLES
    if claims.get("token_use") != "id":  # access tokens carry no tenant or role; refresh tokens are not JWTs
        raise TokenRejected("not an ID token")
    tenant_id, role, issued_at = claims.get("custom:tenant_id"), claims.get("custom:role"), claims.get("iat")
    if not isinstance(tenant_id, str) or not tenant_id or role not in ROLES:
        raise TokenRejected("token has no tenant or role")
    if not _whole(issued_at):
        raise TokenRejected("token has no issue time")
    auth_time = claims.get("auth_time")
    return Claims(tenant_id=tenant_id, sub=str(claims["sub"]), role=role, issued_at=issued_at,
                  name=str(claims.get("name", "")), email=str(claims.get("email", "")),
                  signed_in_at=auth_time if _whole(auth_time) else None)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
