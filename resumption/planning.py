"""Return plans: build a `scheduling.model` problem from an application's rows, solve it,
store the assignments with the solver's report, pin/move people, publish, and tell
employees (only those whose date or shift changed).

The solver is `scheduling.enterprise` when it is there, else `scheduling.greedy`
(`docs/resumption.md`). Days are counted from the plan's first day (its first phase).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from health.selectors import open_observations
from lib import crypto
from notify.models import Channel
from notify.services import Message, Recipient, notify_send
from orgs.models import Site
from resumption.models import (
    ApplicationStatus,
    Assignment,
    Phase,
    ResumptionApplication,
    ReturnDeclaration,
    ReturnPlan,
)
from resumption.rules import Capacity, site_capacity
from scheduling import model as sm
from workforce.links import link_path
from workforce.models import Employee, EmploymentStatus

HORIZON_DAYS = 30
# A plan is computed in the request: the solver stops after this long with its best plan.
SOLVE_SECONDS = 5.0
NO_DECLARATION = "no_declaration"


def reason_text(code: str, params: dict[str, Any] | None = None) -> str:
    """A translated sentence for a scheduler reason code."""
    texts = {
        NO_DECLARATION: _("No return declaration yet: ask the employee to fill it in."),
        sm.Reason.QUARANTINE_AFTER_HORIZON: _(
            "The quarantine required by the rules ends after the plan's last day."
        ),
        sm.Reason.OBSERVATION_AFTER_HORIZON: _("The observation ends after the plan's last day."),
        sm.Reason.UNKNOWN_SITE: _("The employee's site is not in any phase of the application."),
        sm.Reason.NO_CAPACITY: _("No shift of the site has room on every remaining day."),
        sm.Reason.NO_ISOLATION_ROOM: _("No isolation room is free for the whole quarantine."),
        sm.Reason.NO_ARRIVAL_QUOTA: _("No arrival quota is left on a day that still allows work."),
        sm.Reason.NOT_SELECTED: _("The site's capacity went to critical or earlier staff."),
        sm.Reason.PIN_REFUSED: _("The fixed date breaks a rule; see the refusal."),
        sm.Reason.PIN_UNKNOWN_SHIFT: _("That shift does not exist in the phases."),
        sm.Reason.PIN_BEFORE_QUARANTINE_END: _(
            "That day is before the end of the quarantine the rules require."
        ),
        sm.Reason.PIN_BEFORE_ARRIVAL: _("That day is before the employee can arrive."),
        sm.Reason.PIN_OUTSIDE_HORIZON: _("That day is outside the plan's days."),
        sm.Reason.PIN_OVER_CAPACITY: _(
            "That shift of the site is full on some day from then on (capacity per shift)."
        ),
        sm.Reason.PIN_OVER_QUOTA: _("The arrival quota of that day is used up."),
        sm.Reason.PIN_OVER_ISOLATION: _("No isolation room is free for the whole quarantine."),
    }
    return str(texts.get(code, code))  # type: ignore[call-overload]


BINDING_TEXT = {
    str(sm.Kind.SITE_SHIFT_CAPACITY): gettext_lazy("Shift of a site full"),
    str(sm.Kind.SITE_CAPACITY): gettext_lazy("Site full"),
    str(sm.Kind.ARRIVAL_QUOTA): gettext_lazy("Arrival quota used up"),
    str(sm.Kind.ISOLATION_ROOMS): gettext_lazy("Isolation rooms full"),
    str(sm.Kind.DISTRICT_CAP): gettext_lazy("District arrival cap reached"),
    str(sm.Kind.QUARANTINE): gettext_lazy("Quarantine required by the rules"),
}


# Building the problem -----------------------------------------------------------------


@dataclass
class Frame:
    """The application's phases laid out over the plan's days."""

    start: dt.date
    days: int
    phases: list[Phase]
    sites: dict[int, Site]
    shift_hours: list[float]
    shift_labels: list[str]
    capacity: dict[tuple[int, int], list[int]]  # (site pk, shift) → people per day
    workings: dict[tuple[int, int], Capacity]  # (phase pk, site pk) → how it was computed

    def day(self, index: int) -> dt.date:
        return self.start + dt.timedelta(days=index)

    def index(self, day: dt.date) -> int:
        return (day - self.start).days


def frame_of(application: ResumptionApplication, days: int = HORIZON_DAYS) -> Frame:
    phases = list(application.phases.prefetch_related("sites").order_by("starts_on"))
    if not phases:
        raise ValidationError(_("Add at least one phase before planning."), code="phases")
    start = phases[0].starts_on
    sector = application.enterprise.sector_id
    sites: dict[int, Site] = {}
    shift_count = max(len(p.shifts) for p in phases)
    hours: list[float] = [8.0] * shift_count
    labels: list[str] = [""] * shift_count
    for phase in reversed(phases):
        for k, shift in enumerate(phase.shifts):
            hours[k] = float(shift.get("hours", 8.0))
            labels[k] = f"{shift['start']}–{shift['end']}"
    workings: dict[tuple[int, int], Capacity] = {}
    for phase in phases:
        for site in phase.sites.all():
            sites[site.pk] = site
            workings[(phase.pk, site.pk)] = site_capacity(
                floor_area_m2=site.floor_area_m2,
                sector_code=sector,
                share_pct=phase.share_pct,
                on=phase.starts_on,
            )
    if not sites:
        raise ValidationError(_("The phases name no site: add a site to a phase."), code="sites")
    capacity: dict[tuple[int, int], list[int]] = {
        (s, k): [0] * days for s in sites for k in range(shift_count)
    }
    for d in range(days):
        day = start + dt.timedelta(days=d)
        current = next((p for p in reversed(phases) if p.starts_on <= day), None)
        if current is None:
            continue
        for site in current.sites.all():
            for k in range(len(current.shifts)):
                capacity[(site.pk, k)][d] = workings[(current.pk, site.pk)].people
    return Frame(start, days, phases, sites, hours, labels, capacity, workings)


@dataclass
class Built:
    problem: sm.EnterpriseProblem
    frame: Frame
    employees: dict[int, Employee]
    undeclared: list[Employee]


def _site_for(employee: Employee, frame: Frame, pinned_site: int | None) -> int:
    if pinned_site in frame.sites:
        return int(pinned_site)  # type: ignore[arg-type]
    if employee.site_id in frame.sites:
        return int(employee.site_id)  # type: ignore[arg-type]
    # Not at one of the application's sites: the largest one.
    return max(frame.sites.values(), key=lambda s: (s.floor_area_m2, -s.pk)).pk


def build_problem(
    plan: ReturnPlan,
    *,
    extra_pin: tuple[int, sm.Pin, int | None] | None = None,
    hold: set[int] | None = None,
) -> Built:
    """The scheduling problem of a plan: its application's sites and phases, the active
    employees with a declaration, the pins (and one more pin to try, booked after them), and
    the people to `hold` where they are (booked after the pins, as pins)."""
    application = plan.application
    frame = frame_of(application, plan.horizon_days)
    employees = {
        e.pk: e
        for e in Employee.objects.filter(
            enterprise=plan.enterprise, status=EmploymentStatus.ACTIVE
        ).order_by("pk")
    }
    declarations = {
        d.employee_id: d for d in ReturnDeclaration.objects.filter(employee_id__in=employees)
    }
    pins: dict[int, tuple[sm.Pin, int | None]] = {}
    held: dict[int, tuple[sm.Pin, int | None]] = {}
    for a in plan.assignments.filter(first_day__isnull=False, shift__isnull=False):
        if not (a.pinned or a.employee_id in (hold or set())):
            continue
        arrival = frame.index(a.arrival_on) if a.arrival_on else None
        entry = (
            sm.Pin(frame.index(a.first_day), str(a.shift), arrival),  # type: ignore[arg-type]
            a.site_id,
        )
        (pins if a.pinned else held)[a.employee_id] = entry
    if extra_pin is not None:
        held.pop(extra_pin[0], None)
        pins[extra_pin[0]] = (extra_pin[1], extra_pin[2])
    # Booking order: the earlier pins, the new pin, the held, then everyone else.
    new = extra_pin[0] if extra_pin is not None else None

    def order(pk: int) -> tuple[int, int]:
        rank = 1 if pk == new else 0 if pk in pins else 2 if pk in held else 3
        return rank, pk

    employees = {pk: employees[pk] for pk in sorted(employees, key=order)}
    pins.update(held)
    # People in isolation or observation (health) work from the day after its planned end.
    observed: dict[int, dt.date] = {}
    for employee_id, ends_on in (
        open_observations(enterprise=plan.enterprise, day=frame.start)
        .filter(employee_id__in=employees)
        .values_list("employee_id", "planned_end_on")
    ):
        observed[employee_id] = max(ends_on, observed.get(employee_id, ends_on))
    people: list[sm.Employee] = []
    undeclared: list[Employee] = []
    for pk, employee in employees.items():
        declaration = declarations.get(pk)
        if declaration is None:
            undeclared.append(employee)
            continue
        pin, pinned_site = pins.get(pk, (None, None))
        travelling = not declaration.in_shenzhen
        earliest: int | None = None
        if travelling:
            travel_on = declaration.planned_travel_on or frame.start
            earliest = max(0, (travel_on - frame.start).days)
        people.append(
            sm.Employee(
                id=str(pk),
                site_id=str(_site_for(employee, frame, pinned_site)),
                critical=employee.is_critical,
                earliest_arrival=earliest,
                quarantine_days=declaration.quarantine_days if travelling else 0,
                needs_isolation=declaration.needs_isolation and travelling,
                pin=pin,
                observation_end=(
                    frame.index(observed[pk]) if pk in observed and not travelling else None
                ),
            )
        )
    shifts = tuple(
        sm.Shift(id=str(k), hours=frame.shift_hours[k]) for k in range(len(frame.shift_hours))
    )
    sites = tuple(
        sm.Site(
            id=str(pk),
            capacity={
                str(k): tuple(frame.capacity[(pk, k)]) for k in range(len(frame.shift_hours))
            },
            district=site.district_id,
        )
        for pk, site in frame.sites.items()
    )
    rooms = tuple([application.isolation_rooms] * frame.days)
    from resumption.waves import arrival_quota  # the wave plan builds on this module

    problem = sm.EnterpriseProblem(
        enterprise_id=str(plan.enterprise_id),
        horizon_start=frame.start,
        days=frame.days,
        shifts=shifts,
        sites=sites,
        employees=tuple(people),
        isolation_rooms=rooms,
        arrival_quota=arrival_quota(plan.enterprise, frame.start, frame.days),
    )
    return Built(problem, frame, employees, undeclared)


def _solver() -> Callable[[sm.EnterpriseProblem], sm.EnterpriseSolution]:
    """`scheduling.enterprise.solve_enterprise` (CP-SAT, greedy start and fallback) when it
    is there, else the greedy heuristic alone."""
    try:
        # highspy and OR-Tools cannot share a process (scheduling/__init__.py): load the
        # federation solver's highspy first, so that CP-SAT always runs in its child
        # interpreter and a wave plan can still be solved in this process afterwards.
        import scheduling.federation  # noqa: F401
        from scheduling.enterprise import solve_enterprise
    except ImportError:
        from scheduling.greedy import greedy_enterprise

        return greedy_enterprise
    seconds = float(getattr(settings, "RESUMPTION_SOLVE_SECONDS", SOLVE_SECONDS))
    return lambda problem: solve_enterprise(problem, time_limit=seconds, workers=1)


def solve(problem: sm.EnterpriseProblem) -> sm.EnterpriseSolution:
    try:
        return _solver()(problem)
    except sm.ModelError:
        raise
    except Exception:  # a solver failure must never lose the plan: the heuristic answers
        from scheduling.greedy import greedy_enterprise

        return greedy_enterprise(problem)


def _binding_rows(solution: sm.EnterpriseSolution, frame: Frame) -> list[dict[str, Any]]:
    """The binding constraints, merged per constraint over its days (at most 30 rows)."""
    merged: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for b in solution.binding:
        row = merged.setdefault(
            (str(b.kind), b.key),
            {
                "kind": str(b.kind),
                "key": list(b.key),
                "first": None,
                "last": None,
                "days": 0,
                "limit": b.limit,
                "blocked": 0,
            },
        )
        if b.day is not None:
            day = frame.day(b.day).isoformat()
            row["first"] = row["first"] or day
            row["last"] = day
            row["days"] += 1
        row["blocked"] = max(row["blocked"], b.blocked)
    rows = sorted(merged.values(), key=lambda r: (-r["blocked"], r["kind"]))[:30]
    for row in rows:
        if row["kind"] == sm.Kind.SITE_SHIFT_CAPACITY and len(row["key"]) == 2:
            site = frame.sites.get(int(row["key"][0]))
            k = int(row["key"][1])
            row["label"] = f"{site.name if site else '?'} · {frame.shift_labels[k]}"
        elif row["kind"] == sm.Kind.QUARANTINE:
            row["label"] = f"{row['key'][0]} d"
        else:
            row["label"] = ""
    return rows


@transaction.atomic
def _store(
    plan: ReturnPlan, built: Built, solution: sm.EnterpriseSolution, pinned: set[int]
) -> ReturnPlan:
    frame = built.frame
    by_employee = solution.by_employee()
    existing = {a.employee_id: a for a in plan.assignments.all()}
    keep: set[int] = set()
    fresh: list[Assignment] = []
    site_of = {e.id: int(e.site_id) for e in built.problem.employees}

    def row(pk: int) -> Assignment:
        keep.add(pk)
        found = existing.get(pk)
        if found is None:
            found = Assignment(plan=plan, employee_id=pk)
            fresh.append(found)
        return found

    for emp_id, result in by_employee.items():
        pk = int(emp_id)
        a = row(pk)
        a.arrival_on = frame.day(result.arrival_day) if result.arrival_day is not None else None
        a.first_day = frame.day(result.first_day) if result.first_day is not None else None
        a.shift = int(result.shift_id) if result.shift_id is not None else None
        a.site_id = site_of.get(emp_id)
        a.pinned = pk in pinned and result.first_day is not None
        a.reason = "" if result.first_day is not None else str(result.reason or "")
    for employee in built.undeclared:
        a = row(employee.pk)
        a.arrival_on = a.first_day = None
        a.shift = None
        a.pinned = False
        a.reason = NO_DECLARATION
        a.site_id = employee.site_id if employee.site_id in frame.sites else None
    # Two statements whatever the size of the enterprise (plus the deletions).
    Assignment.objects.bulk_create(fresh, batch_size=1000)
    changed = [a for pk, a in existing.items() if pk in keep]
    Assignment.objects.bulk_update(
        changed,
        ["arrival_on", "first_day", "shift", "site", "pinned", "reason"],
        batch_size=500,
    )
    plan.assignments.exclude(employee_id__in=keep).delete()
    plan.starts_on = frame.start
    plan.method = str(solution.method)
    plan.objective = float(solution.objective)
    plan.bound = float(solution.bound)
    plan.gap = float(solution.gap)
    plan.binding = _binding_rows(solution, frame)
    plan.solve_seconds = round(solution.seconds, 3)
    plan.computed_at = timezone.now()
    plan.status = ReturnPlan.Status.DRAFT
    plan.version += 1
    plan.save()
    return plan


@transaction.atomic
def plan_compute(*, actor: User | None, application: ResumptionApplication) -> ReturnPlan:
    """(Re)compute the application's plan; pinned people keep their place."""
    if application.status == ApplicationStatus.DRAFT:
        raise ValidationError(_("Submit the application before planning."), code="draft")
    plan = ReturnPlan.objects.select_for_update().filter(application=application).first()
    if plan is None:
        first = application.phases.order_by("starts_on").first()
        if first is None:
            raise ValidationError(_("Add at least one phase before planning."), code="phases")
        plan = ReturnPlan.objects.create(
            enterprise=application.enterprise, application=application, starts_on=first.starts_on
        )
    built = build_problem(plan)
    solution = solve(built.problem)
    pinned = {int(e.id) for e in built.problem.employees if e.pin is not None}
    refused = {int(r.employee_id) for r in solution.refused_pins}
    plan = _store(plan, built, solution, pinned - refused)
    audit_record(
        actor=actor,
        action="resumption.plan_compute",
        scope=application.enterprise,
        obj=plan,
        changes={"method": plan.method, "objective": plan.objective, "gap": plan.gap},
    )
    return plan


