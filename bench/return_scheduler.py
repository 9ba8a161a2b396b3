"""Return-to-work scheduler: the city-wide plan against its LP bound (issue 6).

Generates (seeded) 2,000 enterprises, 10,000 sites and 100,000 employees over a 30-day
horizon with three phases (30 % / 60 % / 100 % of site capacity from days 0 / 10 / 20),
origins of low / medium / high risk (0 / 7 / 14 days of quarantine, as data) and district
arrival caps that bind. Aggregates the employees into federation groups (enterprise, site,
risk, critical, earliest day) and solves the federation problem with
`scheduling.federation.solve_federation` (HiGHS LP per district, rounded and repaired,
greedy fill; the greedy plan alone for comparison) under each time limit; then one large
enterprise (500 employees) with `scheduling.enterprise.solve_enterprise` (CP-SAT).

Prints, per run: solve time, objective, LP bound, objective ÷ bound, the greedy plan's
share, binding caps, and checks every plan with the independent `scheduling.verify`.
The LP bound is the optimum of the full LP relaxation, solved to optimality in the same
run (the longest time limit); shorter runs are measured against that same bound.

Usage (from the repository root):
    .venv/bin/python bench/return_scheduler.py
Options: --seed N (1), --limits 10,60 (seconds), --enterprise-limit S (10), --cap-factor F.
Pure Python, no database. Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduling.enterprise import solve_enterprise  # noqa: E402
from scheduling.federation import solve_federation  # noqa: E402
from scheduling.generate import generate_city  # noqa: E402
from scheduling.greedy import (  # noqa: E402
    federation_objective,
    greedy_enterprise,
    greedy_federation_arrivals,
)
from scheduling.model import FederationSolution, Kind  # noqa: E402
from scheduling.verify import verify  # noqa: E402


def _load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limits", default="10,60", help="federation time limits in seconds")
    ap.add_argument("--enterprise-limit", type=float, default=10.0)
    ap.add_argument("--cap-factor", type=float, default=0.045)
    ap.add_argument("--enterprises", type=int, default=2000)
    ap.add_argument("--sites", type=int, default=10_000)
    ap.add_argument("--employees", type=int, default=100_000)
    args = ap.parse_args()
    limits = sorted(float(x) for x in args.limits.split(","))

    t = time.perf_counter()
    city = generate_city(
        seed=args.seed,
        enterprises=args.enterprises,
        sites=args.sites,
        employees=args.employees,
        cap_factor=args.cap_factor,
        big_enterprise=500,
    )
    fp = city.federation()
    n_emp = sum(len(v) for v in city.employees.values())
    travellers = sum(1 for v in city.employees.values() for e in v if e.travelling)
    print(
        f"instance: {args.enterprises} enterprises, {len(city.sites)} sites, {n_emp} employees "
        f"({travellers} travelling), {len(fp.groups)} groups, {len(fp.district_caps)} districts, "
        f"{city.days} days; generated in {time.perf_counter() - t:.1f} s; load {_load()}"
    )

    t = time.perf_counter()
    greedy_obj = federation_objective(fp, greedy_federation_arrivals(fp))
    greedy_seconds = time.perf_counter() - t
    runs: list[tuple[float, FederationSolution]] = []
    for limit in limits:
        # the greedy comparison is timed on its own (above), not inside the solve
        sol = solve_federation(fp, time_limit=limit, compare_greedy=False)
        bad = verify(fp, sol)
        runs.append((limit, sol))
        print(
            f"federation limit {limit:>4.0f} s: solved in {sol.seconds:6.2f} s, "
            f"method {sol.method}, status {sol.status}, notes {list(sol.notes)}, "
            f"violations {len(bad)}" + (f" e.g. {bad[:3]}" if bad else "") + f"; load {_load()}"
        )
    # the LP bound: from the run that solved every block's LP to optimality
    proven = [
        s
        for _l, s in runs
        if "time_limit" not in s.notes and not any(n.startswith("solver") for n in s.notes)
    ]
    lp_bound = min((s.bound for s in proven), default=min(s.bound for _l, s in runs))
    state = "proven" if proven else "NOT proven: no run finished every LP"
    print(f"LP-relaxation bound: {lp_bound:,.0f} weighted employee-days ({state})")
    print(
        f"{'limit':>6} {'time s':>7} {'objective':>12} {'share of LP':>11} {'greedy share':>12} "
        f"{'binding district-days':>22} {'binding site-days':>18}"
    )
    for limit, sol in runs:
        dist = sum(1 for b in sol.binding if b.kind is Kind.DISTRICT_CAP)
        site = sum(1 for b in sol.binding if b.kind is Kind.SITE_CAPACITY)
        greedy_share = greedy_obj / lp_bound
        print(
            f"{limit:>6.0f} {sol.seconds:>7.2f} {sol.objective:>12,} "
            f"{sol.objective / lp_bound:>10.4%} {greedy_share:>11.4%} {dist:>22} {site:>18}"
        )
    print(
        f"greedy plan alone: {greedy_seconds:.2f} s, {greedy_obj:,} = {greedy_obj / lp_bound:.4%}"
    )
    best = runs[-1][1]
    unscheduled = sum(p.unscheduled for p in best.plans)
    print(
        f"conflicts reported: {len(best.conflicts)}; "
        f"people not starting within the horizon: {unscheduled}"
    )

    # one large enterprise, with the federation's quotas for it
    ent = "E00000"
    quota = best.quotas.get(ent)
    ep = city.enterprise(ent, arrival_quota=quota, rooms=20)
    g = greedy_enterprise(ep)
    s = solve_enterprise(ep, time_limit=args.enterprise_limit)
    bad = verify(ep, s) + verify(ep, g)
    binding: dict[str, int] = {}
    for b in s.binding:
        binding[b.kind.value] = binding.get(b.kind.value, 0) + 1
    print(
        f"enterprise {ent}: {len(ep.employees)} employees, {len(ep.sites)} sites, "
        f"arrival quota from the plan, 20 isolation rooms; load {_load()}"
    )
    print(
        f"  CP-SAT limit {args.enterprise_limit:.0f} s: {s.seconds:.2f} s, status {s.status}, "
        f"method {s.method}, notes {list(s.notes)}, objective {s.objective:,}, "
        f"bound {s.bound:,.0f}, share {s.objective / max(s.bound, 1):.4%}, gap {s.gap:.4%}"
    )
    print(
        f"  greedy: {g.seconds:.3f} s, objective {g.objective:,}, share of the CP-SAT bound "
        f"{g.objective / max(s.bound, 1):.4%}; binding rows {binding}; violations {len(bad)}"
    )


if __name__ == "__main__":
    main()
