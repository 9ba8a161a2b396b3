"""Compliance at a glance (issue 5, point 7): one page per role.

- An enterprise: its plan status, required checklist gaps, fewest days of supply cover,
  training completion of required courses, and overdue site-log rounds per site (today and
  the last 7 days), with links to the plan, training and site-log pages.
- An association: one row per active member enterprise, totals per sector, filters and
  pagination; a member's row links to the plan review page once the plan is submitted.
- The federation: per association, sector and district, with a drill-down to one
  association's member table.

Counts only leave the enterprise: no names of people, mobiles or answers. Every figure
is computed in SQL for all enterprises in scope at once (a fixed number of queries,
whatever the number of members), as joins with GROUP BY: plan gaps and supply cover over
the template items, answers and supplies; training over the employees, each enterprise's
reach and the assignments; overdue rounds over the schedules' slots (`json_each` /
`jsonb_array_elements_text`) anti-joined with the live entries. The SQL is written out
(the scope is the ORM's own subquery, values are parameters) because the slot expansion
has no ORM form and the correlated-subquery forms did not scale to 5,000 members.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import (
    QuerySet,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.http import GrantRequest
from accounts.models import RoleGrant
from emergencies.selectors import emergency_current, rule_effective
from lib.access import Audience, access
from lib.pages import paginate
from notices.selectors import member_enterprises
from orgs.models import (
    Division,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Sector,
    Site,
)
from plans.models import (
    LOW_COVER_DAYS,
    AnswerState,
    EvidenceKind,
    Plan,
    PlanAnswer,
    PlanStatus,
    PlanSupply,
    TemplateItem,
    TemplateSection,
)
from sitelogs import selectors as sitelog_selectors
from sitelogs.models import LogEntry, SiteSchedule
from sitelogs.rules import DEFAULT, KEY, SiteLogDefaults
from training.models import Assignment, Completion, Course
from workforce.models import Employee, EmploymentStatus

WEEK_DAYS = 7  # overdue rounds "over the last 7 days": today and the six days before
PROBLEM_STATUSES = {PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUSPENDED}
STEWARD_KINDS = [OrganizationKind.ASSOCIATION, OrganizationKind.FEDERATION]


# --- Figures ------------------------------------------------------------------------------


@dataclass
class Figures:
    """Counts of one enterprise or one group of enterprises."""

    enterprises: int = 0
    without_plan: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    with_gaps: int = 0
    gaps: int = 0
    low_cover: int = 0
    employees: int = 0
    employees_due: int = 0  # employees with at least one required course due
    employees_missing: int = 0  # … of whom some required course due is not passed
    overdue_today: int = 0
    overdue_week: int = 0
    with_problems: int = 0

    @property
    def training_rate(self) -> int | None:
        """Percent of active employees who passed every required course due (None when no
        course is due for anyone)."""
        if not self.employees_due or not self.employees:
            return None
        return round(100 * (self.employees - self.employees_missing) / self.employees)

    @property
    def approved(self) -> int:
        return self.statuses.get(PlanStatus.APPROVED, 0)

    @property
    def pending(self) -> int:
        """Plans waiting for review (submitted or resubmitted)."""
        return self.statuses.get(PlanStatus.SUBMITTED, 0) + self.statuses.get(
            PlanStatus.RESUBMITTED, 0
        )

    @property
    def returned(self) -> int:
        """Plans returned for rectification or suspended."""
        return self.statuses.get(PlanStatus.RETURNED, 0) + self.statuses.get(
            PlanStatus.SUSPENDED, 0
        )

    @property
    def drafts(self) -> int:
        return self.statuses.get(PlanStatus.DRAFT, 0)

    def add(self, other: Figures) -> None:
        for name in (
            "enterprises",
            "without_plan",
            "with_gaps",
            "gaps",
            "low_cover",
            "employees",
            "employees_due",
            "employees_missing",
            "overdue_today",
            "overdue_week",
            "with_problems",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n


@dataclass
class MemberRow:
    """One enterprise at a glance: counts and its name (an organisation, not a person)."""

    enterprise_id: int
    name: str
    sector_id: str | None
    district_id: str | None
    plan_id: int | None = None
    plan_status: str | None = None
    gaps: int | None = None
    min_cover: Decimal | None = None
    employees: int = 0
    employees_due: int = 0
    employees_missing: int = 0
    overdue_today: int = 0
    overdue_week: int = 0
    sector_label: str = "—"

    @property
    def low_cover(self) -> bool:
        return self.min_cover is not None and self.min_cover < LOW_COVER_DAYS

    @property
    def status_label(self) -> str:
        return str(PlanStatus(self.plan_status).label) if self.plan_status else ""

    @property
    def reviewable(self) -> bool:
        """Whether stewards may open the plan (never a draft)."""
        return self.plan_id is not None and self.plan_status != PlanStatus.DRAFT

    @property
    def training_rate(self) -> int | None:
        return self.figures.training_rate

    @property
    def has_problems(self) -> bool:
        return bool(
            self.plan_status is None
            or self.plan_status in PROBLEM_STATUSES
            or self.gaps
            or self.low_cover
            or self.employees_missing
            or self.overdue_week
        )

    @property
    def figures(self) -> Figures:
        return Figures(
            enterprises=1,
            without_plan=int(self.plan_status is None),
            statuses={self.plan_status: 1} if self.plan_status else {},
            with_gaps=int(bool(self.gaps)),
            gaps=self.gaps or 0,
            low_cover=int(self.low_cover),
            employees=self.employees,
            employees_due=self.employees_due,
            employees_missing=self.employees_missing,
            overdue_today=self.overdue_today,
            overdue_week=self.overdue_week,
            with_problems=int(self.has_problems),
        )


@dataclass
class Group:
    key: str
    label: str
    figures: Figures = field(default_factory=Figures)


# --- SQL building blocks ------------------------------------------------------------------


def plan_figures(enterprise_ids: QuerySet[Any]) -> list[tuple[int, int, str, int, Any]]:
    """The plans of the enterprises as (plan, enterprise, status, gaps, min_cover) — one
    query of joins and GROUP BYs. `gaps`: the required items of the plan's template versions
    (its base template and its sector templates) not answered completely, as
    `plans.checklist.is_complete` judges (done with the evidence the item asks for, or not
    applicable with a note); `min_cover`: the fewest days of supply cover (on hand ÷ daily
    use, supplies with a daily use only; None when there is none)."""
    scope_sql, scope_params = enterprise_ids.query.sql_with_params()
    plan, supply, answer = _table(Plan), _table(PlanSupply), _table(PlanAnswer)
    through = _table(Plan.sector_templates.through)
    section, item = _table(TemplateSection), _table(TemplateItem)
    on_hand = "CAST(s.on_hand AS REAL)" if connection.vendor == "sqlite" else "s.on_hand"
    note = "TRIM(a.note) <> ''"
    in_scope = f"p.enterprise_id IN ({scope_sql})"
    sql = f"""
        WITH templates(plan_id, template_id) AS (
            SELECT p.id, p.base_template_id FROM {plan} p WHERE {in_scope}
            UNION
            SELECT t.plan_id, t.checklisttemplate_id FROM {through} t
            JOIN {plan} p ON p.id = t.plan_id WHERE {in_scope}
        ),
        required AS (
            SELECT pt.plan_id, COUNT(*) AS n
            FROM templates pt
            JOIN {section} sec ON sec.template_id = pt.template_id
            JOIN {item} i ON i.section_id = sec.id AND i.required = %s
            GROUP BY pt.plan_id
        ),
        complete AS (
            SELECT a.plan_id, COUNT(*) AS n
            FROM {answer} a
            JOIN {plan} p ON p.id = a.plan_id
            JOIN {item} i ON i.id = a.item_id AND i.required = %s
            JOIN {section} sec ON sec.id = i.section_id
            WHERE {in_scope}
              AND (sec.template_id = p.base_template_id
                   OR EXISTS (SELECT 1 FROM {through} t WHERE t.plan_id = a.plan_id
                              AND t.checklisttemplate_id = sec.template_id))
              AND ((a.state = %s AND {note})
                   OR (a.state = %s AND (i.evidence = %s
                       OR (i.evidence = %s AND {note})
                       OR (i.evidence = %s AND a.number IS NOT NULL)
                       OR (i.evidence IN (%s, %s) AND a.evidence_file IS NOT NULL
                           AND a.evidence_file <> ''))))
            GROUP BY a.plan_id
        ),
        cover AS (
            SELECT s.plan_id, MIN({on_hand} / s.daily_use) AS low
            FROM {supply} s
            JOIN {plan} p ON p.id = s.plan_id
            WHERE s.daily_use > 0 AND {in_scope}
            GROUP BY s.plan_id
        )
        SELECT p.id, p.enterprise_id, p.status,
               COALESCE(r.n, 0) - COALESCE(k.n, 0), c.low
        FROM {plan} p
        LEFT JOIN required r ON r.plan_id = p.id
        LEFT JOIN complete k ON k.plan_id = p.id
        LEFT JOIN cover c ON c.plan_id = p.id
        WHERE {in_scope}
    """  # noqa: S608 - table names are ours; values are parameters
    params = [
        *scope_params,
        *scope_params,
        True,
        True,
        *scope_params,
        str(AnswerState.NOT_APPLICABLE),
        str(AnswerState.DONE),
        str(EvidenceKind.NONE),
        str(EvidenceKind.NOTE),
        str(EvidenceKind.NUMBER),
        str(EvidenceKind.PHOTO),
        str(EvidenceKind.FILE),
        *scope_params,
        *scope_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(a), int(b), str(c), int(d or 0), e) for a, b, c, d, e in cursor.fetchall()]


def _cover(value: Any) -> Decimal | None:
    """Days of cover as `PlanSupply.days_of_cover` shows them (one decimal)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"))


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def training_by_enterprise(
    enterprise_ids: QuerySet[Any], *, stewards_only: bool, on: dt.date | None = None
) -> dict[int, tuple[int, int, int]]:
    """Per enterprise: (active employees, those with a required course due, those of them
    missing a pass of some required course due) — one query of joins and GROUP BYs.

    As `training.selectors`: an assignment applies to an employee when it is on a published
    course, both made and published by an organisation in the reach of the employee's
    enterprise (itself, the associations it is an active member of, their federation), and
    its rule picks the employee (all; the enterprise's sector; the employee's site; the
    position, trimmed and case-insensitive). A required course counts as `training_status`
    counts it: from the day after the earliest due date of its required assignments that
    pick the employee, or at once when none has a due date (MIN ignores NULLs). Stewards
    count only the federation's and associations' courses (as `completion_counts`); an
    enterprise counts every course that applies to its people."""
    on = on or timezone.localdate()
    scope_sql, scope_params = enterprise_ids.query.sql_with_params()
    org, membership = _table(Organization), _table(Membership)
    employee, assignment = _table(Employee), _table(Assignment)
    course, completion = _table(Course), _table(Completion)
    steward_join = ""
    steward_params: list[Any] = []
    if stewards_only:
        steward_join = f"JOIN {org} pub ON pub.id = c.publisher_id AND pub.kind IN (%s, %s)"
        steward_params = [str(kind) for kind in STEWARD_KINDS]
    sql = f"""
        WITH scope(id) AS ({scope_sql}),
        reach(enterprise_id, org_id) AS (
            SELECT id, id FROM scope
            UNION
            SELECT m.enterprise_id, m.association_id FROM {membership} m
            WHERE m.status = %s AND m.enterprise_id IN (SELECT id FROM scope)
            UNION
            SELECT m.enterprise_id, a.parent_id FROM {membership} m
            JOIN {org} a ON a.id = m.association_id
            WHERE m.status = %s AND a.parent_id IS NOT NULL
              AND m.enterprise_id IN (SELECT id FROM scope)
        ),
        reached AS (
            SELECT ra.enterprise_id, x.course_id, x.rule, x.sector_id, x.site_id,
                   LOWER(x.position) AS position, x.due_on
            FROM reach ra
            JOIN {assignment} x ON x.organization_id = ra.org_id
            JOIN {course} c ON c.id = x.course_id
            JOIN reach rp ON rp.enterprise_id = ra.enterprise_id AND rp.org_id = c.publisher_id
            {steward_join}
            WHERE x.required = %s AND c.status = %s
        ),
        pairs AS (
            SELECT e.id AS employee_id, r.course_id, MIN(r.due_on) AS due_on
            FROM {employee} e
            JOIN {org} ent ON ent.id = e.enterprise_id
            JOIN reached r ON r.enterprise_id = e.enterprise_id
            WHERE e.status = %s
              AND (r.rule = %s
                   OR (r.rule = %s AND r.sector_id = ent.sector_id)
                   OR (r.rule = %s AND r.site_id = e.site_id)
                   OR (r.rule = %s AND r.position = LOWER(TRIM(e.position))))
            GROUP BY e.id, r.course_id
        ),
        due AS (
            SELECT p.employee_id,
                   MAX(CASE WHEN k.id IS NULL THEN 1 ELSE 0 END) AS missing
            FROM pairs p
            LEFT JOIN {completion} k
              ON k.employee_id = p.employee_id AND k.course_id = p.course_id AND k.passed = %s
            WHERE p.due_on IS NULL OR p.due_on < %s
            GROUP BY p.employee_id
        )
        SELECT e.enterprise_id, COUNT(*), COUNT(d.employee_id), COALESCE(SUM(d.missing), 0)
        FROM {employee} e
        LEFT JOIN due d ON d.employee_id = e.id
        WHERE e.status = %s AND e.enterprise_id IN (SELECT id FROM scope)
        GROUP BY e.enterprise_id
    """  # noqa: S608 - table names are ours; values are parameters
    active = str(MembershipStatus.ACTIVE)
    params = [
        *scope_params,
        active,
        active,
        *steward_params,
        True,
        str(Course.Status.PUBLISHED),
        str(EmploymentStatus.ACTIVE),
        str(Assignment.Rule.ALL),
        str(Assignment.Rule.SECTOR),
        str(Assignment.Rule.SITE),
        str(Assignment.Rule.POSITION),
        True,
        on,
        str(EmploymentStatus.ACTIVE),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(pk): (int(n), int(d), int(m)) for pk, n, d, m in cursor.fetchall()}


