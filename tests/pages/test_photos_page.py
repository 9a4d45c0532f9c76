"""Photos from a phone with JavaScript off: the tracking page's form posts the file straight
to S3 (moto here), S3 sends the browser back, the photo is checked and shown. And what
staff do through the API shows on the resident's page."""

from __future__ import annotations

import io
import re

import requests
from PIL import Image

from tests.pages.conftest import WAIT_MS, shot
from tests.pages.test_resident_replies_page import reported, staff
from tests.support import body, unique


def photo_with_location(tmp_path) -> str:
    image = Image.new("RGB", (120, 90), (30, 140, 90))
    exif = Image.Exif()
    exif[0x0112] = 1
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 13.0, 5.0), 3: "E", 4: (121.0, 28.0, 9.0)})
    path = tmp_path / "IMG_2041.JPG"
    image.save(path, "JPEG", exif=exif)
    return str(path)


def test_a_resident_attaches_a_photo_without_script_and_sees_it(phone, base_url, zh_firm, tmp_path):
    tid, token, _ = reported(base_url, zh_firm, unique("卫生间天花板漏水。"))
    page = phone
    page.goto(f"{base_url}/t/{token}")
    assert page.locator("script").count() == 0
    assert page.locator("#photo-form").get_attribute("enctype") == "multipart/form-data"
    page.set_input_files("#photo", photo_with_location(tmp_path))
    page.click("#upload-photo")  # → S3 → /t/{token}/photos/added → /t/{token}#photos
    page.wait_for_url(re.compile(rf".*/t/{token}\?lang=zh-CN#photos$"), timeout=WAIT_MS)
    assert page.locator("#photo-list img").count() == 1
    assert "已添加照片" in page.locator("#timeline").inner_text()
    shot(page, "track-zh-photo-added")

    # what the page links to is the stripped copy: a real JPEG, no GPS block
    seen = requests.get(page.locator("#photo-list img").get_attribute("src"), timeout=10)
    assert seen.status_code == 200 and seen.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(seen.content)).getexif().get_ifd(0x8825) == {}
    staff_view = body(zh_firm.call("GET", f"/api/tickets/{tid}"))
    assert len(staff_view["photos"]) == 1 and staff_view["photos"][0]["type"] == "image/jpeg"


def test_a_pdf_named_like_a_photo_is_refused_on_the_page(phone, base_url, zh_firm, tmp_path):
    tid, token, _ = reported(base_url, zh_firm, unique("The balcony door will not lock."))
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    page = phone
    page.goto(f"{base_url}/t/{token}?lang=en")
    page.set_input_files("#photo", str(fake))
    with page.expect_response(lambda r: "/photos/added" in r.url) as answered:
        page.click("#upload-photo")
    assert answered.value.status == 422
    assert "Choose a photo: JPEG, PNG, HEIC or WebP" in page.locator("#photo-error").inner_text()
    assert page.locator("#error-summary a[href='#photo']").count() == 1
    assert page.locator("#photo-list").count() == 0
    shot(page, "track-en-photo-refused")
    assert body(zh_firm.call("GET", f"/api/tickets/{tid}"))["photos"] == []


def test_what_staff_do_through_the_api_shows_on_the_tracking_page(phone, base_url, zh_firm):
    tid, token, version = reported(base_url, zh_firm, unique("The lift stops between floors."))
    sub, _ = zh_firm.add_staff(name="Zhang Min")
    version = staff(zh_firm, tid, version, {"type": "acknowledge", "note": "We are on it"})
    version = staff(zh_firm, tid, version, {"type": "assign", "assignee": sub})
    version = staff(zh_firm, tid, version, {"type": "comment", "body": "Lift engineer comes at 3 pm.",
                                            "visibility": "public"})
    staff(zh_firm, tid, version, {"type": "comment", "body": "Tenant in 1203 is difficult", "visibility": "internal"})
    page = phone
    page.goto(f"{base_url}/t/{token}?lang=en")
    assert page.locator("#status").inner_text() == "Being worked on"
    timeline = page.locator("#timeline").inner_text()
    assert "Acknowledged" in timeline and "We are on it" in timeline
    assert "Assigned · Zhang" in timeline and "Min" not in timeline  # first name only
    assert "Lift engineer comes at 3 pm." in timeline
    assert "difficult" not in page.content()  # internal comments never reach the resident
    shot(page, "track-en-staff-actions")
