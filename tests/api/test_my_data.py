"""A resident erases their own contact details from the tracking link: confirmed by POST,
the report stays anonymised, messages stop, the firm sees it on the timeline."""

from __future__ import annotations

from tests.api.test_photos import reported
from tests.api.test_retention import personal_leftovers, references
from tests.support import body

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", "Accept-Language": "en"}
JSON = {"Content-Type": "application/json"}


def test_a_get_only_asks_and_a_confirmed_post_erases(client, firm):
    tid, token = reported(firm)
    asked = client.http.get(f"/t/{token}/erase-contact", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert asked.status_code == 200 and 'action="/t/' in asked.body.decode()
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["contact"]["name"] == "Li Na"  # a GET erased nothing

    done = client.http.post(f"/t/{token}/erase-contact", headers=FORM, body="lang=en&confirm=yes")
    assert done.status_code == 200 and 'id="erased"' in done.body.decode()
    ticket = body(firm.call("GET", f"/api/tickets/{tid}"))
    assert ticket["contact"] == {} and ticket["entry"] == {}
    assert ticket["description"] == "The kitchen tap drips all night." and ticket["status"] == "new"
    logged = [e for e in ticket["timeline"] if e["type"] == "resident_erased_contact"]
    assert len(logged) == 1 and logged[0]["actor"]["kind"] == "resident"
    assert references(firm, "+86 138 0013 8000") == [] and personal_leftovers(firm) == []
    assert client.http.get(f"/t/{token}").status_code == 200  # the report stays followable

    # messages stop: staff's next public step sends the resident nothing
    answer = firm.event(tid, ticket["version"], {"type": "acknowledge"})
    assert answer.status_code == 201, answer.body
    from chalicelib.store.models import OutboxItem, tenant_pk
    held = [i for i in OutboxItem.query(tenant_pk(firm.tenant_id), OutboxItem.sk.startswith(f"OUTBOX#R#{tid}#"))
            if i.status == "pending"]
    assert held == []

    again = client.http.post(f"/t/{token}/erase-contact", headers=JSON, body='{"confirm": "yes"}')
    assert again.status_code == 200 and body(again) == {"erased": False}
    assert len([e for e in body(firm.call("GET", f"/api/tickets/{tid}"))["timeline"]
                if e["type"] == "resident_erased_contact"]) == 1


def test_a_post_without_confirm_is_refused_naming_the_field_and_erases_nothing(client, firm):
    tid, token = reported(firm)
    refused = client.http.post(f"/t/{token}/erase-contact", headers=JSON, body='{"confirm": "no"}')
    assert refused.status_code == 422 and "confirm" in body(refused)["error"]["fields"]
    page = client.http.post(f"/t/{token}/erase-contact", headers=FORM, body="lang=en")
    assert page.status_code == 422 and "Confirm with the button" in page.body.decode()
    unreadable = client.http.post(f"/t/{token}/erase-contact", headers=JSON, body="{not json")
    assert unreadable.status_code == 400
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["contact"]["name"] == "Li Na"


def test_another_firms_or_an_altered_link_answers_404_and_erases_nothing(client, firm, other_firm):
    tid, token = reported(firm)
    from chalicelib.domain import tokens
    import base64
    from ulid import ULID
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    forged = base64.urlsafe_b64encode(ULID.from_str(other_firm.tenant_id).bytes + raw[16:]).decode().rstrip("=")
    assert tokens.read(forged) is not None
    for bad in (forged, token[:-2] + ("xx" if not token.endswith("xx") else "yy")):
        assert client.http.post(f"/t/{bad}/erase-contact", headers=JSON, body='{"confirm": "yes"}').status_code == 404
        assert client.http.get(f"/t/{bad}/erase-contact", headers={"Accept": "text/html"}).status_code == 404
    assert body(firm.call("GET", f"/api/tickets/{tid}"))["contact"]["name"] == "Li Na"


def test_the_resident_downloads_their_report_messages_and_photos_as_a_zip(client, firm, local_stack):
    import io
    import json
    import zipfile

    import requests

    from tests.api.test_escalation import run_sweep
    from tests.api.test_photos import confirm, png, upload
    tid, token = reported(firm)
    photo = body(confirm(firm, token, upload(firm, token, png(), name="tap.png")))
    from datetime import datetime, timedelta, timezone
    run_sweep(client, datetime.now(timezone.utc) + timedelta(hours=12))  # "received" goes out by SMS

    answer = client.http.post(f"/t/{token}/my-data", headers=JSON, body="{}")
    assert answer.status_code == 201, answer.body
    fetched = requests.get(body(answer)["url"], timeout=30)
    assert fetched.status_code == 200 and "attachment" in fetched.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(fetched.content))
    assert sorted(archive.namelist()) == ["messages.json", f"photos/{photo['id']}.png", "report.json"]
    report = json.loads(archive.read("report.json"))
    assert report["description"] == "The kitchen tap drips all night." and report["contact"]["name"] == "Li Na"
    assert archive.read(f"photos/{photo['id']}.png") == requests.get(
        body(firm.call("GET", f"/api/tickets/{tid}"))["photos"][0]["url"], timeout=30).content
    messages = json.loads(archive.read("messages.json"))
    assert [(m["channel"], m["kind"], m["steps"]) for m in messages] == [("sms", "resident_update", ["received"])]
    logged = [e for e in body(firm.call("GET", f"/api/tickets/{tid}"))["timeline"]
              if e["type"] == "resident_downloaded_data"]
    assert len(logged) == 1 and logged[0]["actor"]["kind"] == "resident"

    page = client.http.post(f"/t/{token}/my-data", headers=FORM, body="lang=en")
    assert page.status_code == 303 and page.headers["Location"].startswith("http")


def test_a_download_with_another_firms_or_an_altered_link_is_a_404(client, firm, other_firm):
    _, token = reported(firm)
    import base64
    from ulid import ULID
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    forged = base64.urlsafe_b64encode(ULID.from_str(other_firm.tenant_id).bytes + raw[16:]).decode().rstrip("=")
    assert client.http.post(f"/t/{forged}/my-data", headers=JSON, body="{}").status_code == 404
    assert client.http.post(f"/t/{token[:-3]}abc/my-data", headers=FORM, body="lang=en").status_code == 404
    assert client.http.post(f"/t/{token}/my-data", headers={"Content-Type": "text/plain"}, body="x").status_code == 415
