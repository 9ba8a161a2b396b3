"""The rule tables of staged return to work, registered with `emergencies.rules`.

- `resumption.risk_regions`: the risk level of regions (by division code: a province, a
  city or a county), each line with its own effective dates, and the quarantine and
  observation days each level requires before the first working day (domain reference
  §3d). A region's level is its own line in force on the day, else its city's, else its
  province's, else the table's default level.
- `resumption.density`: square metres of floor area per person on site, per sector. A
  site's capacity per shift = floor(floor area ÷ density × phase share).
- `resumption.arrival_caps`: the most arrivals a day per destination district (for the
  federation's wave plan and the upward pages).

Until the federation publishes a version for the current emergency the defaults below
apply; every declaration and capacity records which one decided it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from emergencies.models import RuleVersion
from emergencies.rules import register
from emergencies.selectors import emergency_current, rule_effective
from orgs.models import Division

RISK_KEY = "resumption.risk_regions"
DENSITY_KEY = "resumption.density"
CAPS_KEY = "resumption.arrival_caps"

Level = Literal["low", "medium", "high"]
LEVELS: tuple[str, ...] = ("low", "medium", "high")


class RiskRegion(BaseModel):
    """One region's level, in force from `effective_from` to `effective_to` (inclusive)."""

    code: str = Field(pattern=r"^[0-9]{6}$")
    level: Level
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    note: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _dates_in_order(self) -> RiskRegion:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self

    def in_force(self, on: dt.date) -> bool:
        if self.effective_from and on < self.effective_from:
            return False
        return not (self.effective_to and on > self.effective_to)


class LevelDays(BaseModel):
    """Days a person arriving from a region of this level waits before working."""

    quarantine_days: int = Field(ge=0, le=60)  # isolation (needs a room when not at home)
    observation_days: int = Field(ge=0, le=60)  # health monitoring, may work after isolation


class RiskRegionRules(BaseModel):
    """The table: regions and their levels, the days per level, and where it comes from."""

    regions: list[RiskRegion] = Field(default_factory=list, max_length=5000)
    days: dict[Level, LevelDays]
    default_level: Level = "low"
    source: str = Field(default="", max_length=300)

    @model_validator(mode="after")
    def _every_level_has_days(self) -> RiskRegionRules:
        missing = [level for level in LEVELS if level not in self.days]
        if missing:
            raise ValueError(f"days are missing for: {', '.join(missing)}")
        return self


class DensityRules(BaseModel):
    """Square metres of floor area per person on site, by sector code, with a default."""

    default_m2_per_person: float = Field(ge=1, le=1000)
    sectors: dict[str, float] = Field(default_factory=dict, max_length=200)
    source: str = Field(default="", max_length=300)

    @model_validator(mode="after")
    def _sane(self) -> DensityRules:
        for code, value in self.sectors.items():
            if not 1 <= value <= 1000:
                raise ValueError(f"{code}: between 1 and 1000 m² per person")
        return self


class ArrivalCaps(BaseModel):
    """The most arrivals a day into each destination district (division code → people)."""

    districts: dict[str, int] = Field(default_factory=dict, max_length=100)
    source: str = Field(default="", max_length=300)

    @model_validator(mode="after")
    def _non_negative(self) -> ArrivalCaps:
        if any(value < 0 for value in self.districts.values()):
            raise ValueError("a cap cannot be negative")
        return self


register(RISK_KEY, RiskRegionRules)
register(DENSITY_KEY, DensityRules)
register(CAPS_KEY, ArrivalCaps)

RISK_SOURCE = (
    "国务院联防联控机制《关于科学防治精准施策分区分级做好新冠肺炎疫情防控工作的指导意见》"
    "（2020-02-17）；深圳市2020年2月复工防控要求：重点地区返深人员隔离14天"
)
DENSITY_SOURCE = "默认值（示例）：请联委会按行业防控指引发布人均面积参数"
CAPS_SOURCE = "默认：未设每日返深人数上限"


def default_risk_regions() -> dict[str, Any]:
    """The built-in table (February 2020): Hubei high, its neighbours' capitals medium."""
    return {
        "regions": [
            {"code": "420000", "level": "high", "note": "湖北省"},
            {"code": "410100", "level": "medium", "note": "郑州市"},
            {"code": "430100", "level": "medium", "note": "长沙市"},
            {"code": "330300", "level": "medium", "note": "温州市"},
        ],
        "days": {
            "low": {"quarantine_days": 0, "observation_days": 0},
            "medium": {"quarantine_days": 7, "observation_days": 7},
            "high": {"quarantine_days": 14, "observation_days": 7},
        },
        "default_level": "low",
        "source": RISK_SOURCE,
    }


