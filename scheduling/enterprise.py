"""One enterprise's per-employee plan with OR-Tools CP-SAT (docs/scheduler.md §1).

Pins are checked and booked first (`common.apply_pins`: refused with a reason, never
moved). The rest is a CP-SAT model of start-day/shift and arrival-day booleans, hinted
with the greedy plan; the greedy plan is also the fallback when CP-SAT finds nothing
better or fails. OR-Tools is imported only inside the solve, which runs in a child
interpreter when highspy is already loaded in this one (see scheduling/__init__.py).
The objective is lexicographic: weighted employee-days first, then shift
balance (the spread between the fullest and emptiest shift of each site at the end of
the horizon), combined as ``M * days_restored - spread`` with ``M`` larger than any spread.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

from scheduling.common import (
    Loads,
    apply_pins,
    earliest_start,
    enterprise_binding,
    loads_of,
    objective_of,
    unscheduled_reason,
)
from scheduling.greedy import enterprise_upper_bound, greedy_assign
from scheduling.model import (
    Assignment,
    Employee,
    EnterpriseProblem,
    EnterpriseSolution,
    Method,
    Status,
    gap_of,
)

_DEBUG = False


def _breakpoints(res: list[int]) -> list[int]:
    """Days whose residual-capacity row is not implied by a later day (see federation)."""
    out: list[int] = []
    later = 1 << 62
    for d in range(len(res) - 1, -1, -1):
        if res[d] < later:
            out.append(d)
            later = res[d]
    out.reverse()
    return out


def solve_enterprise(
    problem: EnterpriseProblem,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    balance: bool = True,
) -> EnterpriseSolution:
    """Plan one enterprise; returns within about ``time_limit`` seconds with the best plan
    found, its proven bound and gap. Never raises on a hard or impossible instance."""
    t0 = time.perf_counter()
    _pinned, refused = apply_pins(problem, Loads.empty(problem))
    greedy = greedy_assign(problem)
    greedy_obj = objective_of(problem, greedy)
    simple_bound = enterprise_upper_bound(problem)
    notes: list[str] = []

    best = greedy
    best_obj = greedy_obj
    bound = float(simple_bound)
    method = Method.GREEDY
    status = Status.FALLBACK
    try:
        remaining = time_limit - (time.perf_counter() - t0)
        if "highspy" in sys.modules:
            result = _in_child(problem, remaining, workers, balance)
        else:
            result = _cp_sat_run(problem, remaining, workers, balance)
        if result is not None:
            assignments, obj, sat_bound, optimal = result
            bound = min(bound, sat_bound)
            if obj >= best_obj:
                best, best_obj, method = assignments, obj, Method.CP_SAT
                status = Status.OPTIMAL if optimal else Status.FEASIBLE
            if not optimal:
                notes.append("time_limit")
        else:
            notes.append("no_solution_in_time")
    except Exception as exc:  # never lose the greedy plan to a solver failure
        notes.append("solver_error:" + type(exc).__name__)
    bound = max(bound, float(best_obj))
    gap = gap_of(best_obj, bound)
    if gap <= 1e-12 and method is Method.CP_SAT:
        status = Status.OPTIMAL
    return EnterpriseSolution(
        assignments=tuple(best[e.id] for e in problem.employees),
        objective=best_obj,
        bound=bound,
        gap=gap,
        status=status,
        method=method,
        seconds=time.perf_counter() - t0,
        binding=enterprise_binding(problem, best),
        refused_pins=tuple(refused),
        notes=tuple(notes),
    )


_Result = tuple[dict[str, Assignment], int, float, bool]
SPAWN_SECONDS = 1.5  # what starting a child interpreter and importing OR-Tools costs, about


def _child_main() -> None:
    """Entry point of the child interpreter: a pickled (problem, limit, workers, balance)
    on stdin, the pickled result (or exception) on stdout."""
    problem, limit, workers, balance = pickle.load(sys.stdin.buffer)  # noqa: S301 - our parent
    try:
        out: object = _cp_sat_run(problem, limit, workers, balance)
    except Exception as exc:
        out = exc
    sys.stdout.buffer.write(pickle.dumps(out))


def _in_child(
    problem: EnterpriseProblem, time_limit: float, workers: int, balance: bool
) -> _Result | None:
    """Run `_cp_sat_run` in a fresh interpreter (without highspy); it is killed if it
    overruns. Not `multiprocessing`: its children re-import the parent's main module,
    which may load highspy."""
    limit = time_limit - SPAWN_SECONDS
    if limit <= 0.05:
        return None
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    try:
        done = subprocess.run(
            [sys.executable, "-c", "from scheduling.enterprise import _child_main; _child_main()"],
            input=pickle.dumps((problem, limit, workers, balance)),
            capture_output=True,
            timeout=limit + SPAWN_SECONDS + 10.0,
            env=env,
            cwd=root,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0 or not done.stdout:
        raise RuntimeError(done.stderr.decode(errors="replace")[-2000:])
    out = pickle.loads(done.stdout)  # noqa: S301 - written by our own child
    if isinstance(out, Exception):
        raise out
    result: _Result | None = out
    return result


def _cp_sat_run(
    problem: EnterpriseProblem, time_limit: float, workers: int, balance: bool
) -> _Result | None:
    """Pins, greedy hint and the CP-SAT model, all from the problem alone (so that a child
    process can run it)."""
    t0 = time.perf_counter()
    if time_limit <= 0.05:
        return None
    from ortools.sat.python import cp_model

    loads = Loads.empty(problem)
    pinned, _refused = apply_pins(problem, loads)
    hint = greedy_assign(problem)
    free: list[tuple[Employee, int]] = []
    fixed: dict[str, Assignment] = dict(pinned)
    for e in problem.employees:
        if e.id in fixed:
            continue
        es, why = earliest_start(problem, e)
        if why is not None:
            fixed[e.id] = Assignment(e.id, None, None, None, why)
        else:
            free.append((e, es))
    days = problem.days
    m = cp_model.CpModel()
    shift_ids = [s.id for s in problem.shifts]
    need_arrival = problem.arrival_quota is not None or problem.isolation_rooms is not None
    # residual capacity per (site, shift) and its breakpoint days
    res = {
        key: [c - u for c, u in zip(loads.cap[key], loads.used[key], strict=True)]
        for key in loads.cap
    }
    bps = {key: _breakpoints(r) for key, r in res.items()}
    # interval starts per (site, shift): a start on any day of an interval uses the same rows
    z: dict[tuple[str, str, int], cp_model.IntVar] = {}
    z_of: dict[tuple[str, str], list[int]] = defaultdict(list)  # (employee, shift) -> days
    y: dict[tuple[str, int], cp_model.IntVar] = {}
    rows: dict[tuple[str, str, int], list[cp_model.IntVar]] = defaultdict(list)
    quota_rows: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    room_rows: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    terms: list[tuple[cp_model.IntVar, int]] = []
    end_load: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    started_of: dict[str, cp_model.IntVar] = {}
    for e, es in free:
        w = problem.weight(e)
        with_arrival = e.travelling and need_arrival
        starts: list[cp_model.IntVar] = []
        by_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for k in shift_ids:
            key = (e.site_id, k)
            bp = bps[key]
            last_first = -1
            for s in range(es, days):
                later = [d for d in bp if d >= s]
                if not later or any(res[key][d] <= 0 for d in later[:1]):
                    continue
                if not with_arrival:
                    if later[0] == last_first:
                        continue  # dominated by an earlier start with the same rows
                    last_first = later[0]
                v = m.new_bool_var(f"z_{e.id}_{k}_{s}")
                z[(e.id, k, s)] = v
                z_of[(e.id, k)].append(s)
                starts.append(v)
                by_day[s].append(v)
                for d in later:
                    rows[(e.site_id, k, d)].append(v)
                terms.append((v, w * (days - s)))
                end_load[key].append(v)
        if not starts:
            continue
        m.add_at_most_one(starts)
        if with_arrival:
            assert e.earliest_arrival is not None
            arrivals: list[cp_model.IntVar] = []
            for a in range(e.earliest_arrival, days - e.quarantine_days):
                if loads.quota[a] <= 0:
                    continue
                v = m.new_bool_var(f"y_{e.id}_{a}")
                y[(e.id, a)] = v
                arrivals.append(v)
                quota_rows[a].append(v)
                if e.needs_isolation:
                    for d in range(a, min(days, a + e.quarantine_days)):
                        room_rows[d].append(v)
            m.add_at_most_one(arrivals)
            # started by day s  =>  arrived by day s - q
            # started  =>  arrived, and first day >= arrival + quarantine. (The cumulative
            # form "started by s => arrived by s - q" relaxes tighter on paper but gave a
            # much weaker bound in the same time on the benchmark's 500-employee case.)
            started = m.new_bool_var(f"started_{e.id}")
            started_of[e.id] = started
            m.add(sum(starts) == started)
            m.add(sum(arrivals) == 1).only_enforce_if(started)
            first = sum(s * v for s, vs in by_day.items() for v in vs)
            arrive = sum(a * y[(e.id, a)] for a in range(days) if (e.id, a) in y)
            m.add(first >= arrive + e.quarantine_days).only_enforce_if(started)
    for (site_id, k, d), vs in rows.items():
        m.add(sum(vs) <= res[(site_id, k)][d])
    for a, vs in quota_rows.items():
        m.add(sum(vs) <= loads.quota[a])
    for d, vs in room_rows.items():
        m.add(sum(vs) <= loads.rooms[d])
    n_free = len(free)
    big = n_free + 1
    spread_terms: list[cp_model.IntVar] = []
    spread_max = 0
    balance_vars: list[
        tuple[str, list[cp_model.IntVar], cp_model.IntVar, cp_model.IntVar, cp_model.IntVar]
    ] = []
    if balance and len(shift_ids) > 1:
        for site in problem.sites:
            base = [loads.used[(site.id, k)][days - 1] for k in shift_ids]
            loads_k = []
            for i, k in enumerate(shift_ids):
                lk = m.new_int_var(0, n_free + base[i], f"load_{site.id}_{k}")
                m.add(lk == base[i] + sum(end_load.get((site.id, k), [])))
                loads_k.append(lk)
            if not any(end_load.get((site.id, k)) for k in shift_ids):
                continue
            hi = m.new_int_var(0, n_free + max(base), f"hi_{site.id}")
            lo = m.new_int_var(0, n_free + max(base), f"lo_{site.id}")
            m.add_max_equality(hi, loads_k)
            m.add_min_equality(lo, loads_k)
            spread = m.new_int_var(0, n_free + max(base), f"spread_{site.id}")
            m.add(spread == hi - lo)
            spread_terms.append(spread)
            spread_max += n_free + max(base)
            balance_vars.append((site.id, loads_k, hi, lo, spread))
    m.maximize(sum(big * c * v for v, c in terms) - sum(spread_terms))
    # hint: the greedy plan (a complete assignment), moved to the kept start of its interval
    on: set[object] = set()
    end_count: dict[tuple[str, str], int] = defaultdict(int)
    for e, _es in free:
        h = hint.get(e.id)
        if h is None or h.first_day is None or h.shift_id is None:
            continue
        cands = [s for s in z_of.get((e.id, h.shift_id), []) if s <= h.first_day]
        if not cands:
            continue
        if e.id in started_of:
            if h.arrival_day is None or (e.id, h.arrival_day) not in y:
                continue
            on.add((e.id, h.arrival_day))
            on.add(e.id)
        on.add((e.id, h.shift_id, max(cands)))
        end_count[(e.site_id, h.shift_id)] += 1
    for zkey, v in z.items():
        m.add_hint(v, zkey in on)
    for ykey, v in y.items():
        m.add_hint(v, ykey in on)
    for eid, v in started_of.items():
        m.add_hint(v, eid in on)
    for site_id, loads_k, hi, lo, spread in balance_vars:
        values = [loads.used[(site_id, k)][days - 1] + end_count[(site_id, k)] for k in shift_ids]
        for lk, val in zip(loads_k, values, strict=True):
            m.add_hint(lk, val)
        m.add_hint(hi, max(values))
        m.add_hint(lo, min(values))
        m.add_hint(spread, max(values) - min(values))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit - (time.perf_counter() - t0))
    solver.parameters.num_workers = max(1, workers)
    # the hint is already a good plan: spend the time searching, not in presolve
    solver.parameters.symmetry_level = 0
    solver.parameters.cp_model_probing_level = 0
    if _DEBUG:
        solver.parameters.log_search_progress = True
        solver.parameters.debug_crash_on_bad_hint = True
    code = solver.solve(m)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out: dict[str, Assignment] = dict(fixed)
    by_id = {e.id: e for e, _ in free}
    chosen_arrival = {i: a for (i, a), yv in y.items() if solver.boolean_value(yv)}
    for (eid, k, s), v in z.items():
        if solver.boolean_value(v):
            e = by_id[eid]
            arrival: int | None = None
            if e.travelling:
                arrival = chosen_arrival.get(eid) if need_arrival else s - e.quarantine_days
            out[eid] = Assignment(eid, arrival, s, k)
    # unscheduled: explain with the final loads
    final = loads_of(problem, out)
    for e, es in free:
        if e.id not in out:
            out[e.id] = Assignment(
                e.id, None, None, None, unscheduled_reason(problem, final, e, es)
            )
    obj = objective_of(problem, out)
    sat_bound = (solver.best_objective_bound + spread_max) / big
    pinned_obj = 0
    for e in problem.employees:
        fa = fixed.get(e.id)
        if fa is not None and fa.first_day is not None:
            pinned_obj += problem.weight(e) * (days - fa.first_day)
    sat_bound = float(int(sat_bound + 1e-6)) + pinned_obj
    if code == cp_model.OPTIMAL:  # M exceeds any spread: the first level is optimal too
        sat_bound = float(obj)
    return out, obj, sat_bound, code == cp_model.OPTIMAL
