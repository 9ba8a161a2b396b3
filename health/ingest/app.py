"""The ASGI application of the check-in ingest service (see the package's docstring).

Serve it with `gunicorn -c deploy/gunicorn-ingest.conf.py` (uvicorn workers), in the same
environment as the Django processes (DATABASE_URL on PostgreSQL, SECRET_KEY, the field
keys): it reads Django's settings and calls the check-in code of `health.services`, but
answers without Django's request handling and writes with its own psycopg pool.

What happens to one `POST /api/v1/health/checkins`, in the order the Django endpoint
(health/api.py under lib/idempotency.py and ninja) does it:

1. `Idempotency-Key` (1–100 characters, else 400): a key seen before replays its answer
   with `Idempotency-Replayed: true`, a different body under it answers 422, a request
   still running under it 409 (the `accounts_idempotencyrecord` table, shared with Django).
2. The bearer key: missing or unknown 401, not an enterprise's 404, read-only 403 — before
   the body is looked at, as ninja authenticates first.
3. The body: not JSON 400, not the `CheckInIn` schema 422 with `fields`.
4. The employee on the key's enterprise's roster (else 404), not left (422), the day not in
   the future, every answer valid against the form in force for the enterprise and day
   (422 with `fields` keyed by question), with travel questions only under travel consent.
5. An identical resubmission answers 200 and writes nothing; otherwise one statement
   (health/ingest/statements.py) writes the check-in, its revision, the audit event and
   the rollup; 201 when the check-in is new, 200 when it replaced the day's.
6. An abnormal result alerts the prevention officers (`health.services.checkin_alert`).

Errors use the API's format, `{"error": {"code", "message", "fields"}}`, in the language
of `Accept-Language` (the default language otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import django
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongzhou.settings")
if not apps.ready:  # under gunicorn; in the test suite Django is already set up
    django.setup()

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connections
from django.http.request import split_domain_port, validate_host
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import (
    get_supported_language_variant,
    parse_accept_lang_header,
)
from ninja.errors import HttpError
from psycopg import AsyncConnection
from psycopg.conninfo import make_conninfo
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from pydantic import ValidationError as SchemaError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.models import Role, RoleGrant
from accounts.services import API_KEY_PREFIX, api_key_hash
from health.api import CheckInIn
from health.ingest import statements as sql
from health.models import CheckIn, Status, Via
from health.rollups import rollup_changes
from health.services import (
    RATE_LIMIT,
    RATE_WINDOW_SECONDS,
    FormSpec,
    _region_codes,
    answers_digest,
    checkin_alert,
    checkin_clean,
    checkin_day_check,
    checkin_evaluate,
    checkin_form_cached,
    checkin_form_for,
    checkin_rate_message,
    reason_texts,
)
from lib.access import AccessRule, Audience
from lib.api import enforce
from lib.idempotency import KEEP_FOR, REPLAYED_HEADER, bearer_principal
from orgs.models import Organization
from tongzhou.api import HTTP_ERROR_CODES, schema_error, validation_error
from workforce.models import Employee, EmploymentStatus

logger = logging.getLogger(__name__)

PATH = "/api/v1/health/checkins"
# A concurrent change between the read and the write (another submission for the same
# employee and day, a consent given or withdrawn) makes the write yield nothing; the
# request reads again, holding the employee's row. Past this many attempts it answers 409.
ATTEMPTS = 3
OBJECT_TYPE = CheckIn._meta.label_lower
# API keys remembered per worker (their enterprise), at most.
KEYS_KEPT = 10_000
# Seconds between a deferred rollup change and its fold (health/ingest/statements.py).
FOLD_DELAY = 0.05


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status_code=status, media_type="application/json", headers=headers)


def _error(status: int, message: str, code: str | None = None) -> Response:
    code = code or HTTP_ERROR_CODES.get(status, "error")
    return _json(status, {"error": {"code": code, "message": message, "fields": {}}})


def _invalid(exc: ValidationError) -> Response:
    status, body = validation_error(exc)
    return _json(status, body)


def _language(header: str | None) -> str:
    """The language LocaleMiddleware would choose from Accept-Language alone."""
    for code, _quality in parse_accept_lang_header(header or ""):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return get_supported_language_variant(settings.LANGUAGE_CODE)


def _bearer(header: str | None) -> str | None:
    """The token of `Authorization: Bearer …`, as ninja's HttpBearer reads it."""
    parts = (header or "").split(" ")
    if len(parts) < 2 or parts[0].lower() != "bearer":
        return None
    return " ".join(parts[1:])


