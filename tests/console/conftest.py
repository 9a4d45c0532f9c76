"""The console in a real headless Chromium, like the residents' pages (tests/pages), plus
helpers for console tests: signing in through the page, axe, screenshots, and counting
the DynamoDB round trips a page takes through the chalice test client."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlencode

import pytest

from tests.pages.conftest import WAIT_MS, base_url, browser, shot  # noqa: F401 — shared fixtures
from tests.pages.test_accessibility import assert_no_blocking_violations, axe  # noqa: F401 — shared fixture
from tests.support import PASSWORD

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def desk(browser):  # noqa: F811
    """A browser context as staff use it: a 375 px phone, JavaScript on (axe needs it; the
    pages carry none), English first."""
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="en",
                                  extra_http_headers={"Accept-Language": "en"})
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def sign_in(page, base_url: str, email: str, password: str = PASSWORD, next_path: str = "/console") -> None:  # noqa: F811
    page.goto(f"{base_url}/console/signin?next={next_path}")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button.primary")


# --- through the chalice test client (no browser) -------------------------------------------

class Session:
    """A signed-in console session for the chalice test client: its cookie and CSRF token."""

    def __init__(self, client, email: str, password: str = PASSWORD) -> None:
        self.client = client
        first = client.http.get("/console/signin")
        self.cookie = _cookie_pairs(first.headers.get("Set-Cookie"))
        answer = client.http.post("/console/signin", headers=self.headers(FORM), body=urlencode({
            "csrf": csrf_of(first.body.decode()), "email": email, "password": password}))
        assert answer.status_code == 303, answer.body
        self.cookie = _cookie_pairs(answer.headers.get("Set-Cookie"))

    def headers(self, content_type: str | None = None, **extra: str) -> dict:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookie.items()), "Accept": "text/html"}
        if content_type:
            headers["Content-Type"] = content_type
        headers.update(extra)
        return headers

    def get(self, path: str):
        return self.client.http.get(path, headers=self.headers())

    def post(self, path: str, fields: dict, *, csrf: str | None = None, **headers: str):
        """POST a form; the CSRF token is taken from the page at ``path`` unless given."""
        token = csrf if csrf is not None else self.csrf_token()
        return self.client.http.post(path, headers=self.headers(FORM, **headers),
                                     body=urlencode({"csrf": token, **fields}, doseq=True))

    def csrf_token(self) -> str:
        """What every signed-in page carries in its forms (the sign-out form in the menu)."""
        return csrf_of(self.get("/console/account").body.decode())


def _cookie_pairs(set_cookie) -> dict:
    values = set_cookie if isinstance(set_cookie, list) else [set_cookie] if set_cookie else []
    jar = {}
    for value in values:
        name, _, rest = value.partition("=")
        jar[name] = rest.split(";")[0]
    return {k: v for k, v in jar.items() if v}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@contextmanager
def dynamo_calls() -> Iterator[dict]:
    """Count DynamoDB operations made in this thread while the block runs (settings that a
    process caches, e.g. a firm's standards for a minute, count only when not cached)."""
    from bench.dynamo_calls import CallCounter
    counter = CallCounter()
    counter.install()
    try:
        with counter.window("console") as window:
            seen: dict = {}
            yield seen
            seen.update(window.dynamodb)
    finally:
        counter.uninstall()
