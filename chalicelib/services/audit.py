"""Who did what among a firm's admins: every admin route that changes something is recorded
by the route helper (api/http.py) after it answered; admins read the log here."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, Iterator

from ..domain.audit import QUERY, network_of
from ..domain.identity import Identity
from ..store import audit as store


def record(who: Identity, action: str, target: dict, status: int, source_ip: str,
           changes: list[dict] | None = None) -> None:
    store.record(who.tenant_id, at=datetime.now(timezone.utc), actor_sub=who.sub, actor_name=who.name,
                 action=action, target=target, status=status, network=network_of(source_ip), changes=changes)


# --- what a settings change changed ----------------------------------------------------------
# The route helpers (api/http.py, api/console/session.py) run an admin change inside
# ``noting()``; the service that changes a setting says what it was and what it is now
# (``changed``), and the entry keeps that beside the route. Values are the setting's, never a
# request body: secrets and robot URLs (they embed their keys) are kept only as "changed".

_noted: ContextVar[list | None] = ContextVar("audit_changes", default=None)
LONGEST = 200  # characters of a value kept (a notice is cut, with an ellipsis)


@contextmanager
def noting() -> Iterator[list[dict]]:
    found: list[dict] = []
    token = _noted.set(found)
    try:
        yield found
    finally:
        _noted.reset(token)


def _kept(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    return text if len(text) <= LONGEST else text[:LONGEST - 1] + "…"


def changed(setting: str, before: Any, after: Any, *, hidden: bool = False, **about: Any) -> None:
    """Note one setting's change for the request's audit entry (nothing when equal, or when
    no admin change is being recorded). ``hidden``: keep that it changed, not the values."""
    found = _noted.get()
    if found is None or before == after:
        return
    entry = {"setting": setting, **about}
    entry.update({"hidden": True} if hidden else {"before": _kept(before), "after": _kept(after)})
    found.append(entry)


def standards_changed(before: dict, after: dict) -> None:
    """The standards' changes box by box, as the console's editor names them (its form is the
    document as boxes: services/standards_form.py); a change no box shows is "other parts"."""
    from . import standards_form as form
    # the editor never shows a secret back, so its boxes hold none: compare the saved ones
    old = {**form.values_from_document(before), **form.secrets_of(before)}
    new = {**form.values_from_document(after), **form.secrets_of(after)}
    count = len(_noted.get() or [])
    for box in sorted(set(old) | set(new)):
        was, now = old.get(box, ""), new.get(box, "")
        if was == now:
            continue
        about: dict = {}
        if box.startswith("targets."):
            _, category, priority, _ = box.split(".", 3)
            about = {"names": {"category": _names_of(category, "categories", before, after),
                               "priority": _names_of(priority, "priorities", before, after)}}
        secret = box.endswith(".secret") or (box.endswith(".address") and "://" in f"{was}{now}")
        changed(f"standards:{box}", was, now, hidden=secret, **about)
    from ..domain.standards import survey_settings
    was, now = survey_settings(before), survey_settings(after)
    for flag in ("publish", "publish_inspections"):
        changed(f"standards:survey.{flag}", bool(was[flag]), bool(now[flag]))
    if sorted(was["publish_properties"] or []) != sorted(now["publish_properties"] or []):
        changed("standards:survey.publish_properties", "", "-", hidden=True)
    found = _noted.get()
    if found is not None and len(found) == count and before != after:
        found.append({"setting": "standards:other", "hidden": True})


def _names_of(key: str, kind: str, *documents: dict) -> Any:
    """A category's or priority's name in both languages, as the documents give it ('*': all)."""
    if key == "*":
        return None
    for document in reversed(documents):
        for entry in document.get(kind) or []:
            if isinstance(entry, dict) and entry.get("key") == key:
                return entry.get("name")
    return None


def entries(who: Identity, params: dict) -> dict:
    who.require_admin()
    query = QUERY.parse_body(params)
    return {"entries": store.entries(who.tenant_id, action=query.get("action"), limit=query.get("limit") or 100)}


# --- sign-ins -------------------------------------------------------------------------------
# Every sign-in attempt through the API or the console (both identity adapters) is recorded in
# the firm of the e-mail's person: who (their id and name, never the password or the e-mail
# typed), when, the outcome, the network. An attempt for an e-mail nobody signs in with belongs
# to no firm: it is not written to any firm's log, only counted (metric SignInUnknownEmail) and
# logged without the address typed.

SIGN_IN = "sign-in"
OUTCOMES = {"signed_in": 200, "second_step": 200, "failed": 401, "locked": 429}


def sign_in(email: str, password: str, *, source_ip: str, via: str, step=None):
    """``directory.sign_in`` (or, with ``step``, a second step such as the TOTP code or the
    first sign-in's new password: ``step()`` does it), recorded for the firm."""
    from ..adapters import identity as directory
    from ..domain.errors import RateLimited, Unauthorized
    def audit(tenant_id: str, sub: str, name: str):  # for an adapter that writes at sign-in anyway
        return store.entry(tenant_id, at=datetime.now(timezone.utc), actor_sub=sub, actor_name=name, action=SIGN_IN,
                           target={"outcome": "signed_in", "via": via}, status=200, network=network_of(source_ip))

    try:
        result = step() if step is not None else directory.sign_in(email, password, source_ip=source_ip,
                                                                     audit=audit)
    except Unauthorized:
        _record_sign_in(email, "failed", source_ip, via)
        raise
    except RateLimited:
        _record_sign_in(email, "locked", source_ip, via)
        raise
    if not result.audited:
        _record_sign_in(email, "signed_in" if result.tokens else "second_step", source_ip, via,
                        person=_person_in((result.tokens or {}).get("IdToken")))
    return result


def _person_in(id_token: str | None):
    """Who a just-issued ID token names, read from its claims without a call (the adapter
    issued or received it a moment ago; nothing trusts it beyond naming the audit entry)."""
    import base64
    import json
    from ..adapters.identity import Person
    try:
        payload = id_token.split(".")[1]  # type: ignore[union-attr]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return Person(claims["custom:tenant_id"], claims["sub"], claims.get("name", ""))
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return None


def _record_sign_in(email: str, outcome: str, source_ip: str, via: str, person=None) -> None:
    from ..adapters import identity as directory
    from ..observability import logger, metrics
    try:
        person = person or directory.whose(email)
        if person is None:
            metrics.count("SignInUnknownEmail")
            logger.info("sign-in for an unknown e-mail", extra={"outcome": outcome, "network": network_of(source_ip)})
            return
        store.record(person.tenant_id, at=datetime.now(timezone.utc), actor_sub=person.sub, actor_name=person.name,
                     action=SIGN_IN, target={"outcome": outcome, "via": via}, status=OUTCOMES[outcome],
                     network=network_of(source_ip))
    except Exception:  # the log must never decide whether someone may sign in
        logger.exception("sign-in audit failed")
