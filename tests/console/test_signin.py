"""Signing up, signing in and out of the console; the session cookie, CSRF and origin checks.

The browser scenario walks a new firm through the console's front door in Chromium; the
rest goes through the chalice test client, which is quicker and shows the exact answers."""

from __future__ import annotations

import re

from tests.console.conftest import FORM, Session, assert_no_blocking_violations, csrf_of, shot
from tests.support import PASSWORD, unique

NEW_PASSWORD = "Fresh-start-2026"


def test_a_new_firm_signs_up_chooses_its_password_signs_out_and_resets_it(browser, base_url, axe):
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    context.set_default_timeout(10_000)
    page = context.new_page()
    slug = unique("new")
    email = f"founder-{slug}@example.com"

    # Sign-up with a bad short name: the error is beside the field, in Chinese, typed values kept.
    page.goto(f"{base_url}/console/signup")
    # the starting standards by their names in the page's language, never a file's key
    assert page.locator("#template option").all_inner_texts() == ["中国住宅物业", "英国社会住房"]
    # No short name typed: one is suggested from the firm's name, in pinyin, and nothing is created yet.
    page.fill("#name", "绿苑物业管理有限公司")
    page.fill("#admin_name", "王芳")
    page.fill("#admin_email", email)
    page.click("button.primary")
    assert page.input_value("#slug") == "lvyuan"
    assert "建议使用简称“lvyuan”" in page.locator("#suggested").inner_text()
    assert "贵公司已注册" not in page.locator("h1").inner_text()
    page.fill("#name", "绿苑物业")
    page.fill("#slug", "Not A Slug!")
    page.fill("#admin_name", "王芳")
    page.fill("#admin_email", email)
    page.click("button.primary")
    assert page.locator("#slug-error").is_visible()
    assert "小写字母" in page.locator("#slug-error").inner_text()
    assert page.locator(".summary a[href='#slug']").count() == 1
    assert page.input_value("#name") == "绿苑物业"
    assert_no_blocking_violations(axe, page, "sign-up with an error")
    shot(page, "console-signup-error")

    page.fill("#slug", slug)
    page.click("button.primary")
    assert "贵公司已注册" in page.locator("h1").inner_text()
    temporary = page.locator("#temporary-password").inner_text().strip()
    shot(page, "console-signed-up")

    # First sign-in with the temporary password: Cognito's challenge to choose a new one.
    page.click("a[href^='/console/signin']")
    assert page.input_value("#email") == email
    page.fill("#password", temporary)
    page.click("button.primary")
    assert page.locator("#new_password").is_visible()
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD + "x")
    page.click("button.primary")
    assert "不一致" in page.locator("#confirm-error").inner_text()
    assert_no_blocking_violations(axe, page, "new password with an error")
    shot(page, "console-new-password-error")
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.click("button.primary")

    page.goto(f"{base_url}/console/account")
    assert email in page.locator("main").inner_text()
    assert "管理员" in page.locator("main").inner_text()
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["pd_id"]["httpOnly"] and cookies["pd_id"]["secure"] and cookies["pd_id"]["sameSite"] == "Lax"
    assert cookies["pd_rt"]["httpOnly"]
    assert_no_blocking_violations(axe, page, "account")
    shot(page, "console-account")

    # Sign out: the session is gone; a console page sends the browser to sign in again.
    page.click("nav button:has-text('退出登录')")
    assert "您已退出登录" in page.locator(".notice").inner_text()
    page.goto(f"{base_url}/console/account")
    assert "/console/signin" in page.url
    assert_no_blocking_violations(axe, page, "sign-in")
    shot(page, "console-signin")

    # Forgotten password: ask for a code (shown on the local stack only), set a new password.
    page.click("a[href='/console/forgot']")
    assert_no_blocking_violations(axe, page, "forgotten password")
    page.fill("#email", email)
    page.click("button.primary")
    assert_no_blocking_violations(axe, page, "forgotten password: the code")
    shot(page, "console-forgot-code")
    code = page.locator(".notice strong").inner_text().strip()
    page.fill("#code", code)
    page.fill("#new_password", "Third-time-2026")
    page.click("button.primary")
    assert "密码已修改" in page.locator(".notice").inner_text()
    assert_no_blocking_violations(axe, page, "sign-in after reset")
    page.fill("#password", "Third-time-2026")
    page.click("button.primary")
    page.goto(f"{base_url}/console/account")
    assert email in page.locator("main").inner_text()
    context.close()


