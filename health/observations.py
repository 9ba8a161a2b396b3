"""Isolation and medical observation: recorded by the enterprise's officer, ended explicitly.

The planned end comes from the rule table "health.observation" in force on the start
(`health.rules_observation`), and the observation says how it was computed. Daily check-ins
go on during an observation; it ends only when an officer releases it (logged and audited),
and it can be extended. Every change recounts the enterprise's rollups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from health.models import Observation
from health.rollups import rollup_observations
from health.rules_observation import PlannedEnd, planned_end
from orgs.models import Division
from workforce.models import Employee, EmploymentStatus

# How far back or ahead an observation may start (a form typo, not a real date, beyond).
STARTS_BACK = dt.timedelta(days=90)
STARTS_AHEAD = dt.timedelta(days=30)
MAX_EXTENSION = dt.timedelta(days=90)


@dataclass(frozen=True)
class ObservationInput:
    """What the officer enters."""

    kind: str
    reason: str
    starts_on: dt.date
    place: str = ""
    origin: Division | None = None
    arrived_on: dt.date | None = None


def _explain(end: PlannedEnd, data: ObservationInput) -> str:
    """The sentence stored in `computed_from` (in the officer's language)."""
    if end.counted_from == "arrival" and data.arrived_on is not None:
        base = _("%(days)d days after arrival on %(date)s") % {
            "days": end.days,
            "date": data.arrived_on.isoformat(),
        }
    else:
        base = _("%(days)d days from the start on %(date)s") % {
            "days": end.days,
            "date": data.starts_on.isoformat(),
        }
    if end.risk and data.origin is not None:
        risk = {"high": _("high-risk"), "medium": _("medium-risk"), "low": _("low-risk")}[end.risk]
        base += " · " + _("from %(region)s (%(risk)s)") % {"region": data.origin.name, "risk": risk}
    if end.version is not None:
        rule = _("rule table %(key)s v%(version)d, effective %(date)s") % {
            "key": end.version.key,
            "version": end.version.version,
            "date": end.version.effective_from.isoformat(),
        }
    else:
        rule = _("built-in default rules")
    return f"{base} · {rule} · {end.source}"[:300]


def observation_clean(*, employee: Employee, data: ObservationInput, today: dt.date) -> PlannedEnd:
    """Check an observation before it is recorded; returns its planned end."""
    errors: dict[str, list[str]] = {}
    if data.kind not in Observation.Kind.values:
        errors["kind"] = [_("Choose the kind of isolation or observation.")]
    if data.reason not in Observation.Reason.values:
        errors["reason"] = [_("Choose the reason.")]
    if len(data.place) > 200:
        errors["place"] = [_("At most 200 characters.")]
    if not today - STARTS_BACK <= data.starts_on <= today + STARTS_AHEAD:
        errors["starts_on"] = [
            _("The start must be within 90 days before and 30 days after today.")
        ]
    if data.reason == Observation.Reason.ARRIVAL:
        if data.origin is None:
            errors["origin"] = [_("Say which region the employee arrived from.")]
        if data.arrived_on is None:
            errors["arrived_on"] = [_("Give the date of arrival.")]
    if data.arrived_on is not None:
        if data.arrived_on > today:
            errors["arrived_on"] = [_("The arrival cannot be in the future.")]
        elif data.arrived_on > data.starts_on:
            errors["arrived_on"] = [_("The arrival cannot be after the start.")]
        elif data.arrived_on < today - STARTS_BACK:
            errors["arrived_on"] = [_("The arrival must be within the last 90 days.")]
    if employee.status == EmploymentStatus.LEFT:
        errors.setdefault("__all__", []).append(_("This employee has left the company."))
    if errors:
        raise ValidationError(errors)
    end = planned_end(
        kind=data.kind,
        reason=data.reason,
        starts_on=data.starts_on,
        arrived_on=data.arrived_on,
        origin=data.origin,
    )
    if end.ends_on < data.starts_on:
        raise ValidationError(
            {
                "arrived_on": _(
                    "Under the rules in force the observation after this arrival ended on "
                    "%(date)s, before the start; no observation is needed."
                )
                % {"date": date_format(end.ends_on)}
            }
        )
    return end


def _open_observation(employee: Employee) -> Observation | None:
    return (
        Observation.objects.select_for_update(of=("self",))
        .filter(employee=employee, released_on__isnull=True)
        .first()
    )


@transaction.atomic
def observation_create(*, actor: User, employee: Employee, data: ObservationInput) -> Observation:
    """Record an isolation or observation; its planned end comes from the rule table."""
    today = timezone.localdate()
    end = observation_clean(employee=employee, data=data, today=today)
    # Lock the employee so that two officers cannot open two observations at once.
    Employee.objects.select_for_update().filter(pk=employee.pk).first()
    current = _open_observation(employee)
    if current is not None:
        raise ValidationError(
            _(
                "%(name)s is already in isolation or observation (planned to end on %(date)s): "
                "extend or release it instead."
            )
            % {"name": employee.name, "date": date_format(current.planned_end_on)},
            code="open",
        )
    observation = Observation.objects.create(
        employee=employee,
        enterprise_id=employee.enterprise_id,
        kind=data.kind,
        reason=data.reason,
        place=data.place.strip(),
        origin=data.origin,
        arrived_on=data.arrived_on,
        starts_on=data.starts_on,
        planned_end_on=end.ends_on,
        rule_version=end.version,
        computed_from=_explain(end, data),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="observation.create",
        scope=employee.enterprise,
        obj=observation,
        changes={
            "starts_on": data.starts_on.isoformat(),
            "planned_end_on": end.ends_on.isoformat(),
            "rule_version": end.version.pk if end.version else None,
        },
    )
    if data.starts_on <= today:
        rollup_observations(enterprise_id=employee.enterprise_id, since=data.starts_on)
    return observation


def _check_version(observation: Observation, version: int) -> None:
    if observation.version != version:
        raise ValidationError(
            _("Someone changed this observation in the meantime; reload the page and try again."),
            code="stale",
        )


@transaction.atomic
def observation_release(
    *, actor: User, observation: Observation, released_on: dt.date, note: str, version: int
) -> Observation:
    """End an observation explicitly; an early release needs a reason. Logged and audited."""
    observation = (
        Observation.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .get(pk=observation.pk)
    )
    _check_version(observation, version)
    today = timezone.localdate()
    note = " ".join(note.split())
    if observation.released_on is not None:
        raise ValidationError(_("This observation has already been released."), code="released")
    errors: dict[str, str] = {}
    if released_on > today:
        errors["released_on"] = _("A release cannot be dated in the future.")
    elif released_on < observation.starts_on:
        errors["released_on"] = _("A release cannot be before the start.")
    elif released_on < observation.planned_end_on and not note:
        errors["note"] = _("Say why the observation ends before its planned end.")
    if len(note) > 300:
        errors["note"] = _("At most 300 characters.")
    if errors:
        raise ValidationError(errors)
    observation.released_on = released_on
    observation.release_note = note
    observation.released_by = actor
    observation.version += 1
    observation.save(update_fields=["released_on", "release_note", "released_by", "version"])
    audit_record(
        actor=actor,
        action="observation.release",
        scope=observation.enterprise,
        obj=observation,
        changes={
            "released_on": released_on.isoformat(),
            "planned_end_on": observation.planned_end_on.isoformat(),
            "early": released_on < observation.planned_end_on,
        },
    )
    rollup_observations(enterprise_id=observation.enterprise_id, since=released_on)
    return observation


@transaction.atomic
def observation_extend(
    *, actor: User, observation: Observation, planned_end_on: dt.date, note: str, version: int
) -> Observation:
    """Move the planned end of a running observation later, for a stated reason."""
    observation = (
        Observation.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .get(pk=observation.pk)
    )
    _check_version(observation, version)
    note = " ".join(note.split())
    if observation.released_on is not None:
        raise ValidationError(_("This observation has already been released."), code="released")
    errors: dict[str, str] = {}
    if planned_end_on <= observation.planned_end_on:
        errors["planned_end_on"] = _("The new end must be after %(date)s.") % {
            "date": date_format(observation.planned_end_on)
        }
    elif planned_end_on > observation.planned_end_on + MAX_EXTENSION:
        errors["planned_end_on"] = _("Extend by at most 90 days at a time.")
    if not note:
        errors["note"] = _("Say why the observation is extended.")
    elif len(note) > 300:
        errors["note"] = _("At most 300 characters.")
    if errors:
        raise ValidationError(errors)
    before = observation.planned_end_on
    extended = _("Extended from %(old)s to %(new)s: %(note)s") % {
        "old": before.isoformat(),
        "new": planned_end_on.isoformat(),
        "note": note,
    }
    observation.planned_end_on = planned_end_on
    observation.computed_from = f"{extended} · {observation.computed_from}"[:300]
    observation.version += 1
    observation.save(update_fields=["planned_end_on", "computed_from", "version"])
    audit_record(
        actor=actor,
        action="observation.extend",
        scope=observation.enterprise,
        obj=observation,
        changes={"planned_end_on": [before.isoformat(), planned_end_on.isoformat()]},
    )
    return observation
