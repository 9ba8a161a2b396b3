"""`Idempotency-Key` for API POSTs: a retry replays the first response.

Keys are scoped to the caller (a hash of the bearer token, or the session's user and
grant), kept for 24 hours, and bound to a fingerprint of the request: the same key with a
different body answers 422, and a retry while the first request is still running 409.
A replayed response carries `Idempotency-Replayed: true`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
KEEP_FOR = timedelta(hours=24)
REPLAYED_HEADER = "Idempotency-Replayed"


def bearer_principal(authorization: str | None) -> str | None:
    """The owner of a key sent with `Authorization: Bearer …` (also the ingest service's)."""
    auth = authorization or ""
    if auth.lower().startswith("bearer "):
        return "bearer:" + hashlib.sha256(auth[7:].strip().encode()).hexdigest()[:40]
    return None


def _principal(request: HttpRequest) -> str | None:
    bearer = bearer_principal(request.META.get("HTTP_AUTHORIZATION"))
    if bearer is not None:
        return bearer
    if request.user.is_authenticated:
        grant = getattr(request, "grant", None)
        return f"session:{request.user.pk}:{grant.pk if grant else 0}"
    return None


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


class IdempotencyMiddleware:
    """Applies to POST requests under /api/ that carry an Idempotency-Key header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.META.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > 100:
            return _error(
                400, "bad_idempotency_key", _("Idempotency-Key must be 1 to 100 characters.")
            )
        principal = _principal(request)
        if principal is None:
            return self.get_response(request)
        try:
            body = request.body
        except RequestDataTooBig:
            return _error(413, "too_large", _("The request body is too large."))
        fingerprint = hashlib.sha256(request.path.encode() + b"\n" + body).hexdigest()
        record = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if record is not None and record.created_at < timezone.now() - KEEP_FOR:
            record.delete()  # an expired key is free again; the daily job prunes the rest
            record = None
        if record is not None:
            return self._replay(record, fingerprint)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    principal=principal, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            return _error(
                409, "in_progress", _("A request with this Idempotency-Key is in progress.")
            )
        response = self.get_response(request)
        if response.status_code >= 500:
            record.delete()  # let the client retry a failure
            return response
        record.status_code = response.status_code
        record.response_body = response.content
        record.save(update_fields=["status_code", "response_body"])
        return response

    @staticmethod
    def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
        if record.fingerprint != fingerprint:
            return _error(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was used with a different request."),
            )
        if record.status_code is None:
            return _error(
                409, "in_progress", _("A request with this Idempotency-Key is in progress.")
            )
        response = HttpResponse(
            bytes(record.response_body or b""),
            status=record.status_code,
            content_type="application/json",
        )
        response[REPLAYED_HEADER] = "true"
        return response


def idempotency_prune() -> int:
    """Delete records older than KEEP_FOR (`manage.py prune_idempotency_keys`, daily)."""
    deleted, _per_model = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - KEEP_FOR
    ).delete()
    return deleted


def json_body(request: HttpRequest) -> object:
    """The parsed JSON body, or None."""
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None
