"""Reads of the resumption app, scoped by the viewer (the active RoleGrant).

An enterprise reads its own declarations, applications, plans and attendance. Its
reviewer (association) and the federation read applications (organisation-level data)
and aggregates: counts per day, district and sector — never a person.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from accounts.models import RoleGrant
from orgs.models import Division, Organization, Sector, Site
from orgs.selectors import enterprise_ids_visible
from resumption.contacts_sql import CONTACTS_SQL
from resumption.models import (
    ON_SITE,
    ApplicationStatus,
    Assignment,
    AttendanceRecord,
    DeclarationRevision,
    Phase,
    ResumptionApplication,
    ReturnDeclaration,
    ReturnPlan,
    RiskLevel,
    WavePlan,
    WaveQuota,
)
from resumption.rules import arrival_caps, site_capacity
from workforce.models import Employee, EmploymentStatus

CONTACT_DAYS = 14


def _enterprise_of(viewer: RoleGrant) -> Organization:
    if not viewer.organization.is_enterprise:
        raise Http404
    return viewer.organization


# Declarations -------------------------------------------------------------------------


def declaration_roster(*, viewer: RoleGrant, missing_only: bool = False) -> QuerySet[Employee]:
    """Active employees of the viewer's enterprise with their declaration (if any)."""
    enterprise = _enterprise_of(viewer)
    qs = (
        Employee.objects.filter(enterprise=enterprise, status=EmploymentStatus.ACTIVE)
        .select_related(
            "site",
            "return_declaration",
            "return_declaration__district",
            "return_declaration__province",
            "return_declaration__city",
        )
        .order_by("name", "pk")
    )
    if missing_only:
        qs = qs.filter(return_declaration__isnull=True)
    return qs


def declaration_counts(*, viewer: RoleGrant) -> dict[str, int]:
    enterprise = _enterprise_of(viewer)
    rows = (
        ReturnDeclaration.objects.filter(
            enterprise=enterprise, employee__status=EmploymentStatus.ACTIVE
        )
        .values("risk_level")
        .annotate(n=Count("pk"))
    )
    counts = {row["risk_level"]: row["n"] for row in rows}
    counts["roster"] = Employee.objects.filter(
        enterprise=enterprise, status=EmploymentStatus.ACTIVE
    ).count()
    counts["declared"] = sum(counts.get(level, 0) for level in ("low", "medium", "high"))
    return counts


def roster_employee_get(*, viewer: RoleGrant, pk: int) -> Employee:
    enterprise = _enterprise_of(viewer)
    employee = Employee.objects.filter(enterprise=enterprise, pk=pk).first()
    if employee is None:
        raise Http404
    return employee


def declaration_revisions(*, viewer: RoleGrant, employee: Employee) -> list[DeclarationRevision]:
    """The saved versions of an employee's declaration, newest first (at most 50)."""
    enterprise = _enterprise_of(viewer)
    rows = list(
        DeclarationRevision.objects.filter(
            declaration__employee=employee, declaration__enterprise=enterprise
        )
        .select_related("recorded_by")
        .order_by("-revision")[:50]
    )
    labels = dict(RiskLevel.choices)
    for row in rows:
        row.risk_label = labels.get(row.data.get("risk_level"), "")  # type: ignore[attr-defined]
    return rows


def own_declaration(*, employee: Employee) -> ReturnDeclaration | None:
    return (
        ReturnDeclaration.objects.filter(employee=employee)
        .select_related("district", "province", "city")
        .first()
    )


def own_assignment(*, employee: Employee) -> Assignment | None:
    """What the employee was last told by a published plan."""
    return (
        Assignment.objects.filter(employee=employee, plan__published_at__isnull=False)
        .select_related("told_site", "plan")
        .order_by("-plan__published_at")
        .first()
    )


# Applications -------------------------------------------------------------------------


def application_list(
    *, viewer: RoleGrant, status: str | None = None
) -> QuerySet[ResumptionApplication]:
    """An enterprise's own; an association's to review (and its members'); all for the
    federation."""
    org = viewer.organization
    qs = ResumptionApplication.objects.select_related("enterprise", "reviewer")
    if org.is_enterprise:
        qs = qs.filter(enterprise=org)
    elif org.is_association:
        visible = enterprise_ids_visible(viewer=viewer)
        qs = qs.filter(Q(reviewer=org) | Q(enterprise_id__in=visible))
        qs = qs.exclude(status=ApplicationStatus.DRAFT)
    else:
        qs = qs.exclude(status=ApplicationStatus.DRAFT)
    if status and status in ApplicationStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-updated_at", "-pk")


