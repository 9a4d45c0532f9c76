"""Both identity adapters check their ID tokens without PyJWT (adapters/identity/jws.py, a cold-start saving):
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


# --- RS256, the cognito adapter's tokens: the same checks through jws.decode -------------------

from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from chalicelib.adapters.identity import jws  # noqa: E402

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
POOL_ISSUER, CLIENT = "https://cognito-idp.cn-northwest-1.amazonaws.com/pool", "client"
RS_BASE = {**BASE, "iss": POOL_ISSUER, "aud": CLIENT}
RS_CASES = {
    "good": jwt.encode(RS_BASE, RSA_KEY, algorithm="RS256"),
    "ES256 where RS256 is expected": signed(RS_BASE),
    "another pool": jwt.encode({**RS_BASE, "iss": "https://cognito-idp.us-east-1.amazonaws.com/x"}, RSA_KEY,
                               algorithm="RS256"),
    "another client": jwt.encode({**RS_BASE, "aud": "other"}, RSA_KEY, algorithm="RS256"),
    "expired": jwt.encode({**RS_BASE, "exp": NOW - 31}, RSA_KEY, algorithm="RS256"),
    "another key": jwt.encode(RS_BASE, rsa.generate_private_key(public_exponent=65537, key_size=2048),
                              algorithm="RS256"),
    "HS256 with the public key's bytes": jwt.encode(RS_BASE, "k" * 32, algorithm="HS256"),
}


@pytest.mark.parametrize("name", sorted(RS_CASES))
def test_rs256_accepts_exactly_what_pyjwt_accepts(name):
    from datetime import datetime, timezone
    from unittest import mock
    token = RS_CASES[name]
    try:
        with mock.patch("jwt.api_jwt.datetime") as clock:
            clock.now.return_value = datetime.fromtimestamp(NOW, tz=timezone.utc)
            jwt.decode(token, RSA_KEY.public_key(), algorithms=["RS256"], issuer=POOL_ISSUER, audience=CLIENT,
                       leeway=30, options={"require": ["exp", "iat", "iss", "sub", "aud", "token_use"]})
        expected = True
    except jwt.PyJWTError:
        expected = False
    try:
        jws.decode(token, RSA_KEY.public_key(), algorithm="RS256", issuer=POOL_ISSUER, audience=CLIENT, now=NOW)
        ours = True
    except TokenRejected:
        ours = False
    assert ours == expected and ours == (name == "good"), name


def test_a_jwks_key_is_read_from_its_modulus_and_exponent():
    numbers = RSA_KEY.public_key().public_numbers()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    assert (jws.b64_int(jwk["n"]), jws.b64_int(jwk["e"])) == (numbers.n, numbers.e)


def test_a_p256_public_key_read_from_its_point_is_the_key_the_general_loader_reads():
    from cryptography.hazmat.primitives import serialization

    from chalicelib.adapters.identity.accounts import public_key_from_der
    der = KEY.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    ours = public_key_from_der(der)
    assert ours.public_numbers() == serialization.load_der_public_key(der).public_numbers()
    assert ours_accepts(CASES["good"], ours)
    rsa_der = RSA_KEY.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    assert public_key_from_der(rsa_der).public_numbers() == RSA_KEY.public_key().public_numbers()  # the general way