def _slots_sql() -> tuple[str, str, str]:
    """The vendor's table function expanding a schedule's JSON list of "HH:MM" slots, the
    slot as it is compared with entries, and an entry's slot time in the same form."""
    if connection.vendor == "postgresql":
        return (
            "jsonb_array_elements_text(s.slots) AS j(value)",
            "CAST(j.value AS time)",
            "e.slot_time",
        )
    return "json_each(s.slots) AS j", "j.value", "substr(e.slot_time, 1, 5)"


def _cutoffs(today: dt.date, now: dt.datetime, days: int) -> list[tuple[dt.date, str]]:
    """Per day, the latest "HH:MM" slot that is overdue at `now` (its time plus the rule
    table's grace has passed): "" for none, "99:99" for every slot of the day."""
    local = timezone.localtime(now)
    emergency = emergency_current()  # once, not once a day (sitelogs.rules.defaults_in_force)
    result = []
    for offset in range(days):
        day = today - dt.timedelta(days=offset)
        version = rule_effective(emergency=emergency, key=KEY, on=day) if emergency else None
        rules = DEFAULT if version is None else SiteLogDefaults.model_validate(version.data)
        start = dt.datetime.combine(day, dt.time(0), tzinfo=local.tzinfo)
        limit = local - dt.timedelta(minutes=rules.grace_minutes) - start
        if limit >= dt.timedelta(days=1):
            cutoff = "99:99"
        elif limit < dt.timedelta(0):
            cutoff = ""
        else:
            minutes = int(limit.total_seconds() // 60)
            cutoff = f"{minutes // 60:02d}:{minutes % 60:02d}"
        result.append((day, cutoff))
    return result


def overdue_rounds(
    enterprise_ids: QuerySet[Any],
    *,
    by: str = "enterprise_id",
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    days: int = WEEK_DAYS,
) -> dict[int, tuple[int, int]]:
    """Overdue rounds per enterprise (or per site with by="site_id"): (today, last `days`
    days) — one GROUP BY query. A slot of a schedule valid on its day is overdue when its
    time plus the grace of the rule table has passed and no live (uncorrected) entry of the
    site, kind, day and time exists — as `sitelogs.selectors` judges it."""
    assert by in {"enterprise_id", "site_id"}
    now = now or timezone.now()
    today = today or timezone.localdate()
    cutoffs = _cutoffs(today, now, days)
    expand, slot, entry_slot = _slots_sql()
    scope_sql, scope_params = enterprise_ids.query.sql_with_params()
    day_rows = ", ".join(["(%s, %s)"] * len(cutoffs))
    if connection.vendor == "postgresql":
        day_rows = ", ".join(["(%s::date, %s::text)"] * len(cutoffs))
    day_params: list[Any] = [v for row in cutoffs for v in row]
    schedule, entry = _table(SiteSchedule), _table(LogEntry)
    sql = f"""
        WITH scope(id) AS ({scope_sql}),
        d(day, cutoff) AS (VALUES {day_rows}),
        slots AS (
            SELECT s.enterprise_id, s.site_id, s.kind, d.day, {slot} AS slot
            FROM {schedule} s
            JOIN d ON s.valid_from <= d.day
                  AND (s.valid_until IS NULL OR s.valid_until >= d.day)
            CROSS JOIN {expand}
            WHERE s.enterprise_id IN (SELECT id FROM scope) AND j.value <= d.cutoff
        ),
        done AS (
            SELECT e.site_id, e.kind, e.slot_date, {entry_slot} AS slot
            FROM {entry} e
            WHERE e.enterprise_id IN (SELECT id FROM scope)
              AND e.slot_date >= %s AND e.slot_date <= %s AND e.slot_time IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {entry} c
                              WHERE c.corrects_id IS NOT NULL AND c.corrects_id = e.id)
        )
        SELECT sl.{by}, SUM(CASE WHEN sl.day = %s THEN 1 ELSE 0 END), COUNT(*)
        FROM slots sl
        LEFT JOIN done dn
          ON dn.site_id = sl.site_id AND dn.kind = sl.kind AND dn.slot_date = sl.day
         AND dn.slot = sl.slot
        WHERE dn.site_id IS NULL
        GROUP BY sl.{by}
    """  # noqa: S608 - table names and fragments are ours; values are parameters
    first = today - dt.timedelta(days=days - 1)
    params = [*scope_params, *day_params, first, today, today]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(key): (int(t or 0), int(w or 0)) for key, t, w in cursor.fetchall()}


