"""Fast heuristics: the starting point and the fallback of the exact solvers.

Enterprise: pins first; then critical roles, then higher priority, then who can start
earliest; each person gets the earliest first working day on which some shift of their
site has room on every remaining day of the horizon, the latest arrival day that still
lets the quarantine end by then (within the arrival quota and isolation rooms), and the
least-loaded such shift.

Federation: groups in the same order; each group's people start as early as the site's
remaining capacity (on every later day) and the district's remaining arrival cap on the
arrival day (start − quarantine) allow.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from scheduling.common import (
    Loads,
    apply_pins,
    earliest_start,
    enterprise_binding,
    objective_of,
    unscheduled_reason,
)
from scheduling.model import (
    Assignment,
    Employee,
    EnterpriseProblem,
    EnterpriseSolution,
    FederationProblem,
    Group,
    Method,
    Status,
    gap_of,
)


def enterprise_upper_bound(problem: EnterpriseProblem) -> int:
    """Everyone starting on their earliest possible day: a (weak) bound for any plan."""
    total = 0
    for e in problem.employees:
        es, why = earliest_start(problem, e)
        if why is None:
            total += problem.weight(e) * (problem.days - es)
    return total


def greedy_assign(problem: EnterpriseProblem) -> dict[str, Assignment]:
    loads = Loads.empty(problem)
    done, _refused = apply_pins(problem, loads)
    _fill(problem, loads, done)
    return done


def _fill(problem: EnterpriseProblem, loads: Loads, done: dict[str, Assignment]) -> None:
    todo: list[tuple[int, int, int, str, Employee]] = []
    for e in problem.employees:
        if e.id in done:
            continue
        es, why = earliest_start(problem, e)
        if why is not None:
            done[e.id] = Assignment(e.id, None, None, None, why)
            continue
        todo.append((-int(e.critical), -problem.weight(e), es, e.id, e))
    todo.sort(key=lambda t: t[:4])
    shift_ids = [s.id for s in problem.shifts]
    for _c, _w, es, _id, e in todo:
        placed = False
        for s in range(es, problem.days):
            free = [k for k in shift_ids if loads.shift_free(e.site_id, k, s)]
            if not free:
                continue
            arrival: int | None = None
            if e.earliest_arrival is not None:
                arrival = loads.best_arrival(e, s)
                if arrival is None:
                    continue
            k = min(free, key=lambda k: (loads.used[(e.site_id, k)][s], shift_ids.index(k)))
            if arrival is not None:
                loads.take_arrival(e, arrival)
            loads.take_shift(e.site_id, k, s)
            done[e.id] = Assignment(e.id, arrival, s, k)
            placed = True
            break
        if not placed:
            done[e.id] = Assignment(
                e.id, None, None, None, unscheduled_reason(problem, loads, e, es)
            )


def greedy_enterprise(problem: EnterpriseProblem) -> EnterpriseSolution:
    """The heuristic plan with the simple bound (everyone on their earliest day)."""
    t0 = time.perf_counter()
    loads = Loads.empty(problem)
    done, refused = apply_pins(problem, loads)
    _fill(problem, loads, done)
    obj = objective_of(problem, done)
    bound = max(enterprise_upper_bound(problem), obj)
    return EnterpriseSolution(
        assignments=tuple(done[e.id] for e in problem.employees),
        objective=obj,
        bound=float(bound),
        gap=gap_of(obj, bound),
        status=Status.OPTIMAL if obj >= bound else Status.FEASIBLE,
        method=Method.GREEDY,
        seconds=time.perf_counter() - t0,
        binding=enterprise_binding(problem, done),
        refused_pins=tuple(refused),
    )


# --------------------------------------------------------------------------- federation


def group_window(problem: FederationProblem, g: Group) -> range:
    """Days on which the group's people may arrive (travelling) or start (in Shenzhen)
    and still start within the horizon."""
    q = g.quarantine_days if g.travelling else 0
    return range(g.earliest_day, max(g.earliest_day, problem.days - q))


def _order_weight(problem: FederationProblem, g: Group) -> tuple[int, int, int, str]:
    """Critical first, then priority, then who can start earliest. (Tried on the
    benchmark and worse: earliest deadline first, travellers before locals.)"""
    return (-int(g.critical), -problem.weight(g), g.earliest_day + g.quarantine_days, g.id)


def greedy_federation_fill(
    problem: FederationProblem,
    arrivals: dict[str, list[int]],
    groups: Sequence[Group] | None = None,
) -> None:
    """Add people to ``arrivals`` (group id → per-day counts, updated in place) wherever the
    remaining capacities allow, best groups first. Existing arrivals are kept. ``groups``
    (default: all) must include every group of their sites and districts."""
    days = problem.days
    gs = list(problem.groups if groups is None else groups)
    site_ids = {g.site_id for g in gs} & set(problem.site_capacity)
    district_ids = {problem.site_district.get(s, "") for s in site_ids} & set(problem.district_caps)
    res: dict[str, list[int]] = {s: list(problem.site_capacity[s][:days]) for s in site_ids}
    dres: dict[str, list[int]] = {k: list(problem.district_caps[k][:days]) for k in district_ids}
    for g in gs:
        arr = arrivals.get(g.id)
        if not arr:
            continue
        q = g.quarantine_days if g.travelling else 0
        site = res.get(g.site_id)
        dist = dres.get(problem.site_district.get(g.site_id, "")) if g.travelling else None
        for d, n in enumerate(arr):
            if n:
                if site is not None:
                    for t in range(d + q, days):
                        site[t] -= n
                if dist is not None:
                    dist[d] -= n
    gs.sort(key=lambda g: _order_weight(problem, g))
    for g in gs:
        site = res.get(g.site_id)
        if site is None:
            continue
        arr = arrivals.setdefault(g.id, [0] * days)
        left = g.count - sum(arr)
        if left <= 0:
            continue
        q = g.quarantine_days if g.travelling else 0
        dist = dres.get(problem.site_district.get(g.site_id, "")) if g.travelling else None
        window = group_window(problem, g)
        if not window:
            continue
        # suffix minimum of the site's remaining capacity
        suf = [0] * (days + 1)
        suf[days] = 1 << 40
        for t in range(days - 1, -1, -1):
            suf[t] = min(site[t], suf[t + 1])
        taken = 0
        takes: list[tuple[int, int]] = []
        for a in window:
            s = a + q
            room = suf[s] - taken
            if dist is not None:
                room = min(room, dist[a])
            n = min(left, room)
            if n <= 0:
                continue
            takes.append((a, n))
            taken += n
            left -= n
            if dist is not None:
                dist[a] -= n
            if left == 0:
                break
        for a, n in takes:
            arr[a] += n
            for t in range(a + q, days):
                site[t] -= n


def greedy_federation_arrivals(problem: FederationProblem) -> dict[str, list[int]]:
    arrivals: dict[str, list[int]] = {}
    greedy_federation_fill(problem, arrivals)
    return arrivals


def federation_objective(problem: FederationProblem, arrivals: Mapping[str, Sequence[int]]) -> int:
    total = 0
    for g in problem.groups:
        arr = arrivals.get(g.id)
        if not arr:
            continue
        q = g.quarantine_days if g.travelling else 0
        w = problem.weight(g)
        for d, n in enumerate(arr):
            if n and d + q < problem.days:
                total += w * n * (problem.days - d - q)
    return total


__all__ = [
    "enterprise_upper_bound",
    "federation_objective",
    "greedy_assign",
    "greedy_enterprise",
    "greedy_federation_arrivals",
    "greedy_federation_fill",
    "group_window",
]