def application_get(*, viewer: RoleGrant, pk: int) -> ResumptionApplication:
    try:
        return application_list(viewer=viewer).get(pk=pk)
    except ResumptionApplication.DoesNotExist:
        raise Http404 from None


def application_status_counts(*, viewer: RoleGrant) -> dict[str, int]:
    rows = application_list(viewer=viewer).order_by().values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(ApplicationStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def phase_get(*, viewer: RoleGrant, pk: int) -> Phase:
    enterprise = _enterprise_of(viewer)
    phase = Phase.objects.filter(application__enterprise=enterprise, pk=pk).first()
    if phase is None:
        raise Http404
    return phase


def plan_of(*, viewer: RoleGrant, application: ResumptionApplication) -> ReturnPlan | None:
    enterprise = _enterprise_of(viewer)
    return ReturnPlan.objects.filter(application=application, enterprise=enterprise).first()


def assignment_list(*, viewer: RoleGrant, plan: ReturnPlan) -> QuerySet[Assignment]:
    enterprise = _enterprise_of(viewer)
    return (
        Assignment.objects.filter(plan=plan, plan__enterprise=enterprise)
        .select_related("employee", "site")
        .order_by("first_day", "shift", "employee__name", "pk")
    )


def assignment_get(*, viewer: RoleGrant, pk: int) -> Assignment:
    enterprise = _enterprise_of(viewer)
    found = (
        Assignment.objects.filter(pk=pk, plan__enterprise=enterprise)
        .select_related("employee", "site", "plan", "plan__application")
        .first()
    )
    if found is None:
        raise Http404
    return found


# Attendance ---------------------------------------------------------------------------


def attendance_day(*, viewer: RoleGrant, day: dt.date) -> QuerySet[AttendanceRecord]:
    enterprise = _enterprise_of(viewer)
    return (
        AttendanceRecord.objects.filter(enterprise=enterprise, day=day)
        .select_related("employee", "site")
        .order_by("site__name", "shift", "employee__name", "pk")
    )


def attendance_get(*, viewer: RoleGrant, pk: int) -> AttendanceRecord:
    enterprise = _enterprise_of(viewer)
    found = AttendanceRecord.objects.filter(enterprise=enterprise, pk=pk).first()
    if found is None:
        raise Http404
    return found


@dataclass
class SiteToday:
    site: Site
    on_site: int
    capacity: int | None  # per day, all shifts; None without an approved phase
    shifts: int

    @property
    def pct(self) -> int:
        if not self.capacity:
            return 100 if self.on_site else 0
        return min(100, round(100 * self.on_site / self.capacity))


def on_site_today(*, viewer: RoleGrant, day: dt.date) -> list[SiteToday]:
    """Per site: people on site on the day (present or swapped) against the capacity of
    the phase in force in the enterprise's latest approved application (all shifts)."""
    enterprise = _enterprise_of(viewer)
    counts = dict(
        AttendanceRecord.objects.filter(enterprise=enterprise, day=day, status__in=ON_SITE)
        .order_by()
        .values("site_id")
        .annotate(n=Count("pk"))
        .values_list("site_id", "n")
    )
    application = (
        ResumptionApplication.objects.filter(
            enterprise=enterprise, status=ApplicationStatus.APPROVED
        )
        .order_by("-decided_at", "-pk")
        .first()
    )
    phase = (
        application.phases.filter(starts_on__lte=day).order_by("-starts_on").first()
        if application
        else None
    )
    phase_sites = set(phase.sites.values_list("pk", flat=True)) if phase else set()
    rows = []
    for site in Site.objects.filter(enterprise=enterprise).order_by("name", "pk"):
        capacity = None
        shifts = 0
        if phase is not None and site.pk in phase_sites:
            shifts = len(phase.shifts)
            capacity = (
                shifts
                * site_capacity(
                    floor_area_m2=site.floor_area_m2,
                    sector_code=enterprise.sector_id,
                    share_pct=phase.share_pct,
                    on=phase.starts_on,
                ).people
            )
        rows.append(SiteToday(site, counts.get(site.pk, 0), capacity, shifts))
    return rows


@dataclass(frozen=True)
class Contact:
    employee_id: int
    name: str
    shared_shifts: int
    last_day: dt.date


def contacts_of(
    *, viewer: RoleGrant, employee: Employee, days: int = CONTACT_DAYS
) -> list[Contact]:
    """Who shared a site and shift with the employee in the last `days` days (both on
    site: present or swapped), most shared shifts first. One query: a self-join of the
    attendance on (site, day, shift), using the (employee, day) index for the person's
    own rows and the (site, day, shift) index for the others."""
    enterprise = _enterprise_of(viewer)
    if employee.enterprise_id != enterprise.pk:
        raise Http404
    days = min(max(int(days), 1), 60)
    since = timezone.localdate() - dt.timedelta(days=days - 1)
    sql = CONTACTS_SQL.format(
        attendance=AttendanceRecord._meta.db_table, employees=Employee._meta.db_table
    )
    params: list[Any] = [employee.pk, enterprise.pk, since, *ON_SITE, *ON_SITE, enterprise.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        Contact(
            int(pk),
            name,
            int(shared),
            last if isinstance(last, dt.date) else dt.date.fromisoformat(str(last)),
        )
        for pk, name, shared, last in rows
    ]


# Aggregates (association and federation: counts only) -----------------------------------


def _enterprises_in_scope(viewer: RoleGrant) -> QuerySet[Organization]:
    org = viewer.organization
    if org.is_enterprise:
        raise Http404
    qs = Organization.objects.filter(kind="enterprise")
    visible = enterprise_ids_visible(viewer=viewer)
    return qs if visible is None else qs.filter(pk__in=visible)


@dataclass
class DistrictDay:
    district: Division
    cap: int | None
    days: list[dict[str, Any]]  # day, planned_arrivals, planned_starts, actual_starts, over


def arrivals_by_district(*, viewer: RoleGrant, start: dt.date, days: int = 14) -> list[DistrictDay]:
    """Per destination district (of the site) and day: planned arrivals and first working
    days (published plans), actual first days on site (attendance), against the cap."""
    enterprises = _enterprises_in_scope(viewer)
    end = start + dt.timedelta(days=days - 1)
    told = Assignment.objects.filter(
        plan__published_at__isnull=False, plan__enterprise__in=enterprises, told_site__isnull=False
    )
    planned_arrivals = (
        told.filter(told_arrival_on__gte=start, told_arrival_on__lte=end)
        .order_by()
        .values_list("told_site__district_id", "told_arrival_on")
        .annotate(n=Count("pk"))
    )
    planned_starts = (
        told.filter(told_first_day__gte=start, told_first_day__lte=end)
        .order_by()
        .values_list("told_site__district_id", "told_first_day")
        .annotate(n=Count("pk"))
    )
    firsts = (
        AttendanceRecord.objects.filter(enterprise__in=enterprises, status__in=ON_SITE)
        .order_by()
        .values("employee_id", "site__district_id")
        .annotate(first=Min("day"))
        .filter(first__gte=start, first__lte=end)
    )
    table: dict[str, dict[dt.date, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"planned_arrivals": 0, "planned_starts": 0, "actual": 0})
    )
    for district, day, n in planned_arrivals:
        table[district][day]["planned_arrivals"] += n
    for district, day, n in planned_starts:
        table[district][day]["planned_starts"] += n
    for row in firsts:
        table[row["site__district_id"]][row["first"]]["actual"] += 1
    caps, _version = arrival_caps(start)
    names = {
        d.code: d for d in Division.objects.filter(code__in=list(table) + list(caps.districts))
    }
    out = []
    for code in sorted(set(table) | {c for c in caps.districts if c in names}):
        if code not in names:
            continue
        cap = caps.districts.get(code)
        rows = []
        for n in range(days):
            day = start + dt.timedelta(days=n)
            cell = table[code][day]
            rows.append(
                {
                    "day": day,
                    **cell,
                    "over": cap is not None and cell["planned_arrivals"] > cap,
                }
            )
        out.append(DistrictDay(names[code], cap, rows))
    return out


