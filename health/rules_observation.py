"""The rule table "health.observation": how long an isolation or observation lasts.

A version lists rules matched in order (the first that fits wins) by the reason for the
observation, the risk level of the region the person arrived from and the kind of
observation, each giving a number of days counted from the arrival or from the start. The
risk level of a region is looked up in the table's `regions` (division code → level): a
county's own level, else its city's, else its province's.

Until a version is published for the current emergency the built-in default below
applies (Shenzhen, February 2020: 14 days for people arriving from a key epidemic area);
every observation records which one decided its end (`Observation.computed_from`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from emergencies.models import RuleVersion
from emergencies.rules import register
from emergencies.selectors import emergency_current, rule_effective
from orgs.models import Division

KEY = "health.observation"

Risk = Literal["high", "medium", "low"]
ReasonCode = Literal["arrival", "contact", "symptoms", "other", "*"]
KindCode = Literal[
    "central_isolation",
    "home_isolation",
    "home_monitoring",
    "self_monitoring",
    "medical_observation",
    "*",
]


class ObservationRule(BaseModel):
    """One line of the table; "*" matches anything."""

    reason: ReasonCode = "*"
    risk: Risk | Literal["*"] = "*"  # of the region arrived from (reason "arrival")
    kind: KindCode = "*"
    days: int = Field(ge=1, le=60)
    counted_from: Literal["arrival", "start"] = "start"


class ObservationRules(BaseModel):
    """The table: rules in order, and the risk level of regions (by division code)."""

    rules: list[ObservationRule] = Field(min_length=1, max_length=100)
    regions: dict[str, Risk] = Field(default_factory=dict, max_length=5000)

    @model_validator(mode="after")
    def _ends_with_a_catch_all(self) -> ObservationRules:
        last = self.rules[-1]
        if (last.reason, last.risk, last.kind) != ("*", "*", "*"):
            raise ValueError(
                'the last rule must match every case (reason, risk and kind "*"), '
                "so that every observation gets a planned end"
            )
        return self


register(KEY, ObservationRules)

# Used while no version is published (the Shenzhen practice of February 2020, §3d of the
# domain reference: staff arriving from a key epidemic area stay 14 days in isolation).
DEFAULT = ObservationRules(
    rules=[
        ObservationRule(reason="arrival", risk="high", days=14, counted_from="arrival"),
        ObservationRule(reason="arrival", risk="medium", days=14, counted_from="arrival"),
        ObservationRule(reason="arrival", risk="low", days=7, counted_from="arrival"),
        ObservationRule(reason="arrival", days=14, counted_from="arrival"),
        ObservationRule(reason="contact", days=14),
        ObservationRule(reason="symptoms", days=14),
        ObservationRule(days=14),
    ],
    regions={"420000": "high"},  # Hubei province
)
DEFAULT_SOURCE = "深圳市2020年2月复工防控要求：重点地区返深人员隔离14天"


@dataclass(frozen=True)
class PlannedEnd:
    """The end a rule gives, the rule version it came from, and a sentence saying why."""

    ends_on: dt.date
    days: int
    counted_from: str  # "arrival" or "start"
    risk: str | None
    version: RuleVersion | None
    source: str


def rules_in_force(on: dt.date) -> tuple[ObservationRules, RuleVersion | None]:
    """The table in force on a day for the current emergency (the default without one)."""
    emergency = emergency_current()
    version = rule_effective(emergency=emergency, key=KEY, on=on) if emergency else None
    if version is None:
        return DEFAULT, None
    return ObservationRules.model_validate(version.data), version


def region_risk(rules: ObservationRules, region: Division | None) -> str | None:
    """The risk level of a region: its own, else its nearest listed ancestor's."""
    seen = 0
    while region is not None and seen < 4:
        level = rules.regions.get(region.code)
        if level is not None:
            return level
        region = region.parent
        seen += 1
    return "low" if rules.regions else None


def planned_end(
    *,
    kind: str,
    reason: str,
    starts_on: dt.date,
    arrived_on: dt.date | None,
    origin: Division | None,
) -> PlannedEnd:
    """The planned end of an observation under the rules in force on its start."""
    rules, version = rules_in_force(starts_on)
    risk = region_risk(rules, origin) if reason == "arrival" else None
    for rule in rules.rules:
        if rule.reason not in ("*", reason) or rule.kind not in ("*", kind):
            continue
        if rule.risk != "*" and rule.risk != risk:
            continue
        counted_from = rule.counted_from if arrived_on is not None else "start"
        base = arrived_on if counted_from == "arrival" and arrived_on else starts_on
        return PlannedEnd(
            ends_on=base + dt.timedelta(days=rule.days),
            days=rule.days,
            counted_from=counted_from,
            risk=risk,
            version=version,
            source=version.source_title if version else DEFAULT_SOURCE,
        )
    raise AssertionError("the schema requires a catch-all last rule")  # pragma: no cover
