"""Run a test module against each identity adapter (issue 15 §2: the authorizer's tests are
shared). ``adapter_fixture`` makes a module-scoped, parametrised fixture that switches
``PROPDESK_IDENTITY`` (and, for ``accounts``, creates the KMS signing key in moto)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import os
from importlib import resources

import boto3
import jwt
import pytest

ADAPTERS = ("cognito", "accounts")


def adapter_fixture(names: tuple[str, ...] = ADAPTERS):
    @pytest.fixture(scope="module", params=names, autouse=True)
    def adapter(request, local_stack):
        from chalicelib.services import access
        from chalicelib.settings import settings
        saved = {k: os.environ.get(k) for k in ("PROPDESK_IDENTITY", "PROPDESK_TOKEN_KEY")}
        os.environ["PROPDESK_IDENTITY"] = request.param
        if request.param == "accounts":
            key = boto3.client("kms").create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]
            os.environ["PROPDESK_TOKEN_KEY"] = key["KeyId"]
        settings.cache_clear()
        access.cache.clear()
        yield request.param
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings.cache_clear()
        access.cache.clear()
    return adapter


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def moto_signing_key() -> dict:
    """moto signs every pool's tokens with one key it ships; tests use it to forge tokens
    that differ from a real one in exactly one claim."""
    data = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
    return json.loads(gzip.decompress(data))


def sign_as_issuer(adapter: str, claims: dict) -> str:
    """Signed with the adapter's real key: what a forger without the key cannot do."""
    if adapter == "cognito":
        key = moto_signing_key()
        private = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(key))
        return jwt.encode(claims, private, algorithm="RS256", headers={"kid": key["kid"]})
    from chalicelib.adapters.identity import accounts
    return accounts.sign_claims(claims)


def sign_with_another_key(adapter: str, claims: dict) -> str:
    if adapter == "cognito":
        from cryptography.hazmat.primitives.asymmetric import rsa
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, other, algorithm="RS256", headers={"kid": moto_signing_key()["kid"]})
    from cryptography.hazmat.primitives.asymmetric import ec
    other = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(claims, other, algorithm="ES256", headers={"kid": os.environ["PROPDESK_TOKEN_KEY"]})


def public_pem(adapter: str) -> bytes:
    from cryptography.hazmat.primitives import serialization
    if adapter == "cognito":
        public = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(moto_signing_key())).public_key()
    else:
        from chalicelib.adapters.identity import accounts
        public = accounts.public_key(os.environ["PROPDESK_TOKEN_KEY"])
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def hs256_with_public_key(adapter: str, claims: dict) -> str:
    """The classic confusion: HMAC 'signed' with the verifier's public key as the secret."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    mac = hmac.new(public_pem(adapter), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(mac)}"


def alg_none(claims: dict) -> str:
    return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}."


def tampered(token: str, change: dict) -> str:
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return f"{head}.{_b64(json.dumps({**claims, **change}).encode())}.{signature}"
