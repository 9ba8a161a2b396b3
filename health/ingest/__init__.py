"""The check-in ingest service: `POST /api/v1/health/checkins` outside Django's request path.

HR systems send a morning's check-ins in bursts; the Django endpoint (health/api.py) costs
~9 ms of CPU a request before the database is reached, and its floor — Django only
authenticating — is a quarter of a bare FastAPI + psycopg INSERT (ADR 0011). This service
answers that one operation on Starlette + a psycopg async pool (ADR 0012) and keeps the
Django endpoint's contract to the letter: the same API keys and access rules, the same
body and answers, the same validation and rules code (`health.services.checkin_clean`,
`checkin_evaluate`, `checkin_day_check`, the form composed by `checkin_form_for`), the
same rows (check-in, revision, audit event, rollup), `Idempotency-Key` on the same table,
the same alert to the prevention officers, the same error format and language.

- `app` (health/ingest/app.py): the ASGI application; `gunicorn -c
  deploy/gunicorn-ingest.conf.py` serves it, nginx routes the bearer-key POSTs of that
  path to it (deploy/nginx/tongzhou.conf). Everything else stays with Django.
- `statements` (health/ingest/statements.py): the SQL — one statement per check-in that
  checks the key, the employee and their travel consent, locks the employee, inserts the
  check-in (or updates it only if its revision is the one read) and adds the revision, the
  audit event and the rollup; a read only when the worker does not know the key yet, for
  a resubmission, or when the statement found things otherwise than assumed. PostgreSQL
  only (data-modifying CTEs); the embedded SQLite of `make run` is served by the Django
  endpoint alone.
"""