def default_density() -> dict[str, Any]:
    """The built-in density parameters (illustrative; the federation publishes its own)."""
    return {
        "default_m2_per_person": 4.0,
        "sectors": {"hotel": 6.0, "beauty": 5.0, "catering": 4.0, "retail": 4.0},
        "source": DENSITY_SOURCE,
    }


def default_arrival_caps() -> dict[str, Any]:
    return {"districts": {}, "source": CAPS_SOURCE}


_DEFAULTS: dict[str, tuple[type[BaseModel], Callable[[], dict[str, Any]]]] = {
    RISK_KEY: (RiskRegionRules, default_risk_regions),
    DENSITY_KEY: (DensityRules, default_density),
    CAPS_KEY: (ArrivalCaps, default_arrival_caps),
}


def _in_force(key: str, on: dt.date) -> tuple[Any, RuleVersion | None]:
    schema, default = _DEFAULTS[key]
    emergency = emergency_current()
    version = rule_effective(emergency=emergency, key=key, on=on) if emergency else None
    if version is None:
        return schema.model_validate(default()), None
    return schema.model_validate(version.data), version


def risk_rules(on: dt.date) -> tuple[RiskRegionRules, RuleVersion | None]:
    """The risk-region table in force on a day (the default without a published one)."""
    rules, version = _in_force(RISK_KEY, on)
    return rules, version


def density_rules(on: dt.date) -> tuple[DensityRules, RuleVersion | None]:
    rules, version = _in_force(DENSITY_KEY, on)
    return rules, version


def arrival_caps(on: dt.date) -> tuple[ArrivalCaps, RuleVersion | None]:
    rules, version = _in_force(CAPS_KEY, on)
    return rules, version


@dataclass(frozen=True)
class RiskAssessment:
    """The level of a place on a day, the days it requires, and which table decided."""

    level: str
    quarantine_days: int
    observation_days: int
    version: RuleVersion | None
    source: str
    matched_code: str  # the division line that decided ("" = the default level)


def region_level(rules: RiskRegionRules, region: Division | None, on: dt.date) -> tuple[str, str]:
    """The level of a region on a day: its own line, else its nearest ancestor's."""
    lines = {r.code: r for r in rules.regions if r.in_force(on)}
    seen = 0
    while region is not None and seen < 4:
        line = lines.get(region.code)
        if line is not None:
            return line.level, region.code
        region = region.parent
        seen += 1
    return rules.default_level, ""


def assess(region: Division | None, on: dt.date) -> RiskAssessment:
    """The risk level of the place someone is in on a day, under the table then in force."""
    rules, version = risk_rules(on)
    level, code = region_level(rules, region, on)
    days = rules.days[level]  # type: ignore[index]
    return RiskAssessment(
        level=level,
        quarantine_days=days.quarantine_days,
        observation_days=days.observation_days,
        version=version,
        source=(version.source_title if version else rules.source) or RISK_SOURCE,
        matched_code=code,
    )


@dataclass(frozen=True)
class Capacity:
    """People a site may hold per shift in a phase, and how that was computed."""

    people: int
    floor_area_m2: Decimal
    m2_per_person: float
    share_pct: int
    version: RuleVersion | None
    source: str

    @property
    def formula(self) -> str:
        return (
            f"⌊{self.floor_area_m2} m² ÷ {self.m2_per_person:g} m²/person × "
            f"{self.share_pct}%⌋ = {self.people}"
        )


def site_capacity(
    *, floor_area_m2: Decimal, sector_code: str | None, share_pct: int, on: dt.date
) -> Capacity:
    """floor(floor area ÷ the sector's density × the phase's share), with its workings."""
    rules, version = density_rules(on)
    density = rules.sectors.get(sector_code or "", rules.default_m2_per_person)
    # Exact arithmetic: 100 m² at 4 m²/person and 100 % is 25, not 24.999…
    people = math.floor(
        Decimal(floor_area_m2) * Decimal(share_pct) / (Decimal(str(density)) * Decimal(100))
    )
    return Capacity(
        people=max(people, 0),
        floor_area_m2=Decimal(floor_area_m2),
        m2_per_person=density,
        share_pct=share_pct,
        version=version,
        source=(version.source_title if version else rules.source) or DENSITY_SOURCE,
    )
