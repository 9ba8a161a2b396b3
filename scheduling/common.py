"""State and checks shared by the enterprise solvers: loads, pins, reasons, binding rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from scheduling.model import (
    Assignment,
    Binding,
    Employee,
    EnterpriseProblem,
    Kind,
    Pin,
    Reason,
    RefusedPin,
)

BIG = 1 << 40  # "no limit" for quota/isolation series


def earliest_start(problem: EnterpriseProblem, e: Employee) -> tuple[int, Reason | None]:
    """First day the employee could work ignoring every shared resource, or a reason why
    that day lies outside the horizon (or the site is unknown)."""
    if problem.site(e.site_id) is None:
        return problem.days, Reason.UNKNOWN_SITE
    es = 0
    if e.earliest_arrival is not None:
        es = max(es, e.earliest_arrival + e.quarantine_days)
        if es >= problem.days:
            return es, Reason.QUARANTINE_AFTER_HORIZON
    if e.observation_end is not None:
        es = max(es, e.observation_end + 1)
        if es >= problem.days:
            return es, Reason.OBSERVATION_AFTER_HORIZON
    return es, None


@dataclass
class Loads:
    """Running use of every shared resource of an enterprise problem."""

    problem: EnterpriseProblem
    cap: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    used: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    quota: list[int] = field(default_factory=list)
    rooms: list[int] = field(default_factory=list)

    @classmethod
    def empty(cls, problem: EnterpriseProblem) -> Loads:
        n = problem.days
        self = cls(problem)
        for site in problem.sites:
            for sh in problem.shifts:
                self.cap[(site.id, sh.id)] = [site.cap(sh.id, d) for d in range(n)]
                self.used[(site.id, sh.id)] = [0] * n
        self.quota = list(problem.arrival_quota[:n]) if problem.arrival_quota else [BIG] * n
        self.rooms = list(problem.isolation_rooms[:n]) if problem.isolation_rooms else [BIG] * n
        return self

    # capacity -----------------------------------------------------------------------
    def shift_free(self, site_id: str, shift_id: str, start: int) -> bool:
        cap = self.cap[(site_id, shift_id)]
        used = self.used[(site_id, shift_id)]
        return all(used[d] < cap[d] for d in range(start, self.problem.days))

    def take_shift(self, site_id: str, shift_id: str, start: int) -> None:
        used = self.used[(site_id, shift_id)]
        for d in range(start, self.problem.days):
            used[d] += 1

    # arrival ------------------------------------------------------------------------
    def arrival_free(self, e: Employee, day: int) -> bool:
        if self.quota[day] <= 0:
            return False
        if e.needs_isolation:
            end = min(day + e.quarantine_days, self.problem.days)
            return all(self.rooms[d] > 0 for d in range(day, end))
        return True

    def take_arrival(self, e: Employee, day: int) -> None:
        self.quota[day] -= 1
        if e.needs_isolation:
            for d in range(day, min(day + e.quarantine_days, self.problem.days)):
                self.rooms[d] -= 1

    def best_arrival(self, e: Employee, start: int) -> int | None:
        """Latest feasible arrival day for a first working day ``start`` (travellers)."""
        assert e.earliest_arrival is not None
        for a in range(start - e.quarantine_days, e.earliest_arrival - 1, -1):
            if a < self.problem.days and self.arrival_free(e, a):
                return a
        return None


def apply_pins(
    problem: EnterpriseProblem, loads: Loads
) -> tuple[dict[str, Assignment], list[RefusedPin]]:
    """Check and book every pin in input order. A pin that breaks a rule or a capacity is
    refused (the employee is left unscheduled with ``PIN_REFUSED``), never moved."""
    shift_ids = {s.id for s in problem.shifts}
    done: dict[str, Assignment] = {}
    refused: list[RefusedPin] = []

    def refuse(e: Employee, pin: Pin, reason: Reason, **params: int | str) -> None:
        refused.append(RefusedPin(e.id, reason, pin, params))
        done[e.id] = Assignment(e.id, None, None, None, Reason.PIN_REFUSED)

    for e in problem.employees:
        pin = e.pin
        if pin is None:
            continue
        es, why = earliest_start(problem, e)
        if why is Reason.UNKNOWN_SITE:
            done[e.id] = Assignment(e.id, None, None, None, why)
            continue
        if pin.shift_id not in shift_ids:
            refuse(e, pin, Reason.PIN_UNKNOWN_SHIFT, shift=pin.shift_id)
            continue
        if not 0 <= pin.first_day < problem.days:
            refuse(e, pin, Reason.PIN_OUTSIDE_HORIZON, day=pin.first_day, days=problem.days)
            continue
        if pin.first_day < es:
            code = (
                Reason.PIN_BEFORE_QUARANTINE_END
                if e.travelling or e.observation_end is not None
                else Reason.PIN_OUTSIDE_HORIZON
            )
            refuse(e, pin, code, day=pin.first_day, earliest=es)
            continue
        if not loads.shift_free(e.site_id, pin.shift_id, pin.first_day):
            cap = loads.cap[(e.site_id, pin.shift_id)]
            used = loads.used[(e.site_id, pin.shift_id)]
            day = next(d for d in range(pin.first_day, problem.days) if used[d] >= cap[d])
            refuse(e, pin, Reason.PIN_OVER_CAPACITY, day=day, capacity=cap[day])
            continue
        arrival: int | None = None
        if e.earliest_arrival is not None:
            if pin.arrival_day is not None:
                a = pin.arrival_day
                if a < e.earliest_arrival or a >= problem.days:
                    refuse(e, pin, Reason.PIN_BEFORE_ARRIVAL, day=a, earliest=e.earliest_arrival)
                    continue
                if pin.first_day < a + e.quarantine_days:
                    refuse(
                        e,
                        pin,
                        Reason.PIN_BEFORE_QUARANTINE_END,
                        day=pin.first_day,
                        earliest=a + e.quarantine_days,
                    )
                    continue
                if loads.quota[a] <= 0:
                    refuse(e, pin, Reason.PIN_OVER_QUOTA, day=a)
                    continue
                if not loads.arrival_free(e, a):
                    refuse(e, pin, Reason.PIN_OVER_ISOLATION, day=a)
                    continue
                arrival = a
            else:
                arrival = loads.best_arrival(e, pin.first_day)
                if arrival is None:
                    no_quota = all(
                        loads.quota[a] <= 0
                        for a in range(e.earliest_arrival, pin.first_day - e.quarantine_days + 1)
                    )
                    reason = Reason.PIN_OVER_QUOTA if no_quota else Reason.PIN_OVER_ISOLATION
                    refuse(e, pin, reason, day=pin.first_day)
                    continue
            loads.take_arrival(e, arrival)
        loads.take_shift(e.site_id, pin.shift_id, pin.first_day)
        done[e.id] = Assignment(e.id, arrival, pin.first_day, pin.shift_id, None, pinned=True)
    return done, refused


def unscheduled_reason(problem: EnterpriseProblem, loads: Loads, e: Employee, es: int) -> Reason:
    """Explain, after planning, why an employee who could start got no first day."""
    site_caps = [
        loads.cap[(e.site_id, sh.id)] for sh in problem.shifts if (e.site_id, sh.id) in loads.cap
    ]
    if not any(
        all(c[d] > 0 for d in range(s, problem.days))
        for c in site_caps
        for s in range(es, problem.days)
    ):
        return Reason.NO_CAPACITY
    if e.earliest_arrival is not None:
        last = problem.days - 1 - e.quarantine_days
        days = range(e.earliest_arrival, last + 1)
        if all(loads.quota[a] <= 0 for a in days):
            return Reason.NO_ARRIVAL_QUOTA
        if e.needs_isolation and not any(loads.arrival_free(e, a) for a in days):
            return Reason.NO_ISOLATION_ROOM
    return Reason.NOT_SELECTED


def objective_of(problem: EnterpriseProblem, assignments: dict[str, Assignment]) -> int:
    total = 0
    for e in problem.employees:
        a = assignments.get(e.id)
        if a is not None and a.first_day is not None:
            total += problem.weight(e) * (problem.days - a.first_day)
    return total


def loads_of(problem: EnterpriseProblem, assignments: dict[str, Assignment]) -> Loads:
    loads = Loads.empty(problem)
    by_id = {e.id: e for e in problem.employees}
    for a in assignments.values():
        e = by_id.get(a.employee_id)
        if e is None:
            continue
        if a.arrival_day is not None and 0 <= a.arrival_day < problem.days:
            loads.take_arrival(e, a.arrival_day)
        if a.first_day is not None and a.shift_id is not None:
            key = (e.site_id, a.shift_id)
            if key in loads.used:
                loads.take_shift(e.site_id, a.shift_id, a.first_day)
    return loads


def enterprise_binding(
    problem: EnterpriseProblem, assignments: dict[str, Assignment]
) -> tuple[Binding, ...]:
    """Constraints at their limit on a day by which someone could have started (or arrived)
    but did not: full site shifts, used-up arrival quota, full isolation rooms; plus one
    summary row per quarantine length that delays people."""
    loads = loads_of(problem, assignments)
    es_of: dict[str, int] = {}
    for e in problem.employees:
        es, why = earliest_start(problem, e)
        if why is None and assignments[e.id].reason is not Reason.PIN_REFUSED:
            es_of[e.id] = es
    out: list[Binding] = []
    for site in problem.sites:
        waiting = [
            (es_of[e.id], assignments[e.id].first_day)
            for e in problem.employees
            if e.site_id == site.id and e.id in es_of
        ]
        for sh in problem.shifts:
            cap = loads.cap[(site.id, sh.id)]
            used = loads.used[(site.id, sh.id)]
            for d in range(problem.days):
                if used[d] >= cap[d]:
                    blocked = sum(1 for es, fd in waiting if es <= d and (fd is None or fd > d))
                    if blocked:
                        out.append(
                            Binding(
                                Kind.SITE_SHIFT_CAPACITY,
                                (site.id, sh.id),
                                d,
                                cap[d],
                                used[d],
                                blocked,
                            )
                        )
    travellers = [e for e in problem.employees if e.travelling and e.id in es_of]
    for d in range(problem.days):
        if problem.arrival_quota is not None and loads.quota[d] <= 0:
            blocked = sum(
                1
                for e in travellers
                if e.earliest_arrival is not None
                and e.earliest_arrival <= d
                and d + e.quarantine_days < problem.days
                and _arrived_after(assignments[e.id], d)
            )
            if blocked:
                limit = problem.arrival_quota[d]
                out.append(
                    Binding(Kind.ARRIVAL_QUOTA, (problem.enterprise_id,), d, limit, limit, blocked)
                )
        if problem.isolation_rooms is not None and loads.rooms[d] <= 0:
            blocked = sum(
                1
                for e in travellers
                if e.needs_isolation
                and e.earliest_arrival is not None
                and e.earliest_arrival <= d
                and _arrived_after(assignments[e.id], d)
            )
            if blocked:
                limit = problem.isolation_rooms[d]
                out.append(
                    Binding(
                        Kind.ISOLATION_ROOMS, (problem.enterprise_id,), d, limit, limit, blocked
                    )
                )
    by_q: dict[int, int] = {}
    for e in travellers:
        if e.quarantine_days > 0:
            by_q[e.quarantine_days] = by_q.get(e.quarantine_days, 0) + 1
    for q, n in sorted(by_q.items()):
        out.append(Binding(Kind.QUARANTINE, (str(q),), None, q, n, n))
    return tuple(out)


def _arrived_after(a: Assignment, day: int) -> bool:
    return a.arrival_day is None or a.arrival_day > day
