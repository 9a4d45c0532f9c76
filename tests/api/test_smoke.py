from tests.support import body


def test_a_signed_up_admin_can_read_their_firm(firm):
    response = firm.call("GET", "/api/tenant")
    assert response.status_code == 200, response.body
    assert body(response)["slug"] == firm.slug
    assert body(response)["role"] == "admin"
