"""PropDesk's Chalice app. Only wiring: every route lives in chalicelib/api, every rule in
chalicelib/domain, every table access in chalicelib/store. Importing this module opens no
connection and builds no AWS client (it is the Lambda cold start)."""

from chalice import Chalice

from chalicelib.api import admin, auth, openapi, public, tickets

app = Chalice(app_name="propdesk")
app.api.binary_types = []  # everything we answer is text; keeps API Gateway from base64 surprises

app.register_blueprint(auth.bp)
app.register_blueprint(public.bp)
app.register_blueprint(tickets.bp)
app.register_blueprint(admin.bp)
app.register_blueprint(openapi.bp)
