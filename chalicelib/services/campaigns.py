"""Satisfaction campaigns: create one, show its questionnaire, count answers, read results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ..domain import campaigns as rules
from ..domain import scores as score_rules
from ..domain import tokens, tsm
from ..domain.errors import InvalidInput, TransitionRefused
from ..domain.identity import Identity
from ..settings import settings
from ..store import campaigns as store
from ..store import registry as registry_store
from ..store import scores as score_store
from ..store import tenants as tenant_store
from . import register_view
from .scores import firm_settings


def link(slug: str, campaign_id: str) -> str:
    """The campaign's public address: it is printed on lobby posters, so it is no secret;
    one answer per unit is what keeps the count honest."""
    return f"{settings().public_base_url}/c/{slug}/{campaign_id}"


def create(who: Identity, body: object, *, now: datetime | None = None) -> dict:
    """An admin starts a campaign; the answer carries its public link and poster."""
    who.require_admin()
    now = now or datetime.now(timezone.utc)
    data = rules.CREATE.parse_body(body)
    known = {p.property_id for p in registry_store.list_properties(who.tenant_id)}
    unknown = [pid for pid in data["property_ids"] if pid not in known]
    if unknown:
        raise InvalidInput("Some properties are not yours.", {"property_ids": f"unknown: {', '.join(unknown)}"})
    form = data.get("form") or "short"
    servqual = form != "tsm"  # the TP survey asks neither expectations nor importance points
    campaign = rules.Campaign(tokens.new_id(), data["name"], tuple(dict.fromkeys(data["property_ids"])),
                              servqual and bool(data.get("expectations")),
                              servqual and data.get("importance", True) is not False,
                              data["opens_on"], data["closes_on"], form)
    store.create(who.tenant_id, campaign, now)
    slug = firm_settings(who.tenant_id)["slug"]  # kept a minute per process
    return {**view(campaign), "link": link(slug, campaign.id),
            "poster": f"/api/campaigns/{campaign.id}/poster.svg"}


def view(campaign: rules.Campaign) -> dict:
    return {"id": campaign.id, "name": campaign.name, "property_ids": list(campaign.property_ids),
            "form": campaign.form, "items": len(campaign.items), "expectations": campaign.expectations,
            "importance": campaign.importance,
            "opens_on": campaign.opens_on.isoformat(), "closes_on": campaign.closes_on.isoformat()}


def list_campaigns(who: Identity) -> dict:
    return {"campaigns": [view(c) for c in store.list_campaigns(who.tenant_id)]}


@dataclass(frozen=True)
class Form:
    campaign: rules.Campaign
    state: str  # open | not_yet | closed
    tenant_id: str
    firm: dict
    register: list[dict]  # the campaign's properties with their buildings


def form(slug: str, campaign_id: str, now: datetime | None = None) -> Form:
    """The campaign page's facts: NotFound for an unknown firm or campaign."""
    now = now or datetime.now(timezone.utc)
    profile = tenant_store.intake_profile(slug, take_ticket_number=False)
    campaign = store.get(profile.tenant_id, campaign_id)
    register = [p for p in register_view.places(profile.tenant_id) if p["id"] in campaign.property_ids]
    return Form(campaign, campaign.state(now, profile.time_zone), profile.tenant_id,
                {"name": profile.name, "locale": profile.locale, "time_zone": profile.time_zone}, register)


def answer(slug: str, campaign_id: str, body: dict, now: datetime | None = None) -> Form:
    """A household's answer: its building and unit, then the questionnaire. One per unit."""
    now = now or datetime.now(timezone.utc)
    shown = form(slug, campaign_id, now)
    campaign = shown.campaign
    if shown.state != "open":
        raise TransitionRefused("This survey is not open." if shown.state == "not_yet" else "This survey has closed.",
                                {"campaign": shown.state})
    problems: dict[str, str] = {}
    property_id, _, building_id = str(body.get("place") or "").partition(":")
    building = next((b for p in shown.register if p["id"] == property_id for b in p["buildings"]
                     if b["id"] == building_id), None)
    if building is None:
        problems["place"] = "choose your building from the list"
    unit = str(body.get("unit") or "").strip().upper()
    if not unit or len(unit) > 32:
        problems["unit"] = "is required" if not unit else "must be at most 32 characters"
    try:
        answered = tsm.parse_answer(body) if campaign.is_tsm else rules.parse_response(body, campaign)
    except InvalidInput as error:
        problems.update(error.fields)
    if problems:
        raise InvalidInput("Some answers need attention.", problems)
    if campaign.is_tsm:
        counters = rules.tsm_contributions(campaign, answered, property_id, building_id, now,
                                           shown.firm["time_zone"])
    else:
        counters = rules.contributions(campaign, answered, property_id, building_id)
    store.answer(shown.tenant_id, campaign, f"{property_id}#{building_id}#{unit}", counters, now)
    return shown


def results(who: Identity, campaign_id: str) -> dict:
    """The campaign's scores for the firm, each property and each building: one GetItem for the
    campaign, one Query for its counters. A full-form campaign's counters sum each dimension's
    items; the campaign's form says how many to divide by."""
    campaign = store.get(who.tenant_id, campaign_id)
    found = score_store.period(who.tenant_id, campaign.key)
    min_n = firm_settings(who.tenant_id)["min_n"]

    def scored(counters: dict) -> dict:
        if campaign.is_tsm:
            return {"responses": counters.get("tp_n", 0),
                    **{q.code: tsm.perception(counters, q, min_n).score.as_dict() for q in tsm.QUESTIONS}}
        weights = rules.mean_importance(counters)
        names = ["satisfaction_index", "servqual.weighted_gap"] + [
            f"servqual.{d}.{part}" for d in score_rules.DIMENSIONS for part in ("p", "e", "gap")]
        computed = score_rules.scores(counters, min_n=min_n, weights=weights, items=campaign.items_per_dimension)
        return {"responses": counters.get("idx_n", 0), "importance": weights,
                **{name: computed[name].as_dict() for name in names}}

    return {**view(campaign), "min_n": min_n, "firm": scored(found.get(("all", "all"), {})),
            "properties": [{"id": value, **scored(c)} for (by, value), c in sorted(found.items()) if by == "property"],
            "buildings": [{"id": value, **scored(c)} for (by, value), c in sorted(found.items()) if by == "building"]}


__all__ = ["create", "list_campaigns", "form", "answer", "results", "Form"]
