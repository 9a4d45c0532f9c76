"""The audit log's pure rules: an address kept only as its network, each entry's action and
outcome in words. Expected values are written out by hand."""

import pytest

from chalicelib.domain.audit import action_name, network_of, outcome_of


@pytest.mark.parametrize("address, network", [
    ("192.168.1.77", "192.168.1.0/24"),
    ("10.0.0.255", "10.0.0.0/24"),
    ("203.0.113.129", "203.0.113.0/24"),   # the host bits of a /25 are dropped too
    ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
    ("2001:db8:abcd:8000::1", "2001:db8:abcd::/48"),  # /49 would keep the 8000
    ("not an address", ""),
    ("", ""),
    ("192.168.1.300", ""),
])
def test_an_address_is_kept_only_as_its_network(address, network):
    assert network_of(address) == network


@pytest.mark.parametrize("action, target, name", [
    ("sign-in", {"outcome": "failed"}, "Sign-in refused"),
    ("sign-in", {"outcome": "locked"}, "Sign-in locked after repeated failures"),
    ("sign-in", {"outcome": "second_step"}, "Password accepted, code asked"),
    ("sign-in", {"outcome": "signed_in"}, "Signed in"),
    ("sign-in", {"outcome": "something new"}, "Signed in"),
    ("sign-in", {}, "Signed in"),
    ("sign-in", None, "Signed in"),
    ("PUT /api/standards", None, "Changed the service standards"),
    ("PUT /api/standards", {"outcome": "failed"}, "Changed the service standards"),  # outcome only for sign-ins
    ("DELETE /api/everything", None, "Another change"),
])
def test_each_entry_is_named_in_words(action, target, name):
    assert action_name(action, target) == name


def test_an_entry_without_a_target_is_named_by_its_action():
    assert action_name("sign-in") == "Signed in"
    assert action_name("POST /api/staff") == "Invited a colleague"


@pytest.mark.parametrize("status, outcome", [
    (200, "Done"), (204, "Done"), (303, "Done"), (399, "Done"),
    (400, "Refused"), (403, "Refused"), (499, "Refused"),
    (500, "Failed"), (503, "Failed"),
])
def test_how_a_change_ended(status, outcome):
    assert outcome_of(status) == outcome
