from chalicelib.domain import tokens


def test_a_tracking_token_names_its_ticket_and_carries_128_random_bits():
    tenant, ticket = tokens.new_id(), tokens.new_id()
    issued = tokens.issue(tenant, ticket)
    read = tokens.read(issued.token)
    assert (read.tenant_id, read.subject_id) == (tenant, ticket)
    assert tokens.matches(read, issued.digest)
    assert tokens.issue(tenant, ticket).token != issued.token  # fresh randomness each time


def test_an_altered_token_does_not_match():
    issued = tokens.issue(tokens.new_id(), tokens.new_id())
    altered = issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")
    assert not tokens.matches(tokens.read(altered), issued.digest)


def test_garbage_is_not_a_token():
    for junk in ("", "x" * 64, "../../etc/passwd", "A" * 63, "é" * 64):
        assert tokens.read(junk) is None or not tokens.matches(tokens.read(junk), "0" * 64)


# Hand-made tokens: two ULIDs from the ULID spec's examples and the secret bytes 00 01 ... 0f,
# whose base64url is the well-known "AAECAwQFBgcICQoLDA0ODw".
import base64  # noqa: E402

from ulid import ULID  # noqa: E402

TENANT, TICKET = "01ARZ3NDEKTSV4RRFFQ69G5FAV", "01BX5ZZKBKACTAV9WEVGEMMVRZ"
SECRET = bytes(range(16))
SHORT = "AAECAwQFBgcICQoLDA0ODw"
LONG = base64.urlsafe_b64encode(ULID.from_str(TENANT).bytes + ULID.from_str(TICKET).bytes + SECRET).decode().rstrip("=")


def test_the_store_keeps_the_sha256_of_the_whole_token():
    abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2 test vector
    assert tokens.digest("abc") == abc
    assert tokens.CapabilityToken(TENANT, TICKET, "abc").digest == abc


def test_an_issued_token_is_64_characters_of_the_tenant_the_ticket_and_16_random_bytes():
    issued = tokens.issue(TENANT, TICKET)
    assert (issued.tenant_id, issued.subject_id, len(issued.token)) == (TENANT, TICKET, 64)
    raw = base64.urlsafe_b64decode(issued.token + "==")
    assert raw[:16] == ULID.from_str(TENANT).bytes and raw[16:32] == ULID.from_str(TICKET).bytes
    assert len(raw) == 48 and "=" not in issued.token


def test_a_hand_made_token_is_read_back_to_its_tenant_and_ticket():
    assert len(LONG) == 64
    assert tokens.read(LONG) == tokens.CapabilityToken(TENANT, TICKET, LONG)


def test_what_cannot_be_one_of_our_tokens_is_read_as_nothing():
    for junk in (None, 42, LONG[:-1], LONG + "A", "*" * 64, "A" * 62 + "==", "A" * 60 + "===="):
        assert tokens.read(junk) is None


def test_a_token_matches_only_its_own_digest():
    token = tokens.read(LONG)
    assert tokens.matches(token, tokens.digest(LONG)) is True
    assert tokens.matches(token, None) is False and tokens.matches(token, "") is False
    assert tokens.matches(token, tokens.digest(LONG[:-1] + "B")) is False


def test_the_short_link_carries_the_secret_alone_and_rebuilds_the_long_token():
    assert tokens.short_of(LONG) == SHORT
    assert tokens.short_secret(SHORT) == SECRET
    assert tokens.from_short(TENANT, TICKET, SHORT) == tokens.CapabilityToken(TENANT, TICKET, LONG)
    assert tokens.short_of("not a token") is None


def test_what_cannot_be_a_short_token_is_read_as_nothing():
    for junk in (None, 7, SHORT[:-1], SHORT + "A", "*" * 22, "A" * 20 + "==", SHORT[:-1] + "x"):
        assert tokens.short_secret(junk) is None
        assert tokens.from_short(TENANT, TICKET, junk) is None


def test_each_new_id_is_a_fresh_ulid():
    first, second = tokens.new_id(), tokens.new_id()
    assert first != second and len(first) == 26 and str(ULID.from_str(first)) == first


def test_a_token_ending_in_x_keeps_its_last_character():
    # A secret ending in byte 0x17 (low six bits 23, base64url "X") makes a long token whose
    # last character is "X"; its short form is 20 "A"s (15 zero bytes) then 0x17 as "Fw".
    secret = bytes(15) + b"\x17"
    short = "A" * 20 + "Fw"
    expected = base64.urlsafe_b64encode(ULID.from_str(TENANT).bytes + ULID.from_str(TICKET).bytes + secret).decode()
    assert expected.endswith("X") and len(expected) == 64
    assert tokens.short_secret(short) == secret
    assert tokens.from_short(TENANT, TICKET, short) == tokens.CapabilityToken(TENANT, TICKET, expected)
    assert tokens.short_of(expected) == short
    assert tokens.read(expected) == tokens.CapabilityToken(TENANT, TICKET, expected)
