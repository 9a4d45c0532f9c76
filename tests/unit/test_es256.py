"""The accounts adapter checks its ES256 ID tokens without PyJWT (a cold-start saving):
here PyJWT is the oracle. Each token is built with PyJWT (or by hand where PyJWT will not
build it), and our ``decode_es256`` must accept exactly what ``jwt.decode`` with the same
rules (ES256 only, issuer, audience, required claims, 30 s leeway) accepts."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.adapters.identity.accounts import AUDIENCE, ISSUER, decode_es256
from chalicelib.domain.identity import TokenRejected

NOW = 1_800_000_000
KEY = ec.generate_private_key(ec.SECP256R1())
OTHER = ec.generate_private_key(ec.SECP256R1())
BASE = {"iss": ISSUER, "aud": AUDIENCE, "sub": "s1", "token_use": "id", "iat": NOW - 60, "exp": NOW + 600}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def oracle_accepts(token: str, key=KEY.public_key()) -> bool:
    from unittest import mock
    try:
        with mock.patch("jwt.api_jwt.datetime") as clock:  # PyJWT reads the time from datetime.now(tz=utc)
            from datetime import datetime, timezone
            clock.now.return_value = datetime.fromtimestamp(NOW, tz=timezone.utc)
            clock.side_effect = datetime
            jwt.decode(token, key, algorithms=["ES256"], issuer=ISSUER, audience=AUDIENCE, leeway=30,
                       options={"require": ["exp", "iat", "iss", "sub", "aud", "token_use"]})
        return True
    except jwt.PyJWTError:
        return False


def ours_accepts(token: str, key=KEY.public_key()) -> bool:
    try:
        decode_es256(token, key, now=NOW)
        return True
    except TokenRejected:
        return False


def signed(claims: dict, key=KEY, **headers) -> str:
    return jwt.encode(claims, key, algorithm="ES256", headers=headers or None)


CASES = {
    "good": signed(BASE),
    "audience in a list": signed({**BASE, "aud": ["other", AUDIENCE]}),
    "another audience": signed({**BASE, "aud": "other"}),
    "another issuer": signed({**BASE, "iss": "someone-else"}),
    "expired beyond leeway": signed({**BASE, "exp": NOW - 31}),
    "expired within leeway": signed({**BASE, "exp": NOW - 29}),
    "issued in the future": signed({**BASE, "iat": NOW + 120}),
    "not before, in the future": signed({**BASE, "nbf": NOW + 120}),
    "no sub": signed({k: v for k, v in BASE.items() if k != "sub"}),
    "no exp": signed({k: v for k, v in BASE.items() if k != "exp"}),
    "another key": signed(BASE, OTHER),
    "HS256": jwt.encode(BASE, "s" * 32, algorithm="HS256"),
    "exp as text": signed({**BASE, "exp": "tomorrow"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_we_accept_exactly_what_pyjwt_accepts(name):
    token = CASES[name]
    assert ours_accepts(token) == oracle_accepts(token), name


def test_the_expected_verdicts():
    accepted = {name for name, token in CASES.items() if ours_accepts(token)}
    assert accepted == {"good", "audience in a list", "expired within leeway"}


def test_alg_none_a_changed_payload_and_malformed_tokens_are_refused():
    good = CASES["good"]
    head, body, sig = good.split(".")
    none = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + body + "."
    forged = b64(json.dumps({**BASE, "sub": "admin"}).encode())
    for token in (none, f"{head}.{forged}.{sig}", f"{head}.{body}", f"{head}.{body}.{sig}x", "a.b.c", "",
                  f"{head}.{body}.{sig[:-4]}", f"{b64(b'[]')}.{body}.{sig}", f"{head}!.{body}.{sig}"):
        assert not ours_accepts(token), token
    crit = signed(BASE, crit=["exp"])
    assert not ours_accepts(crit)
