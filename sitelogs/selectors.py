"""Reads of the site logs, scoped by the viewer (the active RoleGrant).

The enterprise sees its sites' schedules, slots and entries; associations and the
federation get `overdue_counts` only — numbers per member, association, sector, district.
A slot of a day is *done* when a live entry (one not corrected) covers it, *upcoming*
before its time, *due* within the grace period of the rule table, *overdue* after it; all
in Asia/Shanghai time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import RoleGrant
from orgs.models import (
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Site,
)
from orgs.selectors import enterprise_ids_visible, site_list
from sitelogs.models import LogEntry, SiteSchedule
from sitelogs.rules import LATE_DAYS, defaults_in_force

DONE, UPCOMING, DUE, OVERDUE = "done", "upcoming", "due", "overdue"


@dataclass
class Slot:
    """One round of a day: its schedule and time, the live entry if any, and its state."""

    schedule: SiteSchedule
    day: dt.date
    time: dt.time
    due_at: dt.datetime
    state: str
    entry: LogEntry | None = None


@dataclass
class Counts:
    slots: int = 0
    done: int = 0
    overdue: int = 0
    due: int = 0
    upcoming: int = 0
    sites: int = 0
    enterprises: int = 0

    def add(self, state: str) -> None:
        self.slots += 1
        setattr(self, state, getattr(self, state) + 1)

    def merge(self, other: Counts) -> None:
        for name in ("slots", "done", "overdue", "due", "upcoming", "sites", "enterprises"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SiteDay:
    site: Site
    counts: Counts = field(default_factory=Counts)


def _enterprise(viewer: RoleGrant) -> Organization:
    if viewer.organization.kind != OrganizationKind.ENTERPRISE:
        raise Http404
    return viewer.organization


def day_or_today(value: str | None) -> dt.date:
    """A day from ?day=YYYY-MM-DD, today if missing or malformed, never after today."""
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat((value or "")[:10])
    except ValueError:
        return today
    return min(day, today)


def sites(*, viewer: RoleGrant) -> QuerySet[Site]:
    """The enterprise's own sites."""
    return site_list(viewer=viewer, enterprise=_enterprise(viewer))


def site_get(*, viewer: RoleGrant, pk: int) -> Site:
    """One of the enterprise's sites, else 404."""
    try:
        return sites(viewer=viewer).get(pk=pk)
    except Site.DoesNotExist:
        raise Http404 from None


def _valid_on(day: dt.date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_until__isnull=True) | Q(valid_until__gte=day))


def schedules_open(*, viewer: RoleGrant, site: Site) -> QuerySet[SiteSchedule]:
    """The site's schedules in force from today on."""
    return SiteSchedule.objects.filter(
        enterprise=_enterprise(viewer), site=site, valid_until__isnull=True
    ).order_by("kind")


def schedules_recordable(*, viewer: RoleGrant, site: Site) -> QuerySet[SiteSchedule]:
    """Schedules a round may be recorded against: open ones and those ended within the
    late window (rounds of the last days)."""
    earliest = timezone.localdate() - dt.timedelta(days=LATE_DAYS)
    return (
        SiteSchedule.objects.filter(enterprise=_enterprise(viewer), site=site)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=earliest))
        .order_by("kind", "-valid_from")
    )


def schedule_get(*, viewer: RoleGrant, pk: int) -> SiteSchedule:
    try:
        return SiteSchedule.objects.select_related("site").get(
            enterprise=_enterprise(viewer), pk=pk
        )
    except SiteSchedule.DoesNotExist:
        raise Http404 from None


def _live(entries: QuerySet[LogEntry]) -> QuerySet[LogEntry]:
    return entries.filter(correction__isnull=True)


def _with_corrected(entries: QuerySet[LogEntry]) -> QuerySet[LogEntry]:
    return entries.annotate(
        is_corrected=Exists(LogEntry.objects.filter(corrects=OuterRef("pk")))
    ).select_related("who", "corrects", "schedule")


def entries_of_day(*, viewer: RoleGrant, site: Site, day: dt.date) -> QuerySet[LogEntry]:
    """Every entry of a site's day, corrected ones included (annotated `is_corrected`)."""
    qs = LogEntry.objects.filter(enterprise=_enterprise(viewer), site=site, slot_date=day)
    return _with_corrected(qs).order_by("kind", "slot_time", "created_at", "pk")