@dataclass
class RateRow:
    label: str
    headcount: int
    days: list[dict[str, Any]]  # day, on_site, pct


def resumption_rates(
    *, viewer: RoleGrant, by: str, start: dt.date, days: int = 14
) -> list[RateRow]:
    """On site ÷ normal headcount per sector (or district) and day. The normal headcount of
    an enterprise is that of its latest submitted or approved application."""
    enterprises = _enterprises_in_scope(viewer)
    field = "sector_id" if by == "sector" else "district_id"
    latest: dict[int, int] = {}
    for enterprise_id, normal in (
        ResumptionApplication.objects.filter(enterprise__in=enterprises)
        .exclude(status=ApplicationStatus.DRAFT)
        .order_by("enterprise_id", "created_at", "pk")
        .values_list("enterprise_id", "normal_headcount")
    ):
        latest[enterprise_id] = normal
    group_of = dict(Organization.objects.filter(pk__in=list(latest)).values_list("pk", field))
    headcount: dict[str, int] = defaultdict(int)
    for enterprise_id, n in latest.items():
        headcount[group_of.get(enterprise_id) or ""] += n
    end = start + dt.timedelta(days=days - 1)
    on_site: dict[tuple[str, dt.date], int] = defaultdict(int)
    for group, day, n in (
        AttendanceRecord.objects.filter(
            enterprise_id__in=list(latest), day__gte=start, day__lte=end, status__in=ON_SITE
        )
        .order_by()
        .values_list(f"enterprise__{field}", "day")
        .annotate(n=Count("employee_id", distinct=True))
    ):
        on_site[(group or "", day)] += n
    if by == "sector":
        labels = {s.code: s.label for s in Sector.objects.all()}
    else:
        labels = {d.code: d.label for d in Division.objects.filter(code__in=list(headcount))}
    rows = []
    for group in sorted(headcount, key=lambda g: labels.get(g, g)):
        total = headcount[group]
        cells = []
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            count = on_site[(group, day)]
            cells.append(
                {"day": day, "on_site": count, "pct": round(100 * count / total) if total else 0}
            )
        rows.append(RateRow(labels.get(group, group or "—"), total, cells))
    return rows


