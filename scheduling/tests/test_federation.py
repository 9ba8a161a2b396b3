import random

import pytest

from scheduling.federation import breakpoints, conflicts_of, solve_federation
from scheduling.greedy import federation_objective, greedy_federation_arrivals
from scheduling.model import FederationProblem, Group, Kind, Method, Reason, Status
from scheduling.tests.helpers import START, random_federation
from scheduling.verify import verify


def problem(
    groups: list[Group],
    *,
    days: int,
    site_caps: dict[str, list[int]],
    district_caps: dict[str, list[int]],
    site_district: dict[str, str] | None = None,
) -> FederationProblem:
    return FederationProblem(
        horizon_start=START,
        days=days,
        groups=tuple(groups),
        site_capacity={k: tuple(v) for k, v in site_caps.items()},
        site_district=site_district or dict.fromkeys(site_caps, "D1"),
        district_caps={k: tuple(v) for k, v in district_caps.items()},
    )


def small() -> FederationProblem:
    # one arrival a day; the critical group (weight 10, 2 days of quarantine) should take
    # day 0: 10 x 3 = 30, then the two others days 1 and 2: 4 + 3 = 7 → 37.
    return problem(
        [
            Group("n", "E1", "s1", count=2, quarantine_days=0),
            Group("c", "E2", "s1", count=1, quarantine_days=2, critical=True),
        ],
        days=5,
        site_caps={"s1": [10] * 5},
        district_caps={"D1": [1] * 5},
    )


@pytest.mark.parametrize("mip", [False, True])
def test_small_instance_reaches_the_known_optimum(mip):
    p = small()
    sol = solve_federation(p, time_limit=10, mip=mip)
    assert verify(p, sol) == []
    assert sol.objective == 37
    assert sol.bound == pytest.approx(37)
    assert sol.gap == pytest.approx(0)
    assert sol.status is Status.OPTIMAL
    plans = {pl.group_id: pl for pl in sol.plans}
    assert plans["c"].arrivals == (1, 0, 0, 0, 0)
    assert plans["n"].arrivals == (0, 1, 1, 0, 0)
    assert sol.quotas == {"E1": (0, 1, 1, 0, 0), "E2": (1, 0, 0, 0, 0)}
    assert sol.starts == {"E1": (0, 1, 1, 0, 0), "E2": (0, 0, 1, 0, 0)}


def test_binding_district_caps_are_named_with_their_shadow_price():
    p = small()
    sol = solve_federation(p, time_limit=10)
    caps = [b for b in sol.binding if b.kind is Kind.DISTRICT_CAP]
    assert {b.day for b in caps} >= {0, 1}  # one more slot on day 0 or 1 gains days
    assert all(b.key == ("D1",) and b.limit == 1 and b.dual and b.dual > 0 for b in caps)


def test_two_sites_sharing_a_district_cap_reach_the_known_optimum():
    # day 0 (3 slots): crit (10 x 3 = 30) + 2 plain (3 x 6 each); day 1: 2 plain (3 x 5
    # each); day 2: the last plain (3 x 4) = 30 + 36 + 30 + 12 = 108.
    p = problem(
        [
            Group("crit", "E1", "s1", count=1, quarantine_days=3, critical=True),
            Group("plain", "E2", "s2", count=5, quarantine_days=0, priority=3),
        ],
        days=6,
        site_caps={"s1": [1] * 6, "s2": [5] * 6},
        district_caps={"D1": [3, 2, 2, 2, 2, 2]},
    )
    greedy = federation_objective(p, greedy_federation_arrivals(p))
    sol = solve_federation(p, time_limit=10)
    assert verify(p, sol) == []
    assert sol.objective >= greedy
    assert sol.objective == 108
    assert sol.objective == pytest.approx(sol.bound)


def test_district_cap_zero_is_reported_as_a_conflict_not_a_crash():
    p = problem(
        [
            Group("t", "E1", "s1", count=4, quarantine_days=0),
            Group("local", "E1", "s1", count=2, travelling=False),
        ],
        days=4,
        site_caps={"s1": [10] * 4},
        district_caps={"D1": [0] * 4},
    )
    sol = solve_federation(p, time_limit=10)
    assert verify(p, sol) == []
    [c] = [c for c in sol.conflicts if c.kind is Kind.DISTRICT_CAP]
    assert c.key == ("D1",)
    assert c.people == 4
    assert c.detail["reason"] == "cap_zero"
    plans = {pl.group_id: pl for pl in sol.plans}
    assert plans["t"].unscheduled == 4
    assert plans["t"].reason is Reason.NO_ARRIVAL_QUOTA
    assert plans["local"].arrivals[0] == 2  # the locals still start on day 0