@transaction.atomic
def assignment_pin(
    *,
    actor: User | None,
    assignment: Assignment,
    first_day: dt.date,
    shift: int,
    site: Site | None = None,
) -> ReturnPlan:
    """Fix an employee's first working day and shift (and site), then re-plan everyone
    else around it. Refused with the reason when it breaks a constraint."""
    plan = ReturnPlan.objects.select_for_update().get(pk=assignment.plan_id)
    if site is not None and site.enterprise_id != plan.enterprise_id:
        raise ValidationError({"site": _("Choose one of your sites.")})
    built = build_problem(plan)
    frame = built.frame
    if site is not None and site.pk not in frame.sites:
        raise ValidationError({"site": _("This site is in no phase of the application.")})
    if not 0 <= shift < len(frame.shift_labels):
        raise ValidationError({"shift": reason_text(sm.Reason.PIN_UNKNOWN_SHIFT)})
    if not any(e.id == str(assignment.employee_id) for e in built.problem.employees):
        raise ValidationError(reason_text(NO_DECLARATION))
    pin = sm.Pin(frame.index(first_day), str(shift))
    extra = (assignment.employee_id, pin, site.pk if site else assignment.site_id)
    # Everyone else stays where they are when they still fit (fewer people to tell);
    # those the move displaces are planned again.
    others = set(
        plan.assignments.filter(pinned=False, first_day__isnull=False)
        .exclude(pk=assignment.pk)
        .values_list("employee_id", flat=True)
    )
    built = build_problem(plan, extra_pin=extra, hold=others)
    solution = solve(built.problem)
    for refused in solution.refused_pins:
        if refused.employee_id == str(assignment.employee_id):
            raise ValidationError(reason_text(refused.reason, dict(refused.params)), code="pin")
    displaced = {int(r.employee_id) for r in solution.refused_pins} & others
    if displaced:
        built = build_problem(plan, extra_pin=extra, hold=others - displaced)
        solution = solve(built.problem)
    real_pins = set(plan.assignments.filter(pinned=True).values_list("employee_id", flat=True)) | {
        assignment.employee_id
    }
    refused_ids = {int(r.employee_id) for r in solution.refused_pins}
    if refused_ids & (others - displaced):
        # A held person refused on the second pass: re-plan everyone but the pins.
        built = build_problem(plan, extra_pin=extra)
        solution = solve(built.problem)
        refused_ids = {int(r.employee_id) for r in solution.refused_pins}
    plan = _store(plan, built, solution, real_pins - refused_ids)
    audit_record(
        actor=actor,
        action="resumption.assignment_pin",
        scope=plan.enterprise,
        obj=plan,
        changes={
            "employee": assignment.employee_id,
            "first_day": first_day.isoformat(),
            "shift": shift,
        },
    )
    return plan