# --- Scopes and rows ----------------------------------------------------------------------


def _members_of(association: Organization) -> QuerySet[Any]:
    """The association's active member enterprises (the notices' audience selector)."""
    return member_enterprises(publisher=association).order_by().values("pk")


def _all_enterprises() -> QuerySet[Any]:
    return Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).order_by().values("pk")


def member_rows(
    enterprise_ids: QuerySet[Any], *, stewards_only: bool = True, today: dt.date | None = None
) -> list[MemberRow]:
    """One row per enterprise of the scope, ordered by name (5 queries, any number)."""
    today = today or timezone.localdate()
    sectors = {s.code: s.label for s in Sector.objects.all()}
    rows = {
        pk: MemberRow(pk, name, sector_id, district_id, sector_label=sectors.get(sector_id, "—"))
        for pk, name, sector_id, district_id in Organization.objects.filter(
            pk__in=enterprise_ids
        ).values_list("pk", "name", "sector_id", "district_id")
    }
    for plan_id, enterprise_id, status, gaps, cover in plan_figures(enterprise_ids):
        row = rows.get(enterprise_id)
        if row is not None:
            row.plan_id, row.plan_status = plan_id, status
            row.gaps, row.min_cover = max(int(gaps or 0), 0), _cover(cover)
    training = training_by_enterprise(enterprise_ids, stewards_only=stewards_only, on=today)
    for enterprise_id, (employees, due, missing) in training.items():
        if enterprise_id in rows:
            row = rows[enterprise_id]
            row.employees, row.employees_due, row.employees_missing = employees, due, missing
    for enterprise_id, (on_day, week) in overdue_rounds(enterprise_ids, today=today).items():
        if enterprise_id in rows:
            rows[enterprise_id].overdue_today, rows[enterprise_id].overdue_week = on_day, week
    return sorted(rows.values(), key=lambda r: (r.name, r.enterprise_id))


