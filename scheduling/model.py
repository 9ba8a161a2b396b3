"""Plain data for the return-to-work scheduler: problems in, solutions out.

Pure Python (no Django). The `resumption` app builds these frozen dataclasses from its rows,
calls a solver (`scheduling.greedy`, `scheduling.enterprise`, `scheduling.federation`) and
stores/translates what comes back. Every explanation is a *reason code* (`Reason`, `Kind`)
plus numbers, never a sentence: the app turns them into translated text.

Time is counted in whole days relative to the horizon's first day: day 0 is
``horizon_start``, the last day is ``days - 1``. Nothing here knows about wall clocks.

Conventions shared by every model (see docs/scheduler.md for the mathematics):

* An employee who arrives on day ``a`` with ``quarantine_days = q`` may first work on day
  ``a + q`` (``q = 0``: the day of arrival). Quarantine occupies days ``a .. a+q-1``.
* Once an employee has started (first working day ``s``, shift ``k``), they are on site in
  shift ``k`` on every day ``s .. days-1``: on-site counts accumulate.
* The objective is priority-weighted employee-days restored within the horizon:
  ``sum(weight * (days - s))`` over the employees who start, where weight is
  `effective_weight` (priority times the critical factor for critical roles).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class ModelError(ValueError):
    """A problem that cannot be built: `code` (a `Reason`-like string) and `params` for
    the app's translated message; `str()` is an English sentence for logs and tests."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


# --------------------------------------------------------------------------- capacity


@dataclass(frozen=True)
class Phase:
    """From ``start_day`` on, a site may hold ``share`` (0..1) of its normal capacity."""

    start_day: int
    share: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise ModelError(
                "phase_share_out_of_range",
                f"phase share {self.share:.0%} is outside 0 %..100 %",
                share=self.share,
                start_day=self.start_day,
            )
        if self.start_day < 0:
            raise ModelError(
                "phase_start_negative", "phase start day is negative", start_day=self.start_day
            )


def phased_capacity(full: int, phases: Sequence[Phase], days: int) -> tuple[int, ...]:
    """Per-day capacity of one site shift: ``floor(full * share)`` of the phase in force
    (0 before the first phase). ``full`` is the normal capacity (floor area ÷ density)."""
    if full < 0:
        raise ModelError("capacity_negative", f"capacity {full} is negative", capacity=full)
    ordered = sorted(phases, key=lambda p: p.start_day)
    out = []
    for d in range(days):
        share = 0.0
        for p in ordered:
            if p.start_day <= d:
                share = p.share
        out.append(int(full * share + 1e-9))
    return tuple(out)


@dataclass(frozen=True)
class Shift:
    """A shift of the working day (e.g. "early", 8 hours). Ids are unique per problem."""

    id: str
    hours: float = 8.0


@dataclass(frozen=True)
class Site:
    """A workplace. ``capacity[shift_id][d]`` = people allowed on site in that shift on day
    ``d`` (a tuple of ``days`` non-negative ints; build it with `phased_capacity`). A shift
    missing from the mapping has capacity 0. ``district`` is the district of destination
    (used by the federation model)."""

    id: str
    capacity: Mapping[str, tuple[int, ...]]
    district: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "capacity", dict(self.capacity))  # a copy: treat as read-only
        for shift_id, caps in self.capacity.items():
            for d, c in enumerate(caps):
                if c < 0:
                    raise ModelError(
                        "capacity_negative",
                        f"site {self.id} shift {shift_id} day {d}: capacity {c} is negative",
                        site=self.id,
                        shift=shift_id,
                        day=d,
                        capacity=c,
                    )

    def cap(self, shift_id: str, day: int) -> int:
        caps = self.capacity.get(shift_id)
        if caps is None or day >= len(caps):
            return 0
        return caps[day]


# --------------------------------------------------------------------------- enterprise


