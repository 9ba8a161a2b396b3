"""Small builders for scheduler tests."""

from __future__ import annotations

import datetime as dt
import random

from scheduling.model import (
    Employee,
    EnterpriseProblem,
    FederationProblem,
    Group,
    Shift,
    Site,
)

START = dt.date(2020, 2, 10)


def site(site_id: str, caps: dict[str, list[int]], district: str = "D1") -> Site:
    return Site(site_id, {k: tuple(v) for k, v in caps.items()}, district)


def enterprise(
    employees: list[Employee],
    sites: list[Site],
    *,
    days: int,
    shifts: tuple[str, ...] = ("day",),
    quota: list[int] | None = None,
    rooms: list[int] | None = None,
) -> EnterpriseProblem:
    return EnterpriseProblem(
        enterprise_id="E1",
        horizon_start=START,
        days=days,
        shifts=tuple(Shift(s) for s in shifts),
        sites=tuple(sites),
        employees=tuple(employees),
        arrival_quota=None if quota is None else tuple(quota),
        isolation_rooms=None if rooms is None else tuple(rooms),
    )


def random_enterprise(rng: random.Random) -> EnterpriseProblem:
    days = rng.randint(3, 12)
    shifts = tuple(f"k{i}" for i in range(rng.randint(1, 3)))
    sites = [
        site(
            f"s{i}",
            {k: sorted(rng.randint(0, 4) for _ in range(days)) for k in shifts},
        )
        for i in range(rng.randint(1, 3))
    ]
    emps = []
    for i in range(rng.randint(1, 14)):
        travelling = rng.random() < 0.6
        emps.append(
            Employee(
                f"e{i}",
                rng.choice(sites).id,
                critical=rng.random() < 0.3,
                priority=rng.randint(1, 3),
                earliest_arrival=rng.randint(0, days) if travelling else None,
                quarantine_days=rng.choice([0, 2, 4]) if travelling else 0,
                needs_isolation=travelling and rng.random() < 0.5,
                observation_end=rng.randint(0, days)
                if not travelling and rng.random() < 0.2
                else None,
            )
        )
    quota = [rng.randint(0, 3) for _ in range(days)] if rng.random() < 0.5 else None
    rooms = [rng.randint(0, 3) for _ in range(days)] if rng.random() < 0.5 else None
    return enterprise(emps, sites, days=days, shifts=shifts, quota=quota, rooms=rooms)


def random_federation(rng: random.Random) -> FederationProblem:
    days = rng.randint(3, 15)
    districts = [f"D{i}" for i in range(rng.randint(1, 3))]
    sites = {f"s{i}": rng.choice(districts) for i in range(rng.randint(1, 5))}
    caps = {s: tuple(sorted(rng.randint(0, 6) for _ in range(days))) for s in sites}
    groups = []
    for i in range(rng.randint(1, 12)):
        travelling = rng.random() < 0.7
        groups.append(
            Group(
                id=f"g{i}",
                enterprise_id=f"E{i % 3}",
                site_id=rng.choice(list(sites)),
                count=rng.randint(0, 6),
                quarantine_days=rng.choice([0, 2, 5]) if travelling else 0,
                travelling=travelling,
                critical=rng.random() < 0.3,
                priority=rng.randint(1, 3),
                earliest_day=rng.randint(0, 3),
            )
        )
    dcaps = {
        k: tuple(rng.randint(0, 3) for _ in range(days)) for k in districts if rng.random() < 0.8
    }
    return FederationProblem(
        horizon_start=START,
        days=days,
        groups=tuple(groups),
        site_capacity=caps,
        site_district=sites,
        district_caps=dcaps,
    )
