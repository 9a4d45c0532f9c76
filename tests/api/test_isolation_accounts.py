"""The isolation matrix of test_isolation.py, run again with our own accounts as the
identity adapter (issue 15 §2: tenant and role binding are shared by both adapters)."""

from tests.api.identity_adapters import adapter_fixture
from tests.api.test_isolation import *  # noqa: F401,F403 — the same tests, collected here again
from tests.api.test_isolation import world  # noqa: F401 — its fixture

adapter = adapter_fixture(("accounts",))


def test_the_matrix_ran_with_our_own_tokens(world):  # noqa: F811
    import jwt
    assert jwt.get_unverified_header(world["a"].admin_token)["alg"] == "ES256"
