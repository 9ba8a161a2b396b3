import random

import pytest

from scheduling.enterprise import solve_enterprise
from scheduling.greedy import greedy_enterprise
from scheduling.model import Employee, Kind, Method, Pin, Reason, Status
from scheduling.tests.helpers import enterprise, random_enterprise, site
from scheduling.verify import verify

SOLVERS = [
    pytest.param(lambda p: greedy_enterprise(p), id="greedy"),
    pytest.param(lambda p: solve_enterprise(p, time_limit=10, workers=1), id="cp-sat"),
]


@pytest.mark.parametrize("solve", SOLVERS)
def test_critical_role_takes_the_only_place(solve):
    p = enterprise(
        [Employee("b", "s1", priority=3), Employee("a", "s1", critical=True)],
        [site("s1", {"day": [1, 1, 1, 1]})],
        days=4,
    )
    sol = solve(p)
    assert verify(p, sol) == []
    plan = sol.by_employee()
    assert (plan["a"].first_day, plan["a"].shift_id) == (0, "day")
    assert plan["b"].first_day is None
    assert plan["b"].reason is Reason.NOT_SELECTED
    assert sol.objective == 10 * 4
    assert any(b.kind is Kind.SITE_SHIFT_CAPACITY and b.blocked == 1 for b in sol.binding)


@pytest.mark.parametrize("solve", SOLVERS)
def test_quarantine_passes_before_the_first_working_day(solve):
    p = enterprise(
        [Employee("t", "s1", earliest_arrival=2, quarantine_days=5)],
        [site("s1", {"day": [1] * 10})],
        days=10,
    )
    sol = solve(p)
    assert verify(p, sol) == []
    a = sol.by_employee()["t"]
    assert a.arrival_day == 2
    assert a.first_day == 7
    assert sol.objective == 3
    assert any(b.kind is Kind.QUARANTINE and b.key == ("5",) for b in sol.binding)


def test_cp_sat_beats_greedy_where_greedy_is_short_sighted():
    # b has the higher weight but can only start on day 2; the one place is worth more
    # to a from day 0 (2 x 4 = 8) than to b from day 2 (3 x 2 = 6).
    p = enterprise(
        [Employee("a", "s1", priority=2), Employee("b", "s1", priority=3, observation_end=1)],
        [site("s1", {"day": [1, 1, 1, 1]})],
        days=4,
    )
    g = greedy_enterprise(p)
    assert g.objective == 6
    sol = solve_enterprise(p, time_limit=10, workers=1)
    assert verify(p, sol) == []
    assert sol.objective == 8
    assert sol.status is Status.OPTIMAL
    assert sol.method is Method.CP_SAT
    assert sol.gap == 0
    assert sol.by_employee()["b"].reason is Reason.NOT_SELECTED


@pytest.mark.parametrize("solve", SOLVERS)
def test_capacity_zero_leaves_everyone_out_with_the_reason(solve):
    p = enterprise(
        [Employee("a", "s1"), Employee("b", "s1", earliest_arrival=0)],
        [site("s1", {"day": [0, 0, 0]})],
        days=3,
    )
    sol = solve(p)
    assert verify(p, sol) == []
    assert sol.objective == 0
    assert {a.reason for a in sol.assignments} == {Reason.NO_CAPACITY}


@pytest.mark.parametrize("solve", SOLVERS)
def test_quarantine_ending_after_the_horizon_is_unscheduled_with_the_reason(solve):
    p = enterprise(
        [Employee("late", "s1", earliest_arrival=3, quarantine_days=14), Employee("ok", "s1")],
        [site("s1", {"day": [5] * 10})],
        days=10,
    )
    sol = solve(p)
    assert verify(p, sol) == []
    plan = sol.by_employee()
    assert plan["late"].first_day is None
    assert plan["late"].reason is Reason.QUARANTINE_AFTER_HORIZON
    assert plan["ok"].first_day == 0


@pytest.mark.parametrize("solve", SOLVERS)
def test_unknown_site_is_a_reason_not_a_crash(solve):
    p = enterprise([Employee("a", "nowhere")], [site("s1", {"day": [1, 1]})], days=2)
    sol = solve(p)
    assert verify(p, sol) == []
    assert sol.assignments[0].reason is Reason.UNKNOWN_SITE


