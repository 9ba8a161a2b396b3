"""The bare baseline for the check-in ingest benchmark (bench/health_ingest.py).

FastAPI + psycopg 3 async pool, one `INSERT INTO health_checkin … VALUES (…)` per POST on
the same table and database as the real endpoint, with no authentication, no validation
and no rules: what the web layer and PostgreSQL alone cost on this machine (after
reference/performance-baselines.md A14, row 2.14). It is not part of the application.

Run by health_ingest.py as
    BENCH_DSN=postgresql://postgres@127.0.0.1:5432/tongzhou_bench \\
    .venv/bin/uvicorn bench.baseline_fastapi:app --workers 3 --port 8012 …
It answers the same path as the real endpoint and reads the same body; the employee's
enterprise and site come from a dict loaded once at start-up (the real endpoint looks
them up per request).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg_pool import AsyncConnectionPool

DSN = os.environ.get("BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/tongzhou_bench")
PATH = os.environ.get("BENCH_PATH", "/api/v1/health/checkins")
# The employee id is read from this key of the JSON body (the real endpoint's field name).
EMPLOYEE_FIELD = os.environ.get("BENCH_EMPLOYEE_FIELD", "employee")
SHANGHAI = ZoneInfo("Asia/Shanghai")

pool = AsyncConnectionPool(DSN, min_size=4, max_size=8, open=False)
employees: dict[int, tuple[int, int | None]] = {}

COLUMNS = (
    "employee_id, enterprise_id, site_id, day, answers, temperature, status, reasons, via, "
    "quick, submitted_at, updated_at, revision"
)
SQL = (
    f"INSERT INTO health_checkin ({COLUMNS}) "  # noqa: S608 - constant text
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1) RETURNING id"
)
# Constants for NOT NULL columns the model may have gained since (e.g. a digest): an
# empty value of the column's type, fixed in the statement at start-up.
EMPTY = {
    "character varying": "''",
    "text": "''",
    "jsonb": "'{}'",
    "boolean": "false",
    "integer": "0",
    "bigint": "0",
    "smallint": "0",
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    global SQL
    await pool.open()
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'health_checkin' AND is_nullable = 'NO' "
            "AND column_default IS NULL AND is_identity = 'NO'"
        )
        known = {c.strip() for c in COLUMNS.split(",")}
        extra = [(c, t) for c, t in await cursor.fetchall() if c not in known]
        if extra:
            names = ", ".join(c for c, _t in extra)
            values = ", ".join(EMPTY[t] for _c, t in extra)
            SQL = SQL.replace(") VALUES (", f", {names}) VALUES (").replace(
                "1) RETURNING", f"1, {values}) RETURNING"
            )
        cursor = await conn.execute("SELECT id, enterprise_id, site_id FROM workforce_employee")
        for pk, enterprise_id, site_id in await cursor.fetchall():
            employees[pk] = (enterprise_id, site_id)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/ping")  # type: ignore[untyped-decorator]  # fastapi may be absent (mypy in CI)
async def ping() -> dict[str, bool]:
    return {"ok": True}


@app.post(PATH, status_code=201)  # type: ignore[untyped-decorator]
async def checkin(request: Request) -> Any:
    body = json.loads(await request.body())
    employee_id = int(body[EMPLOYEE_FIELD])
    enterprise_id, site_id = employees[employee_id]
    answers = body.get("answers") or {}
    temperature = answers.get("temperature")
    now = dt.datetime.now(dt.UTC)
    status = (
        "abnormal" if temperature is not None and Decimal(str(temperature)) >= 37.3 else "normal"
    )
    async with pool.connection() as conn:
        cursor = await conn.execute(
            SQL,
            (
                employee_id,
                enterprise_id,
                site_id,
                now.astimezone(SHANGHAI).date(),
                json.dumps(answers),
                temperature,
                status,
                "[]",
                "api",
                False,
                now,
                now,
            ),
        )
        row = await cursor.fetchone()
    assert row is not None
    return JSONResponse({"id": row[0], "status": status}, status_code=201)
