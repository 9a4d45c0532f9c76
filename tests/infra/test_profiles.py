"""The deployment profile as the app reads it (``PROPDESK_PROFILE`` and the ``cn`` settings),
and ``make dev --profile``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.settings import settings

CN_ENV = {
    "PROPDESK_PROFILE": "cn",
    "PROPDESK_TOKEN_KEY_ID": "arn:aws-cn:kms:cn-northwest-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
    "PROPDESK_SMS_PROVIDER": "tencent",
    "PROPDESK_SMS_SECRET_ARN": "arn:aws-cn:secretsmanager:cn-northwest-1:123456789012:secret:sms-AbCdEf",
    "PROPDESK_SMTP_HOST": "smtp.qcloudmail.com",
    "PROPDESK_SMTP_PORT": "587",
    "PROPDESK_SMTP_SECRET_ARN": "arn:aws-cn:secretsmanager:cn-northwest-1:123456789012:secret:smtp-GhIjKl",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in CN_ENV:
        monkeypatch.delenv(name, raising=False)
    settings.cache_clear()
    yield monkeypatch
    settings.cache_clear()


def test_the_profile_is_global_unless_told(env: pytest.MonkeyPatch) -> None:
    current = settings()
    assert current.profile == "global"
    assert (current.token_key, current.sms_provider, current.smtp_host) == ("", "", "")


def test_the_cn_profile_reads_its_key_providers_and_secret_arns(env: pytest.MonkeyPatch) -> None:
    for name, value in CN_ENV.items():
        env.setenv(name, value)
    current = settings()
    assert current.profile == "cn"
    assert current.token_key == CN_ENV["PROPDESK_TOKEN_KEY_ID"]
    assert current.sms_provider == "tencent"
    assert current.sms_secret_arn == CN_ENV["PROPDESK_SMS_SECRET_ARN"]
    assert (current.smtp_host, current.smtp_port) == ("smtp.qcloudmail.com", 587)
    assert current.smtp_secret_arn == CN_ENV["PROPDESK_SMTP_SECRET_ARN"]


@pytest.mark.parametrize(("name", "value"), [("PROPDESK_PROFILE", "china"), ("PROPDESK_PROFILE", "CN"),
                                              ("PROPDESK_PROFILE", " cn"), ("PROPDESK_SMS_PROVIDER", "twilio")])
def test_a_misspelt_profile_or_provider_stops_the_process(env: pytest.MonkeyPatch, name: str, value: str) -> None:
    """Half of one profile is worse than none: the settings refuse, naming the variable."""
    env.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        settings()


# -- make dev --profile ------------------------------------------------------------------

def test_make_dev_refuses_an_unknown_profile_before_starting_anything(capsys: pytest.CaptureFixture[str]) -> None:
    from infra.local.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(["--profile", "china", "--port", "1", "--moto-port", "2"])
    assert stopped.value.code == 2
    assert "--profile" in capsys.readouterr().err


def test_the_served_app_gets_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.local.__main__ import app_environment

    monkeypatch.setenv("PROPDESK_PROFILE", "global")  # inherited from the shell: the flag wins
    environment = app_environment("http://127.0.0.1:8000", "cn")
    assert environment["PROPDESK_PROFILE"] == "cn"
    assert environment["PROPDESK_STAGE"] == "local"
    assert environment["PROPDESK_PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"


def test_the_banner_names_the_profile_and_how_staff_sign_in() -> None:
    from types import SimpleNamespace

    from infra.local.__main__ import READY_LINE, banner

    stack = SimpleNamespace(endpoint="http://127.0.0.1:5050", table="propdesk-local", user_pool_id="us-east-1_x")
    cn_stack = SimpleNamespace(endpoint="http://127.0.0.1:5050", table="propdesk-local", user_pool_id="",
                               region="cn-northwest-1", token_key_id="arn:aws-cn:kms:cn-northwest-1:123456789012:key/k")
    global_banner = banner("http://127.0.0.1:8000", stack, None, profile="global")
    cn_banner = banner("http://127.0.0.1:8000", cn_stack, None, profile="cn")
    assert "Profile           global" in global_banner and "not yet" not in global_banner.lower()
    assert "user pool us-east-1_x" in global_banner
    assert "Profile           cn" in cn_banner
    # under cn staff sign in through our own accounts (KMS-signed tokens), no Cognito, nothing "not yet"
    assert "not yet" not in cn_banner.lower() and "own accounts" in cn_banner and "user pool" not in cn_banner
    assert "token key arn:aws-cn:kms:" in cn_banner
    assert cn_banner.rstrip().endswith("(Ctrl-C stops it).") and READY_LINE in cn_banner
