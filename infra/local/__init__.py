"""The local stack: moto's server as the embedded AWS, chalice local, scheduled jobs.

``python -m infra.local`` (what ``make dev`` runs) brings it all up; the tests use the
same pieces so that what they exercise is what a developer runs.
"""
