"""The rule that decides whether a verified token still speaks for its person, the
per-process standing cache, and the allow-lists for ``next`` and ``lang`` (no AWS)."""

from __future__ import annotations

import pytest

from chalicelib.domain.identity import Claims, Standing, refusal, revocation_time

T = 1_800_000_000  # an epoch second


def claims(role: str = "staff", issued_at: int = T) -> Claims:
    return Claims(tenant_id="T1", sub="S1", role=role, issued_at=issued_at)


@pytest.mark.parametrize("standing, token, admitted", [
    (Standing("staff", True, 0), claims(), True),
    (Standing("staff", True, T), claims(), True),            # issued in the very second it became valid
    (Standing("staff", True, T + 1), claims(), False),       # signed out / deactivated after it was issued
    (Standing("staff", False, 0), claims(), False),          # deactivated
    (Standing("admin", True, 0), claims("staff"), False),    # promoted since: the old token's role is stale
    (Standing("staff", True, 0), claims("admin"), False),    # demoted since
    (None, claims(), False),                                 # not on the firm's staff list
])
def test_a_token_is_admitted_only_while_the_person_stands_behind_it(standing, token, admitted):
    assert (refusal(token, standing) is None) is admitted


def test_revocation_refuses_every_token_issued_up_to_and_including_that_second():
    at = T + 0.999
    after = revocation_time(at)
    assert refusal(claims(issued_at=T), Standing("staff", True, after)) is not None
    assert refusal(claims(issued_at=T + 1), Standing("staff", True, after)) is None


def test_the_standing_cache_keeps_an_entry_for_its_ttl_and_not_a_second_longer():
    from chalicelib.services.access import StandingCache
    now = [1000.0]
    cache = StandingCache(40, clock=lambda: now[0])
    cache.put("T1", "S1", Standing("staff", True, 0))
    now[0] += 39.9
    assert cache.get("T1", "S1").standing == Standing("staff", True, 0)
    assert cache.get("T2", "S1") is None  # keyed by tenant and person
    now[0] += 0.1
    assert cache.get("T1", "S1") is None
    cache.put("T1", "S1", None)
    cache.forget("T1", "S1")
    assert cache.get("T1", "S1") is None


def test_the_standing_cache_stays_bounded():
    from chalicelib.services.access import StandingCache
    cache = StandingCache(40, clock=lambda: 0.0, max_people=100)
    for i in range(250):
        cache.put("T", str(i), None)
    assert len(cache._entries) <= 100


@pytest.mark.parametrize("target, followed", [
    ("/console", True), ("/console/queue", True), ("/console/tickets/01J?tab=x", True),
    ("/console/queue?q=%E4%BD%A0&status=new", True),
    ("https://evil.example/console", False), ("//evil.example", False), ("/console//evil.example", False),
    ("/console/../p/x", False), ("/console/./x", False), ("/consolex", False), ("/console\\x", False),
    ("/console\r\nSet-Cookie: a=b", False), ("/console/\x00", False), ("/console/ x", False), ("", False),
    (None, False), ("/console/" + "a" * 3000, False),
])
def test_only_our_own_console_paths_are_followed_after_sign_in(target, followed):
    from chalicelib.api.console.session import safe_next
    assert (safe_next(target) == target) is followed
    assert safe_next(target) == target if followed else safe_next(target) == "/console"


@pytest.mark.parametrize("value, kept", [("en", "en"), ("zh-CN", "zh-CN"), ("zh", None), ("EN", None),
                                          ("en\r\n", None), ("fr", None), ("", None), (None, None), (["en"], None)])
def test_lang_is_one_of_our_locales_or_nothing(value, kept):
    from chalicelib import web
    assert web.locale(value) == kept


def test_a_token_renewed_from_a_session_begun_before_a_sign_out_is_refused():
    """Renewed after the sign-out (iat later) but from a session begun before it (auth_time):
    refused, so a sign-out holds even if the provider kept the refresh token."""
    signed_out = Standing("staff", True, T + 10)
    renewed = Claims(tenant_id="T1", sub="S1", role="staff", issued_at=T + 20, signed_in_at=T)
    fresh = Claims(tenant_id="T1", sub="S1", role="staff", issued_at=T + 20, signed_in_at=T + 15)
    assert refusal(renewed, signed_out) is not None
    assert refusal(fresh, signed_out) is None


def test_each_refusal_says_why_the_token_no_longer_speaks_for_its_person():
    assert refusal(claims(), None) == "not on the firm's staff list"
    assert refusal(claims(), Standing("staff", False, 0)) == "deactivated"
    assert refusal(claims("staff"), Standing("admin", True, 0)) == "role changed since the token was issued"
    assert refusal(claims(), Standing("staff", True, T + 1)) == "signed out or revoked since the token was issued"
    assert refusal(claims(), Standing("staff", True)) is None  # no sign-out yet: every token of the person counts


def test_a_session_begun_later_than_its_token_was_issued_still_counts_from_the_token():
    """``auth_time`` after ``iat`` cannot make an older token newer than it is."""
    late_session = Claims(tenant_id="T1", sub="S1", role="staff", issued_at=T, signed_in_at=T + 20)
    assert refusal(late_session, Standing("staff", True, T + 10)) == "signed out or revoked since the token was issued"
    assert refusal(late_session, Standing("staff", True, T)) is None


def test_revocation_is_the_second_after_the_moment_it_happens():
    assert revocation_time(T) == T + 1
    assert revocation_time(T + 0.999) == T + 1


def test_the_identity_of_verified_claims_carries_the_firm_person_role_and_name():
    from chalicelib.domain.identity import Identity
    said = Claims(tenant_id="T1", sub="S1", role="admin", issued_at=T, name="Li Wei", email="li@firm.example")
    assert said.identity == Identity(tenant_id="T1", sub="S1", role="admin", name="Li Wei", email="li@firm.example")


def test_staff_act_under_their_name_or_else_the_first_part_of_their_email():
    from chalicelib.domain.identity import Identity
    from chalicelib.domain.tickets import Actor
    assert Identity("T1", "S1", "staff", name="Li Wei", email="li@firm.example").actor == Actor("staff", "S1", "Li Wei")
    assert Identity("T1", "S1", "staff", email="li.wei@firm.example").actor == Actor("staff", "S1", "li.wei")
    assert Identity("T1", "S1", "staff").actor == Actor("staff", "S1", "")


def test_only_an_admin_passes_the_admin_check_and_others_are_told_why():
    from chalicelib.domain.errors import Forbidden
    from chalicelib.domain.identity import Identity
    Identity("T1", "S1", "admin").require_admin()
    with pytest.raises(Forbidden) as refused:
        Identity("T1", "S1", "staff").require_admin()
    assert refused.value.message == "Only the firm's admins can do this."
    assert refused.value.status == 403


def test_an_unreachable_identity_provider_is_answered_as_503():
    from chalicelib.domain.identity import IdentityUnavailable
    assert (IdentityUnavailable.status, IdentityUnavailable.code) == (503, "identity_unavailable")
