"""The wave plan: the federation (or an association over its members) plans the return
across every submitted application at once, within the daily arrival cap of each
destination district (`resumption.arrival_caps`), working on counts per (enterprise,
site, origin risk, critical, earliest day) group — never a name. The result is a daily
arrival quota per enterprise (and district) that each enterprise's own plan then
respects (`planning.build_problem`).

Solved by `scheduling.federation.solve_federation` (HiGHS LP relaxation, rounded and
repaired, greedy start and fallback), which reports the objective, the LP bound, the gap,
the greedy plan's objective, the binding constraints and the conflicts (e.g. a district
cap of 0 while people must travel there).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from orgs.models import MembershipStatus, Organization
from resumption.models import (
    ApplicationStatus,
    ResumptionApplication,
    ReturnDeclaration,
    WavePlan,
    WaveQuota,
)
from resumption.planning import HORIZON_DAYS, frame_of
from resumption.rules import arrival_caps
from scheduling import model as sm
from workforce.models import EmploymentStatus

WAVE_SECONDS = 10.0  # in the request: well inside gunicorn's 30 s timeout
IN_PLAY = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.RESUBMITTED,
    ApplicationStatus.APPROVED,
)
NO_LIMIT = 1_000_000


@dataclass
class WaveInput:
    problem: sm.FederationProblem
    applications: int
    people: int
    group_site: dict[str, int]
    site_district: dict[int, str]


def build_wave(scope: Organization, start: dt.date, days: int = HORIZON_DAYS) -> WaveInput:
    """The federation problem over the scope's submitted applications (latest per
    enterprise), with the caps in force on the first day."""
    applications = ResumptionApplication.objects.filter(status__in=IN_PLAY).select_related(
        "enterprise"
    )
    if scope.is_association:
        applications = applications.filter(
            enterprise__memberships__association=scope,
            enterprise__memberships__status=MembershipStatus.ACTIVE,
        )
    latest: dict[int, ResumptionApplication] = {}
    for application in applications.order_by("enterprise_id", "created_at", "pk"):
        latest[application.enterprise_id] = application
    site_capacity: dict[str, tuple[int, ...]] = {}
    site_district: dict[int, str] = {}
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    people = 0
    for enterprise_id, application in latest.items():
        try:
            frame = frame_of(application, days + max(0, (start - _first(application)).days))
        except ValidationError:
            continue  # no phase, or phases without a site: nothing to plan for it
        offset = (start - frame.start).days  # frame day of our day 0
        for pk, site in frame.sites.items():
            per_day = []
            for d in range(days):
                fd = d + offset
                per_day.append(
                    sum(frame.capacity[(pk, k)][fd] for k in range(len(frame.shift_labels)))
                    if 0 <= fd < frame.days
                    else 0
                )
            site_capacity[str(pk)] = tuple(per_day)
            site_district[pk] = site.district_id
        rows = (
            ReturnDeclaration.objects.filter(
                enterprise_id=enterprise_id, employee__status=EmploymentStatus.ACTIVE
            )
            .values_list(
                "employee__site_id",
                "employee__is_critical",
                "in_shenzhen",
                "risk_level",
                "quarantine_days",
                "planned_travel_on",
            )
            .order_by()
        )
        largest = max(frame.sites.values(), key=lambda s: (s.floor_area_m2, -s.pk)).pk
        for site_id, critical, in_sz, level, quarantine, travel_on in rows:
            home = site_id if site_id in frame.sites else largest
            earliest = 0 if in_sz else max(0, ((travel_on or start) - start).days)
            key = (
                enterprise_id,
                home,
                not in_sz,
                bool(critical),
                level,
                0 if in_sz else quarantine,
                min(earliest, days),
            )
            counts[key] += 1
            people += 1
    groups = []
    group_site: dict[str, int] = {}
    for n, (key, count) in enumerate(sorted(counts.items(), key=lambda kv: str(kv[0]))):
        enterprise_id, site_pk, travelling, critical, level, quarantine, earliest = key
        gid = f"g{n}"
        group_site[gid] = site_pk
        groups.append(
            sm.Group(
                id=gid,
                enterprise_id=str(enterprise_id),
                site_id=str(site_pk),
                count=count,
                quarantine_days=quarantine,
                travelling=travelling,
                critical=critical,
                earliest_day=earliest,
                risk_level=level,
            )
        )
    caps, _version = arrival_caps(start)
    problem = sm.FederationProblem(
        horizon_start=start,
        days=days,
        groups=tuple(groups),
        site_capacity=site_capacity,
        site_district={str(pk): code for pk, code in site_district.items()},
        district_caps={code: tuple([cap] * days) for code, cap in caps.districts.items()},
    )
    return WaveInput(problem, len(latest), people, group_site, site_district)


def _first(application: ResumptionApplication) -> dt.date:
    phase = application.phases.order_by("starts_on").first()
    return phase.starts_on if phase else timezone.localdate()


def _scope_ok(scope: Organization) -> None:
    if not (scope.is_federation or scope.is_association):
        raise ValidationError(_("Only the federation or an association plans waves."))


@transaction.atomic
def wave_compute(
    *, actor: User | None, scope: Organization, start: dt.date | None = None
) -> WavePlan:
    """Solve the wave plan for the scope from `start` (today) and store it as a draft."""
    _scope_ok(scope)
    start = start or timezone.localdate()
    built = build_wave(scope, start)
    if not built.problem.groups:
        raise ValidationError(
            _("No submitted application with declared employees to plan."), code="empty"
        )
    seconds = float(getattr(settings, "RESUMPTION_WAVE_SECONDS", WAVE_SECONDS))
    solution = _solve(built.problem, seconds)
    by_group = {p.group_id: p for p in solution.plans}
    cells: dict[tuple[int, str, int], list[int]] = defaultdict(lambda: [0, 0])
    scheduled = 0
    for group in built.problem.groups:
        plan = by_group.get(group.id)
        if plan is None:
            continue
        district = built.site_district.get(built.group_site[group.id], "")
        q = group.quarantine_days if group.travelling else 0
        for d, n in enumerate(plan.arrivals):
            if not n:
                continue
            scheduled += n
            if group.travelling:
                cells[(int(group.enterprise_id), district, d)][0] += n
            if d + q < built.problem.days:
                cells[(int(group.enterprise_id), district, d + q)][1] += n
    wave = WavePlan.objects.create(
        scope=scope,
        starts_on=start,
        horizon_days=built.problem.days,
        applications=built.applications,
        people=built.people,
        scheduled=scheduled,
        method=str(solution.method),
        objective=float(solution.objective),
        bound=float(solution.bound),
        gap=float(solution.gap),
        greedy_objective=(
            float(solution.greedy_objective) if solution.greedy_objective is not None else None
        ),
        binding=_binding_rows(solution, start),
        conflicts=[
            {"kind": str(c.kind), "key": list(c.key), "people": c.people}
            for c in solution.conflicts
        ][:50],
        notes=list(solution.notes),
        solve_seconds=round(solution.seconds, 3),
        computed_by=actor,
    )
    WaveQuota.objects.bulk_create(
        [
            WaveQuota(
                wave=wave,
                enterprise_id=enterprise_id,
                district_id=district or None,
                day=start + dt.timedelta(days=d),
                arrivals=arrivals,
                starts=starts,
            )
            for (enterprise_id, district, d), (arrivals, starts) in cells.items()
        ],
        batch_size=1000,
    )
    audit_record(
        actor=actor,
        action="resumption.wave_compute",
        scope=scope,
        obj=wave,
        changes={"method": wave.method, "objective": wave.objective, "gap": wave.gap},
    )
    return wave


def _solve(problem: sm.FederationProblem, seconds: float) -> sm.FederationSolution:
    """HiGHS through `scheduling.federation`; the greedy plan with the trivial bound when
    the solver cannot be loaded (reported in `notes`)."""
    try:
        from scheduling.federation import solve_federation
    except ImportError:
        return _greedy(problem)
    return solve_federation(problem, time_limit=seconds)


def _greedy(problem: sm.FederationProblem) -> sm.FederationSolution:
    import time

    from scheduling.greedy import (
        federation_objective,
        greedy_federation_arrivals,
        group_window,
    )

    t0 = time.perf_counter()
    arrivals = greedy_federation_arrivals(problem)
    objective = federation_objective(problem, arrivals)
    bound = 0
    for g in problem.groups:
        window = group_window(problem, g)
        if len(window):
            q = g.quarantine_days if g.travelling else 0
            bound += problem.weight(g) * g.count * (problem.days - (window[0] + q))
    bound = max(bound, objective)
    plans = tuple(
        sm.GroupPlan(
            g.id,
            tuple(arrivals.get(g.id, [0] * problem.days)),
            g.count - sum(arrivals.get(g.id, [])),
            sm.Reason.NOT_SELECTED if g.count > sum(arrivals.get(g.id, [])) else None,
        )
        for g in problem.groups
    )
    return sm.FederationSolution(
        plans=plans,
        quotas={},
        starts={},
        objective=objective,
        bound=float(bound),
        gap=sm.gap_of(objective, bound),
        status=sm.Status.FALLBACK,
        method=sm.Method.GREEDY,
        seconds=time.perf_counter() - t0,
        greedy_objective=objective,
        notes=("solver_unavailable",),
    )


def _binding_rows(solution: sm.FederationSolution, start: dt.date) -> list[dict[str, Any]]:
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
                "dual": 0.0,
            },
        )
        if b.day is not None:
            day = (start + dt.timedelta(days=b.day)).isoformat()
            row["first"] = row["first"] or day
            row["last"] = day
            row["days"] += 1
        row["blocked"] = max(row["blocked"], b.blocked)
        row["dual"] = max(row["dual"], b.dual or 0.0)
    return sorted(merged.values(), key=lambda r: (-r["blocked"], r["kind"]))[:30]


@transaction.atomic
def wave_publish(*, actor: User | None, wave: WavePlan) -> WavePlan:
    """Publish the wave plan: its quotas bind the enterprises' own plans from now on (a
    later publication of the same scope replaces it)."""
    current = WavePlan.objects.select_for_update().get(pk=wave.pk)
    if current.status == WavePlan.Status.PUBLISHED:
        return current
    WavePlan.objects.filter(scope=current.scope, status=WavePlan.Status.PUBLISHED).update(
        status=WavePlan.Status.DRAFT
    )
    current.status = WavePlan.Status.PUBLISHED
    current.published_at = timezone.now()
    current.save(update_fields=["status", "published_at"])
    audit_record(actor=actor, action="resumption.wave_publish", scope=current.scope, obj=current)
    return current


def arrival_quota(enterprise: Organization, start: dt.date, days: int) -> tuple[int, ...] | None:
    """The enterprise's daily arrival quota over a plan's days from the latest published
    wave plan that covers it (days outside the wave: no limit); None without one."""
    wave = (
        WavePlan.objects.filter(status=WavePlan.Status.PUBLISHED, quotas__enterprise=enterprise)
        .order_by("-published_at", "-pk")
        .first()
    )
    if wave is None:
        return None
    by_day: dict[dt.date, int] = defaultdict(int)
    for day, arrivals in wave.quotas.filter(enterprise=enterprise).values_list("day", "arrivals"):
        by_day[day] += arrivals
    end = wave.starts_on + dt.timedelta(days=wave.horizon_days - 1)
    out = []
    for d in range(days):
        day = start + dt.timedelta(days=d)
        out.append(by_day.get(day, 0) if wave.starts_on <= day <= end else NO_LIMIT)
    return tuple(out)
