"""Reads of training data, scoped by the viewer (the active RoleGrant) or by the employee.

Who sees which course:
- the federation: its own courses and the associations' published ones;
- an association: its own courses and the federation's published ones;
- an enterprise: its own courses and the published courses of the associations it is an
  active member of and of their federation.

Which courses apply to an employee (`assigned_courses`): the published courses of those
same publishers that carry an assignment made by the enterprise itself, by one of its
associations or by the federation, whose rule matches the employee (all, the enterprise's
sector, the employee's position, the employee's site). Several matching assignments:
required if any is, due on the earliest due date of the required ones.

Associations and the federation get counts only (`completion_counts`), never a name.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import RoleGrant
from orgs.models import Membership, MembershipStatus, Organization, OrganizationKind
from training.models import Assignment, Completion, Course, CourseFile, Question
from workforce.models import Employee, EmploymentStatus

# --- Courses ------------------------------------------------------------------------------


def reach_of(enterprise_id: int) -> set[int]:
    """The organisations whose courses and assignments reach an enterprise's employees:
    itself, the associations it is an active member of, and their federation."""
    return _reach_map([enterprise_id])[enterprise_id]


def _reach_map(enterprise_ids: Iterable[int]) -> dict[int, set[int]]:
    ids = list(enterprise_ids)
    reach: dict[int, set[int]] = {pk: {pk} for pk in ids}
    rows = Membership.objects.filter(
        enterprise_id__in=ids, status=MembershipStatus.ACTIVE
    ).values_list("enterprise_id", "association_id", "association__parent_id")
    for enterprise_id, association_id, parent_id in rows:
        reach[enterprise_id].add(association_id)
        if parent_id is not None:
            reach[enterprise_id].add(parent_id)
    return reach


def course_list(*, viewer: RoleGrant) -> QuerySet[Course]:
    """The courses the viewer's organisation may read (see the module docstring)."""
    org = viewer.organization
    courses = Course.objects.select_related("publisher")
    published = Q(status=Course.Status.PUBLISHED)
    if org.kind == OrganizationKind.FEDERATION:
        return courses.filter(
            Q(publisher=org)
            | (published & Q(publisher__kind=OrganizationKind.ASSOCIATION, publisher__parent=org))
        )
    if org.kind == OrganizationKind.ASSOCIATION:
        return courses.filter(Q(publisher=org) | (published & Q(publisher_id=org.parent_id)))
    others = reach_of(org.pk) - {org.pk}
    return courses.filter(Q(publisher=org) | (published & Q(publisher_id__in=others)))


def course_get(*, viewer: RoleGrant, pk: int) -> Course:
    course = course_list(viewer=viewer).filter(pk=pk).first()
    if course is None:
        raise Http404
    return course


def course_manage_get(*, viewer: RoleGrant, pk: int) -> Course:
    """A course of the viewer's own organisation (to edit), else 404."""
    course = Course.objects.filter(pk=pk, publisher=viewer.organization).first()
    if course is None:
        raise Http404
    return course


def question_list(*, course: Course) -> list[Question]:
    return list(course.questions.prefetch_related("choices"))


def file_list(*, course: Course) -> QuerySet[CourseFile]:
    return course.files.all()


def file_get(*, viewer: RoleGrant, pk: int) -> CourseFile:
    found = CourseFile.objects.filter(pk=pk, course__in=course_list(viewer=viewer)).first()
    if found is None:
        raise Http404
    return found


def question_manage_get(*, viewer: RoleGrant, pk: int) -> Question:
    found = Question.objects.filter(pk=pk, course__publisher=viewer.organization).first()
    if found is None:
        raise Http404
    return found


def file_manage_get(*, viewer: RoleGrant, pk: int) -> CourseFile:
    found = CourseFile.objects.filter(pk=pk, course__publisher=viewer.organization).first()
    if found is None:
        raise Http404
    return found


