"""PropDesk's Chalice app. Only wiring: every route lives in chalicelib/api, every rule in
chalicelib/domain, every table access in chalicelib/store. Importing this module opens no
connection and builds no AWS client (it is the Lambda cold start)."""

import os

from chalice import Chalice, Rate

from chalicelib.api import admin, auth, campaigns, inspections, openapi, pages, posters, public, scorecard, scores, tickets, tsm
from chalicelib.api import incidents, operator, search
from chalicelib.api import messages as resident_messages
from chalicelib.api import firm_data, my_data
from chalicelib.api.console import dashboard as console_dashboard
from chalicelib.api.console import incidents as console_incidents
from chalicelib.api.console import inspections as console_inspections
from chalicelib.api.console import audit as console_audit
from chalicelib.api.console import firm_data as console_firm_data
from chalicelib.api.console import intake as console_intake
from chalicelib.api.console import manage as console_manage
from chalicelib.api.console import replies as console_replies
from chalicelib.api.console import signin as console_signin
from chalicelib.api.console import standards as console_standards
from chalicelib.api.console import tsm as console_tsm
from chalicelib.api.console import usage as console_usage
from chalicelib.api.console import work as console_work
from chalicelib.api.http import one_error_shape

app = Chalice(app_name="propdesk")
# Everything we answer is text. Two request types are bytes API Gateway must pass through as they
# are (not as UTF-8 text): an Excel workbook and a console form with a file, for the units import.
app.api.binary_types = ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "multipart/form-data"]
app.register_middleware(one_error_shape, "http")  # Chalice's own 415 etc. in our error shape

if os.environ.get("PROPDESK_PROFILE", "").strip().lower() == "cn":
    # AWS China sends SMS only as approved templates: a message kind x locale without one stops
    # the start with a ConfigurationError naming each (local data only, no AWS call).
    from chalicelib.adapters.channels import check_configuration
    check_configuration()

app.register_blueprint(auth.bp)
app.register_blueprint(public.bp)
app.register_blueprint(tickets.bp)
app.register_blueprint(incidents.bp)
app.register_blueprint(search.bp)
app.register_blueprint(admin.bp)
app.register_blueprint(openapi.bp)
app.register_blueprint(operator.bp)
app.register_blueprint(pages.bp)
app.register_blueprint(resident_messages.bp)
app.register_blueprint(my_data.bp)
app.register_blueprint(firm_data.bp)
app.register_blueprint(posters.bp)
app.register_blueprint(scores.bp)
app.register_blueprint(scorecard.bp)
app.register_blueprint(campaigns.bp)
app.register_blueprint(inspections.bp)
app.register_blueprint(tsm.bp)
app.register_blueprint(console_signin.bp)
app.register_blueprint(console_work.bp)
app.register_blueprint(console_incidents.bp)
app.register_blueprint(console_intake.bp)
app.register_blueprint(console_replies.bp)
app.register_blueprint(console_manage.bp)
app.register_blueprint(console_standards.bp)
app.register_blueprint(console_dashboard.bp)
app.register_blueprint(console_inspections.bp)
app.register_blueprint(console_tsm.bp)
app.register_blueprint(console_firm_data.bp)
app.register_blueprint(console_audit.bp)
app.register_blueprint(console_usage.bp)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="sla_sweep")
def sla_sweep(event) -> dict:
    """Every minute: escalate what is due, then deliver the outbox. "Now" is the event's time."""
    from chalicelib.jobs import run_sla_sweep
    return run_sla_sweep(event.to_dict())


@app.schedule(Rate(1, unit=Rate.HOURS), name="scores_rollup")
def scores_rollup(event) -> dict:
    """Every hour: freeze closed months and quarters into reviews for the firms whose local
    night (01:00) has come; the published scorecards read the latest ones."""
    from chalicelib.jobs import run_scores_rollup
    return run_scores_rollup(event.to_dict())


@app.schedule(Rate(1, unit=Rate.MINUTES), name="firm_data")
def firm_data(event) -> dict:
    """Every minute: continue firm exports, carry out deletions whose grace period is over,
    release quarantined slugs (services/firm_jobs.py)."""
    from chalicelib.jobs import run_firm_data
    context = event.context
    return run_firm_data(event.to_dict(), lambda: context.get_remaining_time_in_millis() / 1000)