@transaction.atomic
def assignment_unpin(*, actor: User | None, assignment: Assignment) -> ReturnPlan:
    Assignment.objects.filter(pk=assignment.pk).update(pinned=False)
    plan = assignment.plan
    audit_record(
        actor=actor,
        action="resumption.assignment_unpin",
        scope=plan.enterprise,
        obj=plan,
        changes={"employee": assignment.employee_id},
    )
    return plan_compute(actor=actor, application=plan.application)


@transaction.atomic
def plan_publish(*, actor: User | None, plan: ReturnPlan, notify: bool = True) -> int:
    """Publish the plan: every employee whose date, site or shift differs from what they
    were last told gets an SMS with their personal link (unless `notify` is False: the
    demo); returns how many were told."""
    current = ReturnPlan.objects.select_for_update().get(pk=plan.pk)
    if current.application.status != ApplicationStatus.APPROVED:
        raise ValidationError(
            _("The application must be approved before its plan is published."), code="approval"
        )
    if current.computed_at is None:
        raise ValidationError(_("Compute the plan first."), code="empty")
    changed = [
        a
        for a in current.assignments.select_related("employee", "site").order_by("pk")
        if (a.first_day, a.site_id, a.shift, a.arrival_on)
        != (a.told_first_day, a.told_site_id, a.told_shift, a.told_arrival_on)
    ]
    frame_labels = shift_labels_of(current)
    for a in changed:
        if notify:
            _tell(current, a, frame_labels)
        a.told_first_day, a.told_site_id, a.told_shift = a.first_day, a.site_id, a.shift
        a.told_arrival_on = a.arrival_on
        a.save(update_fields=["told_first_day", "told_site", "told_shift", "told_arrival_on"])
    current.status = ReturnPlan.Status.PUBLISHED
    current.published_at = timezone.now()
    # Today's attendance at once (the periodic job writes the next days').
    from resumption.services import attendance_materialise

    transaction.on_commit(
        lambda: attendance_materialise(day=timezone.localdate(), enterprise=current.enterprise)
    )
    current.published_by = actor
    current.save(update_fields=["status", "published_at", "published_by"])
    audit_record(
        actor=actor,
        action="resumption.plan_publish",
        scope=current.enterprise,
        obj=current,
        changes={"told": len(changed)},
    )
    return len(changed)