def assignment_list(*, viewer: RoleGrant, course: Course) -> QuerySet[Assignment]:
    """The assignments of a course the viewer may see: the publisher's (which reach every
    member) and the viewer's own."""
    return (
        Assignment.objects.filter(course=course)
        .filter(Q(organization=viewer.organization) | Q(organization_id=course.publisher_id))
        .select_related("organization", "sector", "site")
    )


def assignment_manage_get(*, viewer: RoleGrant, pk: int) -> Assignment:
    found = (
        Assignment.objects.filter(pk=pk, organization=viewer.organization)
        .select_related("course")
        .first()
    )
    if found is None or not course_list(viewer=viewer).filter(pk=found.course_id).exists():
        raise Http404
    return found


# --- Who takes what -----------------------------------------------------------------------


@dataclass(frozen=True)
class Assigned:
    """A course that applies to an employee, and on what terms."""

    course: Course
    required: bool
    due_on: dt.date | None


def rule_matches(assignment: Assignment, *, employee: Employee, sector_id: str | None) -> bool:
    """Whether an assignment's rule picks the employee (of an enterprise in `sector_id`)."""
    rule = assignment.rule
    if rule == Assignment.Rule.ALL:
        return True
    if rule == Assignment.Rule.SECTOR:
        return sector_id is not None and assignment.sector_id == sector_id
    if rule == Assignment.Rule.SITE:
        return employee.site_id is not None and assignment.site_id == employee.site_id
    if rule == Assignment.Rule.POSITION:
        return (employee.position or "").strip().casefold() == assignment.position.casefold()
    return False


def _assignments_for(reach: dict[int, set[int]]) -> list[Assignment]:
    """Assignments on published courses made by any organisation in any reach set."""
    orgs = set().union(*reach.values()) if reach else set()
    return list(
        Assignment.objects.filter(
            organization_id__in=orgs,
            course__status=Course.Status.PUBLISHED,
            course__publisher_id__in=orgs,
        ).select_related("course")
    )


def _terms(items: list[Assignment]) -> Assigned:
    """Several assignments of one course: required if any is; due on the earliest due date
    of the required ones (of all, when none is required)."""
    required = [a for a in items if a.required]
    dues = [a.due_on for a in (required or items) if a.due_on is not None]
    return Assigned(course=items[0].course, required=bool(required), due_on=min(dues, default=None))


def _applicable(
    assignments: list[Assignment], reach: set[int], employee: Employee, sector_id: str | None
) -> dict[int, Assigned]:
    picked: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        if assignment.organization_id not in reach or assignment.course.publisher_id not in reach:
            continue
        if rule_matches(assignment, employee=employee, sector_id=sector_id):
            picked[assignment.course_id].append(assignment)
    return {course_id: _terms(items) for course_id, items in picked.items()}


def assigned_courses(*, employee: Employee) -> list[Assigned]:
    """The published courses that apply to an employee, required ones first."""
    if employee.status != EmploymentStatus.ACTIVE:
        return []
    reach = _reach_map([employee.enterprise_id])
    found = _applicable(
        _assignments_for(reach),
        reach[employee.enterprise_id],
        employee,
        employee.enterprise.sector_id,
    )
    return sorted(
        found.values(),
        key=lambda a: (not a.required, a.due_on or dt.date.max, a.course.title),
    )


def assigned_course_get(*, employee: Employee, pk: int) -> Assigned:
    """A course that applies to the employee, else 404 (any other course, draft or not)."""
    for assigned in assigned_courses(employee=employee):
        if assigned.course.pk == pk:
            return assigned
    raise Http404


def own_file_get(*, employee: Employee, pk: int) -> CourseFile:
    """A file of a course that applies to the employee, else 404."""
    row = CourseFile.objects.filter(pk=pk).first()
    if row is None:
        raise Http404
    assigned_course_get(employee=employee, pk=row.course_id)
    return row


def own_completions(*, employee: Employee) -> dict[int, Completion]:
    return {c.course_id: c for c in Completion.objects.filter(employee=employee)}


