"""A firm's deletion again with our own accounts as the identity provider (the cn profile):
the people go from the accounts table as they go from Cognito's pool."""

from tests.api.identity_adapters import adapter_fixture
from tests.api.test_firm_data import test_a_deleted_firm_leaves_nothing_and_its_neighbour_keeps_everything  # noqa: F401

adapter = adapter_fixture(("accounts",))
