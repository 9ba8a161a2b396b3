"""The federation's group-level plan with HiGHS (see docs/scheduler.md §2).

x[g,a] people of group g arrive on day a and start on a + q_g (in-Shenzhen groups: start
on a). Solve the LP relaxation (its optimum is the proven bound), round it down (always
feasible: every constraint has non-negative coefficients in x), fill what rounding left
with the greedy heuristic, and — for models small enough, or when asked — run the HiGHS
MIP from that plan for the remaining time. The greedy plan alone is the fallback.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence

import highspy
import numpy as np

from scheduling.greedy import (
    federation_objective,
    greedy_federation_arrivals,
    greedy_federation_fill,
    group_window,
)
from scheduling.model import (
    Binding,
    Conflict,
    FederationProblem,
    FederationSolution,
    Group,
    GroupPlan,
    Kind,
    Method,
    Reason,
    Status,
    gap_of,
)

DUAL_TOL = 1e-7
MIP_AUTO_COLUMNS = 20_000  # run the MIP after rounding when the model has at most this many x


def breakpoints(caps: Sequence[int], days: int) -> list[int]:
    """Days whose capacity row is not implied by a later one. On-site counts never fall
    (people stay once started), so N(d) <= N(d') <= cap(d') <= cap(d) for d < d' makes row d
    redundant whenever a later day has no more capacity. Rising phases keep one row per
    phase (its last day)."""
    out: list[int] = []
    later_min = 1 << 62
    for d in range(days - 1, -1, -1):
        if caps[d] < later_min:
            out.append(d)
            later_min = caps[d]
    out.reverse()
    return out


class _Lp:
    """The LP of one independent block of groups (the groups heading to one district: the
    district caps are the only rows that link sites, so the LP separates by district).

    Site capacity rows only at `breakpoints`; a column x[g,a] enters every kept row of its
    site on or after its start day a + q. Columns of a group with no district cap that hit
    the same rows as an earlier day of the same group are dropped (the earlier day is
    better and uses nothing more)."""

    def __init__(self, problem: FederationProblem, group_indices: Sequence[int]) -> None:
        self.problem = problem
        days = problem.days
        groups = problem.groups
        self.cols: list[tuple[int, int]] = []  # (group index, arrival day) of x columns
        sites = sorted(
            {
                groups[gi].site_id
                for gi in group_indices
                if groups[gi].site_id in problem.site_capacity
            }
        )
        self.sites = sites
        # site rows: (site, day) for each breakpoint
        self.site_rows: list[tuple[str, int]] = []
        site_bp: dict[str, list[tuple[int, int]]] = {}  # site -> [(day, row)]
        for site in sites:
            bps = breakpoints(problem.site_capacity[site], days)
            site_bp[site] = [(d, len(self.site_rows) + i) for i, d in enumerate(bps)]
            self.site_rows.extend((site, d) for d in bps)
        n_site_rows = len(self.site_rows)
        self.group_row = {gi: n_site_rows + i for i, gi in enumerate(group_indices)}
        districts = sorted(
            {
                problem.site_district.get(groups[gi].site_id, "")
                for gi in group_indices
                if groups[gi].travelling
            }
            & set(problem.district_caps)
        )
        self.districts = districts
        base = n_site_rows + len(group_indices)
        self.dist_row0 = {k: base + i * days for i, k in enumerate(districts)}
        self.num_row = base + len(districts) * days

        # columns, built with numpy: one candidate per (group, day of its window)
        site_pos = {site: i for i, site in enumerate(sites)}
        nbp = max((len(bp) for bp in site_bp.values()), default=0)
        bp_day = np.full((max(1, len(sites)), max(1, nbp)), -1, dtype=np.int64)
        bp_row = np.full((max(1, len(sites)), max(1, nbp)), -1, dtype=np.int64)
        for site, bp in site_bp.items():
            for j, (d, r) in enumerate(bp):
                bp_day[site_pos[site], j] = d
                bp_row[site_pos[site], j] = r
        g_idx, g_lo, g_len, g_q, g_w, g_site, g_drow, g_grow, g_ub = ([] for _ in range(9))
        for gi in group_indices:
            g = groups[gi]
            if g.site_id not in site_bp or g.count == 0:
                continue
            window = group_window(problem, g)
            district = problem.site_district.get(g.site_id, "")
            drow = self.dist_row0.get(district, -1) if g.travelling else -1
            g_idx.append(gi)
            g_lo.append(window.start)
            g_len.append(len(window))
            g_q.append(g.quarantine_days if g.travelling else 0)
            g_w.append(problem.weight(g))
            g_site.append(site_pos[g.site_id])
            g_drow.append(drow)
            g_grow.append(self.group_row[gi])
            g_ub.append(g.count)
        lens = np.array(g_len, dtype=np.int64)
        total = int(lens.sum()) if len(lens) else 0
        rep = np.repeat(np.arange(len(lens)), lens)
        offs = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
        arr_day = np.array(g_lo, dtype=np.int64)[rep] + offs
        start_day = arr_day + np.array(g_q, dtype=np.int64)[rep]
        site_c = np.array(g_site, dtype=np.int64)[rep]
        mask = bp_day[site_c] >= start_day[:, None]
        has = mask.any(axis=1)
        first_j = np.argmax(mask, axis=1)
        keep_idx = np.nonzero(has)[0]
        rep, arr_day, start_day, site_c, first_j = (
            rep[keep_idx],
            arr_day[keep_idx],
            start_day[keep_idx],
            site_c[keep_idx],
            first_j[keep_idx],
        )
        drow_c = np.array(g_drow, dtype=np.int64)[rep]
        # a group without a district cap: a later day with the same rows is dominated
        dup = (rep[1:] == rep[:-1]) & (first_j[1:] == first_j[:-1]) & (drow_c[1:] < 0)
        keep = np.concatenate(([True], ~dup)) if len(rep) else np.zeros(0, dtype=bool)
        rep, arr_day, start_day, site_c, first_j, drow_c = (
            rep[keep],
            arr_day[keep],
            start_day[keep],
            site_c[keep],
            first_j[keep],
            drow_c[keep],
        )
        ncol = len(rep)
        col_gi = np.array(g_idx, dtype=np.int64)[rep]
        self.cols.extend(zip(col_gi.tolist(), arr_day.tolist(), strict=True))
        # entries: kept site rows on/after the start, the group row, the district-day row
        jgrid = np.arange(bp_row.shape[1])[None, :]
        smask = (jgrid >= first_j[:, None]) & (bp_row[site_c] >= 0)
        s_col, s_j = np.nonzero(smask)
        s_rows = bp_row[site_c[s_col], s_j]
        g_col = np.arange(ncol)
        g_rows = np.array(g_grow, dtype=np.int64)[rep]
        d_col = np.nonzero(drow_c >= 0)[0]
        d_rows = drow_c[d_col] + arr_day[d_col]
        all_col = np.concatenate((s_col, g_col, d_col))
        all_row = np.concatenate((s_rows, g_rows, d_rows))
        order = np.lexsort((all_row, all_col))
        counts = np.bincount(all_col, minlength=ncol) if ncol else np.zeros(0, dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(counts)))
        index = all_row[order]
        value = np.ones(len(index), dtype=np.float64)
        cost = (np.array(g_w, dtype=np.float64)[rep] * (days - start_day)).astype(np.float64)
        upper = np.array(g_ub, dtype=np.float64)[rep]
        self.num_x = ncol
        self.num_col = ncol
        lp = highspy.HighsLp()
        lp.num_col_ = self.num_col
        lp.num_row_ = self.num_row
        lp.col_cost_ = cost
        lp.col_lower_ = np.zeros(self.num_col, dtype=np.float64)
        lp.col_upper_ = upper
        inf = highspy.kHighsInf
        row_lower = np.full(self.num_row, -inf, dtype=np.float64)
        row_upper = np.zeros(self.num_row, dtype=np.float64)
        for i, (site, d) in enumerate(self.site_rows):
            row_upper[i] = float(problem.site_capacity[site][d])
        for gi, r in self.group_row.items():
            row_upper[r] = float(groups[gi].count)
        for k in districts:
            caps = problem.district_caps[k]
            r0 = self.dist_row0[k]
            for d in range(days):
                row_upper[r0 + d] = float(caps[d])
        lp.row_lower_ = row_lower
        lp.row_upper_ = row_upper
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts.astype(np.int32)
        lp.a_matrix_.index_ = index.astype(np.int32)
        lp.a_matrix_.value_ = value
        self.lp = lp


def _blocks(problem: FederationProblem) -> list[list[int]]:
    """Group indices by the district of their site: independent LPs."""
    by: dict[str, list[int]] = defaultdict(list)
    for gi, g in enumerate(problem.groups):
        by[problem.site_district.get(g.site_id, "")].append(gi)
    return [by[k] for k in sorted(by)]


def _highs(time_limit: float) -> highspy.Highs:
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(0.01, float(time_limit)))
    h.setOptionValue("threads", 1)
    return h


def _arrivals_from(lp: _Lp, x: Sequence[float], floor: bool) -> dict[str, list[int]]:
    problem = lp.problem
    out: dict[str, list[int]] = {}
    for j, (gi, a) in enumerate(lp.cols):
        v = x[j]
        n = math.floor(v + 1e-6) if floor else round(v)
        if n > 0:
            g = problem.groups[gi]
            out.setdefault(g.id, [0] * problem.days)[a] += n
    return out


def conflicts_of(problem: FederationProblem) -> tuple[Conflict, ...]:
    """People kept out entirely by a single constraint, and district caps too low for
    the travellers heading there (shortfall over the horizon)."""
    out: list[Conflict] = []
    by_district: dict[str, int] = defaultdict(int)
    for g in problem.groups:
        if g.count == 0:
            continue
        if g.site_id not in problem.site_capacity:
            out.append(
                Conflict(Kind.SITE_CAPACITY, (g.site_id,), g.count, {"reason": "unknown_site"})
            )
            continue
        window = group_window(problem, g)
        q = g.quarantine_days if g.travelling else 0
        if not window:
            out.append(
                Conflict(
                    Kind.QUARANTINE,
                    (g.id,),
                    g.count,
                    {"reason": Reason.QUARANTINE_AFTER_HORIZON.value, "quarantine_days": q},
                )
            )
            continue
        caps = problem.site_capacity[g.site_id]
        if all(c == 0 for c in caps[window[0] + q : problem.days]):
            out.append(
                Conflict(Kind.SITE_CAPACITY, (g.site_id,), g.count, {"reason": "capacity_zero"})
            )
            continue
        district = problem.site_district.get(g.site_id, "")
        if g.travelling and district in problem.district_caps:
            dcaps = problem.district_caps[district]
            if all(dcaps[a] == 0 for a in window):
                out.append(
                    Conflict(
                        Kind.DISTRICT_CAP,
                        (district,),
                        g.count,
                        {"reason": "cap_zero", "group": g.id},
                    )
                )
            else:
                by_district[district] += g.count
    for district, need in sorted(by_district.items()):
        total = sum(problem.district_caps[district][: problem.days])
        if need > total:
            out.append(
                Conflict(
                    Kind.DISTRICT_CAP,
                    (district,),
                    need - total,
                    {"reason": "cap_below_demand", "demand": need, "cap_total": total},
                )
            )
    return tuple(out)


def _binding(
    problem: FederationProblem,
    arrivals: Mapping[str, Sequence[int]],
    dist_dual: Mapping[tuple[str, int], float] | None,
    site_dual: Mapping[tuple[str, int], float],
) -> tuple[Binding, ...]:
    """District-day caps with a positive LP shadow price (or, without an LP, at their limit
    while someone could have arrived that day), and site-days whose capacity has one."""
    days = problem.days
    used_d: dict[str, list[int]] = {k: [0] * days for k in problem.district_caps}
    onsite: dict[str, list[int]] = {s: [0] * days for s in problem.site_capacity}
    blocked_d: dict[str, list[int]] = {k: [0] * days for k in problem.district_caps}
    blocked_s: dict[str, list[int]] = {}
    for g in problem.groups:
        arr = arrivals.get(g.id, [0] * days)
        q = g.quarantine_days if g.travelling else 0
        district = problem.site_district.get(g.site_id, "")
        window = group_window(problem, g)
        if g.travelling and district in used_d:
            for a, n in enumerate(arr):
                used_d[district][a] += n
            cum = 0
            for a in window:  # people who could have arrived by day a but did not
                cum += arr[a]
                blocked_d[district][a] += g.count - cum
        if g.site_id in onsite:
            bs = blocked_s.setdefault(g.site_id, [0] * days)
            cum = 0
            for a in window:
                cum += arr[a]
                bs[a + q] += g.count - cum
            for a, n in enumerate(arr):
                if n:
                    for t in range(a + q, days):
                        onsite[g.site_id][t] += n
    out: list[Binding] = []
    for k in sorted(problem.district_caps):
        caps = problem.district_caps[k]
        for d in range(days):
            dual = None if dist_dual is None else dist_dual.get((k, d), 0.0)
            tight = used_d[k][d] >= caps[d]
            if (dual is not None and dual > DUAL_TOL) or (
                dual is None and tight and blocked_d[k][d] > 0
            ):
                out.append(
                    Binding(
                        Kind.DISTRICT_CAP, (k,), d, caps[d], used_d[k][d], blocked_d[k][d], dual
                    )
                )
    for (site, d), dual in sorted(site_dual.items()):
        if dual > DUAL_TOL:
            caps = problem.site_capacity[site]
            blocked = blocked_s.get(site, [0] * days)[d]
            out.append(
                Binding(Kind.SITE_CAPACITY, (site,), d, caps[d], onsite[site][d], blocked, dual)
            )
    return tuple(out)


def _rollup(
    problem: FederationProblem,
    arrivals: Mapping[str, Sequence[int]],
    found: Sequence[Conflict],
) -> tuple[tuple[GroupPlan, ...], dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    days = problem.days
    quotas: dict[str, list[int]] = {}
    starts: dict[str, list[int]] = {}
    plans: list[GroupPlan] = []
    conflicts: dict[str, Conflict] = {}
    for c in found:
        if c.detail.get("reason") == "cap_below_demand":
            continue  # only part of the district's people: the group's own reason is better
        conflicts[str(c.detail.get("group", c.key[0]))] = c
    for g in problem.groups:
        arr = list(arrivals.get(g.id, [0] * days))
        q = g.quarantine_days if g.travelling else 0
        qrow = quotas.setdefault(g.enterprise_id, [0] * days)
        srow = starts.setdefault(g.enterprise_id, [0] * days)
        for a, n in enumerate(arr):
            if n:
                if g.travelling:
                    qrow[a] += n
                srow[a + q] += n
        left = g.count - sum(arr)
        reason: Reason | None = None
        if left:
            if g.id in conflicts or g.site_id in conflicts:
                c = conflicts.get(g.id) or conflicts[g.site_id]
                reason = (
                    Reason.QUARANTINE_AFTER_HORIZON
                    if c.kind is Kind.QUARANTINE
                    else Reason.NO_CAPACITY
                    if c.kind is Kind.SITE_CAPACITY
                    else Reason.NO_ARRIVAL_QUOTA
                )
            else:
                reason = Reason.NOT_SELECTED
        plans.append(GroupPlan(g.id, tuple(arr), left, reason))
    return (
        tuple(plans),
        {k: tuple(v) for k, v in quotas.items()},
        {k: tuple(v) for k, v in starts.items()},
    )


def solve_federation(
    problem: FederationProblem,
    *,
    time_limit: float = 10.0,
    mip: bool | None = None,
    use_lp: bool = True,
    compare_greedy: bool = True,
) -> FederationSolution:
    """Plan the city. Never runs (much) longer than ``time_limit`` seconds and never raises
    on a hard problem: a block whose LP is not solved in time keeps the greedy plan and the
    trivial bound (everyone on their earliest day); ``notes`` say so.

    ``compare_greedy``: also compute the greedy plan of the whole city first (reported as
    ``greedy_objective``, used to order the blocks and kept where it is better); without
    it the greedy plan is computed only for the blocks whose LP did not finish."""
    t0 = time.perf_counter()
    notes: list[str] = []
    greedy: dict[str, list[int]] | None = None
    greedy_obj: int | None = None
    if compare_greedy or not use_lp:
        greedy = greedy_federation_arrivals(problem)
        greedy_obj = federation_objective(problem, greedy)
    # time kept back for the roll-up, binding rows and conflicts after the last LP
    reserve = 1.8e-6 * len(problem.groups) * problem.days + 0.2
    best: dict[str, list[int]] = {}
    bound = 0.0
    dist_dual: dict[tuple[str, int], float] = {}
    site_dual: dict[tuple[str, int], float] = {}
    methods: set[Method] = set()
    proven = use_lp
    blocks: list[tuple[float, list[int], list[Group]]] = []
    for block in _blocks(problem) if use_lp else []:
        groups = [problem.groups[gi] for gi in block]
        loss = float(_bound_of(problem, groups))
        if greedy is not None:
            loss -= federation_objective(problem, {g.id: greedy[g.id] for g in groups})
        blocks.append((loss, block, groups))
    blocks.sort(key=lambda b: -b[0])  # where greedy may lose most (or the largest) first
    for _loss, block, groups in blocks:
        b_arr: dict[str, list[int]] | None = None
        b_obj = 0
        b_bound = float(_bound_of(problem, groups))
        b_method = Method.GREEDY
        if greedy is not None:
            b_arr = {g.id: list(greedy[g.id]) for g in groups}
            b_obj = federation_objective(problem, b_arr)
        try:
            if time_limit - reserve - (time.perf_counter() - t0) <= 0.05:
                raise TimeoutError
            lp = _Lp(problem, block)
            remaining = time_limit - reserve - (time.perf_counter() - t0)
            if lp.num_x == 0:
                b_bound = 0.0
            elif remaining <= 0.05:
                raise TimeoutError
            else:
                h = _highs(remaining)
                h.passModel(lp.lp)
                h.run()
                ms = h.getModelStatus()
                if ms != highspy.HighsModelStatus.kOptimal:
                    raise TimeoutError(h.modelStatusToString(ms))
                sol = h.getSolution()
                b_bound = float(h.getInfo().objective_function_value)
                row_dual = sol.row_dual
                for k, r0 in lp.dist_row0.items():
                    for d in range(problem.days):
                        dist_dual[(k, d)] = abs(float(row_dual[r0 + d]))
                for i, (site, d) in enumerate(lp.site_rows):
                    v = abs(float(row_dual[i]))
                    if v > DUAL_TOL:
                        site_dual[(site, d)] = v
                rounded = _arrivals_from(lp, sol.col_value, floor=True)
                greedy_federation_fill(problem, rounded, groups)
                r_obj = federation_objective(problem, rounded)
                if b_arr is None or r_obj >= b_obj:
                    b_arr, b_obj, b_method = rounded, r_obj, Method.LP_ROUND
                run_mip = mip if mip is not None else lp.num_x <= MIP_AUTO_COLUMNS
                remaining = time_limit - reserve - (time.perf_counter() - t0)
                if run_mip and remaining > 0.05 and b_obj < b_bound - 0.5:
                    m_obj, m_arr, m_bound = _solve_mip(lp, b_arr, remaining)
                    if m_bound is not None:
                        b_bound = min(b_bound, m_bound)
                    if (
                        m_arr is not None
                        and m_obj > b_obj
                        and not _violations(problem, m_arr, groups)
                    ):
                        b_arr, b_obj, b_method = m_arr, m_obj, Method.HIGHS
        except TimeoutError:
            proven = False
            if "time_limit" not in notes:
                notes.append("time_limit")
        except Exception as exc:  # a solver failure must not lose the greedy plan
            proven = False
            notes.append("solver_error:" + type(exc).__name__)
        if b_arr is None:  # no LP plan and no greedy yet: the greedy plan of this block
            b_arr = {}
            greedy_federation_fill(problem, b_arr, groups)
            b_obj = federation_objective(problem, b_arr)
            b_method = Method.GREEDY
            b_bound = float(_bound_of(problem, groups))
        best.update(b_arr)
        bound += max(b_bound, float(b_obj))
        methods.add(b_method)
    if not use_lp and greedy is not None and greedy_obj is not None:
        best = greedy
        bound = float(max(trivial_bound(problem), greedy_obj))
        methods.add(Method.GREEDY)
    obj = federation_objective(problem, best)
    bound = max(bound, float(obj))
    gap = gap_of(obj, bound)
    if methods - {Method.GREEDY}:
        method = Method.HIGHS if Method.HIGHS in methods else Method.LP_ROUND
    else:
        method = Method.GREEDY
    if proven and gap < 1e-9:
        status = Status.OPTIMAL
    elif method is Method.GREEDY:
        status = Status.FALLBACK
    else:
        status = Status.FEASIBLE
    found = conflicts_of(problem)
    plans, quotas, starts = _rollup(problem, best, found)
    return FederationSolution(
        plans=plans,
        quotas=quotas,
        starts=starts,
        objective=obj,
        bound=bound,
        gap=gap,
        status=status,
        method=method,
        seconds=time.perf_counter() - t0,
        binding=_binding(problem, best, dist_dual if proven else None, site_dual),
        conflicts=found,
        greedy_objective=greedy_obj,
        notes=tuple(notes),
    )


def _bound_of(problem: FederationProblem, groups: Sequence[Group]) -> int:
    total = 0
    for g in groups:
        if g.site_id not in problem.site_capacity:
            continue
        w = group_window(problem, g)
        if w:
            q = g.quarantine_days if g.travelling else 0
            total += problem.weight(g) * g.count * (problem.days - w[0] - q)
    return total


def trivial_bound(problem: FederationProblem) -> int:
    """Everyone starting on their earliest day: an upper bound on any plan."""
    return _bound_of(problem, problem.groups)


def _violations(
    problem: FederationProblem, arrivals: Mapping[str, Sequence[int]], groups: Sequence[Group]
) -> list[str]:
    from scheduling.verify import verify_federation_arrivals

    return verify_federation_arrivals(problem, arrivals, groups)


def _solve_mip(
    lp: _Lp, start: Mapping[str, Sequence[int]], time_limit: float
) -> tuple[int, dict[str, list[int]] | None, float | None]:
    problem = lp.problem
    h = _highs(time_limit)
    model = lp.lp
    model.integrality_ = [highspy.HighsVarType.kInteger] * lp.num_col
    h.passModel(model)
    # starting solution; an arrival on a dropped (dominated) day goes to the kept earlier
    # day with the same rows
    x0 = np.zeros(lp.num_col, dtype=np.float64)
    kept: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for j, (gi, a) in enumerate(lp.cols):
        kept[gi].append((a, j))
    gidx = {g.id: i for i, g in enumerate(problem.groups)}
    for gid, arr in start.items():
        gi = gidx[gid]
        cols = kept.get(gi, [])
        for a, n in enumerate(arr):
            if n:
                js = [j for a2, j in cols if a2 <= a]
                if js:
                    x0[js[-1]] += n
    sol = highspy.HighsSolution()
    sol.col_value = list(x0)
    sol.value_valid = True
    h.setSolution(sol)
    h.run()
    info = h.getInfo()
    m_bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible
        model.integrality_ = []
        return 0, None, m_bound
    x = list(h.getSolution().col_value)
    model.integrality_ = []
    plan = _arrivals_from(lp, x, floor=False)
    return federation_objective(problem, plan), plan, m_bound


__all__ = ["conflicts_of", "solve_federation", "trivial_bound"]