def entry_get(*, viewer: RoleGrant, pk: int) -> LogEntry:
    """One of the enterprise's entries, else 404."""
    try:
        return _with_corrected(
            LogEntry.objects.filter(enterprise=_enterprise(viewer)).select_related("site")
        ).get(pk=pk)
    except LogEntry.DoesNotExist:
        raise Http404 from None


def last_entries(*, viewer: RoleGrant, site: Site) -> dict[str, LogEntry]:
    """The latest live entry per kind at a site (to prefill the area and agent)."""
    latest: dict[str, LogEntry] = {}
    qs = _live(LogEntry.objects.filter(enterprise=_enterprise(viewer), site=site))
    for entry in qs.order_by("-created_at", "-pk")[:50]:
        latest.setdefault(entry.kind, entry)
    return latest


def _state(due_at: dt.datetime, now: dt.datetime, grace: dt.timedelta, done: bool) -> str:
    if done:
        return DONE
    if now < due_at:
        return UPCOMING
    if now < due_at + grace:
        return DUE
    return OVERDUE


def _grace(day: dt.date) -> dt.timedelta:
    rules, _version = defaults_in_force(day)
    return dt.timedelta(minutes=rules.grace_minutes)


def _due_at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())


def day_slots(
    *, viewer: RoleGrant, site: Site, day: dt.date, now: dt.datetime | None = None
) -> list[Slot]:
    """The site's rounds of a day in time order, each with its state and live entry."""
    enterprise = _enterprise(viewer)
    now = now or timezone.now()
    grace = _grace(day)
    schedules = SiteSchedule.objects.filter(enterprise=enterprise, site=site).filter(_valid_on(day))
    live: dict[tuple[str, dt.time], LogEntry] = {}
    for entry in _live(
        LogEntry.objects.filter(enterprise=enterprise, site=site, slot_date=day)
    ).select_related("who"):
        if entry.slot_time is not None:
            live[(entry.kind, entry.slot_time)] = entry
    slots = []
    for schedule in schedules:
        for text in schedule.slots:
            time = dt.time.fromisoformat(text)
            due_at = _due_at(day, time)
            found = live.get((schedule.kind, time))
            slots.append(
                Slot(
                    schedule,
                    day,
                    time,
                    due_at,
                    _state(due_at, now, grace, found is not None),
                    found,
                )
            )
    slots.sort(key=lambda s: (s.time, s.schedule.kind))
    return slots


def _counts_by_site(
    site_ids: Iterable[int] | None, day: dt.date, now: dt.datetime
) -> dict[int, Counts]:
    """Counts of a day per site id (all sites with schedules when site_ids is None)."""
    grace = _grace(day)
    schedules = SiteSchedule.objects.filter(_valid_on(day))
    entries = _live(LogEntry.objects.filter(slot_date=day, slot_time__isnull=False))
    if site_ids is not None:
        ids = list(site_ids)
        schedules = schedules.filter(site_id__in=ids)
        entries = entries.filter(site_id__in=ids)
    done = set(entries.values_list("site_id", "kind", "slot_time"))
    counts: dict[int, Counts] = defaultdict(Counts)
    for site_id, kind, slots in schedules.values_list("site_id", "kind", "slots"):
        for text in slots:
            time = dt.time.fromisoformat(text)
            state = _state(_due_at(day, time), now, grace, (site_id, kind, time) in done)
            counts[site_id].add(state)
    for value in counts.values():
        value.sites = 1
    return counts


def enterprise_overview(
    *, viewer: RoleGrant, day: dt.date, now: dt.datetime | None = None
) -> tuple[Counts, list[SiteDay]]:
    """The enterprise's day: totals and counts per site (sites without schedules included)."""
    now = now or timezone.now()
    own = list(sites(viewer=viewer))
    by_site = _counts_by_site([s.pk for s in own], day, now)
    total = Counts()
    rows = []
    for site in own:
        counts = by_site.get(site.pk, Counts())
        total.merge(counts)
        rows.append(SiteDay(site, counts))
    return total, rows


def overdue_days(
    *, viewer: RoleGrant, until: dt.date, days: int = 7, now: dt.datetime | None = None
) -> list[tuple[dt.date, Counts]]:
    """The enterprise's counts for each of the last `days` days, newest first."""
    now = now or timezone.now()
    ids = list(sites(viewer=viewer).values_list("pk", flat=True))
    result = []
    for offset in range(days):
        day = until - dt.timedelta(days=offset)
        total = Counts()
        for counts in _counts_by_site(ids, day, now).values():
            total.merge(counts)
        result.append((day, total))
    return result