@pytest.mark.parametrize("solve", SOLVERS)
def test_pin_over_capacity_is_refused_with_the_reason_not_moved(solve):
    p = enterprise(
        [
            Employee("first", "s1", pin=Pin(1, "day")),
            Employee("second", "s1", pin=Pin(0, "day")),
            Employee("free", "s1"),
        ],
        [site("s1", {"day": [1, 1, 1, 1]})],
        days=4,
    )
    sol = solve(p)
    assert verify(p, sol) == []
    plan = sol.by_employee()
    assert (plan["first"].first_day, plan["first"].pinned) == (1, True)
    assert plan["second"].first_day is None
    assert plan["second"].reason is Reason.PIN_REFUSED
    [refused] = sol.refused_pins
    assert refused.employee_id == "second"
    assert refused.reason is Reason.PIN_OVER_CAPACITY
    assert refused.params == {"day": 1, "capacity": 1}
    # the pinned employee keeps the place from day 1 on; "free" cannot use day 0 alone
    assert plan["free"].first_day is None


@pytest.mark.parametrize("solve", SOLVERS)
def test_pin_before_the_end_of_quarantine_is_refused(solve):
    p = enterprise(
        [Employee("t", "s1", earliest_arrival=1, quarantine_days=3, pin=Pin(2, "day"))],
        [site("s1", {"day": [1] * 6})],
        days=6,
    )
    sol = solve(p)
    assert verify(p, sol) == []
    assert sol.refused_pins[0].reason is Reason.PIN_BEFORE_QUARANTINE_END
    assert sol.refused_pins[0].params == {"day": 2, "earliest": 4}
    assert sol.assignments[0].first_day is None


@pytest.mark.parametrize("solve", SOLVERS)
def test_pin_on_an_unknown_shift_or_outside_the_horizon_is_refused(solve):
    p = enterprise(
        [
            Employee("a", "s1", pin=Pin(0, "night")),
            Employee("b", "s1", pin=Pin(9, "day")),
        ],
        [site("s1", {"day": [2, 2]})],
        days=2,
    )
    sol = solve(p)
    assert verify(p, sol) == []
    reasons = {r.employee_id: r.reason for r in sol.refused_pins}
    assert reasons == {"a": Reason.PIN_UNKNOWN_SHIFT, "b": Reason.PIN_OUTSIDE_HORIZON}


@pytest.mark.parametrize("solve", SOLVERS)
def test_valid_pin_is_honoured_and_others_fill_around_it(solve):
    p = enterprise(
        [Employee("p", "s1", pin=Pin(2, "late")), Employee("q", "s1", critical=True)],
        [site("s1", {"early": [0, 0, 0, 0], "late": [1, 1, 1, 1]})],
        days=4,
        shifts=("early", "late"),
    )
    sol = solve(p)
    assert verify(p, sol) == []
    plan = sol.by_employee()
    assert (plan["p"].first_day, plan["p"].shift_id, plan["p"].pinned) == (2, "late", True)
    assert plan["q"].first_day is None  # day 0 start would collide with the pin on day 2


@pytest.mark.parametrize("solve", SOLVERS)
def test_arrival_quota_spreads_the_journeys(solve):
    p = enterprise(
        [Employee(f"t{i}", "s1", earliest_arrival=0) for i in range(3)],
        [site("s1", {"day": [3] * 5})],
        days=5,
        quota=[1, 1, 1, 1, 1],
    )
    sol = solve(p)
    assert verify(p, sol) == []
    assert sorted(a.arrival_day for a in sol.assignments) == [0, 1, 2]
    assert sol.objective == 5 + 4 + 3
    assert any(b.kind is Kind.ARRIVAL_QUOTA for b in sol.binding)


@pytest.mark.parametrize("solve", SOLVERS)
def test_isolation_rooms_are_never_over_full(solve):
    p = enterprise(
        [
            Employee(f"t{i}", "s1", earliest_arrival=0, quarantine_days=2, needs_isolation=True)
            for i in range(3)
        ],
        [site("s1", {"day": [3] * 8})],
        days=8,
        rooms=[1] * 8,
    )
    sol = solve(p)
    assert verify(p, sol) == []
    assert sorted(a.arrival_day for a in sol.assignments) == [0, 2, 4]
    assert any(b.kind is Kind.ISOLATION_ROOMS for b in sol.binding)