def _grouped(
    rows: Iterable[MemberRow], keys: dict[int, list[Any]], labels: dict[Any, str]
) -> list[Group]:
    groups: dict[Any, Group] = {}
    for row in rows:
        for key in keys.get(row.enterprise_id) or [None]:
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(str(key or ""), labels.get(key, "—"))
            group.figures.add(row.figures)
    return sorted(groups.values(), key=lambda g: (g.label == "—", g.label))


def total_of(rows: Iterable[MemberRow]) -> Figures:
    total = Figures()
    for row in rows:
        total.add(row.figures)
    return total


def by_sector(rows: list[MemberRow]) -> list[Group]:
    labels = {r.sector_id: r.sector_label for r in rows if r.sector_id}
    return _grouped(rows, {r.enterprise_id: [r.sector_id] for r in rows}, labels)


@dataclass
class MemberFilter:
    sector: str = ""
    status: str = ""  # a PlanStatus, or "none" for enterprises without a plan
    problems: bool = False

    @classmethod
    def from_request(cls, request: HttpRequest) -> MemberFilter:
        sector = request.GET.get("sector", "")[:40]
        status = request.GET.get("status", "")[:20]
        if status not in {*PlanStatus.values, "none"}:
            status = ""
        return cls(sector=sector, status=status, problems=request.GET.get("problems") == "1")

    def apply(self, rows: list[MemberRow]) -> list[MemberRow]:
        picked = rows
        if self.sector:
            picked = [r for r in picked if r.sector_id == self.sector]
        if self.status == "none":
            picked = [r for r in picked if r.plan_status is None]
        elif self.status:
            picked = [r for r in picked if r.plan_status == self.status]
        if self.problems:
            picked = [r for r in picked if r.has_problems]
        return picked


