"""An independent checker: recomputes every constraint and the objective from the problem
and a solution, sharing no code with the solvers. ``verify`` returns a list of violations
(``"code: detail"`` strings); an empty list means the plan is valid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scheduling.model import (
    EnterpriseProblem,
    EnterpriseSolution,
    FederationProblem,
    FederationSolution,
    Group,
    Reason,
)

EPS = 1e-6


def verify(
    problem: EnterpriseProblem | FederationProblem,
    solution: EnterpriseSolution | FederationSolution,
) -> list[str]:
    if isinstance(problem, EnterpriseProblem) and isinstance(solution, EnterpriseSolution):
        return verify_enterprise(problem, solution)
    if isinstance(problem, FederationProblem) and isinstance(solution, FederationSolution):
        return verify_federation(problem, solution)
    return ["type: problem and solution do not match"]


def _summary(solution: EnterpriseSolution | FederationSolution, objective: int) -> list[str]:
    out = []
    if solution.objective != objective:
        out.append(f"objective: reported {solution.objective}, recomputed {objective}")
    if solution.bound + EPS < objective:
        out.append(f"bound: {solution.bound} below the objective {objective}")
    gap = 0.0 if solution.bound <= 0 else max(0.0, (solution.bound - objective) / solution.bound)
    if abs(solution.gap - gap) > 1e-6:
        out.append(f"gap: reported {solution.gap}, recomputed {gap}")
    return out


def verify_enterprise(problem: EnterpriseProblem, solution: EnterpriseSolution) -> list[str]:
    out: list[str] = []
    days = problem.days
    emps = {e.id: e for e in problem.employees}
    sites = {s.id: s for s in problem.sites}
    shifts = {s.id for s in problem.shifts}
    seen: set[str] = set()
    onsite: dict[tuple[str, str], list[int]] = {}
    arrivals = [0] * days
    rooms = [0] * days
    objective = 0
    refused = {r.employee_id for r in solution.refused_pins}
    for a in solution.assignments:
        e = emps.get(a.employee_id)
        if e is None:
            out.append(f"unknown_employee: {a.employee_id}")
            continue
        if a.employee_id in seen:
            out.append(f"duplicate_assignment: {a.employee_id}")
            continue
        seen.add(a.employee_id)
        if a.arrival_day is not None:
            if not e.travelling:
                out.append(f"arrival_for_local: {e.id}")
            elif not (e.earliest_arrival or 0) <= a.arrival_day < days:
                out.append(f"arrival_out_of_window: {e.id} day {a.arrival_day}")
            else:
                arrivals[a.arrival_day] += 1
                if e.needs_isolation:
                    for d in range(a.arrival_day, min(days, a.arrival_day + e.quarantine_days)):
                        rooms[d] += 1
        if a.first_day is None:
            if a.shift_id is not None:
                out.append(f"shift_without_day: {e.id}")
            if a.reason is None:
                out.append(f"unscheduled_without_reason: {e.id}")
            if e.pin is not None and e.id not in refused and a.reason is not Reason.UNKNOWN_SITE:
                out.append(f"pin_dropped_silently: {e.id}")
            continue
        if a.shift_id not in shifts:
            out.append(f"unknown_shift: {e.id} {a.shift_id}")
            continue
        if e.site_id not in sites:
            out.append(f"unknown_site: {e.id}")
            continue
        if not 0 <= a.first_day < days:
            out.append(f"first_day_out_of_horizon: {e.id} day {a.first_day}")
            continue
        if e.travelling:
            if a.arrival_day is None:
                out.append(f"traveller_without_arrival: {e.id}")
            elif a.first_day < a.arrival_day + e.quarantine_days:
                out.append(
                    f"quarantine: {e.id} arrives {a.arrival_day} + {e.quarantine_days} days, "
                    f"works {a.first_day}"
                )
        if e.observation_end is not None and a.first_day <= e.observation_end:
            out.append(
                f"observation: {e.id} works {a.first_day}, observed until {e.observation_end}"
            )
        if e.pin is not None and e.id not in refused:
            if (a.first_day, a.shift_id) != (e.pin.first_day, e.pin.shift_id):
                out.append(f"pin_moved: {e.id}")
            if e.pin.arrival_day is not None and a.arrival_day != e.pin.arrival_day:
                out.append(f"pin_arrival_moved: {e.id}")
        row = onsite.setdefault((e.site_id, a.shift_id), [0] * days)
        for d in range(a.first_day, days):
            row[d] += 1
        w = e.priority * (problem.critical_factor if e.critical else 1)
        objective += w * (days - a.first_day)
    for eid in emps:
        if eid not in seen:
            out.append(f"missing_assignment: {eid}")
    for (site_id, shift_id), row in onsite.items():
        caps = sites[site_id].capacity.get(shift_id, ())
        for d in range(days):
            cap = caps[d] if d < len(caps) else 0
            if row[d] > cap:
                out.append(f"capacity: site {site_id} shift {shift_id} day {d}: {row[d]} > {cap}")
    for d in range(days):
        if problem.arrival_quota is not None and arrivals[d] > problem.arrival_quota[d]:
            out.append(f"arrival_quota: day {d}: {arrivals[d]} > {problem.arrival_quota[d]}")
        if problem.isolation_rooms is not None and rooms[d] > problem.isolation_rooms[d]:
            out.append(f"isolation_rooms: day {d}: {rooms[d]} > {problem.isolation_rooms[d]}")
    return out + _summary(solution, objective)


def verify_federation_arrivals(
    problem: FederationProblem,
    arrivals: Mapping[str, Sequence[int]],
    groups: Sequence[Group] | None = None,
) -> list[str]:
    """Constraints of a group-level plan (all groups, or only ``groups`` — the caps and
    capacities are then checked for those groups' share alone)."""
    out: list[str] = []
    days = problem.days
    gs = problem.groups if groups is None else groups
    known = {g.id for g in problem.groups}
    for gid in arrivals:
        if gid not in known:
            out.append(f"unknown_group: {gid}")
    onsite: dict[str, list[int]] = {}
    district_use: dict[str, list[int]] = {}
    for g in gs:
        arr = arrivals.get(g.id)
        if arr is None:
            continue
        if len(arr) != days:
            out.append(f"arrivals_length: {g.id}")
            continue
        q = g.quarantine_days if g.travelling else 0
        if any(n < 0 for n in arr):
            out.append(f"negative_arrivals: {g.id}")
        if sum(arr) > g.count:
            out.append(f"group_count: {g.id}: {sum(arr)} > {g.count}")
        for d, n in enumerate(arr):
            if n and (d < g.earliest_day or d + q >= days):
                out.append(f"arrival_out_of_window: {g.id} day {d}")
        if any(arr) and g.site_id not in problem.site_capacity:
            out.append(f"unknown_site: {g.id}")
            continue
        row = onsite.setdefault(g.site_id, [0] * days)
        for d, n in enumerate(arr):
            if n:
                for t in range(d + q, days):
                    row[t] += n
        district = problem.site_district.get(g.site_id, "")
        if g.travelling and district in problem.district_caps:
            use = district_use.setdefault(district, [0] * days)
            for d, n in enumerate(arr):
                use[d] += n
    for site_id, row in onsite.items():
        caps = problem.site_capacity[site_id]
        for d in range(days):
            if row[d] > caps[d]:
                out.append(f"site_capacity: {site_id} day {d}: {row[d]} > {caps[d]}")
    for district, use in district_use.items():
        caps = problem.district_caps[district]
        for d in range(days):
            if use[d] > caps[d]:
                out.append(f"district_cap: {district} day {d}: {use[d]} > {caps[d]}")
    return out


def verify_federation(problem: FederationProblem, solution: FederationSolution) -> list[str]:
    arrivals = {p.group_id: p.arrivals for p in solution.plans}
    out = verify_federation_arrivals(problem, arrivals)
    days = problem.days
    objective = 0
    quotas: dict[str, list[int]] = {}
    starts: dict[str, list[int]] = {}
    plans = {p.group_id: p for p in solution.plans}
    for g in problem.groups:
        p = plans.get(g.id)
        if p is None:
            out.append(f"missing_group_plan: {g.id}")
            continue
        if p.unscheduled != g.count - sum(p.arrivals):
            out.append(f"unscheduled_count: {g.id}")
        if p.unscheduled and p.reason is None:
            out.append(f"unscheduled_without_reason: {g.id}")
        q = g.quarantine_days if g.travelling else 0
        w = g.priority * (problem.critical_factor if g.critical else 1)
        qrow = quotas.setdefault(g.enterprise_id, [0] * days)
        srow = starts.setdefault(g.enterprise_id, [0] * days)
        for d, n in enumerate(p.arrivals):
            if n and d + q < days:
                objective += w * n * (days - d - q)
                if g.travelling:
                    qrow[d] += n
                srow[d + q] += n
    for ent, row in quotas.items():
        if tuple(row) != tuple(solution.quotas.get(ent, (0,) * days)):
            out.append(f"quota_rollup: {ent}")
    for ent, row in starts.items():
        if tuple(row) != tuple(solution.starts.get(ent, (0,) * days)):
            out.append(f"starts_rollup: {ent}")
    return out + _summary(solution, objective)