@pytest.mark.parametrize("solve", SOLVERS)
def test_shifts_are_balanced(solve):
    p = enterprise(
        [Employee(f"e{i}", "s1") for i in range(6)],
        [site("s1", {"a": [6, 6], "b": [6, 6], "c": [6, 6]})],
        days=2,
        shifts=("a", "b", "c"),
    )
    sol = solve(p)
    assert verify(p, sol) == []
    counts = {k: sum(1 for a in sol.assignments if a.shift_id == k) for k in "abc"}
    assert counts == {"a": 2, "b": 2, "c": 2}


def test_exhausted_time_limit_returns_the_best_plan_with_its_gap():
    rng = random.Random(7)
    emps = [
        Employee(
            f"e{i}", f"s{i % 3}", priority=rng.randint(1, 5), earliest_arrival=rng.randint(0, 5)
        )
        for i in range(60)
    ]
    sites = [site(f"s{j}", {"day": [2 + d // 3 for d in range(12)]}) for j in range(3)]
    p = enterprise(emps, sites, days=12, quota=[4] * 12)
    sol = solve_enterprise(p, time_limit=0.01, workers=1)
    assert verify(p, sol) == []
    assert sol.status is Status.FALLBACK
    assert sol.method is Method.GREEDY
    assert sol.objective > 0
    assert sol.bound >= sol.objective
    assert sol.gap > 0
    assert "no_solution_in_time" in sol.notes


def test_verify_catches_a_plan_over_capacity():
    p = enterprise(
        [Employee("a", "s1"), Employee("b", "s1")], [site("s1", {"day": [1, 1]})], days=2
    )
    sol = greedy_enterprise(p)
    from dataclasses import replace

    from scheduling.model import Assignment

    bad = replace(
        sol, assignments=(Assignment("a", None, 0, "day"), Assignment("b", None, 1, "day"))
    )
    problems = verify(p, bad)
    assert any(v.startswith("capacity:") for v in problems)
    assert any(v.startswith("objective:") for v in problems)


def test_verify_catches_quarantine_and_moved_pins():
    p = enterprise(
        [
            Employee("t", "s1", earliest_arrival=0, quarantine_days=3),
            Employee("p", "s1", pin=Pin(0, "day")),
        ],
        [site("s1", {"day": [2] * 5})],
        days=5,
    )
    sol = greedy_enterprise(p)
    from dataclasses import replace

    from scheduling.model import Assignment

    bad = replace(sol, assignments=(Assignment("t", 0, 1, "day"), Assignment("p", None, 2, "day")))
    problems = verify(p, bad)
    assert any(v.startswith("quarantine:") for v in problems)
    assert any(v.startswith("pin_moved:") for v in problems)


@pytest.mark.parametrize("seed", range(25))
def test_random_instances_every_solver_passes_the_checker(seed):
    p = random_enterprise(random.Random(seed))
    g = greedy_enterprise(p)
    assert verify(p, g) == []
    s = solve_enterprise(p, time_limit=10, workers=1)
    assert verify(p, s) == []
    assert s.objective >= g.objective
    assert s.bound + 1e-6 >= s.objective
    if s.status is Status.OPTIMAL:
        assert s.objective == pytest.approx(s.bound)


def test_cp_sat_runs_in_process_when_highspy_is_not_loaded():
    # In this test process highspy is loaded (the federation tests import it), so the
    # CP-SAT solve runs in a child interpreter; this runs the in-process path there.
    import subprocess
    import sys
    from pathlib import Path

    script = """
import sys
from scheduling.enterprise import solve_enterprise
from scheduling.model import Employee, Method
from scheduling.tests.helpers import enterprise, site
from scheduling.verify import verify
p = enterprise(
    [Employee("a", "s1", priority=2), Employee("b", "s1", priority=3, observation_end=1)],
    [site("s1", {"day": [1, 1, 1, 1]})],
    days=4,
)
sol = solve_enterprise(p, time_limit=10, workers=1)
assert "highspy" not in sys.modules
assert verify(p, sol) == []
assert (sol.objective, sol.method) == (8, Method.CP_SAT), sol
print("ok")
"""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
