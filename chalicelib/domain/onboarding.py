"""A new firm's first steps in the console, each ticked from what is stored (never from a click
on the list itself): the service phone residents can call, a building with its units (until then
the resident form says it is not open), the service standards checked and saved, a lobby poster
opened for printing, and a colleague invited."""

from __future__ import annotations

# key → where in the console the step is done
STEPS = (
    ("service_phone", "/console/register/residents"),
    ("units", "/console/register"),
    ("standards", "/console/standards"),
    ("poster", "/console/posters"),
    ("colleague", "/console/staff"),
)


def checklist(*, service_phone: str | None, units: int, standards_version: int, poster_printed: bool,
              people: int) -> list[dict]:
    """The steps in order with ``done``: a phone that is not blank; at least one unit; standards
    saved at least once after the template the firm started from (version 1); a poster opened;
    a second person (anyone besides the admin who signed up, invited or already active)."""
    done = {
        "service_phone": bool((service_phone or "").strip()),
        "units": units > 0,
        "standards": standards_version > 1,
        "poster": poster_printed,
        "colleague": people > 1,
    }
    return [{"key": key, "href": href, "done": done[key]} for key, href in STEPS]


def finished(steps: list[dict]) -> bool:
    return all(step["done"] for step in steps)
