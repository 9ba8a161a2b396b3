"""Demo check-ins: 30 days of daily health check-ins for the demo workforce.

Most employees consent and check in most days; a few enterprises are patchy; some days
bring a raised temperature or a symptom; a handful of people are in isolation. The
answers are cleaned and evaluated by the same rule table as a real submission
(`health.services.checkin_clean` / `checkin_evaluate`); only the writing is bulk — the
form's one-row-at-a-time path would take minutes for 150,000 rows — and the rollups are
then rebuilt from the rows, as the nightly job does.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import Role, RoleGrant
from emergencies.models import Emergency
from health import rules_observation
from health.models import CheckIn, CheckInRevision, Consent, ConsentKind, Via
from health.observations import ObservationInput, observation_create
from health.rollups import rollup_rebuild
from health.rules import DEFAULT_SOURCE_TITLE, DEFAULT_SOURCE_URL, FORM_KEY, default_checkin_form
from health.services import answers_digest, checkin_clean, checkin_evaluate, checkin_form_for
from orgs.models import Organization
from workforce.models import Employee, EmploymentStatus

CST = ZoneInfo("Asia/Shanghai")
DAYS = 30
NOTICE_VERSION = "2020-02"


@dataclass(frozen=True)
class HealthSummary:
    checkins: int
    observations: int


def write_health(*, emergency: Emergency, federation: Organization, seed: int) -> HealthSummary:
    from emergencies.services import rule_publish

    rng = random.Random(seed)  # noqa: S311 - a seeded PRNG on purpose: the same demo everywhere
    today = timezone.localdate()
    first = today - dt.timedelta(days=DAYS - 1)
    rule_publish(
        actor=None,
        scope=federation,
        emergency=emergency,
        key=FORM_KEY,
        data=default_checkin_form(),
        effective_from=emergency.started_on,
        source_title=DEFAULT_SOURCE_TITLE,
        source_url=DEFAULT_SOURCE_URL,
        note="默认打卡表：体温≥37.3℃、任何症状、红/黄码或与病例接触为异常。",
    )
    rule_publish(
        actor=None,
        scope=federation,
        emergency=emergency,
        key=rules_observation.KEY,
        data=rules_observation.DEFAULT.model_dump(),
        effective_from=emergency.started_on,
        source_title=rules_observation.DEFAULT_SOURCE,
        note="重点地区返深人员14天隔离观察；与病例接触者14天集中隔离。",
    )
    employees = list(
        Employee.objects.filter(status=EmploymentStatus.ACTIVE)
        .select_related("enterprise")
        .order_by("enterprise_id", "pk")
    )
    if not employees:
        return HealthSummary(0, 0)
    spec = checkin_form_for(employee=employees[0], on=today)
    consents: list[Consent] = []
    consented: list[Employee] = []
    given = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(9), tzinfo=CST)
    # A few enterprises are patchy: their staff check in less often.
    patchy = {e.enterprise_id for e in employees if rng.random() < 0.08}
    for employee in employees:
        if rng.random() < 0.04:
            continue  # has not consented yet: the enterprise sees who
        consents.append(
            Consent(
                employee=employee,
                kind=ConsentKind.HEALTH,
                notice_version=NOTICE_VERSION,
                given_at=given,
            )
        )
        if rng.random() < 0.9:
            consents.append(
                Consent(
                    employee=employee,
                    kind=ConsentKind.TRAVEL,
                    notice_version=NOTICE_VERSION,
                    given_at=given,
                )
            )
        consented.append(employee)
    Consent.objects.bulk_create(consents, batch_size=2000)
    travel = {c.employee_id for c in consents if c.kind == ConsentKind.TRAVEL}

    checkins: list[CheckIn] = []
    now = timezone.now()
    # Few distinct answer sets (temperatures to one decimal, a handful of symptoms): clean
    # and evaluate each once.
    evaluated: dict[str, tuple[dict[str, Any], str, list[str]]] = {}
    for offset in range(DAYS):
        day = first + dt.timedelta(days=offset)
        share_today = 0.72 if day == today else 1.0  # today's morning is still going on
        for employee in consented:
            rate = 0.75 if employee.enterprise_id in patchy else 0.95
            if rng.random() > rate * share_today:
                continue
            raw = _answers(rng, employee, travel=employee.pk in travel)
            memo = json.dumps(raw, sort_keys=True)
            if memo not in evaluated:
                consents_of = {"health": True, "travel": employee.pk in travel}
                cleaned = checkin_clean(spec=spec, answers=raw, consents=consents_of)
                evaluated[memo] = (cleaned, *checkin_evaluate(spec=spec, answers=cleaned))
            cleaned, status, reasons = evaluated[memo]
            at = dt.datetime.combine(day, dt.time(7), tzinfo=CST) + dt.timedelta(
                minutes=rng.randint(0, 180)
            )
            checkins.append(
                CheckIn(
                    employee=employee,
                    enterprise_id=employee.enterprise_id,
                    site_id=employee.site_id,
                    day=day,
                    emergency=emergency,
                    rule_version=spec.rule_version,
                    form_version=spec.version_key,
                    answers=cleaned,
                    answers_digest=answers_digest(cleaned),
                    temperature=Decimal(str(cleaned["temperature"])),
                    status=status,
                    reasons=reasons,
                    via=Via.SELF,
                    submitted_at=min(at, now),
                )
            )
    CheckIn.objects.bulk_create(checkins, batch_size=2000)
    saved = CheckIn.objects.filter(day__gte=first).values_list(
        "pk", "answers", "temperature", "status", "submitted_at"
    )
    CheckInRevision.objects.bulk_create(
        [
            CheckInRevision(
                checkin_id=pk,
                number=1,
                answers=answers,
                temperature=temperature,
                status=status,
                via=Via.SELF,
                submitted_at=submitted_at,
            )
            for pk, answers, temperature, status, submitted_at in saved.iterator(chunk_size=2000)
        ],
        batch_size=2000,
    )
    observations = _observations(rng, consented, today)
    for offset in range(DAYS):
        rollup_rebuild(day=first + dt.timedelta(days=offset), roster=True)
    return HealthSummary(checkins=len(checkins), observations=observations)


def _answers(rng: random.Random, employee: Employee, *, travel: bool) -> dict[str, Any]:
    roll = rng.random()
    temperature = round(rng.uniform(36.1, 36.9), 1)
    symptoms = ["none"]
    if roll < 0.004:
        temperature = round(rng.uniform(37.3, 38.6), 1)  # fever
    elif roll < 0.008:
        symptoms = [rng.choice(["dry_cough", "sore_throat", "fatigue"])]
    elif roll < 0.03:
        temperature = round(rng.uniform(37.0, 37.2), 1)  # attention
    district = employee.enterprise.district_id or ""
    answers: dict[str, Any] = {
        "temperature": str(temperature),
        "symptoms": symptoms,
        "health_status": "healthy",
        "isolation": "none",
        "health_code": "green",
        "remarks": "",
        "pledge": True,
    }
    if travel:
        answers["location"] = {"district": district}
        answers["travel"] = "none"
        answers["contact"] = ["none"]
    return answers


def _observations(rng: random.Random, employees: list[Employee], today: dt.date) -> int:
    """A few returnees in isolation, recorded by an officer of their enterprise."""
    officers = {
        g.organization_id: g.user
        for g in RoleGrant.objects.filter(
            role=Role.ADMIN, organization__kind="enterprise"
        ).select_related("user")
    }
    with_officer = [e for e in employees if e.enterprise_id in officers]
    picked = rng.sample(with_officer, min(3, len(with_officer)))
    for employee in picked:
        arrived = today - dt.timedelta(days=rng.randint(2, 10))
        observation_create(
            actor=officers[employee.enterprise_id],
            employee=employee,
            data=ObservationInput(
                kind="home_isolation",
                reason="arrival",
                place="自有住所",
                origin=employee.home_province,
                arrived_on=arrived,
                starts_on=arrived,
            ),
        )
    return len(picked)
