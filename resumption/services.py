"""Writes of the resumption app: declarations, applications (a state machine) and
attendance. Plans are computed in `resumption.planning`.

Every write is keyword-only, atomic, audited (no personal values in audit rows) and
refuses bad input with a translatable ValidationError.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, RoleGrant, User
from audit.services import audit_record
from notify.models import Channel
from notify.services import Message, Recipient, notify_send
from orgs.models import (
    Division,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Site,
)
from resumption.models import (
    ApplicationEvent,
    ApplicationStatus,
    AttendanceRecord,
    AttendanceStatus,
    DeclarationRevision,
    Phase,
    ResumptionApplication,
    ReturnDeclaration,
    ReturnPlan,
    TravelMode,
    Via,
)
from resumption.rules import Capacity, assess, site_capacity
from workforce.models import Employee, EmploymentStatus

SHENZHEN = "440300"
MAX_TRAVEL_AHEAD_DAYS = 180
MAX_PHASES = 10
MAX_SHIFTS = 4
_TIME = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


# Declarations -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclarationInput:
    """Where the employee is and how they plan to come back."""

    in_shenzhen: bool
    district: Division | None = None
    province: Division | None = None
    city: Division | None = None
    planned_travel_on: dt.date | None = None
    travel_mode: str = TravelMode.NONE
    needs_isolation: bool = False


def _clean_place(data: DeclarationInput) -> dict[str, Any]:
    if data.in_shenzhen:
        district = data.district
        if district is None:
            raise ValidationError({"district": _("Choose the district of Shenzhen you are in.")})
        if district.parent_id != SHENZHEN or district.level not in {
            Division.Level.COUNTY,
            Division.Level.FUNCTIONAL_AREA,
        }:
            raise ValidationError({"district": _("Choose a district of Shenzhen.")})
        return {"district": district, "province": None, "city": None, "region": district}
    province, city = data.province, data.city
    if province is None or province.level != Division.Level.PROVINCE:
        raise ValidationError({"province": _("Choose the province you are in.")})
    if city is not None:
        if city.parent_id != province.code or city.level != Division.Level.CITY:
            raise ValidationError({"city": _("Choose a city of that province.")})
        if city.code == SHENZHEN:
            raise ValidationError({"city": _("You are in Shenzhen: choose “In Shenzhen”.")})
    return {"district": None, "province": province, "city": city, "region": city or province}


def _clean_travel(data: DeclarationInput, today: dt.date) -> dict[str, Any]:
    if data.travel_mode not in TravelMode.values:
        raise ValidationError({"travel_mode": _("Choose how you will travel.")})
    if data.in_shenzhen:
        return {"planned_travel_on": None, "travel_mode": TravelMode.NONE}
    if data.travel_mode == TravelMode.NONE:
        raise ValidationError({"travel_mode": _("Choose how you will travel to Shenzhen.")})
    travel_on = data.planned_travel_on
    if travel_on is not None and not (
        today - dt.timedelta(days=30)
        <= travel_on
        <= today + dt.timedelta(days=MAX_TRAVEL_AHEAD_DAYS)
    ):
        raise ValidationError(
            {"planned_travel_on": _("Give a travel date within the next six months.")}
        )
    return {"planned_travel_on": travel_on, "travel_mode": data.travel_mode}


def _snapshot(declaration: ReturnDeclaration) -> dict[str, Any]:
    return {
        "in_shenzhen": declaration.in_shenzhen,
        "district": declaration.district_id,
        "province": declaration.province_id,
        "city": declaration.city_id,
        "risk_level": declaration.risk_level,
        "quarantine_days": declaration.quarantine_days,
        "rule_version": declaration.rule_version_id,
        "declared_on": declaration.declared_on.isoformat(),
        "planned_travel_on": (
            declaration.planned_travel_on.isoformat() if declaration.planned_travel_on else None
        ),
        "travel_mode": declaration.travel_mode,
        "needs_isolation": declaration.needs_isolation,
    }


@transaction.atomic
def declaration_save(
    *,
    employee: Employee,
    data: DeclarationInput,
    via: str,
    actor: User | None,
    on: dt.date | None = None,
) -> ReturnDeclaration:
    """Record (or revise) an employee's return declaration; the risk level is derived from
    the risk-region table in force on the declaration day and stored with its version."""
    if via not in Via.values:
        raise ValidationError(_("Unknown source of the declaration."))
    if employee.status == EmploymentStatus.LEFT:
        raise ValidationError(_("This employee has left the company."))
    today = on or timezone.localdate()
    place = _clean_place(data)
    travel = _clean_travel(data, today)
    risk = assess(place.pop("region"), today)
    fields = {
        **place,
        **travel,
        "enterprise_id": employee.enterprise_id,
        "in_shenzhen": data.in_shenzhen,
        "needs_isolation": bool(data.needs_isolation) and not data.in_shenzhen,
        "risk_level": risk.level,
        "quarantine_days": 0 if data.in_shenzhen and risk.level == "low" else risk.quarantine_days,
        "observation_days": risk.observation_days,
        "rule_version": risk.version,
        "rule_source": risk.source[:300],
        "declared_on": today,
        "via": via,
        "recorded_by": actor,
    }
    declaration = (
        ReturnDeclaration.objects.select_for_update(of=("self",)).filter(employee=employee).first()
    )
    if declaration is None:
        declaration = ReturnDeclaration(employee=employee, revision=1, **fields)
        declaration.save()
    else:
        before = _snapshot(declaration)
        for name, value in fields.items():
            setattr(declaration, name, value)
        if _snapshot(declaration) == before:
            return declaration  # nothing changed: no new revision
        declaration.revision += 1
        declaration.save()
    DeclarationRevision.objects.create(
        declaration=declaration,
        revision=declaration.revision,
        data=_snapshot(declaration),
        via=via,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="resumption.declaration_save",
        scope=employee.enterprise,
        obj=declaration,
        changes={"revision": declaration.revision, "via": via},
    )
    return declaration


# Applications -------------------------------------------------------------------------


def reviewer_of(enterprise: Organization) -> Organization:
    """The enterprise's association (its active membership), else the federation."""
    membership = (
        Membership.objects.filter(enterprise=enterprise, status=MembershipStatus.ACTIVE)
        .select_related("association")
        .order_by("applied_at", "pk")
        .first()
    )
    if membership is not None:
        return membership.association
    federation = (
        Organization.objects.filter(kind=OrganizationKind.FEDERATION).order_by("pk").first()
    )
    if federation is None:
        raise ValidationError(_("There is no federation to review the application."))
    return federation


