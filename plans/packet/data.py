"""What the filing packet prints: plain frozen dataclasses, no ORM, masked personal values only.

The plans app maps its models onto :class:`PacketData`; :mod:`plans.packet.pdf` and
:mod:`plans.packet.docx` render it. Every personal identifier is masked in ``__post_init__``
(idempotently: a value that is already masked stays as it is), so a caller that passes a
full mobile or ID number by mistake still gets a packet without it — the packet is sent to
the association and the street office, which must never see full numbers.

Fixed vocabularies (rendered through gettext, so a packet reads in the active language):

- ``ChecklistItem.answer``: ``"yes"``, ``"no"``, ``"na"`` (not applicable) or ``""``
  (unanswered); any other value is printed as given.
- ``RosterRow.status``: free text as the roster shows it (在岗, 隔离观察中, 未返深…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from lib.ids import mask_document, mask_mobile, mask_name

SHANGHAI = ZoneInfo("Asia/Shanghai")

ANSWERS = ("yes", "no", "na", "")

# A run of 7 or more digits is never printed: a masked mobile keeps 3+4, a masked
# 18-character ID keeps 6+4; anything longer is a full number that slipped through.
_LONG_DIGITS = re.compile(r"\d{7,}")
_MOBILE = re.compile(r"^\+?(?:86)?1\d{10}$")


def masked_mobile(value: str) -> str:
    """Return a mobile as 138****5678; already-masked values unchanged; landlines/hotlines kept.

    A telephone that is not a mobile (0755-12345678, 12345, 120) is an institution's number
    and is printed in full; anything that looks like a mobile is masked.
    """
    raw = value.strip()
    if not raw:
        return ""
    compact = re.sub(r"[\s-]", "", raw)
    if _MOBILE.match(compact):
        return mask_mobile(compact[-11:])
    if "*" in raw and not _LONG_DIGITS.search(compact):
        return raw
    if _LONG_DIGITS.search(compact) and not compact.startswith("0"):
        # Not a landline (0755…): mask rather than risk printing a personal number.
        return mask_mobile(compact)
    return raw


def masked_document(value: str) -> str:
    """Return an ID number masked (440303********1234); already-masked values unchanged."""
    raw = value.strip()
    if not raw:
        return ""
    if "*" in raw and not _LONG_DIGITS.search(raw):
        return raw
    return mask_document(raw)


def masked_name(value: str) -> str:
    """Return a personal name as 张** ; already-masked values unchanged."""
    raw = value.strip()
    if not raw or "*" in raw:
        return raw
    return mask_name(raw)


def _shanghai(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=SHANGHAI)
    return value.astimezone(SHANGHAI)


@dataclass(frozen=True)
class Commitment:
    """The commitment letter 承诺书: its text and who confirmed it, when and from where."""

    text: str
    confirmed_by: str = ""
    confirmed_at: datetime | None = None
    confirmed_from: str = ""  # e.g. "网页 203.0.113.5" or "API"

    def __post_init__(self) -> None:
        if self.confirmed_at is not None:
            object.__setattr__(self, "confirmed_at", _shanghai(self.confirmed_at))


@dataclass(frozen=True)
class PlanSection:
    """A section of the prevention plan 防控方案: plain text, blank lines split paragraphs."""

    title: str
    body: str


@dataclass(frozen=True)
class ChecklistItem:
    """One checklist line (EF-01…, M1…, sector items) with the enterprise's answer."""

    code: str
    text: str
    required: bool = True
    answer: str = ""  # "yes" / "no" / "na" / "" (see module docstring)
    note: str = ""
    number: Decimal | None = None
    unit: str = ""
    evidence: tuple[str, ...] = ()  # file names of the uploaded evidence


@dataclass(frozen=True)
class TeamMember:
    """A member of the prevention team 防疫小组 (mobile masked)."""

    name: str
    role: str
    mobile: str = ""
    trained: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "mobile", masked_mobile(self.mobile))


@dataclass(frozen=True)
class EmergencyContact:
    """Who to call in the emergency plan; mobiles masked, landlines and hotlines kept."""

    role: str
    name: str = ""
    phone: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "phone", masked_mobile(self.phone))


@dataclass(frozen=True)
class Isolation:
    """Isolation arrangements 隔离安排: kind (own dormitory area, rented rooms, home…)."""

    kind: str
    place: str = ""
    rooms: int | None = None
    capacity: int | None = None
    note: str = ""


@dataclass(frozen=True)
class StaffSummary:
    """Counts from the roster 员工花名册汇总 — no names."""

    total: int = 0
    on_site: int = 0  # 首批返岗 / on site on the planned date
    in_shenzhen: int = 0
    from_outside_shenzhen: int = 0
    from_risk_areas: int = 0
    to_isolate: int = 0
    in_observation: int = 0
    completed_observation: int = 0
    not_returned: int = 0


@dataclass(frozen=True)
class RosterRow:
    """One roster line, masked: 张*, position, site, 138****5678, 440303********1234, status."""

    name: str
    position: str = ""
    site: str = ""
    mobile: str = ""
    document: str = ""
    status: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", masked_name(self.name))
        object.__setattr__(self, "mobile", masked_mobile(self.mobile))
        object.__setattr__(self, "document", masked_document(self.document))


@dataclass(frozen=True)
class SupplyRow:
    """One line of the supplies list 防疫物资清单; days of cover = on hand / daily use."""

    item: str
    unit: str
    on_hand: Decimal
    daily_use: Decimal

    @property
    def days_of_cover(self) -> Decimal | None:
        """Whole days the stock lasts at the daily use (rounded down); None if nothing is used."""
        if self.daily_use <= 0:
            return None
        return (Decimal(self.on_hand) / Decimal(self.daily_use)).quantize(Decimal(1), ROUND_DOWN)


@dataclass(frozen=True)
class PacketData:
    """Everything the filing packet prints, in the order of the documents."""

    enterprise_name: str
    uscc: str
    legal_rep: str
    address: str
    district: str
    street: str
    sector: str
    contact_name: str
    contact_mobile: str
    responsible_person: str
    commitment: Commitment
    generated_at: datetime
    association: str = ""
    reference: str = ""  # filing number, if any
    planned_date: date | None = None
    resumption_mode: str = ""
    plan_sections: tuple[PlanSection, ...] = ()
    checklist: tuple[ChecklistItem, ...] = ()
    team: tuple[TeamMember, ...] = ()
    emergency_contacts: tuple[EmergencyContact, ...] = ()
    emergency_steps: tuple[str, ...] = ()
    isolation: tuple[Isolation, ...] = ()
    staff: StaffSummary = field(default_factory=StaffSummary)
    roster: tuple[RosterRow, ...] = ()
    supplies: tuple[SupplyRow, ...] = ()
    min_days_of_cover: int = 3  # from the rule table; supplies below it are flagged

    def __post_init__(self) -> None:
        object.__setattr__(self, "contact_mobile", masked_mobile(self.contact_mobile))
        object.__setattr__(self, "generated_at", _shanghai(self.generated_at))
        for name in (
            "plan_sections",
            "checklist",
            "team",
            "emergency_contacts",
            "emergency_steps",
            "isolation",
            "roster",
            "supplies",
        ):
            object.__setattr__(self, name, tuple(getattr(self, name)))