def training_status(employee: Employee, on: dt.date | None = None) -> tuple[bool, list[str]]:
    """Whether the employee has passed every required course due by `on` (today by default),
    and the titles of those missing. A required course counts from the day after its due
    date, or at once when it has none; a pass after `on` does not count for `on`."""
    on = on or timezone.localdate()
    completions = own_completions(employee=employee)
    missing: list[str] = []
    for assigned in assigned_courses(employee=employee):
        if not assigned.required:
            continue
        if assigned.due_on is not None and assigned.due_on >= on:
            continue
        done = completions.get(assigned.course.pk)
        passed = (
            done is not None
            and done.passed
            and done.passed_at is not None
            and timezone.localdate(done.passed_at) <= on
        )
        if not passed:
            missing.append(assigned.course.title)
    return (not missing, missing)


# --- Progress (the enterprise's own people) -----------------------------------------------


class Progress:
    PASSED = "passed"
    FAILED = "failed"
    MISSING = "missing"


@dataclass(frozen=True)
class ProgressRow:
    employee_id: int
    name: str
    masked_mobile: str
    site: str
    position: str
    required: bool
    due_on: dt.date | None
    status: str
    best_score: int | None
    attempts: int
    passed_at: dt.datetime | None


def _employees(enterprise_ids: Iterable[int]) -> QuerySet[Employee]:
    return Employee.objects.filter(
        enterprise_id__in=list(enterprise_ids), status=EmploymentStatus.ACTIVE
    )


def _status_of(completion: Completion | None) -> str:
    if completion is None or (completion.attempts == 0 and not completion.passed):
        return Progress.MISSING
    return Progress.PASSED if completion.passed else Progress.FAILED


def progress_rows(*, viewer: RoleGrant, course: Course) -> list[ProgressRow]:
    """The viewer's (an enterprise's) active employees the course applies to, with how far
    each got: the name as the roster shows it to the enterprise, the mobile masked."""
    enterprise = viewer.organization
    if enterprise.kind != OrganizationKind.ENTERPRISE:
        raise Http404
    reach = _reach_map([enterprise.pk])
    assignments = [a for a in _assignments_for(reach) if a.course_id == course.pk]
    completions = {
        c.employee_id: c for c in Completion.objects.filter(course=course, enterprise=enterprise)
    }
    rows: list[ProgressRow] = []
    employees = (
        _employees([enterprise.pk])
        .select_related("site")
        .only("pk", "name", "mobile_masked", "site__name", "position", "site_id", "enterprise_id")
    )
    for employee in employees:
        found = _applicable(assignments, reach[enterprise.pk], employee, enterprise.sector_id)
        assigned = found.get(course.pk)
        if assigned is None:
            continue
        completion = completions.get(employee.pk)
        rows.append(
            ProgressRow(
                employee_id=employee.pk,
                name=employee.name,
                masked_mobile=employee.mobile_masked,
                site=employee.site.name if employee.site else "",
                position=employee.position,
                required=assigned.required,
                due_on=assigned.due_on,
                status=_status_of(completion),
                best_score=completion.best_score if completion else None,
                attempts=completion.attempts if completion else 0,
                passed_at=completion.passed_at if completion else None,
            )
        )
    return rows


def missing_employees(*, enterprise: Organization, course: Course) -> list[Employee]:
    """Active employees of the enterprise the course applies to who have not taken it."""
    viewer = RoleGrant(organization=enterprise)
    ids = [
        row.employee_id
        for row in progress_rows(viewer=viewer, course=course)
        if row.status == Progress.MISSING
    ]
    return list(
        Employee.objects.filter(pk__in=ids).only(
            "pk", "mobile_enc", "language", "link_generation", "enterprise_id"
        )
    )


# --- Counts (roll-ups: no names) ----------------------------------------------------------


@dataclass
class Counts:
    """Required (employee, course) pairs and how they stand: counts only."""

    label: str = ""
    key: str = ""
    employees: int = 0
    required: int = 0
    passed: int = 0
    failed: int = 0
    missing: int = 0

    @property
    def rate(self) -> int | None:
        """Percent of required pairs passed (None when nothing is required)."""
        return round(100 * self.passed / self.required) if self.required else None

    def add(self, other: Counts) -> None:
        self.employees += other.employees
        self.required += other.required
        self.passed += other.passed
        self.failed += other.failed
        self.missing += other.missing


