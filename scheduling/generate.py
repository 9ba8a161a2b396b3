"""Seeded random instances for the benchmark and the property tests (no I/O, no Django).

`generate_city` draws enterprises, sites and employees as the resumption app would hold
them and aggregates the employees into federation groups keyed by (enterprise, site,
origin risk level, critical) — the federation never sees names. `enterprise_problem`
builds one enterprise's per-employee problem from the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from scheduling.model import (
    Employee,
    EnterpriseProblem,
    FederationProblem,
    Group,
    Phase,
    Shift,
    Site,
    phased_capacity,
)

# Origin risk levels → quarantine days after arrival. Data, as the rule table holds it.
RISK_QUARANTINE: dict[str, int] = {"low": 0, "medium": 7, "high": 14}
RISK_SHARE: dict[str, float] = {"low": 0.6, "medium": 0.3, "high": 0.1}
DISTRICTS = tuple(f"4403{n:02d}" for n in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12))
START = dt.date(2020, 2, 10)


@dataclass
class City:
    days: int
    shifts: tuple[Shift, ...]
    sites: dict[str, Site]
    site_enterprise: dict[str, str]
    employees: dict[str, list[Employee]]  # enterprise id → employees
    district_caps: dict[str, tuple[int, ...]]
    risk_of: dict[str, str] = field(default_factory=dict)  # employee id → risk level

    def federation(self, critical_factor: int = 10) -> FederationProblem:
        groups: dict[tuple[str, str, str, bool, int], list[Employee]] = defaultdict(list)
        for ent, emps in self.employees.items():
            for e in emps:
                risk = self.risk_of.get(e.id, "local") if e.travelling else "local"
                earliest = e.earliest_arrival if e.earliest_arrival is not None else 0
                if e.observation_end is not None:
                    earliest = max(earliest, e.observation_end + 1)
                groups[(ent, e.site_id, risk, e.critical, earliest)].append(e)
        out = []
        for (ent, site, risk, crit, earliest), emps in sorted(groups.items()):
            e0 = emps[0]
            out.append(
                Group(
                    id=f"{site}:{risk}:{int(crit)}:{earliest}",
                    enterprise_id=ent,
                    site_id=site,
                    count=len(emps),
                    quarantine_days=e0.quarantine_days if e0.travelling else 0,
                    travelling=e0.travelling,
                    critical=crit,
                    priority=1,
                    earliest_day=earliest,
                    risk_level=risk,
                )
            )
        site_capacity = {
            s.id: tuple(sum(s.cap(k.id, d) for k in self.shifts) for d in range(self.days))
            for s in self.sites.values()
        }
        return FederationProblem(
            horizon_start=START,
            days=self.days,
            groups=tuple(out),
            site_capacity=site_capacity,
            site_district={s.id: s.district for s in self.sites.values()},
            district_caps=self.district_caps,
            critical_factor=critical_factor,
        )

    def enterprise(
        self,
        enterprise_id: str,
        arrival_quota: tuple[int, ...] | None = None,
        rooms: int | None = None,
    ) -> EnterpriseProblem:
        emps = self.employees[enterprise_id]
        sites = tuple(s for s in self.sites.values() if self.site_enterprise[s.id] == enterprise_id)
        return EnterpriseProblem(
            enterprise_id=enterprise_id,
            horizon_start=START,
            days=self.days,
            shifts=self.shifts,
            sites=sites,
            employees=tuple(emps),
            isolation_rooms=None if rooms is None else (rooms,) * self.days,
            arrival_quota=arrival_quota,
        )


def generate_city(
    *,
    seed: int = 1,
    enterprises: int = 2000,
    sites: int = 10_000,
    employees: int = 100_000,
    days: int = 30,
    phases: tuple[Phase, ...] = (Phase(0, 0.3), Phase(10, 0.6), Phase(20, 1.0)),
    cap_factor: float = 0.045,
    big_enterprise: int = 0,
) -> City:
    """``cap_factor``: each district's daily arrival cap as a share of the travellers
    heading there (0.045 ≈ 22 days to bring everyone in: the caps bind).
    ``big_enterprise``: size of enterprise E00000 (the rest is spread at random)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    shifts = (Shift("day", 8.0), Shift("evening", 8.0), Shift("night", 8.0))
    ent_ids = [f"E{i:05d}" for i in range(enterprises)]
    home = {e: rng.choice(DISTRICTS) for e in ent_ids}
    # every enterprise has at least one site; the rest at random
    site_ent = [ent_ids[i % enterprises] for i in range(sites)]
    rng.shuffle(site_ent[enterprises:])
    ent_sites: dict[str, list[str]] = defaultdict(list)
    site_ids = []
    for i, ent in enumerate(site_ent):
        sid = f"S{i:06d}"
        site_ids.append(sid)
        ent_sites[ent].append(sid)
    # employees: E00000 gets big_enterprise, the others by heavy-tailed weight
    weights = [rng.paretovariate(1.5) for _ in ent_ids]
    weights[0] = 0.0
    rest = employees - big_enterprise
    owners = rng.choices(ent_ids, weights=weights, k=rest) + [ent_ids[0]] * big_enterprise
    per_site: dict[str, int] = defaultdict(int)
    emps: dict[str, list[Employee]] = defaultdict(list)
    risk_of: dict[str, str] = {}
    risks = list(RISK_SHARE)
    shares = [RISK_SHARE[r] for r in risks]
    earliest_of: dict[tuple[str, str], int] = {}
    for n, ent in enumerate(owners):
        sid = rng.choice(ent_sites[ent])
        per_site[sid] += 1
        critical = rng.random() < 0.15
        eid = f"P{n:07d}"
        if rng.random() < 0.35:  # already in Shenzhen
            obs = rng.randrange(1, 10) if rng.random() < 0.05 else None
            emps[ent].append(Employee(eid, sid, critical=critical, observation_end=obs))
            continue
        risk = rng.choices(risks, weights=shares)[0]
        key = (sid, risk)
        if key not in earliest_of:
            earliest_of[key] = rng.randrange(0, 6)
        risk_of[eid] = risk
        emps[ent].append(
            Employee(
                eid,
                sid,
                critical=critical,
                earliest_arrival=earliest_of[key],
                quarantine_days=RISK_QUARANTINE[risk],
                needs_isolation=RISK_QUARANTINE[risk] > 0 and rng.random() < 0.3,
            )
        )
    site_objs: dict[str, Site] = {}
    travellers: dict[str, int] = defaultdict(int)
    for sid in site_ids:
        ent = site_ent[int(sid[1:])]
        district = home[ent] if rng.random() < 0.8 else rng.choice(DISTRICTS)
        # normal capacity: about the site's headcount, spread over the shifts
        n = per_site.get(sid, 0)
        full_total = max(1, round(n * rng.uniform(0.8, 1.3)))
        per_shift = [full_total // 3 + (1 if i < full_total % 3 else 0) for i in range(3)]
        cap = {sh.id: phased_capacity(per_shift[i], phases, days) for i, sh in enumerate(shifts)}
        site_objs[sid] = Site(sid, cap, district)
    for lst in emps.values():
        for e in lst:
            if e.travelling:
                travellers[site_objs[e.site_id].district] += 1
    district_caps = {
        k: tuple(max(1, round(travellers[k] * cap_factor)) for _ in range(days)) for k in DISTRICTS
    }
    return City(
        days=days,
        shifts=shifts,
        sites=site_objs,
        site_enterprise={sid: site_ent[int(sid[1:])] for sid in site_ids},
        employees=dict(emps),
        district_caps=district_caps,
        risk_of=risk_of,
    )