def test_a_wrong_password_is_refused_beside_the_field_and_nothing_is_set(client, firm):
    first = client.http.get("/console/signin", headers={"Accept-Language": "en"})
    pre = first.headers["Set-Cookie"].split(";")[0]
    answer = client.http.post("/console/signin", headers={"Content-Type": FORM, "Cookie": pre,
                                                           "Accept-Language": "en"},
                              body=f"csrf={csrf_of(first.body.decode())}&email={firm.admin_email}&password=nope")
    assert answer.status_code == 401
    assert "not right" in answer.body.decode()
    assert "pd_id=" not in str(answer.headers.get("Set-Cookie", ""))


def test_a_signed_out_visit_goes_to_sign_in_and_back_but_never_to_another_site(client, firm):
    answer = client.http.get("/console/account")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/signin?next=%2Fconsole%2Faccount"

    first = client.http.get("/console/signin")
    pre = first.headers["Set-Cookie"].split(";")[0]
    for target, lands in (("/console/account", "/console/account"), ("https://evil.example/x", "/console"),
                          ("//evil.example", "/console")):
        answer = client.http.post("/console/signin", headers={"Content-Type": FORM, "Cookie": pre}, body=(
            f"csrf={csrf_of(first.body.decode())}&email={firm.admin_email}&password={PASSWORD}&next={target}"))
        assert answer.status_code == 303 and answer.headers["Location"] == lands


def test_posts_without_the_csrf_token_or_from_another_origin_change_nothing(client, firm):
    session = Session(client, firm.admin_email)
    token = session.csrf_token()
    refusals = [
        session.post("/console/signout", {}, csrf=""),
        session.post("/console/signout", {}, csrf="forged-" + token[:10]),
        session.post("/console/signout", {}, Origin="https://evil.example"),
        session.post("/console/signout", {}, Origin="null"),
        session.post("/console/signout", {}, **{"Sec-Fetch-Site": "cross-site"}),
    ]
    for answer in refusals:
        assert answer.status_code == 403, answer.body
        assert "Set-Cookie" not in answer.headers or "pd_rt=;" not in str(answer.headers["Set-Cookie"])
    assert session.get("/console/account").status_code == 200  # still signed in: nothing happened

    signed_out = session.post("/console/signout", {}, csrf=token, Origin="http://localhost",
                              Host="localhost", **{"Sec-Fetch-Site": "same-origin"})
    assert signed_out.status_code == 303
    cleared = {c.split("=")[0] for c in signed_out.headers["Set-Cookie"] if "Max-Age=0" in c}
    assert cleared == {"pd_id", "pd_rt"}
    # The refresh token was revoked with the session: replaying the old cookies renews nothing.
    session.cookie["pd_id"] = "expired"
    assert session.get("/console/account").status_code == 303


def test_an_expired_id_token_is_renewed_from_the_refresh_token(client, firm):
    session = Session(client, firm.admin_email)
    session.cookie["pd_id"] = "not-a-valid-token"
    answer = session.get("/console/account")
    assert answer.status_code == 200
    assert firm.admin_email in answer.body.decode()
    renewed = answer.headers["Set-Cookie"]
    renewed = renewed if isinstance(renewed, list) else [renewed]
    assert any(re.match(r"pd_id=ey[\w-]+\.", c) for c in renewed)


def test_a_forgotten_password_request_does_not_tell_whether_an_address_has_an_account(client):
    first = client.http.get("/console/forgot", headers={"Accept-Language": "en"})
    pre = first.headers["Set-Cookie"].split(";")[0]
    answer = client.http.post("/console/forgot", headers={"Content-Type": FORM, "Cookie": pre, "Accept-Language": "en"},
                              body=f"csrf={csrf_of(first.body.decode())}&step=ask&email=nobody-{unique('x')}@example.com")
    assert answer.status_code == 200
    assert "If that address has an account" in answer.body.decode()
