"""PropDesk's Chalice app: routes are registered from chalicelib/api (work in progress)."""
from chalice import Chalice

app = Chalice(app_name="propdesk")


@app.route("/healthz")
def healthz() -> dict:
    return {"ok": True}