def test_district_cap_below_demand_is_reported_with_the_shortfall():
    p = problem(
        [Group("t", "E1", "s1", count=10)],
        days=3,
        site_caps={"s1": [10] * 3},
        district_caps={"D1": [1, 1, 1]},
    )
    conflicts = conflicts_of(p)
    assert len(conflicts) == 1
    assert conflicts[0].people == 7
    assert conflicts[0].detail == {"reason": "cap_below_demand", "demand": 10, "cap_total": 3}
    sol = solve_federation(p, time_limit=10)
    assert verify(p, sol) == []
    assert sol.objective == 3 + 2 + 1


def test_quarantine_after_horizon_and_zero_capacity_are_conflicts():
    p = problem(
        [
            Group("far", "E1", "s1", count=3, quarantine_days=14),
            Group("nocap", "E1", "s2", count=2, travelling=False),
        ],
        days=5,
        site_caps={"s1": [5] * 5, "s2": [0] * 5},
        district_caps={},
    )
    sol = solve_federation(p, time_limit=10)
    assert verify(p, sol) == []
    kinds = {(c.kind, c.key) for c in sol.conflicts}
    assert (Kind.QUARANTINE, ("far",)) in kinds
    assert (Kind.SITE_CAPACITY, ("s2",)) in kinds
    plans = {pl.group_id: pl for pl in sol.plans}
    assert plans["far"].reason is Reason.QUARANTINE_AFTER_HORIZON
    assert plans["nocap"].reason is Reason.NO_CAPACITY
    assert sol.objective == 0


def test_exhausted_time_limit_returns_the_greedy_plan_with_its_gap():
    p = random_federation(random.Random(3))
    sol = solve_federation(p, time_limit=0.0)
    assert verify(p, sol) == []
    assert sol.status is Status.FALLBACK
    assert sol.method is Method.GREEDY
    assert "time_limit" in sol.notes
    assert sol.bound >= sol.objective


def test_breakpoints_keep_only_rows_not_implied_by_later_days():
    assert breakpoints([3, 3, 6, 6, 10, 10], 6) == [1, 3, 5]
    assert breakpoints([5, 2, 7], 3) == [1, 2]
    assert breakpoints([4, 4, 4], 3) == [2]


def test_verify_catches_a_district_cap_breach():
    p = small()
    sol = solve_federation(p, time_limit=10)
    from dataclasses import replace

    from scheduling.model import GroupPlan

    bad_plans = (GroupPlan("n", (2, 0, 0, 0, 0), 0), GroupPlan("c", (1, 0, 0, 0, 0), 0))
    problems = verify(p, replace(sol, plans=bad_plans))
    assert any(v.startswith("district_cap:") for v in problems)
    assert any(v.startswith("quota_rollup:") for v in problems)


@pytest.mark.parametrize("seed", range(40))
def test_random_instances_pass_the_checker(seed):
    p = random_federation(random.Random(seed))
    greedy = federation_objective(p, greedy_federation_arrivals(p))
    for mip in (False, True):
        sol = solve_federation(p, time_limit=10, mip=mip)
        assert verify(p, sol) == [], mip
        assert sol.objective >= greedy
        assert sol.bound + 1e-6 >= sol.objective
        assert sol.greedy_objective == greedy


@pytest.mark.parametrize("seed", range(10))
def test_without_the_greedy_comparison_the_plan_is_still_valid(seed):
    p = random_federation(random.Random(100 + seed))
    full = solve_federation(p, time_limit=10)
    lean = solve_federation(p, time_limit=10, compare_greedy=False)
    assert verify(p, lean) == []
    assert lean.greedy_objective is None
    assert lean.objective == full.objective  # every block's LP finishes either way
    out_of_time = solve_federation(p, time_limit=0.0, compare_greedy=False)
    assert verify(p, out_of_time) == []
    assert out_of_time.objective == full.greedy_objective