def prevention_plan_approved(enterprise: Organization) -> bool | None:
    """Whether the enterprise's prevention plan is approved: None where plans do not exist
    (the plans app or its `Plan` model is missing), so the check is skipped."""
    if not apps.is_installed("plans"):
        return None
    try:
        plan_model = apps.get_model("plans", "Plan")
    except LookupError:
        return None
    try:
        plan_model._meta.get_field("status")
        owner = next(
            name for name in ("enterprise", "organization") if _has_field(plan_model, name)
        )
    except (FieldDoesNotExist, StopIteration):
        return None
    return bool(plan_model.objects.filter(**{owner: enterprise, "status": "approved"}).exists())


def _has_field(model: Any, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _clean_application(
    *, title: str, normal_headcount: int, isolation_rooms: int
) -> dict[str, Any]:
    title = " ".join(str(title).split())
    if not title:
        raise ValidationError({"title": _("Give the application a title.")})
    if len(title) > 120:
        raise ValidationError({"title": _("Keep the title under 120 characters.")})
    if not 1 <= normal_headcount <= 100_000:
        raise ValidationError(
            {"normal_headcount": _("Normal headcount must be between 1 and 100,000.")}
        )
    if not 0 <= isolation_rooms <= 10_000:
        raise ValidationError(
            {"isolation_rooms": _("Isolation rooms must be between 0 and 10,000.")}
        )
    return {
        "title": title,
        "normal_headcount": normal_headcount,
        "isolation_rooms": isolation_rooms,
    }


@transaction.atomic
def application_create(
    *,
    actor: User | None,
    enterprise: Organization,
    title: str,
    normal_headcount: int,
    isolation_rooms: int = 0,
) -> ResumptionApplication:
    """Start a draft application; it will be reviewed by the enterprise's association."""
    if not enterprise.is_enterprise:
        raise ValidationError(_("Only an enterprise applies to resume work."))
    fields = _clean_application(
        title=title, normal_headcount=normal_headcount, isolation_rooms=isolation_rooms
    )
    application = ResumptionApplication.objects.create(
        enterprise=enterprise, reviewer=reviewer_of(enterprise), created_by=actor, **fields
    )
    ApplicationEvent.objects.create(
        application=application, from_status="", to_status=ApplicationStatus.DRAFT, actor=actor
    )
    audit_record(
        actor=actor, action="resumption.application_create", scope=enterprise, obj=application
    )
    return application


def _editable(application: ResumptionApplication) -> None:
    if not application.editable:
        raise ValidationError(
            _("An application that is “%(status)s” cannot be changed.")
            % {"status": ApplicationStatus(application.status).label},
            code="locked",
        )


@transaction.atomic
def application_update(
    *,
    actor: User | None,
    application: ResumptionApplication,
    title: str,
    normal_headcount: int,
    isolation_rooms: int,
    committed: bool,
    version: int,
) -> ResumptionApplication:
    """Change a draft (or returned) application and its commitment to the conditions."""
    current = ResumptionApplication.objects.select_for_update().get(pk=application.pk)
    _editable(current)
    if current.version != version:
        raise ValidationError(
            _("Someone else changed this application meanwhile. Reload it and try again."),
            code="stale",
        )
    fields = _clean_application(
        title=title, normal_headcount=normal_headcount, isolation_rooms=isolation_rooms
    )
    for name, value in fields.items():
        setattr(current, name, value)
    if committed and not current.committed:
        current.committed_at = timezone.now()
    current.committed = bool(committed)
    if not committed:
        current.committed_at = None
    current.version += 1
    current.save()
    audit_record(
        actor=actor,
        action="resumption.application_update",
        scope=current.enterprise,
        obj=current,
        changes={**{k: str(v) for k, v in fields.items()}, "committed": current.committed},
    )
    return current


def parse_shifts(text: str) -> list[dict[str, Any]]:
    """ "08:00-16:00, 16:00-24:00" → [{"start", "end", "hours"}…], or a ValidationError."""
    parts = [p.strip() for p in re.split(r"[,，;；\n]+", str(text)) if p.strip()]
    if not parts:
        raise ValidationError({"shifts": _("Give at least one shift, e.g. 08:00-16:00.")})
    if len(parts) > MAX_SHIFTS:
        raise ValidationError({"shifts": _("A day has at most four shifts.")})
    shifts = []
    for part in parts:
        pieces = [p.strip() for p in re.split(r"[-–—~～至]", part) if p.strip()]
        if len(pieces) != 2 or not all(_TIME.match(p) for p in pieces):
            raise ValidationError(
                {"shifts": _("Write each shift as start-end in 24-hour time, e.g. 08:00-16:00.")}
            )
        start, end = (int(p[:2]) * 60 + int(p[3:]) for p in pieces)
        if start >= 24 * 60 or end > 24 * 60:
            raise ValidationError({"shifts": _("A time of day runs from 00:00 to 24:00.")})
        minutes = end - start if end > start else end + 24 * 60 - start
        if not 60 <= minutes <= 12 * 60:
            raise ValidationError({"shifts": _("A shift lasts between 1 and 12 hours.")})
        shifts.append({"start": pieces[0], "end": pieces[1], "hours": round(minutes / 60, 2)})
    return shifts


@transaction.atomic
def phase_add(
    *,
    actor: User | None,
    application: ResumptionApplication,
    starts_on: dt.date,
    share_pct: int,
    sites: list[Site],
    shifts: list[dict[str, Any]],
) -> Phase:
    """Add a phase: from a day, these sites, a share of normal headcount, these shifts."""
    current = ResumptionApplication.objects.select_for_update().get(pk=application.pk)
    _editable(current)
    if not 0 < share_pct <= 100:
        raise ValidationError(
            {"share_pct": _("A phase's share must be above 0 and at most 100 %.")}
        )
    if not sites:
        raise ValidationError({"sites": _("Choose at least one site.")})
    if any(site.enterprise_id != current.enterprise_id for site in sites):
        raise ValidationError({"sites": _("Choose among your own sites.")})
    if not shifts or len(shifts) > MAX_SHIFTS:
        raise ValidationError({"shifts": _("Give between one and four shifts.")})
    today = timezone.localdate()
    if not today - dt.timedelta(days=60) <= starts_on <= today + dt.timedelta(days=365):
        raise ValidationError({"starts_on": _("Choose a start date within the coming year.")})
    if current.phases.filter(starts_on=starts_on).exists():
        raise ValidationError({"starts_on": _("Another phase starts on this day.")})
    if current.phases.count() >= MAX_PHASES:
        raise ValidationError(_("An application has at most ten phases."))
    previous = current.phases.filter(starts_on__lt=starts_on).order_by("-starts_on").first()
    if previous is not None and previous.share_pct > share_pct:
        raise ValidationError(
            {"share_pct": _("A later phase cannot bring back fewer people than an earlier one.")}
        )
    later = current.phases.filter(starts_on__gt=starts_on).order_by("starts_on").first()
    if later is not None and later.share_pct < share_pct:
        raise ValidationError(
            {"share_pct": _("A later phase cannot bring back fewer people than an earlier one.")}
        )
    phase = Phase.objects.create(
        application=current, starts_on=starts_on, share_pct=share_pct, shifts=shifts
    )
    phase.sites.set(sites)
    current.version += 1
    current.save(update_fields=["version", "updated_at"])
    audit_record(
        actor=actor,
        action="resumption.phase_add",
        scope=current.enterprise,
        obj=current,
        changes={"starts_on": starts_on.isoformat(), "share_pct": share_pct, "sites": len(sites)},
    )
    return phase


@transaction.atomic
def phase_remove(*, actor: User | None, phase: Phase) -> None:
    application = ResumptionApplication.objects.select_for_update().get(pk=phase.application_id)
    _editable(application)
    audit_record(
        actor=actor,
        action="resumption.phase_remove",
        scope=application.enterprise,
        obj=application,
        changes={"starts_on": phase.starts_on.isoformat()},
    )
    phase.delete()
    application.version += 1
    application.save(update_fields=["version", "updated_at"])


@dataclass(frozen=True)
class SiteCapacity:
    site: Site
    capacity: Capacity


def phase_capacities(phase: Phase) -> list[SiteCapacity]:
    """Each site's capacity per shift in a phase, with how it was computed."""
    sector = phase.application.enterprise.sector_id
    return [
        SiteCapacity(
            site,
            site_capacity(
                floor_area_m2=site.floor_area_m2,
                sector_code=sector,
                share_pct=phase.share_pct,
                on=phase.starts_on,
            ),
        )
        for site in phase.sites.all().order_by("name", "pk")
    ]


def _org_recipients(organization: Organization) -> list[Recipient]:
    grants = RoleGrant.objects.filter(
        organization=organization, role__in=[Role.ADMIN, Role.STAFF], user__is_active=True
    ).select_related("user")
    people = [Recipient(user=g.user, on_behalf_of=organization) for g in grants]
    return [*people, Recipient(organization=organization)]


def _application_url(application: ResumptionApplication) -> str:
    return reverse("resumption:application_detail", kwargs={"pk": application.pk})


@transaction.atomic
def application_transition(
    *,
    actor: User | None,
    application: ResumptionApplication,
    to: str,
    acting_for: Organization,
    comment: str = "",
) -> ResumptionApplication:
    """Move an application to a new status: the only code that assigns `status`.

    The enterprise submits and resubmits (committed to the conditions, with at least one
    phase); its reviewer approves (once the prevention plan is approved, where plans
    exist) or returns it with comments.
    """
    current = ResumptionApplication.objects.select_for_update().get(pk=application.pk)
    allowed = ResumptionApplication.ALLOWED_TRANSITIONS.get(current.status, set())
    if to not in allowed:
        raise ValidationError(
            _("An application that is “%(current)s” cannot become “%(to)s”.")
            % {
                "current": ApplicationStatus(current.status).label,
                "to": ApplicationStatus(to).label if to in ApplicationStatus.values else to,
            },
            code="transition",
        )
    if to in ResumptionApplication.ENTERPRISE_MOVES and acting_for.pk != current.enterprise_id:
        raise ValidationError(_("Only the enterprise submits its application."), code="actor")
    if to in ResumptionApplication.REVIEWER_MOVES and acting_for.pk != current.reviewer_id:
        raise ValidationError(_("Only the reviewer decides on this application."), code="actor")
    comment = str(comment).strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": _("Keep the comments under 2,000 characters.")})
    if to in ResumptionApplication.ENTERPRISE_MOVES:
        if not current.committed:
            raise ValidationError(
                {"committed": _("Commit to the conditions before submitting.")}, code="commit"
            )
        if not current.phases.exists():
            raise ValidationError(_("Add at least one phase before submitting."), code="phases")
    if to == ApplicationStatus.RETURNED and not comment:
        raise ValidationError({"comment": _("Tell the enterprise what to change.")})
    if to == ApplicationStatus.APPROVED and prevention_plan_approved(current.enterprise) is False:
        raise ValidationError(
            _("The enterprise's prevention plan is not approved yet."), code="plan"
        )
    from_status = current.status
    current.status = to
    now = timezone.now()
    if to in ResumptionApplication.ENTERPRISE_MOVES:
        current.submitted_at = now
    else:
        current.decided_at = now
        current.comment = comment
    current.version += 1
    current.save()
    ApplicationEvent.objects.create(
        application=current, from_status=from_status, to_status=to, comment=comment, actor=actor
    )
    audit_record(
        actor=actor,
        action=f"resumption.application_{to}",
        scope=acting_for,
        obj=current,
        changes={"status": [from_status, to], "comment": comment},
    )
    _notify_transition(current, to)
    return current


def _notify_transition(application: ResumptionApplication, to: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        if to in ResumptionApplication.ENTERPRISE_MOVES:
            target = application.reviewer
            subject = _("Resumption application to review: %(enterprise)s") % {
                "enterprise": application.enterprise.name
            }
            body = application.title
        else:
            target = application.enterprise
            subject = _("Your resumption application: %(status)s") % {
                "status": ApplicationStatus(to).label
            }
            body = application.comment
    notify_send(
        key=f"resumption:application:{application.pk}:{application.version}",
        message=Message(subject=subject[:200], body=body, url=_application_url(application)),
        recipients=_org_recipients(target),
        channels=[Channel.INBOX, Channel.EMAIL, Channel.WECOM, Channel.DINGTALK],
        scope=target,
    )


# Attendance ---------------------------------------------------------------------------


@transaction.atomic
def attendance_materialise(*, day: dt.date, enterprise: Organization | None = None) -> int:
    """Write the day's attendance from every published plan (or one enterprise's): one row
    per scheduled employee whose first working day has come. Rows that exist (perhaps
    corrected by a manager) are left alone; returns how many were written."""
    plans = ReturnPlan.objects.filter(published_at__isnull=False)
    if enterprise is not None:
        plans = plans.filter(enterprise=enterprise)
    from resumption.models import Assignment

    assignments = (
        Assignment.objects.filter(
            plan__in=plans,
            told_first_day__lte=day,
            told_site__isnull=False,
            told_shift__isnull=False,
            employee__status=EmploymentStatus.ACTIVE,
        )
        .values_list("plan__enterprise_id", "told_site_id", "told_shift", "employee_id")
        .order_by("pk")
    )
    rows = [
        AttendanceRecord(
            enterprise_id=enterprise_id,
            site_id=site_id,
            day=day,
            shift=int(shift or 0),
            employee_id=employee_id,
            status=AttendanceStatus.PRESENT,
            source=AttendanceRecord.Source.PLAN,
        )
        for enterprise_id, site_id, shift, employee_id in assignments
    ]
    if not rows:
        return 0
    before = AttendanceRecord.objects.filter(day=day).count()
    AttendanceRecord.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return AttendanceRecord.objects.filter(day=day).count() - before


@transaction.atomic
def attendance_correct(
    *,
    actor: User | None,
    record: AttendanceRecord,
    status: str,
    shift: int | None = None,
    checked_out_at: dt.datetime | None = None,
) -> AttendanceRecord:
    """A manager's correction: present, absent, or swapped to another shift; check-out."""
    if status not in AttendanceStatus.values:
        raise ValidationError({"status": _("Choose present, absent or swapped shift.")})
    current = AttendanceRecord.objects.select_for_update().get(pk=record.pk)
    if status == AttendanceStatus.SWAPPED:
        if shift is None or not 0 <= shift < MAX_SHIFTS:
            raise ValidationError({"shift": _("Choose the shift the employee worked instead.")})
        if shift == current.shift:
            raise ValidationError({"shift": _("Choose another shift than the planned one.")})
        current.shift = shift
    if checked_out_at is not None:
        if checked_out_at.date() < current.day or checked_out_at > timezone.now():
            raise ValidationError({"checked_out_at": _("Check-out must be on or after the day.")})
        current.checked_out_at = checked_out_at
    current.status = status
    current.source = AttendanceRecord.Source.MANAGER
    current.recorded_by = actor
    current.save()
    audit_record(
        actor=actor,
        action="resumption.attendance_correct",
        scope=current.enterprise,
        obj=current,
        changes={"status": status, "shift": current.shift},
    )
    return current


@transaction.atomic
def attendance_add(
    *,
    actor: User | None,
    enterprise: Organization,
    employee: Employee,
    site: Site,
    day: dt.date,
    shift: int,
    status: str = AttendanceStatus.PRESENT,
) -> AttendanceRecord:
    """A manager records someone on site who was not in the plan for that day."""
    if employee.enterprise_id != enterprise.pk or site.enterprise_id != enterprise.pk:
        raise ValidationError(_("Choose your own employee and site."))
    if status not in AttendanceStatus.values:
        raise ValidationError({"status": _("Choose present, absent or swapped shift.")})
    if not 0 <= shift < MAX_SHIFTS:
        raise ValidationError({"shift": _("Choose a shift.")})
    if day > timezone.localdate():
        raise ValidationError({"day": _("Attendance is recorded for today or earlier.")})
    if AttendanceRecord.objects.filter(employee=employee, day=day).exists():
        raise ValidationError(_("The employee has an attendance record for this day."))
    record = AttendanceRecord.objects.create(
        enterprise=enterprise,
        site=site,
        day=day,
        shift=shift,
        employee=employee,
        status=status,
        source=AttendanceRecord.Source.MANAGER,
        recorded_by=actor,
    )
    audit_record(actor=actor, action="resumption.attendance_add", scope=enterprise, obj=record)
    return record
