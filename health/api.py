"""Check-ins over the JSON API, for enterprises' HR systems (enterprise API keys).

- `POST /health/checkins`: one check-in. The employee is named by their id on the roster
  (`GET /employees`); someone else's employee answers 404. An employee whose check-in
  was written RATE_LIMIT times in the last minute answers 429 (identical resends write
  nothing and do not count). Answers are keyed by question
  key with choice codes, as `GET /health/form` lists them; the same validation as the
  phone applies (422 with `fields` keyed by question).
- `POST /health/checkins/batch`: up to 500 check-ins, all or nothing: when any item has a
  problem nothing is recorded and `fields` lists every problem keyed `<index>.<field>`.
- `GET /health/summary?day=`: the enterprise's counts for a day (no person).
Both POSTs honour `Idempotency-Key` (lib/idempotency.py): a retry replays the answer.

In production nginx sends `POST /health/checkins` with an API key to the ingest service
(health/ingest, ADR 0012), which answers it the same way from the same code; this view
answers it everywhere else (browser sessions, `make run`, a deployment without the
service). Both are tested with the same tests (tests/test_api.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Body, Field, Query, Schema, Status
from ninja.errors import HttpError

from health import selectors
from health.models import Via
from health.rules import text_for
from health.services import (
    CheckInResult,
    checkin_form_for,
    checkin_rate_message,
    checkin_submit,
    checkin_writes_exceeded,
)
from lib.access import Audience
from lib.api import ScopedRouter, api_access, grant_of
from workforce import selectors as workforce_selectors
from workforce.models import Employee

router = ScopedRouter(tags=["health"])

BATCH_MAX = 500


class CheckInIn(Schema):
    """One check-in as an HR system sends it."""

    employee: int = Field(description="The employee's id on your roster.")
    day: dt.date | None = Field(None, description="The business day (default: today).")
    answers: dict[str, Any] = Field(
        description="Question key → answer: choice codes, a list of codes for several, "
        "true/false, a number or text (see GET /health/form)."
    )


class CheckInOut(Schema):
    id: int
    employee: int
    day: dt.date
    status: str
    reasons: list[str]
    next_steps: list[str]
    revision: int
    created: bool

    @staticmethod
    def of(result: CheckInResult) -> CheckInOut:
        checkin = result.checkin
        return CheckInOut(
            id=checkin.pk,
            employee=checkin.employee_id,
            day=checkin.day,
            status=result.status,
            reasons=result.reasons,
            next_steps=result.next_steps,
            revision=checkin.revision,
            created=result.created,
        )


CheckInItems = Annotated[list[CheckInIn], Field(min_length=1, max_length=BATCH_MAX)]


class BatchOut(Schema):
    received: int
    created: int
    updated: int
    items: list[CheckInOut]


class SummaryFilter(Schema):
    day: dt.date | None = None


class Counts(Schema):
    roster: int
    submitted: int
    not_submitted: int
    coverage: int = Field(description="Percentage of the roster that has checked in.")
    normal: int
    attention: int
    abnormal: int
    in_observation: int


class SiteSummary(Counts):
    site: int | None
    name: str


class SummaryOut(Counts):
    day: dt.date
    sites: list[SiteSummary]


class ChoiceOut(Schema):
    code: str
    label: str


class QuestionOut(Schema):
    key: str
    kind: str
    label: str
    required: bool
    consent: str
    choices: list[ChoiceOut]


class FormOut(Schema):
    version: str
    questions: list[QuestionOut]


def _employee(request: HttpRequest, pk: int) -> Employee:
    return workforce_selectors.employee_get(viewer=grant_of(request), pk=pk)


@router.post("/health/checkins", response={201: CheckInOut, 200: CheckInOut})
@api_access(Audience.ENTERPRISE, write=True)
def checkin_add(request: HttpRequest, payload: CheckInIn) -> Status[CheckInOut]:
    """Record one employee's check-in (a resubmission for the same day replaces it)."""
    grant = grant_of(request)
    employee = _employee(request, payload.employee)
    now = timezone.now()
    day = payload.day or timezone.localdate(now)
    if checkin_writes_exceeded(employee_id=employee.pk, day=day, now=now):
        raise HttpError(429, checkin_rate_message())
    result = checkin_submit(
        employee=employee, answers=payload.answers, via=Via.API, actor=grant.user, day=day, now=now
    )
    return Status(201 if result.created else 200, CheckInOut.of(result))