def shift_labels_of(plan: ReturnPlan) -> list[str]:
    labels: list[str] = []
    for phase in plan.application.phases.order_by("starts_on"):
        for k, label in enumerate(phase.shift_labels):
            if k >= len(labels):
                labels.append(label)
    return labels


def shift_label(labels: list[str], shift: int | None) -> str:
    if shift is None:
        return ""
    return labels[shift] if shift < len(labels) else str(shift + 1)


def _tell(plan: ReturnPlan, a: Assignment, labels: list[str]) -> None:
    employee = a.employee
    path = link_path(employee)
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    with translation.override(employee.language or settings.LANGUAGE_CODE):
        if a.first_day is None:
            subject = _("%(enterprise)s: your return date is not fixed yet") % {
                "enterprise": plan.enterprise.short_name or plan.enterprise.name
            }
        else:
            subject = _(
                "%(enterprise)s: your first working day is %(day)s, shift %(shift)s at %(site)s"
            ) % {
                "enterprise": plan.enterprise.short_name or plan.enterprise.name,
                "day": a.first_day.isoformat(),
                "shift": shift_label(labels, a.shift),
                "site": a.site.name if a.site else "",
            }
        body = _("Details on your personal link: %(link)s") % {"link": base + path}
    notify_send(
        key=f"resumption:plan:{plan.pk}:{a.pk}:{plan.version}",
        message=Message(subject=subject[:200], body=body, url=path),
        recipients=[Recipient(mobile=crypto.decrypt(employee.mobile_enc))],
        channels=[Channel.SMS],
        scope=plan.enterprise,
    )