@dataclass
class FederationView:
    total: Figures
    by_association: list[Group]
    by_sector: list[Group]
    by_district: list[Group]


def federation_overview(*, viewer: RoleGrant, today: dt.date | None = None) -> FederationView:
    """Every enterprise, grouped per association (an enterprise in two counts in both; one
    in none under "—"), per sector and per district. Counts only."""
    if viewer.organization.kind != OrganizationKind.FEDERATION:
        raise Http404
    rows = member_rows(_all_enterprises(), today=today)
    links: dict[int, list[Any]] = defaultdict(list)
    for enterprise_id, association_id in Membership.objects.filter(
        status=MembershipStatus.ACTIVE, association__parent=viewer.organization
    ).values_list("enterprise_id", "association_id"):
        links[enterprise_id].append(association_id)
    associations = dict(
        Organization.objects.filter(
            kind=OrganizationKind.ASSOCIATION, parent=viewer.organization
        ).values_list("pk", "name")
    )
    districts = dict(
        Division.objects.filter(pk__in={r.district_id for r in rows if r.district_id}).values_list(
            "pk", "name"
        )
    )
    return FederationView(
        total=total_of(rows),
        by_association=_grouped(rows, links, associations),
        by_sector=by_sector(rows),
        by_district=_grouped(rows, {r.enterprise_id: [r.district_id] for r in rows}, districts),
    )