@dataclass(frozen=True)
class Pin:
    """A manager's fixed assignment: first working day and shift (and optionally the
    arrival day for a travelling employee; default: as late as the quarantine allows)."""

    first_day: int
    shift_id: str
    arrival_day: int | None = None


@dataclass(frozen=True)
class Employee:
    """One employee not yet at work.

    * ``earliest_arrival``: ``None`` = already in Shenzhen (no journey, no arrival quota);
      otherwise the earliest day (may be 0) they can arrive (travelling).
    * ``quarantine_days``: days of quarantine/observation after arrival required by the
      rules for their origin's risk level (0, 7, 14, ...). Ignored when in Shenzhen.
    * ``observation_end``: for someone already in Shenzhen under observation, the last
      day of it (inclusive; they may work from the next day). ``None`` = not observed.
    * ``needs_isolation``: occupies one isolation room on each quarantine day.
    * ``priority``: a positive integer weight; ``critical`` roles are multiplied by the
      problem's ``critical_factor`` and come back first in the heuristic.
    """

    id: str
    site_id: str
    critical: bool = False
    priority: int = 1
    earliest_arrival: int | None = None
    quarantine_days: int = 0
    needs_isolation: bool = False
    pin: Pin | None = None
    observation_end: int | None = None

    def __post_init__(self) -> None:
        if self.priority < 1:
            raise ModelError(
                "priority_not_positive",
                f"employee {self.id}: priority must be at least 1",
                employee=self.id,
            )
        if self.quarantine_days < 0:
            raise ModelError(
                "quarantine_negative",
                f"employee {self.id}: quarantine days are negative",
                employee=self.id,
            )

    @property
    def travelling(self) -> bool:
        return self.earliest_arrival is not None


@dataclass(frozen=True)
class EnterpriseProblem:
    """One enterprise's return plan.

    * ``isolation_rooms[d]``: rooms free on day ``d`` (``None``: no limit).
    * ``arrival_quota[d]``: most travelling employees that may arrive on day ``d`` (from the
      federation's plan; ``None``: no quota).
    """

    enterprise_id: str
    horizon_start: dt.date
    days: int
    shifts: tuple[Shift, ...]
    sites: tuple[Site, ...]
    employees: tuple[Employee, ...]
    isolation_rooms: tuple[int, ...] | None = None
    arrival_quota: tuple[int, ...] | None = None
    critical_factor: int = 10

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ModelError("horizon_empty", "the horizon has no days", days=self.days)
        _check_unique("shift", [s.id for s in self.shifts])
        _check_unique("site", [s.id for s in self.sites])
        _check_unique("employee", [e.id for e in self.employees])
        if self.critical_factor < 1:
            raise ModelError("critical_factor_not_positive", "critical factor must be >= 1")
        for name, seq in (
            ("isolation_rooms", self.isolation_rooms),
            ("arrival_quota", self.arrival_quota),
        ):
            if seq is not None:
                if len(seq) < self.days:
                    raise ModelError(
                        "series_too_short",
                        f"{name} has {len(seq)} days, the horizon {self.days}",
                        series=name,
                    )
                if any(v < 0 for v in seq):
                    raise ModelError("series_negative", f"{name} has a negative value", series=name)

    def weight(self, e: Employee) -> int:
        return effective_weight(e.priority, e.critical, self.critical_factor)

    def site(self, site_id: str) -> Site | None:
        for s in self.sites:
            if s.id == site_id:
                return s
        return None


def effective_weight(priority: int, critical: bool, critical_factor: int) -> int:
    return priority * (critical_factor if critical else 1)