class TooLarge(Exception):
    pass


async def _body(request: Request) -> bytes:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _form(enterprise_id: int, day: dt.date) -> FormSpec:
    """The form in force: this process's copy, else composed by Django in a thread."""
    spec = checkin_form_cached(enterprise_id=enterprise_id, on=day)
    if spec is not None:
        return spec
    return await asyncio.to_thread(_compose_form, enterprise_id, day)


def _compose_form(enterprise_id: int, day: dt.date) -> FormSpec:
    close_old_connections()
    try:
        return checkin_form_for(employee=Employee(enterprise_id=enterprise_id), on=day)
    finally:
        close_old_connections()


def _alert(checkin_id: int, revision: int) -> None:
    close_old_connections()
    try:
        checkin_alert(checkin_id=checkin_id, revision=revision)
    finally:
        close_old_connections()


# The answer, the alert to send after the commit (check-in id, revision) and the rollup
# row with a deferred change (enterprise id, day).
Outcome = tuple[Response, tuple[int, int] | None, tuple[int, dt.date] | None]


@dataclass(frozen=True)
class Read:
    """What `statements.READ` found (None: no live key)."""

    key: int
    kind: str
    can_write: bool
    enterprise: int
    touch: bool
    employee: int | None
    employee_status: str | None
    employee_name: str
    travel: bool
    checkin: int | None
    revision: int
    status: str | None
    reasons: list[str]
    answers: dict[str, Any]
    digest: str
    form_version: str
    via: str
    quick: bool
    recent: int  # revisions of the day's check-in written in the last RATE_WINDOW_SECONDS

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> Read:
        (key, kind, can_write, enterprise, touch) = row[:5]
        (employee, employee_status, employee_name, travel) = row[5:9]
        (checkin, revision, status, reasons, answers, digest, form_version, via, quick) = row[9:18]
        return cls(
            key=key,
            kind=kind,
            can_write=can_write,
            enterprise=enterprise,
            touch=bool(touch),
            employee=employee,
            employee_status=employee_status,
            employee_name=employee_name or "",
            travel=bool(travel),
            checkin=checkin,
            revision=revision or 0,
            status=status,
            reasons=list(reasons or []),
            answers=dict(answers or {}),
            digest=digest or "",
            form_version=form_version or "",
            via=via or "",
            quick=bool(quick),
            recent=int(row[18] or 0),
        )


def _asks_travel(spec: FormSpec, answers: dict[str, Any]) -> bool:
    """Whether the answers include travel questions: the fast path's guess of the
    employee's travel consent, which the statement then checks."""
    travel = {q.key for q in spec.questions if q.consent == "travel"}
    return any(
        key in travel and value is not None and value != "" and value != [] and value != {}
        for key, value in answers.items()
    )


# The access rule of health.api.checkin_add, applied by the same `lib.api.enforce`.
RULE = AccessRule(Audience.ENTERPRISE, write=True)


def _refusal(kind: str, can_write: bool) -> Response | None:
    """401/403/404 as ninja answers them: the key's principal checked against RULE."""
    grant = RoleGrant(
        organization=Organization(kind=kind), role=Role.STAFF if can_write else Role.VIEWER
    )
    try:
        enforce(RULE, grant)
    except HttpError as exc:
        return _error(exc.status_code, str(exc))
    return None


def _out(
    *, pk: int, employee: int, day: dt.date, spec: FormSpec, status: str, reasons: list[str],
    answers: dict[str, Any], revision: int, created: bool,
) -> Response:  # fmt: skip
    """`health.api.CheckInOut` of the result (reasons and next steps as readable texts)."""
    body = {
        "id": pk,
        "employee": employee,
        "day": day.isoformat(),
        "status": status,
        "reasons": reason_texts(spec=spec, reasons=reasons, answers=answers),
        "next_steps": spec.next_steps(status),
        "revision": revision,
        "created": created,
    }
    return _json(201 if created else 200, body)


