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