@dataclass
class Row:
    """One line of an aggregate table: a key, its label and the counts."""

    key: Any
    label: str
    counts: Counts


@dataclass
class Rollup:
    """Counts only: the total and one or more groupings."""

    total: Counts
    groups: dict[str, list[Row]]


def _by_enterprise(
    enterprise_ids: list[int] | None, day: dt.date, now: dt.datetime
) -> dict[int, Counts]:
    site_qs = Site.objects.all()
    if enterprise_ids is not None:
        site_qs = site_qs.filter(enterprise_id__in=enterprise_ids)
    site_enterprise = dict(site_qs.values_list("pk", "enterprise_id"))
    by_site = _counts_by_site(None if enterprise_ids is None else list(site_enterprise), day, now)
    result: dict[int, Counts] = defaultdict(Counts)
    for site_id, counts in by_site.items():
        enterprise_id = site_enterprise.get(site_id)
        if enterprise_id is not None:
            result[enterprise_id].merge(counts)
    for counts in result.values():
        counts.enterprises = 1
    return result


def _group(
    per_enterprise: dict[int, Counts], keys: dict[int, list[Any]], labels: dict[Any, str]
) -> list[Row]:
    grouped: dict[Any, Counts] = defaultdict(Counts)
    for enterprise_id, counts in per_enterprise.items():
        for key in keys.get(enterprise_id, [None]):
            grouped[key].merge(counts)
    rows = [Row(key, labels.get(key, "—"), counts) for key, counts in grouped.items()]
    rows.sort(key=lambda r: (-r.counts.overdue, r.label))
    return rows


def overdue_counts(*, viewer: RoleGrant, day: dt.date, now: dt.datetime | None = None) -> Rollup:
    """Aggregates only. An association: per active member enterprise. The federation: per
    association, sector and district. An enterprise: its own total. No entry, no person."""
    now = now or timezone.now()
    org = viewer.organization
    if org.kind == OrganizationKind.ASSOCIATION:
        member_ids = list(
            Membership.objects.filter(association=org, status=MembershipStatus.ACTIVE).values_list(
                "enterprise_id", flat=True
            )
        )
        per = _by_enterprise(member_ids, day, now)
        names = dict(Organization.objects.filter(pk__in=member_ids).values_list("pk", "name"))
        total = Counts()
        for counts in per.values():
            total.merge(counts)
        rows = _group(per, {pk: [pk] for pk in per}, names)
        return Rollup(total, {"member": rows})
    if org.kind == OrganizationKind.FEDERATION:
        per = _by_enterprise(None, day, now)
        total = Counts()
        for counts in per.values():
            total.merge(counts)
        memberships: dict[int, list[Any]] = defaultdict(list)
        for enterprise_id, association_id in Membership.objects.filter(
            enterprise_id__in=list(per), status=MembershipStatus.ACTIVE
        ).values_list("enterprise_id", "association_id"):
            memberships[enterprise_id].append(association_id)
        associations = dict(
            Organization.objects.filter(kind=OrganizationKind.ASSOCIATION).values_list("pk", "name")
        )
        enterprise_rows = Organization.objects.filter(pk__in=list(per)).values_list(
            "pk", "sector_id", "sector__name", "district_id", "district__name"
        )
        sectors: dict[int, list[Any]] = {}
        districts: dict[int, list[Any]] = {}
        sector_names: dict[Any, str] = {}
        district_names: dict[Any, str] = {}
        for pk, sector_id, sector_name, district_id, district_name in enterprise_rows:
            sectors[pk] = [sector_id]
            districts[pk] = [district_id]
            if sector_id is not None:
                sector_names[sector_id] = sector_name
            if district_id is not None:
                district_names[district_id] = district_name
        return Rollup(
            total,
            {
                "association": _group(per, memberships, associations),
                "sector": _group(per, sectors, sector_names),
                "district": _group(per, districts, district_names),
            },
        )
    enterprise_ids = enterprise_ids_visible(viewer=viewer)
    per = _by_enterprise(list(enterprise_ids or []), day, now)
    total = Counts()
    for counts in per.values():
        total.merge(counts)
    return Rollup(total, {})