# Wave plans -------------------------------------------------------------------------------


def wave_latest(*, viewer: RoleGrant) -> WavePlan | None:
    org = viewer.organization
    if org.is_enterprise:
        raise Http404
    return WavePlan.objects.filter(scope=org).order_by("-computed_at", "-pk").first()


def wave_get(*, viewer: RoleGrant, pk: int) -> WavePlan:
    org = viewer.organization
    if org.is_enterprise:
        raise Http404
    found = WavePlan.objects.filter(scope=org, pk=pk).first()
    if found is None:
        raise Http404
    return found


def wave_tables(*, viewer: RoleGrant, wave: WavePlan) -> dict[str, Any]:
    """Per district and day: planned arrivals against the cap and first working days; the
    enterprises' quotas summed (counts only)."""
    wave_get(viewer=viewer, pk=wave.pk)
    caps, _version = arrival_caps(wave.starts_on)
    cells: dict[str, dict[dt.date, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"arrivals": 0, "starts": 0})
    )
    for district, day, arrivals, starts in (
        WaveQuota.objects.filter(wave=wave)
        .order_by()
        .values_list("district_id", "day")
        .annotate(a=Sum("arrivals"), s=Sum("starts"))
    ):
        cells[district or ""][day]["arrivals"] += arrivals or 0
        cells[district or ""][day]["starts"] += starts or 0
    names = {d.code: d.label for d in Division.objects.filter(code__in=list(cells))}
    districts = []
    for code in sorted(cells, key=lambda c: names.get(c, c)):
        cap = caps.districts.get(code)
        rows = []
        for n in range(wave.horizon_days):
            day = wave.starts_on + dt.timedelta(days=n)
            cell = cells[code].get(day, {"arrivals": 0, "starts": 0})
            rows.append(
                {
                    "day": day,
                    **cell,
                    "cap": cap,
                    "full": cap is not None and cell["arrivals"] >= cap,
                }
            )
        districts.append({"label": names.get(code, code or "—"), "cap": cap, "days": rows})
    keys = [str(r["key"][0]) for r in wave.binding + wave.conflicts if r.get("key")]
    labels = {d.code: d.label for d in Division.objects.filter(code__in=keys)}
    site_ids = [int(k) for k in keys if k.isdigit()]
    for pk, name, enterprise in Site.objects.filter(pk__in=site_ids).values_list(
        "pk", "name", "enterprise__name"
    ):
        labels.setdefault(str(pk), f"{enterprise} · {name}")
    from resumption.planning import BINDING_TEXT

    def labelled(r: dict[str, Any]) -> dict[str, Any]:
        key = str(r["key"][0]) if r.get("key") else ""
        label = labels.get(key, key)
        if r["kind"] == "quarantine" and key:
            label = f"{key} d"
        return {**r, "label": label, "kind_label": BINDING_TEXT.get(r["kind"], r["kind"])}

    binding = [labelled(r) for r in wave.binding]
    conflicts = [labelled(r) for r in wave.conflicts]
    return {
        "binding": binding,
        "conflict_rows": conflicts,
        "districts": districts,
        "enterprises": WaveQuota.objects.filter(wave=wave)
        .values("enterprise_id")
        .distinct()
        .count(),
        "labels": labels,
        "share_of_bound": (
            round(100 * wave.objective / wave.bound, 2)
            if wave.bound and wave.objective is not None
            else None
        ),
        "greedy_share": (
            round(100 * wave.greedy_objective / wave.bound, 2)
            if wave.bound and wave.greedy_objective is not None
            else None
        ),
    }