def association_of_federation(*, viewer: RoleGrant, pk: int) -> Organization:
    """One association of the viewer's federation, else 404."""
    if viewer.organization.kind != OrganizationKind.FEDERATION:
        raise Http404
    found = Organization.objects.filter(
        pk=pk, kind=OrganizationKind.ASSOCIATION, parent=viewer.organization
    ).first()
    if found is None:
        raise Http404
    return found


@dataclass
class SiteRow:
    site: Site
    overdue_today: int = 0
    overdue_week: int = 0


def enterprise_glance(*, viewer: RoleGrant, today: dt.date | None = None) -> dict[str, Any]:
    """The enterprise's own figures and its sites' overdue rounds."""
    org = viewer.organization
    if org.kind != OrganizationKind.ENTERPRISE:
        raise Http404
    today = today or timezone.localdate()
    scope = Organization.objects.filter(pk=org.pk).order_by().values("pk")
    row = member_rows(scope, stewards_only=False, today=today)[0]
    per_site = overdue_rounds(scope, by="site_id", today=today)
    sites = [
        SiteRow(site, *per_site.get(site.pk, (0, 0)))
        for site in sitelog_selectors.sites(viewer=viewer).order_by("name", "pk")
    ]
    return {"row": row, "sites": sites}


# --- Views --------------------------------------------------------------------------------


