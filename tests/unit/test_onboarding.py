"""A new firm's checklist: each step ticked from a stored fact, the rest left open."""

import pytest

from chalicelib.domain.onboarding import checklist, finished

NEW_FIRM = dict(service_phone=None, units=0, standards_version=1, poster_printed=False, people=1)


def ticked(**facts) -> list[str]:
    return [s["key"] for s in checklist(**{**NEW_FIRM, **facts}) if s["done"]]


def test_a_firm_that_has_just_signed_up_has_every_step_open_in_order():
    steps = checklist(**NEW_FIRM)
    assert [s["key"] for s in steps] == ["service_phone", "units", "standards", "poster", "colleague"]
    assert not any(s["done"] for s in steps) and not finished(steps)
    assert [s["href"] for s in steps] == ["/console/register/residents", "/console/register", "/console/standards",
                                          "/console/posters", "/console/staff"]


@pytest.mark.parametrize("facts, expected", [
    ({"service_phone": "400-820-8820"}, ["service_phone"]),
    ({"service_phone": "   "}, []),                    # a blank phone is no phone
    ({"units": 1}, ["units"]),
    ({"standards_version": 2}, ["standards"]),         # saved once after the template (version 1)
    ({"poster_printed": True}, ["poster"]),
    ({"people": 2}, ["colleague"]),
])
def test_each_step_is_ticked_by_its_own_fact_alone(facts, expected):
    assert ticked(**facts) == expected


def test_all_five_facts_finish_the_list():
    steps = checklist(service_phone="400-820-8820", units=12, standards_version=3, poster_printed=True, people=4)
    assert finished(steps)
