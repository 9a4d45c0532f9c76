"""Photos on a report: the file goes from the resident straight to S3 (presigned POST), then
is checked by its bytes, stripped of location metadata and attached; staff and the resident
look at it through short-lived links."""

from __future__ import annotations

import io
import json

import boto3
import pytest
import requests
from PIL import Image

from tests.support import body

JSON = {"Content-Type": "application/json"}
SHANGHAI = (31.0, 13.0, 5.0)  # a GPS latitude someone could find a flat with
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def jpeg_with_location() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: SHANGHAI, 3: "E", 4: (121.0, 28.0, 9.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 120, 200)).save(out, "PNG")
    return out.getvalue()


def reported(firm, description: str = "The kitchen tap drips all night.") -> tuple[str, str]:
    answer = body(firm.submit(firm.report(description=description)))
    token = answer["ticket"]["tracking_token"]
    ticket = next(t for t in body(firm.call("GET", "/api/tickets"))["tickets"]
                  if t["number"] == answer["ticket"]["number"])
    return ticket["id"], token


def upload(firm, token: str, data: bytes, name: str = "photo.jpg") -> str:
    """What a resident's script does: ask for a form, post the file to S3. Returns the key."""
    form = firm.client.http.post(f"/t/{token}/photos", headers=JSON, body="{}")
    assert form.status_code == 201, form.body
    form = body(form)
    sent = requests.post(form["url"], data=form["fields"], files={"file": (name, data, "image/jpeg")}, timeout=30)
    assert sent.status_code == 201, sent.text
    return form["fields"]["key"]


def confirm(firm, token: str, key: str):
    return firm.client.http.post(f"/t/{token}/photos/added", headers=JSON, body=json.dumps({"key": key}))


def bucket_keys(local_stack, prefix: str) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=local_stack.endpoint, region_name="us-east-1")
    listed = s3.list_objects_v2(Bucket="propdesk-photos-local", Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def test_a_photo_reaches_staff_without_its_location_and_keeps_its_orientation(firm, local_stack):
    tid, token = reported(firm)
    original = jpeg_with_location()
    key = upload(firm, token, original, name="IMG_0001.JPG")

    added = confirm(firm, token, key)
    assert added.status_code == 201, added.body
    photo = body(added)
    assert photo["type"] == "image/jpeg"

    ticket = body(firm.call("GET", f"/api/tickets/{tid}"))
    assert [p["id"] for p in ticket["photos"]] == [photo["id"]]
    assert ticket["timeline"][-1]["type"] == "photo_added" and ticket["timeline"][-1]["actor"]["kind"] == "resident"
    seen = requests.get(ticket["photos"][0]["url"], timeout=30)
    assert seen.status_code == 200 and seen.headers["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(seen.content))
    assert image.size == (64, 48)
    exif = image.getexif()
    assert 0x8825 not in exif and exif.get_ifd(0x8825) == {}  # no GPS block at all
    assert exif.get(0x0112) == 6  # the phone's orientation survives
    assert exif.get(0x010F) is None  # nor does anything else that says which phone
    # the resident sees it too, and nothing is left waiting in the incoming area
    tracking = body(firm.client.http.get(f"/t/{token}"))
    assert [p["id"] for p in tracking["photos"]] == [photo["id"]] and tracking["photos"][0]["url"].startswith("http")
    assert tracking["timeline"][-1]["type"] == "photo_added"
    assert bucket_keys(local_stack, key) == []


@pytest.mark.parametrize("data,name", [(PDF, "receipt.jpg"), (HTML, "photo.png"), (b"", "empty.jpg")])
def test_a_file_whose_bytes_are_not_an_image_is_refused_and_nothing_is_kept(firm, local_stack, data, name):
    tid, token = reported(firm)
    key = upload(firm, token, data, name=name)

    refused = confirm(firm, token, key)
    assert refused.status_code == 422, refused.body
    assert "photo" in body(refused)["error"]["fields"]
    ticket = body(firm.call("GET", f"/api/tickets/{tid}"))
    assert ticket["photos"] == [] and ticket["timeline"][-1]["type"] == "received"
    tenant_id = key.split("/")[1]
    assert bucket_keys(local_stack, key) == []  # the upload is gone
    assert bucket_keys(local_stack, f"{tenant_id}/") == []  # and no "clean" copy was made


def test_a_file_over_ten_megabytes_is_refused(firm, local_stack):
    _, token = reported(firm)
    key = upload(firm, token, png() + b"\0" * (10 * 1024 * 1024))
    refused = confirm(firm, token, key)
    assert refused.status_code == 413, refused.body
    assert body(refused)["error"]["fields"]["photo"] == "must be at most 10 MB"
    assert bucket_keys(local_stack, key) == []


def test_confirming_the_same_upload_twice_attaches_one_photo(firm, local_stack):
    tid, token = reported(firm)
    key = upload(firm, token, png())
    first, second = confirm(firm, token, key), confirm(firm, token, key)
    assert first.status_code == 201 and second.status_code == 201
    assert body(first)["id"] == body(second)["id"]
    ticket = body(firm.call("GET", f"/api/tickets/{tid}"))
    assert len(ticket["photos"]) == 1
    assert [e["type"] for e in ticket["timeline"]].count("photo_added") == 1


def test_a_report_takes_five_photos_and_then_no_more(firm, local_stack):
    tid, token = reported(firm)
    for _ in range(5):
        assert confirm(firm, token, upload(firm, token, png())).status_code == 201
    full = firm.client.http.post(f"/t/{token}/photos", headers=JSON, body="{}")
    assert full.status_code == 409
    assert len(body(firm.call("GET", f"/api/tickets/{tid}"))["photos"]) == 5


def test_an_upload_of_another_ticket_or_firm_cannot_be_claimed(firm, other_firm, local_stack):
    _, token = reported(firm)
    _, other_token = reported(other_firm)
    key = upload(firm, token, png())
    assert confirm(other_firm, other_token, key).status_code == 404  # another firm's link
    _, second_token = reported(firm, "The hall light flickers.")
    assert confirm(firm, second_token, key).status_code == 404  # another ticket of the same firm
    assert confirm(firm, token, "../../etc/passwd").status_code == 404
    assert confirm(firm, token + "x", key).status_code == 404  # a forged link
    assert confirm(firm, token, key).status_code == 201  # the right one still works


def test_a_browser_coming_back_from_s3_lands_on_its_tracking_page(firm, local_stack):
    _, token = reported(firm)
    key = upload(firm, token, png())
    back = firm.client.http.get(f"/t/{token}/photos/added?key={key}&lang=en", headers={"Accept": "text/html"})
    assert back.status_code == 303 and back.headers["Location"] == f"/t/{token}?lang=en#photos"
    again = firm.client.http.get(f"/t/{token}/photos/added?key={key}&lang=en", headers={"Accept": "text/html"})
    assert again.status_code == 303  # a reload is harmless
    page = firm.client.http.get(f"/t/{token}?lang=en", headers={"Accept": "text/html"})
    html = page.body.decode()
    assert 'id="photo-list"' in html and "Photo 1" in html
    csp = page.headers["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1" in csp and "img-src 'self' data: http://127.0.0.1" in csp