def _member_table(request: GrantRequest, rows: list[MemberRow]) -> dict[str, Any]:
    chosen = MemberFilter.from_request(request)
    picked = chosen.apply(rows)
    context = paginate(request, cast("QuerySet[Any]", picked))  # a list pages the same way
    context.update(
        filter=chosen,
        total=total_of(rows),
        shown=len(picked),
        sectors=by_sector(rows),
        sector_choices=Sector.objects.all(),
        statuses=[*PlanStatus.choices, ("none", _("Not started"))],
    )
    return context


def _base(request: GrantRequest) -> dict[str, Any]:
    return {"grant": request.grant, "low_days": LOW_COVER_DAYS, "week_days": WEEK_DAYS}


@access(Audience.MEMBER)
@require_GET
def compliance(request: GrantRequest) -> HttpResponse:
    """Compliance at a glance for the organisation the user acts for."""
    org = request.grant.organization
    context = _base(request)
    if org.kind == OrganizationKind.ENTERPRISE:
        context.update(enterprise_glance(viewer=request.grant))
        return render(request, "dashboards/compliance_enterprise.html", context)
    if org.kind == OrganizationKind.ASSOCIATION:
        context.update(_member_table(request, member_rows(_members_of(org))))
        context["association"] = org
        return render(request, "dashboards/compliance_association.html", context)
    context["overview"] = federation_overview(viewer=request.grant)
    return render(request, "dashboards/compliance_federation.html", context)


@access(Audience.FEDERATION)
@require_GET
def compliance_association(request: GrantRequest, pk: int) -> HttpResponse:
    """The federation's drill-down: one association's member table."""
    association = association_of_federation(viewer=request.grant, pk=pk)
    context = _base(request)
    context.update(_member_table(request, member_rows(_members_of(association))))
    context.update(association=association, drill_down=True)
    return render(request, "dashboards/compliance_association.html", context)
