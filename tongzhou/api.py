"""The JSON API at /api/v1/: routers from each app, one error format."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from lib.api import AUTH

api = NinjaAPI(
    title="tongzhou API",
    version="1",
    description=(
        "Organisations (read), sites and employees for enterprises' own systems. "
        "Authenticate with an enterprise API key (`Authorization: Bearer tz_…`) or a "
        "browser session. POSTs honour `Idempotency-Key` (a replay carries "
        "`Idempotency-Replayed: true`). Updates carry the `version` last read: a stale one "
        'answers 409, a missing one 428. Errors are `{"error": {"code", "message", "fields"}}`.'
    ),
    auth=AUTH,
    urls_namespace="api",
)

# Codes for errors raised as HttpError (the status says what went wrong).
HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    428: "version_required",
    429: "throttled",
}


def _error(
    request: HttpRequest, status: int, code: str, message: str, fields: dict[str, Any] | None = None
) -> HttpResponse:
    return api.create_response(
        request,
        {"error": {"code": code, "message": message, "fields": fields or {}}},
        status=status,
    )


def validation_error(exc: DjangoValidationError) -> tuple[int, dict[str, Any]]:
    """Status and error body for a service's ValidationError (shared with the check-in
    ingest service, health/ingest/app.py)."""
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
        return 422, {"error": {"code": "invalid", "message": message, "fields": fields}}
    # A ValidationError built from a list has no `code` of its own.
    code = getattr(exc, "code", None) or "invalid"
    # An optimistic-locking failure is a conflict with a newer write, not bad input.
    status = 409 if code == "stale" else 422
    message = " ".join(str(m) for m in exc.messages)
    return status, {"error": {"code": code, "message": message, "fields": {}}}


def schema_error(errors: Iterable[Any]) -> dict[str, Any]:
    """The error body for a request that does not match its schema (pydantic's errors)."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [
            str(p) for p in error.get("loc", []) if p not in {"body", "payload", "query", "path"}
        ]
        fields.setdefault(".".join(loc) or "body", []).append(str(error.get("msg", "invalid")))
    message = _("The request does not match the schema.")
    return {"error": {"code": "invalid", "message": message, "fields": fields}}


@api.exception_handler(DjangoValidationError)
def on_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    status, body = validation_error(exc)
    return api.create_response(request, body, status=status)


@api.exception_handler(SchemaValidationError)
def on_schema_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    return api.create_response(request, schema_error(exc.errors), status=422)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(PermissionDenied)
def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "forbidden", _("Your role may not do this."))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, "too_large", _("The request body is too large."))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("Authentication required."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        # ninja's own message, untranslated and (with DEBUG) quoting the parser's error.
        message = _("The request body is not valid JSON.")
    else:
        message = str(exc)
    code = HTTP_ERROR_CODES.get(exc.status_code, "error")
    return _error(request, exc.status_code, code, message)


def _add_routers() -> None:
    from health.api import router as health_router
    from notices.api import router as notices_router
    from notices.desk_api import router as desk_router
    from notify.api import router as notify_router
    from orgs.api import router as orgs_router
    from workforce.api import router as workforce_router

    api.add_router("/", orgs_router)
    api.add_router("/", workforce_router)
    api.add_router("/", health_router)
    api.add_router("/", notify_router)
    api.add_router("/", desk_router)
    api.add_router("/", notices_router)


_add_routers()
