"""The rule table "sitelogs.defaults": the schedules a site starts with, and the grace period.

A version lists, per kind, how many rounds a day (spread evenly between `first` and `last`)
or explicit times, how long a round lasts, the areas and the agent. Until a version is
published for the current emergency the built-in default below applies (Shenzhen, February
2020: key areas disinfected at least twice a day, windows opened three times a day for 30
minutes, temperatures taken at least twice a day — domain reference §3a M3/M5).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, field_validator, model_validator

from emergencies.models import RuleVersion
from emergencies.rules import register
from emergencies.selectors import emergency_current, rule_effective

KEY = "sitelogs.defaults"
MAX_SLOTS = 24
# How many days back a round may still be recorded (a phone that was offline, a late shift).
LATE_DAYS = 7
KINDS = ("disinfection", "ventilation", "temperature", "other")


def parse_time(value: str) -> dt.time:
    """ "8:00", "08:00" → time; anything else raises ValueError."""
    text = value.strip().replace("：", ":")
    hours, _sep, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(hours) <= 2 and len(minutes) == 2):
        raise ValueError(f"not a time of day (HH:MM): {value[:20]!r}")
    return dt.time(int(hours), int(minutes))


def spread(times_per_day: int, first: dt.time, last: dt.time) -> list[str]:
    """`times_per_day` slots evenly spaced from first to last, rounded to 5 minutes."""
    start = first.hour * 60 + first.minute
    end = max(last.hour * 60 + last.minute, start)
    if times_per_day <= 1:
        return [f"{start // 60:02d}:{start % 60:02d}"]
    step = (end - start) / (times_per_day - 1)
    slots = []
    for n in range(times_per_day):
        minute = int(round((start + n * step) / 5) * 5)
        minute = min(minute, 23 * 60 + 55)
        slots.append(f"{minute // 60:02d}:{minute % 60:02d}")
    return sorted(set(slots))


class KindDefault(BaseModel):
    """The default schedule of one kind."""

    kind: str
    times_per_day: int = Field(default=0, ge=0, le=MAX_SLOTS)
    slots: list[str] = Field(default_factory=list, max_length=MAX_SLOTS)
    first: str = "08:00"
    last: str = "18:00"
    duration_minutes: int = Field(default=0, ge=0, le=600)
    areas: list[str] = Field(default_factory=list, max_length=50)
    agent: str = Field(default="", max_length=100)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        return value

    @field_validator("slots")
    @classmethod
    def _times(cls, value: list[str]) -> list[str]:
        return sorted({parse_time(v).strftime("%H:%M") for v in value})

    @field_validator("first", "last")
    @classmethod
    def _time(cls, value: str) -> str:
        return parse_time(value).strftime("%H:%M")

    @model_validator(mode="after")
    def _some_slots(self) -> KindDefault:
        if not self.slots and not self.times_per_day:
            raise ValueError("give times_per_day or slots")
        return self

    def slot_times(self) -> list[str]:
        if self.slots:
            return list(self.slots)
        return spread(self.times_per_day, parse_time(self.first), parse_time(self.last))


class SiteLogDefaults(BaseModel):
    """The table: a default per kind, and how late a round may be before it is overdue."""

    kinds: list[KindDefault] = Field(min_length=1, max_length=10)
    grace_minutes: int = Field(default=60, ge=0, le=24 * 60)


register(KEY, SiteLogDefaults)

DEFAULT = SiteLogDefaults(
    kinds=[
        KindDefault(
            kind="disinfection",
            times_per_day=2,
            slots=["09:00", "15:00"],
            duration_minutes=30,
            areas=["大堂/前台", "电梯", "卫生间", "员工餐厅"],
            agent="含氯消毒剂 500 mg/L",
        ),
        KindDefault(
            kind="ventilation",
            times_per_day=3,
            slots=["08:30", "12:30", "16:30"],
            duration_minutes=30,
            areas=["公共区域"],
        ),
        KindDefault(
            kind="temperature",
            times_per_day=2,
            slots=["08:00", "14:00"],
            areas=["员工入口"],
            agent="红外体温计",
        ),
    ],
    grace_minutes=60,
)
DEFAULT_SOURCE = "深圳市2020年2月复工防控“八项措施”：重点区域消毒、通风，进入人员每日至少测温两次"


def defaults_in_force(on: dt.date) -> tuple[SiteLogDefaults, RuleVersion | None]:
    """The table in force on a day for the current emergency (the default without one)."""
    emergency = emergency_current()
    version = rule_effective(emergency=emergency, key=KEY, on=on) if emergency else None
    if version is None:
        return DEFAULT, None
    return SiteLogDefaults.model_validate(version.data), version
