"""The write-only secret rules (domain/webhook_secrets.py), documents written out by hand."""

from chalicelib.domain.webhook_secrets import MASK, NOTHING_TO_KEEP, changed, masked, masked_line, with_saved

HOOK = "https://ops.example.com/hook"
ROBOT = "https://oapi.dingtalk.com/robot/send?access_token=t"


def chain(level1: list, level2: list | None = None) -> dict:
    escalation = {"warn_at": 0.8, "level1": {"notify": level1}}
    if level2 is not None:
        escalation["level2"] = {"after": "4h", "notify": level2}
    return {"name": "x", "escalation": escalation}


SAVED = chain([{"channel": "email", "to": "ops@example.com"}, {"channel": "webhook", "url": HOOK, "secret": "k1"}],
              [{"channel": "dingtalk", "url": ROBOT, "secret": "SECk2"}])


def test_a_read_masks_every_secret_and_leaves_the_saved_document_alone():
    shown = masked(SAVED)
    assert shown["escalation"]["level1"]["notify"][1] == {"channel": "webhook", "url": HOOK, "secret": MASK}
    assert shown["escalation"]["level2"]["notify"][0]["secret"] == MASK
    assert SAVED["escalation"]["level1"]["notify"][1]["secret"] == "k1"
    assert masked({"name": "no chain"}) == {"name": "no chain"}


def test_the_mask_sent_back_keeps_each_saved_secret():
    document, problems = with_saved(masked(SAVED), SAVED)
    assert problems == {} and document == SAVED


def test_the_mask_follows_its_robot_to_another_row_and_level():
    moved = chain([{"channel": "dingtalk", "url": ROBOT, "secret": MASK}],
                  [{"channel": "webhook", "url": HOOK, "secret": MASK}])
    document, problems = with_saved(moved, SAVED)
    assert problems == {}
    assert document["escalation"]["level1"]["notify"][0]["secret"] == "SECk2"
    assert document["escalation"]["level2"]["notify"][0]["secret"] == "k1"


def test_the_mask_on_a_row_whose_address_changed_keeps_that_rows_secret_if_the_channel_is_the_same():
    edited = chain([{"channel": "email", "to": "ops@example.com"},
                    {"channel": "webhook", "url": "https://new.example.com/hook", "secret": MASK}])
    document, problems = with_saved(edited, SAVED)
    assert problems == {} and document["escalation"]["level1"]["notify"][1]["secret"] == "k1"
    other = chain([{"channel": "email", "to": "ops@example.com"},
                   {"channel": "slack", "url": "https://hooks.slack.com/services/T/B/X", "secret": MASK}])
    _, problems = with_saved(other, SAVED)
    assert problems == {"escalation.level1.notify[1].secret": NOTHING_TO_KEEP}


def test_a_missing_secret_keeps_only_the_same_robots_and_null_takes_it_off():
    missing = chain([{"channel": "webhook", "url": HOOK}, {"channel": "webhook", "url": "https://b.example.com/h"}])
    document, problems = with_saved(missing, SAVED)
    assert problems == {}
    assert document["escalation"]["level1"]["notify"] == [{"channel": "webhook", "url": HOOK, "secret": "k1"},
                                                          {"channel": "webhook", "url": "https://b.example.com/h"}]
    document, _ = with_saved(chain([{"channel": "webhook", "url": HOOK, "secret": None}]), SAVED)
    assert document["escalation"]["level1"]["notify"] == [{"channel": "webhook", "url": HOOK}]


def test_a_new_secret_replaces_the_saved_one():
    document, problems = with_saved(chain([{"channel": "webhook", "url": HOOK, "secret": "k9"}]), SAVED)
    assert problems == {} and document["escalation"]["level1"]["notify"][0]["secret"] == "k9"


def test_a_secret_change_is_named_without_its_text():
    after = chain([{"channel": "email", "to": "ops@example.com"}, {"channel": "webhook", "url": HOOK, "secret": "k9"}],
                  [{"channel": "dingtalk", "url": ROBOT, "secret": "SECk2"}])
    assert changed(SAVED, after) == ["escalation.level1.notify[1].secret: changed (not shown)"]
    assert changed(SAVED, SAVED) == []


def test_a_history_line_from_before_masking_is_masked_when_read():
    old = ("escalation.level1.notify: [{'channel': 'email', 'to': 'a@b.cn'}] → "
           "[{'channel': 'webhook', 'url': 'https://x', 'secret': 'k1'}]")
    assert masked_line(old).endswith(f"'secret': '{MASK}'}}]")
    cut = "escalation.level1.notify: [] → [{'channel': 'webhook', 'url': 'https://x', 'secret': 'SECabc..."
    assert "SECabc" not in masked_line(cut)
    assert masked_line("survey.min_n: 5 → 7") == "survey.min_n: 5 → 7"