class Ingest:
    """The service: a psycopg pool and the request handler."""

    def __init__(self, conninfo: str | None = None, *, pool_size: int | None = None) -> None:
        self.conninfo = conninfo
        size = pool_size or int(os.environ.get("INGEST_POOL_SIZE", "4"))
        self.pool_size = max(1, size)
        self.pool: AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]] | None = None
        # API key hash → its enterprise, learnt on the slow path: the fast path composes
        # that enterprise's form at once, and its statement checks the key again.
        self.keys: dict[str, int] = {}
        # Rollup rows with deltas this worker wrote, folded by `fold_loop`.
        self.unfolded: set[tuple[int, dt.date]] = set()
        self.wake = asyncio.Event()
        self.folder: asyncio.Task[None] | None = None

    # --- lifecycle -------------------------------------------------------------------

    @staticmethod
    def django_conninfo() -> str:
        """psycopg's connection string for Django's default database (PostgreSQL only)."""
        params = connections["default"].settings_dict
        if "postgresql" not in params["ENGINE"]:
            raise RuntimeError(
                "The check-in ingest service needs PostgreSQL (DATABASE_URL=postgres://…); "
                "on SQLite the Django endpoint serves check-ins."
            )
        return make_conninfo(
            dbname=params["NAME"],
            user=params.get("USER") or None,
            password=params.get("PASSWORD") or None,
            host=params.get("HOST") or None,
            port=str(params["PORT"]) if params.get("PORT") else None,
            application_name="tongzhou-ingest",
        )

    async def start(self) -> None:
        # Reference data the validation reads once per process, read here in a thread
        # (the ORM is not called on the event loop).
        await asyncio.to_thread(_warm)
        self.pool = AsyncConnectionPool(
            self.conninfo or self.django_conninfo(),
            min_size=min(2, self.pool_size),
            max_size=self.pool_size,
            # Every statement here is a point lookup or write by key: the generic plan of
            # its prepared statement is the right one, and forcing it saves planning each
            # execution (PostgreSQL otherwise keeps re-planning custom plans for statements
            # whose parameters it can fold; 1.47 → 0.73 ms of PostgreSQL CPU a check-in).
            kwargs={"autocommit": True, "options": "-c plan_cache_mode=force_generic_plan"},
            open=False,
        )
        await self.pool.open(wait=True)
        self.folder = asyncio.create_task(self.fold_loop())

    async def stop(self) -> None:
        if self.folder is not None:
            self.folder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.folder
            self.folder = None
        await self.fold()
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    # --- rollup deltas ---------------------------------------------------------------

    def fold_soon(self, enterprise_id: int, day: dt.date) -> None:
        self.unfolded.add((enterprise_id, day))
        self.wake.set()

    async def fold_loop(self) -> None:
        """Fold this worker's deltas FOLD_DELAY after the first of a burst: one short
        transaction per row and burst instead of one lock wait per check-in."""
        while True:
            await self.wake.wait()
            await asyncio.sleep(FOLD_DELAY)
            self.wake.clear()
            try:
                await self.fold()
            except Exception:  # the periodic job `health.rollup_fold` will fold them
                logger.exception("folding rollup deltas failed")

    async def fold(self) -> None:
        keys, self.unfolded = self.unfolded, set()
        if not keys or self.pool is None:
            return
        async with self.pool.connection() as conn:
            for enterprise, day in sorted(keys):
                await conn.execute(sql.FOLD, {"ent": enterprise, "day": day, "now": timezone.now()})

    # --- the request -----------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        language = _language(request.headers.get("accept-language"))
        with translation.override(language):
            response = await self.respond(request)
        response.headers["Content-Language"] = language
        response.headers["Vary"] = "Accept-Language"
        # What Django's SecurityMiddleware and XFrameOptionsMiddleware add to its answers.
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY or "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        hsts = getattr(settings, "SECURE_HSTS_SECONDS", 0)
        if hsts and request.headers.get("x-forwarded-proto") == "https":
            value = f"max-age={hsts}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                value += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                value += "; preload"
            response.headers["Strict-Transport-Security"] = value
        return response

    async def respond(self, request: Request) -> Response:
        domain, _port = split_domain_port(request.headers.get("host", ""))
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return _error(400, _("Bad request."), "bad_request")
        if request.method != "POST":
            return _error(405, _("Method not allowed."), "method_not_allowed")
        authorization = request.headers.get("authorization")
        idempotency_key = request.headers.get("idempotency-key")
        if idempotency_key is not None:
            idempotency_key = idempotency_key.strip()
            if not idempotency_key or len(idempotency_key) > 100:
                return _error(
                    400, _("Idempotency-Key must be 1 to 100 characters."), "bad_idempotency_key"
                )
        try:
            body = await _body(request)
        except TooLarge:
            return _error(413, _("The request body is too large."), "too_large")
        principal = bearer_principal(authorization) if idempotency_key is not None else None
        if principal is None or idempotency_key is None:
            return await self.checkin(authorization, body)
        return await self.idempotent(principal, idempotency_key, authorization, body)

    async def idempotent(
        self, principal: str, key: str, authorization: str | None, body: bytes
    ) -> Response:
        """lib.idempotency.IdempotencyMiddleware, on the same table."""
        assert self.pool is not None
        fingerprint = hashlib.sha256(PATH.encode() + b"\n" + body).hexdigest()
        names = {"principal": principal, "key": key}
        async with self.pool.connection() as conn:
            row = await (await conn.execute(sql.IDEMPOTENCY_FIND, names)).fetchone()
            if row is not None and row[4] < timezone.now() - KEEP_FOR:
                await conn.execute(sql.IDEMPOTENCY_DROP, {"id": row[0]})
                row = None
            if row is not None:
                _pk, stored, status, content, _at = row
                if stored != fingerprint:
                    return _error(
                        422,
                        _("This Idempotency-Key was used with a different request."),
                        "idempotency_key_reused",
                    )
                if status is None:
                    return _error(
                        409, _("A request with this Idempotency-Key is in progress."), "in_progress"
                    )
                return Response(
                    bytes(content or b""),
                    status_code=status,
                    media_type="application/json",
                    headers={REPLAYED_HEADER: "true"},
                )
            claim = {**names, "fingerprint": fingerprint, "now": timezone.now()}
            claimed = await (await conn.execute(sql.IDEMPOTENCY_CLAIM, claim)).fetchone()
        if claimed is None:
            return _error(
                409, _("A request with this Idempotency-Key is in progress."), "in_progress"
            )
        record = claimed[0]
        try:
            response = await self.checkin(authorization, body)
        except BaseException:
            async with self.pool.connection() as conn:
                await conn.execute(sql.IDEMPOTENCY_DROP, {"id": record})
            raise
        async with self.pool.connection() as conn:
            if response.status_code >= 500:
                await conn.execute(sql.IDEMPOTENCY_DROP, {"id": record})
            else:
                stored_body = bytes(response.body)
                await conn.execute(
                    sql.IDEMPOTENCY_STORE,
                    {"id": record, "status": response.status_code, "body": stored_body},
                )
        return response

    async def checkin(self, authorization: str | None, body: bytes) -> Response:
        assert self.pool is not None
        token = _bearer(authorization)
        if token is None or not token.startswith(API_KEY_PREFIX):
            return _error(401, _("Authentication required."), "unauthenticated")
        key_hash = api_key_hash(token)
        now = timezone.now()
        payload: CheckInIn | None = None
        problem: Response | None = None
        if not body:
            # ninja reads an empty body as a missing one.
            problem = _json(422, schema_error([{"loc": ("body",), "msg": "Field required"}]))
        else:
            # Parsed, then validated, as ninja does (pydantic's messages differ by mode).
            try:
                data = json.loads(body)
            except ValueError:
                problem = _error(400, _("The request body is not valid JSON."), "bad_request")
            else:
                try:
                    # ninja reads the fields of a body that is not an object as missing.
                    payload = CheckInIn.model_validate(data if isinstance(data, dict) else {})
                except SchemaError as exc:
                    problem = _json(422, schema_error(exc.errors()))
        async with self.pool.connection() as conn:
            if payload is None:
                row = await (await conn.execute(sql.KEY, {"hash": key_hash, "now": now})).fetchone()
                if row is None:
                    return _error(401, _("Authentication required."), "unauthenticated")
                if row[3]:
                    await conn.execute(sql.TOUCH, {"key": row[0], "now": now})
                refusal = _refusal(row[1], row[2])
                assert problem is not None
                return refusal or problem
            outcome: Outcome | None = None
            enterprise = self.keys.get(key_hash)
            if enterprise is not None:
                outcome = await self._fast(conn, payload, key_hash, enterprise, now)
            if outcome is None:
                outcome = await self.submit(conn, payload, key_hash, now)
        return await self._finish(outcome)

    async def _finish(self, outcome: Outcome) -> Response:
        """After the commit: fold a deferred rollup change soon, alert the officers."""
        response, alert, deferred = outcome
        if deferred is not None:
            self.fold_soon(*deferred)
        if alert is not None:
            try:
                await asyncio.to_thread(_alert, *alert)
            except Exception:  # the check-in is recorded; the failure is logged
                logger.exception("alert for check-in %s revision %s failed", *alert)
        return response

    async def _fast(
        self,
        conn: AsyncConnection[tuple[Any, ...]],
        payload: CheckInIn,
        key_hash: str,
        enterprise: int,
        now: dt.datetime,
    ) -> Outcome | None:
        """A first check-in of the day by a key this worker knows: checked against the
        form at once and written in one statement that verifies everything it assumed
        (key live, employee on the roster and not left, travel consent, no row yet).
        None whenever anything is otherwise: the slow path answers."""
        day = payload.day or timezone.localdate(now)
        spec = await _form(enterprise, day)
        travel = _asks_travel(spec, payload.answers)
        try:
            checkin_day_check(spec=spec, day=day, now=now, via=Via.API)
            cleaned = checkin_clean(spec=spec, answers=payload.answers, consents={"travel": travel})
        except ValidationError:
            return None
        return await self._write(
            conn,
            spec=spec,
            cleaned=cleaned,
            key_hash=key_hash,
            enterprise=enterprise,
            employee=payload.employee,
            day=day,
            now=now,
            travel=travel,
            previous=None,
        )

    async def submit(
        self,
        conn: AsyncConnection[tuple[Any, ...]],
        payload: CheckInIn,
        key_hash: str,
        now: dt.datetime,
    ) -> Outcome:
        """The slow path: read what the answer depends on, then write."""
        day = payload.day or timezone.localdate(now)
        params = {
            "hash": key_hash,
            "emp": payload.employee,
            "day": day,
            "now": now,
            "window": RATE_WINDOW_SECONDS,
        }
        for attempt in range(ATTEMPTS):
            if attempt == 0:
                outcome = await self._once(conn, payload, key_hash, params, day, now)
            else:
                # Another submission for the employee got in between: wait for it as the
                # Django endpoint does, holding the employee's row (every writer of their
                # check-ins and consents takes it first), so this attempt cannot lose.
                async with conn.transaction():
                    await conn.execute(sql.LOCK, {"emp": payload.employee})
                    outcome = await self._once(conn, payload, key_hash, params, day, now)
            if outcome is not None:
                return outcome
        message = _("The check-in changed while it was being recorded; please send it again.")
        return _error(409, message, "conflict"), None, None

    async def _once(
        self,
        conn: AsyncConnection[tuple[Any, ...]],
        payload: CheckInIn,
        key_hash: str,
        params: dict[str, Any],
        day: dt.date,
        now: dt.datetime,
    ) -> Outcome | None:
        """READ, the Django endpoint's checks in its order, then the write; None when a
        concurrent change means reading again."""
        row = await (await conn.execute(sql.READ, params)).fetchone()
        if row is None:
            return _error(401, _("Authentication required."), "unauthenticated"), None, None
        read = Read.of(row)
        refusal = _refusal(read.kind, read.can_write)
        if refusal is None:
            if len(self.keys) > KEYS_KEPT:
                self.keys.clear()
            self.keys[key_hash] = read.enterprise
            if read.employee is None:
                refusal = _error(404, _("Not found."))
        if refusal is None and read.recent >= RATE_LIMIT:
            refusal = _error(429, checkin_rate_message(), "throttled")
        if refusal is None and read.employee_status == EmploymentStatus.LEFT:
            message = _("%(name)s has left the company.") % {"name": read.employee_name}
            refusal = _invalid(ValidationError(message, code="left"))
        if refusal is not None:
            return await self._answered(conn, read, now, refusal)
        spec = await _form(read.enterprise, day)
        try:
            checkin_day_check(spec=spec, day=day, now=now, via=Via.API)
            cleaned = checkin_clean(
                spec=spec, answers=payload.answers, consents={"travel": read.travel}
            )
        except ValidationError as exc:
            return await self._answered(conn, read, now, _invalid(exc))
        if read.checkin is not None and (
            read.digest == answers_digest(cleaned)
            and read.form_version == spec.version_key
            and read.via == Via.API
            and not read.quick
        ):
            # A double tap or a retried request: nothing changed, nothing to record.
            response = _out(
                pk=read.checkin,
                employee=payload.employee,
                day=day,
                spec=spec,
                status=read.status or Status.NORMAL,
                reasons=read.reasons,
                answers=read.answers,
                revision=read.revision,
                created=False,
            )
            return await self._answered(conn, read, now, response)
        return await self._write(
            conn,
            spec=spec,
            cleaned=cleaned,
            key_hash=key_hash,
            enterprise=read.enterprise,
            employee=payload.employee,
            day=day,
            now=now,
            travel=read.travel,
            previous=read,
        )

    @staticmethod
    async def _answered(
        conn: AsyncConnection[tuple[Any, ...]], read: Read, now: dt.datetime, answer: Response
    ) -> Outcome:
        """An answer that writes no check-in; the key's use is still recorded (once a minute)."""
        if read.touch:
            await conn.execute(sql.TOUCH, {"key": read.key, "now": now})
        return answer, None, None

    async def _write(
        self,
        conn: AsyncConnection[tuple[Any, ...]],
        *,
        spec: FormSpec,
        cleaned: dict[str, Any],
        key_hash: str,
        enterprise: int,
        employee: int,
        day: dt.date,
        now: dt.datetime,
        travel: bool,
        previous: Read | None,
    ) -> Outcome | None:
        """Evaluate the rules and write (statements.WRITE_NEW or WRITE_UPDATE); None when
        the statement found things otherwise than assumed."""
        status, reasons = checkin_evaluate(spec=spec, answers=cleaned)
        temperature = spec.temperature_of(cleaned)
        exists = previous is not None and previous.checkin is not None
        old_status = previous.status if exists and previous is not None else None
        old_reasons = previous.reasons if exists and previous is not None else []
        counted = rollup_changes(old_status=old_status, new_status=status)
        inserted, changes = counted or ([0] * 4, [0] * 4)
        params: dict[str, Any] = {
            "hash": key_hash,
            "ent": enterprise,
            "emp": employee,
            "travel": travel,
            "day": day,
            "dayt": day.isoformat(),
            "emg": spec.emergency.pk if spec.emergency else None,
            "rv": spec.rule_version.pk if spec.rule_version else None,
            "fv": spec.version_key,
            "answers": Jsonb(cleaned),
            "dig": answers_digest(cleaned),
            "temp": temperature,
            "status": status,
            "reasons": Jsonb(reasons),
            "via": Via.API.value,
            "otype": OBJECT_TYPE,
            "orepr": f"{employee} {day}",
            "now": now,
            "count": counted is not None,
            **{sql.INSERTED[c]: v for c, v in zip(sql.COUNTERS, inserted, strict=True)},
            **{sql.CHANGE[c]: v for c, v in zip(sql.COUNTERS, changes, strict=True)},
        }
        if exists and previous is not None:
            params["exp"] = previous.revision
            statement = sql.WRITE_UPDATE
        else:
            statement = sql.WRITE_NEW
        written = await (await conn.execute(statement, params)).fetchone()
        if written is None:
            return None
        pk, revision, deferred = written
        alert = None
        if status == Status.ABNORMAL and (
            old_status != Status.ABNORMAL or set(reasons) - set(old_reasons)
        ):
            alert = (pk, revision)
        response = _out(
            pk=pk,
            employee=employee,
            day=day,
            spec=spec,
            status=status,
            reasons=reasons,
            answers=cleaned,
            revision=revision,
            created=not exists,
        )
        return response, alert, ((enterprise, day) if deferred else None)


def _warm() -> None:
    close_old_connections()
    try:
        _region_codes()
    finally:
        close_old_connections()


def create_app(conninfo: str | None = None, *, pool_size: int | None = None) -> Starlette:
    """The ASGI app; `conninfo` defaults to Django's database (tests pass their own)."""
    ingest = Ingest(conninfo, pool_size=pool_size)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await ingest.start()
        try:
            yield
        finally:
            await ingest.stop()

    methods = ["POST", "GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    app = Starlette(routes=[Route(PATH, ingest.handle, methods=methods)], lifespan=lifespan)
    app.state.ingest = ingest
    return app


app = create_app()