def _check_unique(what: str, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ModelError("duplicate_id", f"duplicate {what} id {i!r}", kind=what, id=i)
        seen.add(i)


# --------------------------------------------------------------------------- results


class Method(StrEnum):
    GREEDY = "greedy"
    CP_SAT = "cp-sat"
    HIGHS = "highs"  # HiGHS MIP / LP
    LP_ROUND = "lp-round"  # HiGHS LP relaxation, rounded and repaired, then greedy fill


class Status(StrEnum):
    OPTIMAL = "optimal"  # proven optimal (gap ~ 0)
    FEASIBLE = "feasible"  # a valid plan with a gap (time limit, heuristic)
    FALLBACK = "fallback"  # the solver failed or found nothing better: greedy plan returned


class Reason(StrEnum):
    """Why an employee has no first working day within the horizon, or why a pin was refused."""

    QUARANTINE_AFTER_HORIZON = "quarantine_after_horizon"  # earliest arrival + q >= days
    OBSERVATION_AFTER_HORIZON = "observation_after_horizon"
    UNKNOWN_SITE = "unknown_site"
    NO_CAPACITY = "no_capacity"  # the site has no capacity in any shift on any usable day
    NO_ISOLATION_ROOM = "no_isolation_room"  # needs a room, none free for a whole quarantine
    NO_ARRIVAL_QUOTA = "no_arrival_quota"  # no quota left on any day that still allows work
    NOT_SELECTED = "not_selected"  # could start, but the capacity went to higher weights
    PIN_REFUSED = "pin_refused"  # the pin breaks a constraint; see refused_pins
    PIN_UNKNOWN_SHIFT = "pin_unknown_shift"
    PIN_BEFORE_QUARANTINE_END = "pin_before_quarantine_end"
    PIN_BEFORE_ARRIVAL = "pin_before_arrival"
    PIN_OUTSIDE_HORIZON = "pin_outside_horizon"
    PIN_OVER_CAPACITY = "pin_over_capacity"
    PIN_OVER_QUOTA = "pin_over_quota"
    PIN_OVER_ISOLATION = "pin_over_isolation"


class Kind(StrEnum):
    """Kinds of constraint, for binding-constraint and conflict reports."""

    SITE_SHIFT_CAPACITY = "site_shift_capacity"  # key = (site, shift), per day
    SITE_CAPACITY = "site_capacity"  # federation: all shifts of a site, per day
    ARRIVAL_QUOTA = "arrival_quota"  # enterprise, per day
    ISOLATION_ROOMS = "isolation_rooms"  # enterprise, per day
    DISTRICT_CAP = "district_cap"  # federation, per district and day
    QUARANTINE = "quarantine"  # people whose quarantine keeps them from starting sooner


@dataclass(frozen=True)
class Binding:
    """A constraint at its limit that keeps people from coming back sooner.

    ``key`` names the constraint (site id and shift id, district, ...), ``day`` the day
    (``None`` for quarantine summaries), ``limit`` and ``used`` its value, ``blocked`` how
    many people could have started/arrived by that day but did not, ``dual`` the LP shadow
    price (weighted employee-days gained per extra unit) where an LP was solved."""

    kind: Kind
    key: tuple[str, ...]
    day: int | None
    limit: int
    used: int
    blocked: int
    dual: float | None = None


@dataclass(frozen=True)
class Assignment:
    """One employee's plan. ``first_day``/``shift_id`` are ``None`` when they do not start
    within the horizon; then ``reason`` says why. ``arrival_day`` is ``None`` for people
    already in Shenzhen (and for travellers not arriving within the horizon)."""

    employee_id: str
    arrival_day: int | None
    first_day: int | None
    shift_id: str | None
    reason: Reason | None = None
    pinned: bool = False


@dataclass(frozen=True)
class RefusedPin:
    employee_id: str
    reason: Reason
    pin: Pin
    params: Mapping[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class EnterpriseSolution:
    """A plan for one enterprise. ``objective`` is Σ weight·(days − first_day);
    ``bound`` is a proven upper bound (solver bound or LP relaxation); ``gap`` =
    (bound − objective) / bound (0 when bound is 0)."""

    assignments: tuple[Assignment, ...]
    objective: int
    bound: float
    gap: float
    status: Status
    method: Method
    seconds: float
    binding: tuple[Binding, ...] = ()
    refused_pins: tuple[RefusedPin, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    notes: tuple[str, ...] = ()  # reason codes about the run (e.g. "time_limit", "solver_error")

    def by_employee(self) -> dict[str, Assignment]:
        return {a.employee_id: a for a in self.assignments}


def gap_of(objective: float, bound: float) -> float:
    if bound <= 0:
        return 0.0
    return max(0.0, (bound - objective) / bound)


# --------------------------------------------------------------------------- federation


@dataclass(frozen=True)
class Group:
    """Employees the federation plans as one count — no names.

    Same enterprise, site (hence district of destination), origin risk level (hence
    quarantine days), critical or not, priority and earliest arrival. ``travelling=False``
    groups are already in Shenzhen: they start when capacity allows and use no district cap.
    """

    id: str
    enterprise_id: str
    site_id: str
    count: int
    quarantine_days: int = 0
    travelling: bool = True
    critical: bool = False
    priority: int = 1
    earliest_day: int = 0
    risk_level: str = ""  # informative: the origin's risk level that gave quarantine_days

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ModelError("count_negative", f"group {self.id}: negative count", group=self.id)
        if self.priority < 1:
            raise ModelError(
                "priority_not_positive", f"group {self.id}: priority < 1", group=self.id
            )
        if self.quarantine_days < 0 or self.earliest_day < 0:
            raise ModelError("days_negative", f"group {self.id}: negative days", group=self.id)


@dataclass(frozen=True)
class FederationProblem:
    """The city-wide problem over submitted applications.

    * ``site_capacity[site_id][d]``: people on site on day ``d`` over all shifts (the sum of
      the site's per-shift capacities; with capacities that never fall over time, any
      such count can be split over shifts, see docs/scheduler.md).
    * ``site_district[site_id]``: the district of destination.
    * ``district_caps[district][d]``: most travelling people arriving in the district on day
      ``d``; a district missing from the mapping has no cap.
    """

    horizon_start: dt.date
    days: int
    groups: tuple[Group, ...]
    site_capacity: Mapping[str, tuple[int, ...]]
    site_district: Mapping[str, str]
    district_caps: Mapping[str, tuple[int, ...]]
    critical_factor: int = 10

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ModelError("horizon_empty", "the horizon has no days", days=self.days)
        _check_unique("group", [g.id for g in self.groups])
        for what, table in (("site", self.site_capacity), ("district", self.district_caps)):
            for key, caps in table.items():
                if len(caps) < self.days:
                    raise ModelError(
                        "series_too_short", f"{what} {key}: fewer days than the horizon", key=key
                    )
                if any(c < 0 for c in caps):
                    raise ModelError("capacity_negative", f"{what} {key}: negative", key=key)

    def weight(self, g: Group) -> int:
        return effective_weight(g.priority, g.critical, self.critical_factor)


@dataclass(frozen=True)
class GroupPlan:
    """``arrivals[d]`` people of the group arrive on day ``d`` and start on
    ``d + quarantine_days`` (for non-travelling groups: start on ``d``)."""

    group_id: str
    arrivals: tuple[int, ...]
    unscheduled: int
    reason: Reason | None = None  # why some stay out (most common reason)


@dataclass(frozen=True)
class Conflict:
    """A constraint (or set of them) that makes a part of the problem impossible:
    e.g. every day's district cap is 0 while travellers need to arrive."""

    kind: Kind
    key: tuple[str, ...]
    people: int  # how many people it keeps out entirely
    detail: Mapping[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class FederationSolution:
    """Per-group plans and their roll-up: ``quotas[enterprise_id][d]`` arrivals and
    ``starts[enterprise_id][d]`` first working days per enterprise and day."""

    plans: tuple[GroupPlan, ...]
    quotas: Mapping[str, tuple[int, ...]]
    starts: Mapping[str, tuple[int, ...]]
    objective: int
    bound: float
    gap: float
    status: Status
    method: Method
    seconds: float
    binding: tuple[Binding, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    greedy_objective: int | None = None
    notes: tuple[str, ...] = ()