# Reading a plan for the pages -----------------------------------------------------------


@dataclass
class SiteLoad:
    site: Site
    days: list[dict[str, Any]]  # day, load, capacity, pct, over


def site_loads(plan: ReturnPlan) -> tuple[list[str], list[SiteLoad], list[dict[str, Any]]]:
    """Per site and day: people on site (all shifts) against capacity; and per day the
    number of first working days and arrivals (the calendar)."""
    frame = frame_of(plan.application, plan.horizon_days)
    load: dict[tuple[int, int], int] = defaultdict(int)
    starts: dict[int, int] = defaultdict(int)
    arrivals: dict[int, int] = defaultdict(int)
    for site_id, first_day, arrival_on in plan.assignments.filter(
        first_day__isnull=False
    ).values_list("site_id", "first_day", "arrival_on"):
        if first_day is None:
            continue
        s = frame.index(first_day)
        if 0 <= s < frame.days:
            starts[s] += 1
            for d in range(s, frame.days):
                load[(site_id, d)] += 1
        if arrival_on is not None and 0 <= frame.index(arrival_on) < frame.days:
            arrivals[frame.index(arrival_on)] += 1
    loads = []
    for pk, site in sorted(frame.sites.items(), key=lambda kv: kv[1].name):
        rows = []
        for d in range(frame.days):
            cap = sum(frame.capacity[(pk, k)][d] for k in range(len(frame.shift_labels)))
            used = load[(pk, d)]
            rows.append(
                {
                    "day": frame.day(d),
                    "load": used,
                    "capacity": cap,
                    "pct": min(100, round(100 * used / cap)) if cap else (100 if used else 0),
                    "over": used > cap,
                }
            )
        loads.append(SiteLoad(site, rows))
    calendar = [
        {"day": frame.day(d), "starts": starts[d], "arrivals": arrivals[d]}
        for d in range(frame.days)
    ]
    return frame.shift_labels, loads, calendar


def calendar_weeks(calendar: list[dict[str, Any]]) -> list[list[dict[str, Any] | None]]:
    """The plan's days as weeks of seven cells, Monday first (None pads the edges)."""
    if not calendar:
        return []
    cells: list[dict[str, Any] | None] = [None] * calendar[0]["day"].weekday()
    cells.extend(calendar)
    cells.extend([None] * (-len(cells) % 7))
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def return_status(employee: Employee, on: dt.date | None = None) -> tuple[bool, str]:
    """Whether the return plan lets the employee work on a day: not before the first
    working day they were told (published plans only). No published plan → cleared."""
    day = on or timezone.localdate()
    assignment = (
        Assignment.objects.filter(employee=employee, plan__published_at__isnull=False)
        .order_by("-plan__published_at")
        .first()
    )
    if assignment is None:
        return True, ""
    if assignment.told_first_day is None:
        return False, _("No first working day is planned for you yet.")
    if day < assignment.told_first_day:
        return False, _("Your first working day is %(day)s.") % {
            "day": assignment.told_first_day.isoformat()
        }
    return True, ""
