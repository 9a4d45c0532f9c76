"""Only a valid ID token of our own identity provider gets in — for EACH identity adapter.

The authorizer's tests are shared (issue 15 §2): every test here runs against the
``cognito`` adapter (moto's user pool) and the ``accounts`` adapter (our own table, tokens
signed by a KMS key in moto). Forged tokens differ from a real one in exactly one thing.
"""

from __future__ import annotations

import json
import time

import boto3
import jwt
import pytest

from tests.api.identity_adapters import (adapter_fixture, alg_none, hs256_with_public_key, sign_as_issuer,
                                         sign_with_another_key, tampered)
from tests.support import PASSWORD, body

adapter = adapter_fixture()


@pytest.fixture(scope="module")
def firm(adapter, client):
    """One firm per adapter for the module (the forged tokens change nothing of it)."""
    from tests.support import Firm
    return Firm.sign_up(client)


@pytest.fixture(scope="module")
def other_firm(adapter, client):
    from tests.support import Firm
    return Firm.sign_up(client)


@pytest.fixture
def real_claims(firm):
    return jwt.decode(firm.admin_token, options={"verify_signature": False})


def status_with(firm, token: str) -> int:
    return firm.call("GET", "/api/tickets", token=token).status_code


def test_the_real_token_works(firm):
    assert status_with(firm, firm.admin_token) == 200


def test_a_copy_signed_with_the_real_key_works(adapter, firm, real_claims):
    # Guard for the cases below: the forging itself is sound.
    assert status_with(firm, sign_as_issuer(adapter, real_claims)) == 200


@pytest.mark.parametrize("change", [
    {"exp": int(time.time()) - 120},
    {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_someoneelse"},
    {"aud": "another-app-client"},
    {"token_use": "refresh"},
    {"custom:tenant_id": None},
    {"custom:role": "superuser"},
    {"iat": None},
    {"custom:role": "staff"},
], ids=["expired", "other-issuer", "other-audience", "not-an-id-token", "no-tenant", "unknown-role", "no-issue-time",
        "role-edited"])
def test_tokens_that_differ_in_one_claim_answer_401_even_with_the_real_key(adapter, firm, real_claims, change):
    claims = {**real_claims, **change}
    claims = {k: v for k, v in claims.items() if v is not None}
    assert status_with(firm, sign_as_issuer(adapter, claims)) == 401


def test_a_token_naming_another_firm_answers_401_even_with_the_real_key(adapter, firm, other_firm, real_claims):
    """The person is not on the other firm's staff list: the standing check refuses it."""
    claims = {**real_claims, "custom:tenant_id": other_firm.tenant_id}
    assert status_with(firm, sign_as_issuer(adapter, claims)) == 401


@pytest.mark.parametrize("change", [{"custom:role": "staff"}, {"custom:tenant_id": "01OTHERFIRM0000000000000000"},
                                    {"sub": "someone-else"}, {"exp": int(time.time()) + 86400}],
                         ids=["role", "tenant", "sub", "exp"])
def test_a_tampered_token_answers_401(firm, change):
    assert status_with(firm, tampered(firm.admin_token, change)) == 401


def test_a_token_signed_by_another_key_answers_401(adapter, firm, real_claims):
    assert status_with(firm, sign_with_another_key(adapter, real_claims)) == 401


def test_alg_none_answers_401(firm, real_claims):
    assert status_with(firm, alg_none(real_claims)) == 401


def test_hs256_signed_with_the_public_key_answers_401(adapter, firm, real_claims):
    assert status_with(firm, hs256_with_public_key(adapter, real_claims)) == 401


def test_garbage_and_wrong_schemes_answer_401(firm):
    for header in ("Bearer not-a-jwt", f"Basic {firm.admin_token}", "Bearer ", firm.admin_token):
        response = firm.client.http.get("/api/tickets", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_a_real_token_of_another_user_pool_answers_401(adapter, firm, local_stack):
    if adapter != "cognito":
        pytest.skip("user pools are Cognito's")
    cognito = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="stranger", UsernameAttributes=["email"], Schema=[
        {"Name": "tenant_id", "AttributeDataType": "String", "Mutable": False},
        {"Name": "role", "AttributeDataType": "String", "Mutable": True}])["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool, ClientName="x", ExplicitAuthFlows=[
        "ALLOW_ADMIN_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="mallory@example.com", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "custom:tenant_id", "Value": firm.tenant_id},
                                              {"Name": "custom:role", "Value": "admin"}])
    cognito.admin_set_user_password(UserPoolId=pool, Username="mallory@example.com", Password=PASSWORD,
                                    Permanent=True)
    token = cognito.admin_initiate_auth(UserPoolId=pool, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                        AuthParameters={"USERNAME": "mallory@example.com", "PASSWORD": PASSWORD}
                                        )["AuthenticationResult"]["IdToken"]
    assert status_with(firm, token) == 401


def test_the_tenant_comes_from_the_token_not_the_request(firm, other_firm):
    """A tenant id smuggled in the query or body is ignored: B still sees only B."""
    ticket = firm.new_ticket()
    response = other_firm.call("GET", f"/api/tickets?tenant_id={firm.tenant_id}")
    assert response.status_code in (200, 422)
    assert ticket["id"] not in response.body.decode()
    created = other_firm.call("POST", "/api/properties", {"name": "X", "tenant_id": firm.tenant_id})
    assert created.status_code == 422 and "tenant_id" in body(created)["error"]["fields"]


def test_first_sign_in_asks_for_a_new_password_then_signs_in(client, firm):
    from chalicelib.adapters import identity
    from tests.support import unique
    email = f"{unique('new')}@example.com"
    identity.create_user(email, "New Person", firm.tenant_id, "staff", temporary_password="Temp-pass-123",
                         send_invite=False)
    first = body(client.http.post("/auth/signin", headers={"Content-Type": "application/json"},
                                  body=json.dumps({"email": email, "password": "Temp-pass-123"})))
    assert first["challenge"] == "NEW_PASSWORD_REQUIRED"
    done = client.http.post("/auth/new-password", headers={"Content-Type": "application/json"},
                            body=json.dumps({"email": email, "session": first["session"],
                                             "new_password": "Brand-new-pass-1"}))
    assert done.status_code == 200 and "IdToken" in body(done)["tokens"]
    wrong = client.http.post("/auth/signin", headers={"Content-Type": "application/json"},
                             body=json.dumps({"email": email, "password": "Temp-pass-123"}))
    assert wrong.status_code == 401