@dataclass
class CompletionRollup:
    total: Counts
    by_enterprise: list[Counts] = field(default_factory=list)
    by_sector: list[Counts] = field(default_factory=list)


def _scope_enterprises(viewer: RoleGrant) -> QuerySet[Organization]:
    org = viewer.organization
    enterprises = Organization.objects.filter(kind=OrganizationKind.ENTERPRISE)
    if org.kind == OrganizationKind.ENTERPRISE:
        return enterprises.filter(pk=org.pk)
    members = Membership.objects.filter(status=MembershipStatus.ACTIVE)
    if org.kind == OrganizationKind.ASSOCIATION:
        members = members.filter(association=org)
    else:
        members = members.filter(association__parent=org)
    return enterprises.filter(pk__in=members.values("enterprise_id"))


def completion_counts(*, viewer: RoleGrant, course: Course | None = None) -> CompletionRollup:
    """Completion of required courses in the viewer's scope: an enterprise its own, an
    association its active members, the federation the members of its associations.
    Stewards count the courses they may read (their own and their stewards'), never an
    enterprise's own courses; an enterprise counts all that apply to its people."""
    org = viewer.organization
    enterprises = {
        e.pk: e for e in _scope_enterprises(viewer).select_related("sector").order_by("name")
    }
    reach = _reach_map(enterprises)
    assignments = _assignments_for(reach)
    if org.kind != OrganizationKind.ENTERPRISE:
        visible = set(course_list(viewer=viewer).values_list("pk", flat=True))
        assignments = [a for a in assignments if a.course_id in visible]
    if course is not None:
        assignments = [a for a in assignments if a.course_id == course.pk]
    course_ids = {a.course_id for a in assignments}
    completions: dict[tuple[int, int], tuple[bool, int]] = {
        (employee_id, course_id): (passed, attempts)
        for employee_id, course_id, passed, attempts in Completion.objects.filter(
            enterprise_id__in=list(enterprises), course_id__in=course_ids
        ).values_list("employee_id", "course_id", "passed", "attempts")
    }
    per_enterprise: dict[int, Counts] = {
        pk: Counts(label=e.name, key=str(pk)) for pk, e in enterprises.items()
    }
    by_org: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        by_org[assignment.organization_id].append(assignment)
    employees = _employees(enterprises).only("pk", "enterprise_id", "site_id", "position")
    for employee in employees.iterator(chunk_size=2000):
        eid = employee.enterprise_id
        own_reach = reach[eid]
        relevant = [a for org_id in own_reach for a in by_org.get(org_id, [])]
        counts = per_enterprise[eid]
        counts.employees += 1
        sector_id = enterprises[eid].sector_id
        for assigned in _applicable(relevant, own_reach, employee, sector_id).values():
            if not assigned.required:
                continue
            counts.required += 1
            passed, attempts = completions.get((employee.pk, assigned.course.pk), (False, 0))
            if passed:
                counts.passed += 1
            elif attempts:
                counts.failed += 1
            else:
                counts.missing += 1
    total = Counts()
    sectors: dict[str, Counts] = {}
    for pk, counts in per_enterprise.items():
        total.add(counts)
        sector = enterprises[pk].sector
        key = sector.code if sector else ""
        if key not in sectors:
            sectors[key] = Counts(label=sector.label if sector else "—", key=key)
        sectors[key].add(counts)
    return CompletionRollup(
        total=total,
        by_enterprise=list(per_enterprise.values()),
        by_sector=sorted(sectors.values(), key=lambda c: c.label),
    )


def reminded_within(*, enterprise: Organization, course: Course, since: dt.datetime) -> bool:
    return course.reminders.filter(enterprise=enterprise, sent_at__gte=since).exists()