@router.post("/health/checkins/batch", response={200: BatchOut})
@api_access(Audience.ENTERPRISE, write=True)
def checkin_batch(request: HttpRequest, payload: Body[CheckInItems]) -> BatchOut:
    """Record up to 500 check-ins: all of them, or none when any has a problem."""
    grant = grant_of(request)
    ids = {item.employee for item in payload}
    employees = {
        e.pk: e
        for e in workforce_selectors.employee_list(viewer=grant)
        .filter(pk__in=ids)
        .select_related("enterprise")
    }
    errors: dict[str, list[str]] = {}
    seen: dict[tuple[int, dt.date], int] = {}
    today = timezone.localdate()
    for index, item in enumerate(payload):
        if item.employee not in employees:
            errors[f"{index}.employee"] = [_("No employee on your roster has this id.")]
        key = (item.employee, item.day or today)
        if key in seen:
            errors.setdefault(f"{index}.employee", []).append(
                _("Item %(index)d has the same employee and day.") % {"index": seen[key]}
            )
        else:
            seen[key] = index
    results: list[CheckInResult] = []
    with transaction.atomic():
        for index, item in enumerate(payload):
            if f"{index}.employee" in errors:
                continue
            try:
                results.append(
                    checkin_submit(
                        employee=employees[item.employee],
                        answers=item.answers,
                        via=Via.API,
                        actor=grant.user,
                        day=item.day,
                    )
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, messages in exc.message_dict.items():
                        name = "answers" if field == "__all__" else field
                        errors[f"{index}.{name}"] = messages
                else:
                    errors[str(index)] = exc.messages
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ValidationError(errors)
    created = sum(1 for r in results if r.created)
    return BatchOut(
        received=len(payload),
        created=created,
        updated=len(results) - created,
        items=[CheckInOut.of(r) for r in results],
    )


def _counts(counts: selectors.Counts) -> dict[str, int]:
    return counts.as_dict()


@router.get("/health/summary", response=SummaryOut)
@api_access(Audience.ENTERPRISE)
def summary(request: HttpRequest, filters: Query[SummaryFilter]) -> SummaryOut:
    """The enterprise's check-in counts for a day (default today): totals and per site."""
    day = filters.day or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"day": _("This day has not begun yet.")})
    totals, sites = selectors.enterprise_day_counts(viewer=grant_of(request), day=day)
    return SummaryOut(
        day=day,
        sites=[SiteSummary(site=s.site_id, name=s.name, **_counts(s.counts)) for s in sites],
        **_counts(totals),
    )


@router.get("/health/form", response=FormOut)
@api_access(Audience.ENTERPRISE)
def form(request: HttpRequest, filters: Query[SummaryFilter]) -> FormOut:
    """The questions of the enterprise's check-in form on a day, with their answer codes."""
    grant = grant_of(request)
    day = filters.day or timezone.localdate()
    # The form depends on the enterprise (its associations' and its own questions), the
    # same for each of its employees.
    employee = Employee(enterprise=grant.organization)
    spec = checkin_form_for(employee=employee, on=day)
    return FormOut(
        version=spec.version_key,
        questions=[
            QuestionOut(
                key=q.key,
                kind=q.kind,
                label=text_for(q.label),
                required=q.required,
                consent=q.consent,
                choices=[ChoiceOut(code=c.code, label=text_for(c.label)) for c in q.choices],
            )
            for q in spec.questions
        ],
    )
