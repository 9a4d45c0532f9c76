"""Who may open which console page (test_access.py), with our own accounts as the
identity adapter: the console binds tenant and role the same way with either."""

from tests.api.identity_adapters import adapter_fixture
from tests.console.test_access import *  # noqa: F401,F403 — the same tests, collected here again
from tests.console.test_access import scene  # noqa: F401 — its fixture

adapter = adapter_fixture(("accounts",))


def test_the_sessions_are_our_own_tokens(scene):  # noqa: F811
    import jwt
    assert jwt.get_unverified_header(scene["admin"].cookie["pd_id"])["alg"] == "ES256"
