"""Reads of check-ins and observations (enterprise only) and of the rollups (upward).

An enterprise's pages read its own check-ins and roster for one day, a constant number of
queries whatever its size. Associations' and the federation's pages read only
`DailyRollup`: grouped sums of counts, never a check-in and never a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from accounts.models import RoleGrant, User
from health.models import (
    CheckIn,
    CheckInImport,
    CheckInSettings,
    Consent,
    ConsentKind,
    DailyRollup,
    Observation,
)
from orgs.models import (
    Division,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Sector,
    Site,
)
from workforce.models import Employee, EmploymentStatus

TREND_DAYS = 14
# Dashboards look back at most this far (older days are history, exported if needed).
HISTORY_DAYS = 366
LIST_LIMIT = 50  # rows of the abnormal and observation lists on the day page
NOT_CONSENTED_SECONDS = 300
COUNTERS = ("roster", "submitted", "normal", "attention", "abnormal", "in_observation")


# Scope ------------------------------------------------------------------------------------


def _enterprise_of(viewer: RoleGrant) -> Organization:
    if not viewer.organization.is_enterprise:
        raise Http404
    return viewer.organization


def day_or_today(value: str | None) -> dt.date:
    """A day from a query string (YYYY-MM-DD), within the history kept; else today."""
    today = timezone.localdate()
    if not value:
        return today
    try:
        day = dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return today
    if day > today or day < today - dt.timedelta(days=HISTORY_DAYS):
        return today
    return day


# Counts -----------------------------------------------------------------------------------


@dataclass
class Counts:
    """Counts of one group (an enterprise, a site, a sector, a day…)."""

    roster: int = 0
    submitted: int = 0
    normal: int = 0
    attention: int = 0
    abnormal: int = 0
    in_observation: int = 0
    enterprises: int = 0  # upward groups: how many enterprises the sums cover

    @property
    def missing(self) -> int:
        return max(self.roster - self.submitted, 0)

    @property
    def coverage(self) -> int:
        """Percentage of the roster that has checked in (0–100)."""
        if not self.roster:
            return 0
        return min(round(100 * self.submitted / self.roster), 100)

    def add(self, other: Counts) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {
            **{name: getattr(self, name) for name in COUNTERS},
            "not_submitted": self.missing,
            "coverage": self.coverage,
        }

    @classmethod
    def of(cls, row: dict[str, Any]) -> Counts:
        return cls(**{name: int(row.get(name) or 0) for name in COUNTERS})


_SUMS = {name: Sum(name) for name in COUNTERS}


@dataclass
class TrendPoint:
    day: dt.date
    counts: Counts


def _trend(
    rollups: QuerySet[DailyRollup], day: dt.date, days: int = TREND_DAYS
) -> list[TrendPoint]:
    """Totals per day for the `days` days ending on `day` (a day without rows counts 0)."""
    start = day - dt.timedelta(days=days - 1)
    rows = rollups.filter(day__gte=start, day__lte=day).order_by().values("day").annotate(**_SUMS)
    by_day = {row["day"]: Counts.of(row) for row in rows}
    return [
        TrendPoint(d, by_day.get(d, Counts()))
        for d in (start + dt.timedelta(days=n) for n in range(days))
    ]


# The enterprise's day -------------------------------------------------------------------


@dataclass
class SiteCounts:
    site_id: int | None
    name: str
    counts: Counts


@dataclass
class EnterpriseDay:
    """What the enterprise's check-in page shows for one day."""

    day: dt.date
    totals: Counts
    sites: list[SiteCounts]
    flagged: list[CheckIn]  # abnormal first, then attention
    flagged_total: int
    observations: list[Observation]
    observations_total: int
    not_consented: int
    not_submitted: QuerySet[Employee]  # paginated by the page
    trend: list[TrendPoint] = field(default_factory=list)
    in_observation_ids: set[int] = field(default_factory=set)


def _active(enterprise: Organization) -> QuerySet[Employee]:
    return Employee.objects.filter(enterprise=enterprise, status=EmploymentStatus.ACTIVE)


def open_observations(*, enterprise: Organization, day: dt.date) -> QuerySet[Observation]:
    """Observations running on a day (not released by then), soonest planned end first."""
    return (
        Observation.objects.filter(enterprise=enterprise, starts_on__lte=day)
        .filter(Q(released_on__isnull=True) | Q(released_on__gt=day))
        .order_by("planned_end_on", "pk")
    )


def not_submitted_list(*, viewer: RoleGrant, day: dt.date) -> QuerySet[Employee]:
    """Active employees of the viewer's enterprise with no check-in for the day."""
    enterprise = _enterprise_of(viewer)
    # NOT IN the day's check-ins of the enterprise (one hashed set), see not_consented_list.
    submitted = CheckIn.objects.filter(enterprise=enterprise, day=day).values("employee_id")
    return (
        _active(enterprise)
        .exclude(pk__in=submitted)
        .select_related("site")
        .defer("mobile_enc", "mobile_hash", "document_enc", "document_hash")
        .order_by("name", "pk")
    )


def withdrawn_consent_ids(*, enterprise: Organization) -> QuerySet[Employee, int]:
    """Employees who withdrew their health consent and have not given it again."""
    open_consent = Consent.objects.filter(
        employee=OuterRef("pk"), kind=ConsentKind.HEALTH, withdrawn_at__isnull=True
    )
    withdrawn = Consent.objects.filter(
        employee=OuterRef("pk"), kind=ConsentKind.HEALTH, withdrawn_at__isnull=False
    )
    return (
        _active(enterprise)
        .filter(Exists(withdrawn), ~Exists(open_consent))
        .values_list("pk", flat=True)
    )


def not_consented_list(*, viewer: RoleGrant) -> QuerySet[Employee]:
    """Active employees without an open consent to the processing of health data."""
    enterprise = _enterprise_of(viewer)
    open_consent = Consent.objects.filter(
        employee=OuterRef("pk"), kind=ConsentKind.HEALTH, withdrawn_at__isnull=True
    )
    return _active(enterprise).filter(~Exists(open_consent)).order_by("name", "pk")


def not_consented_key(enterprise_id: int) -> str:
    return f"health:not-consented:{enterprise_id}"


def not_consented_count(*, viewer: RoleGrant) -> int:
    """How many active employees have not consented to health data: a probe per employee,
    so kept for NOT_CONSENTED_SECONDS (consent services drop it when a consent changes)."""
    enterprise = _enterprise_of(viewer)
    return int(
        _cached(
            not_consented_key(enterprise.pk),
            NOT_CONSENTED_SECONDS,
            lambda: not_consented_list(viewer=viewer).count(),
        )
    )


# Ciphertexts and hashes: never shown on the day page (lists show names only).
_HEAVY_EMPLOYEE_FIELDS = (
    "employee__mobile_enc",
    "employee__mobile_hash",
    "employee__document_enc",
    "employee__document_hash",
)


def enterprise_day(*, viewer: RoleGrant, day: dt.date) -> EnterpriseDay:
    """The enterprise's check-ins of a day: totals, per site, who needs attention, who is
    missing, who is in observation, and the trend of the last 14 days. About ten queries,
    however many employees there are."""
    enterprise = _enterprise_of(viewer)
    totals, sites = enterprise_day_counts(viewer=viewer, day=day)
    checkins = CheckIn.objects.filter(enterprise=enterprise, day=day)
    observations = open_observations(enterprise=enterprise, day=day)
    flagged = (
        checkins.filter(status__in=["abnormal", "attention"])
        .select_related("employee", "site")
        .defer(*_HEAVY_EMPLOYEE_FIELDS)
        .order_by("status", "employee__name", "pk")  # "abnormal" sorts before "attention"
    )
    flagged_list = list(flagged[:LIST_LIMIT])
    observation_list = list(
        observations.select_related("employee").defer(*_HEAVY_EMPLOYEE_FIELDS)[:LIST_LIMIT]
    )
    in_observation = set(
        observations.filter(employee_id__in=[c.employee_id for c in flagged_list]).values_list(
            "employee_id", flat=True
        )
    )
    return EnterpriseDay(
        day=day,
        totals=totals,
        sites=sites,
        flagged=flagged_list,
        flagged_total=totals.abnormal + totals.attention,
        observations=observation_list,
        observations_total=totals.in_observation,
        not_consented=not_consented_count(viewer=viewer),
        not_submitted=not_submitted_list(viewer=viewer, day=day),
        trend=_trend(DailyRollup.objects.filter(enterprise=enterprise), day),
        in_observation_ids=in_observation,
    )


def enterprise_day_counts(*, viewer: RoleGrant, day: dt.date) -> tuple[Counts, list[SiteCounts]]:
    """Totals and per-site counts of the viewer's enterprise for a day (four queries)."""
    enterprise = _enterprise_of(viewer)
    roster_by_site: dict[int | None, int] = dict(
        _active(enterprise)
        .order_by()
        .values("site_id")
        .annotate(n=Count("pk"))
        .values_list("site_id", "n")
    )
    by_site: dict[int | None, Counts] = {}
    rows = (
        CheckIn.objects.filter(enterprise=enterprise, day=day)
        .order_by()
        .values("site_id", "status")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts = by_site.setdefault(row["site_id"], Counts())
        counts.submitted += row["n"]
        setattr(counts, row["status"], getattr(counts, row["status"]) + row["n"])
    names: dict[int | None, str] = dict(
        Site.objects.filter(enterprise=enterprise).values_list("pk", "name")
    )
    totals = Counts()
    sites = []
    for site_id in sorted(
        set(roster_by_site) | set(by_site), key=lambda pk: (pk is None, names.get(pk, ""))
    ):
        counts = by_site.get(site_id, Counts())
        counts.roster = roster_by_site.get(site_id, 0)
        totals.add(counts)
        sites.append(SiteCounts(site_id, names.get(site_id, ""), counts))
    totals.in_observation = (
        open_observations(enterprise=enterprise, day=day).values("employee_id").distinct().count()
    )
    return totals, sites


def observation_list(*, viewer: RoleGrant, state: str = "open") -> QuerySet[Observation]:
    """The viewer's enterprise's observations: running ("open"), released, or all."""
    enterprise = _enterprise_of(viewer)
    qs = Observation.objects.filter(enterprise=enterprise).select_related(
        "employee", "origin", "released_by", "created_by", "rule_version"
    )
    if state == "open":
        return qs.filter(released_on__isnull=True).order_by("planned_end_on", "pk")
    if state == "released":
        return qs.filter(released_on__isnull=False).order_by("-released_on", "-pk")
    return qs.order_by("-starts_on", "-pk")


def observation_get(*, viewer: RoleGrant, pk: int) -> Observation:
    try:
        return observation_list(viewer=viewer, state="all").get(pk=pk)
    except Observation.DoesNotExist:
        raise Http404 from None


def checkin_import_list(*, viewer: RoleGrant) -> QuerySet[CheckInImport]:
    """The enterprise's uploads of check-ins, newest first (without the file's bytes)."""
    enterprise = _enterprise_of(viewer)
    return CheckInImport.objects.filter(enterprise=enterprise).defer("content")


def checkin_import_get(*, viewer: RoleGrant, pk: int) -> CheckInImport:
    try:
        return checkin_import_list(viewer=viewer).get(pk=pk)
    except CheckInImport.DoesNotExist:
        raise Http404 from None


def checkin_list(*, viewer: RoleGrant, start: dt.date, end: dt.date) -> QuerySet[CheckIn]:
    """The viewer's enterprise's check-ins from start to end (for exports)."""
    enterprise = _enterprise_of(viewer)
    return (
        CheckIn.objects.filter(enterprise=enterprise, day__gte=start, day__lte=end)
        .select_related("employee", "site", "recorded_by")
        .order_by("day", "employee__name", "employee_id")
    )


def checkin_get(*, viewer: RoleGrant, employee: Employee, day: dt.date) -> CheckIn | None:
    """The employee's check-in of a day, if any (the employee must be the viewer's)."""
    enterprise = _enterprise_of(viewer)
    return CheckIn.objects.filter(enterprise=enterprise, employee=employee, day=day).first()


def checkins_of(*, viewer: RoleGrant, employee: Employee, since: dt.date) -> list[CheckIn]:
    """The employee's check-ins since a day, newest first (at most 60)."""
    enterprise = _enterprise_of(viewer)
    return list(
        CheckIn.objects.filter(enterprise=enterprise, employee=employee, day__gte=since)
        .select_related("recorded_by")
        .order_by("-day")[:60]
    )


def officer_candidates(*, viewer: RoleGrant) -> QuerySet[User]:
    """People with a role in the viewer's enterprise (who may be prevention officers)."""
    enterprise = _enterprise_of(viewer)
    return (
        User.objects.filter(grants__organization=enterprise, is_active=True)
        .distinct()
        .order_by("name", "pk")
    )


def settings_get(*, viewer: RoleGrant) -> CheckInSettings:
    """The enterprise's check-in settings (an unsaved default when none are stored)."""
    enterprise = _enterprise_of(viewer)
    found = CheckInSettings.objects.filter(enterprise=enterprise).first()
    return found or CheckInSettings(enterprise=enterprise)


# Upward: associations and the federation (rollups only) -------------------------------
#
# With tens of thousands of enterprises a grouped sum over a day's rollups takes tens of
# milliseconds, and the 14-day trend ten times that. So the group sums are kept in the
# cache: a day's for `GROUP_CACHE_SECONDS` (the figures upward are at most a minute old),
# the earlier days of the trend for `TREND_CACHE_SECONDS` (they change only with late
# check-ins and imports). The per-member list is paged in the database.

GROUP_CACHE_SECONDS = 60
TREND_CACHE_SECONDS = 600


@dataclass
class Row:
    """One line of an upward table: a label and counts; no person, ever."""

    key: str
    label: str
    counts: Counts


@dataclass
class Overview:
    day: dt.date
    totals: Counts
    reporting: int  # enterprises with a row for the day
    groups: dict[str, list[Row]]  # "sectors", "districts", "associations"
    trend: list[TrendPoint]


def _cached(key: str, seconds: int, compute: Callable[[], Any]) -> Any:
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def _member_ids(association: Organization) -> QuerySet[Membership, int]:
    return Membership.objects.filter(
        association=association, status=MembershipStatus.ACTIVE
    ).values_list("enterprise_id", flat=True)


def _grouped(rollups: QuerySet[DailyRollup], *by: str) -> dict[Any, Counts]:
    """Sums per group (a tuple key when grouped by several fields)."""
    rows = rollups.order_by().values(*by).annotate(**_SUMS, enterprises=Count("pk"))
    grouped: dict[Any, Counts] = {}
    for row in rows:
        key = row[by[0]] if len(by) == 1 else tuple(row[name] for name in by)
        counts = Counts.of(row)
        counts.enterprises = row["enterprises"]
        grouped[key] = counts
    return grouped


def _merge(groups: dict[Any, Counts], index: int | None = None) -> dict[Any, Counts]:
    """Sums of (sector, district) groups by one part of the key (None: the grand total)."""
    merged: dict[Any, Counts] = {}
    for key, counts in groups.items():
        target = merged.setdefault(key[index] if index is not None else "", Counts())
        target.add(counts)
        target.enterprises += counts.enterprises
    return merged


def _sector_rows(groups: dict[Any, Counts]) -> list[Row]:
    sectors = {s.code: s for s in Sector.objects.filter(code__in=[k for k in groups if k])}
    rows = [
        Row(str(key or ""), sectors[key].label if key in sectors else "—", counts)
        for key, counts in groups.items()
    ]
    return sorted(rows, key=lambda r: (-r.counts.roster, r.label))


def _district_rows(groups: dict[Any, Counts]) -> list[Row]:
    divisions = {d.code: d for d in Division.objects.filter(code__in=[k for k in groups if k])}
    rows = [
        Row(str(key or ""), divisions[key].label if key in divisions else "—", counts)
        for key, counts in groups.items()
    ]
    return sorted(rows, key=lambda r: (r.key == "", r.key))


def _cached_trend(
    scope: str, rollups: QuerySet[DailyRollup], day: dt.date, today_counts: Counts
) -> list[TrendPoint]:
    """The 14 days ending on `day`: the earlier ones from the cache, `day` itself live."""
    earlier = _cached(
        f"health:trend:{scope}:{day.isoformat()}",
        TREND_CACHE_SECONDS,
        lambda: _trend(rollups, day - dt.timedelta(days=1), TREND_DAYS - 1),
    )
    return [*earlier, TrendPoint(day, today_counts)]


def _by_sector_and_district(scope: str, rollups: QuerySet[DailyRollup], day: dt.date) -> Any:
    return _cached(
        f"health:groups:{scope}:{day.isoformat()}",
        GROUP_CACHE_SECONDS,
        lambda: _grouped(rollups.filter(day=day), "sector_id", "district_id"),
    )


def association_overview(*, viewer: RoleGrant, day: dt.date) -> Overview:
    """An association's day: totals, per sector and the trend of its active members,
    from the rollups (the member list is `association_members`)."""
    association = viewer.organization
    if not association.is_association:
        raise Http404
    scope = f"a{association.pk}"
    rollups = DailyRollup.objects.filter(enterprise_id__in=_member_ids(association))
    groups = _by_sector_and_district(scope, rollups, day)
    totals = _merge(groups).get("", Counts())
    return Overview(
        day=day,
        totals=totals,
        reporting=totals.enterprises,
        groups={"sectors": _sector_rows(_merge(groups, 0))},
        trend=_cached_trend(scope, rollups, day, totals),
    )


def association_members(*, viewer: RoleGrant, day: dt.date) -> QuerySet[DailyRollup]:
    """The association's active members' rows of a day, lowest coverage first (then the
    most abnormal): to be paged, then named with `member_rows`."""
    association = viewer.organization
    if not association.is_association:
        raise Http404
    coverage = Case(
        When(roster=0, then=Value(0)),
        default=F("submitted") * 100 / F("roster"),
        output_field=IntegerField(),
    )
    return (
        DailyRollup.objects.filter(day=day, enterprise_id__in=_member_ids(association))
        .annotate(coverage_rank=coverage)
        .only("enterprise_id", "day", *COUNTERS)
        .order_by("coverage_rank", "-abnormal", "enterprise_id")
    )


def member_rows(rollups: list[DailyRollup]) -> list[Row]:
    """A page of members' rollups as upward table rows, with the enterprises' names (one
    query for the page, not a join over every member before sorting)."""
    names = dict(
        Organization.objects.filter(pk__in=[r.enterprise_id for r in rollups]).values_list(
            "pk", "name"
        )
    )
    return [
        Row(
            str(r.enterprise_id),
            names.get(r.enterprise_id, ""),
            Counts(**{name: getattr(r, name) for name in COUNTERS}),
        )
        for r in rollups
    ]


def federation_overview(*, viewer: RoleGrant, day: dt.date) -> Overview:
    """The federation's day: per association, per sector and per district, and the trend,
    from the rollups."""
    if not viewer.organization.is_federation:
        raise Http404
    rollups = DailyRollup.objects.all()
    groups = _by_sector_and_district("all", rollups, day)
    per_association = _cached(
        f"health:associations:{day.isoformat()}",
        GROUP_CACHE_SECONDS,
        lambda: _grouped(
            rollups.filter(day=day, enterprise__memberships__status=MembershipStatus.ACTIVE),
            "enterprise__memberships__association_id",
        ),
    )
    associations = Organization.objects.filter(kind=OrganizationKind.ASSOCIATION).order_by("name")
    association_rows = [
        Row(str(a.pk), a.name, per_association.get(a.pk, Counts()))
        for a in associations.only("pk", "name")
    ]
    totals = _merge(groups).get("", Counts())
    return Overview(
        day=day,
        totals=totals,
        reporting=totals.enterprises,
        groups={
            "associations": association_rows,
            "sectors": _sector_rows(_merge(groups, 0)),
            "districts": _district_rows(_merge(groups, 1)),
        },
        trend=_cached_trend("all", rollups, day, totals),
    )


def home_counts(*, viewer: RoleGrant, day: dt.date) -> Counts:
    """Today's counts for the home page card: the enterprise's own (check-ins and roster),
    or an association's members' and the federation's (the cached rollup sums)."""
    org = viewer.organization
    if org.is_enterprise:
        totals, _sites = enterprise_day_counts(viewer=viewer, day=day)
        return totals
    if org.is_association:
        scope = f"a{org.pk}"
        rollups = DailyRollup.objects.filter(enterprise_id__in=_member_ids(org))
    else:
        scope, rollups = "all", DailyRollup.objects.all()
    result: Counts = _merge(_by_sector_and_district(scope, rollups, day)).get("", Counts())
    return result


# --- An employee's own records (personal link pages; the token already named the employee)


def own_consents(*, employee: Employee) -> dict[str, Consent]:
    """The employee's open consents by kind."""
    return {c.kind: c for c in Consent.objects.filter(employee=employee, withdrawn_at__isnull=True)}


def own_checkin(*, employee: Employee, day: dt.date) -> CheckIn | None:
    """The employee's check-in of a day, if any."""
    return CheckIn.objects.filter(employee=employee, day=day).first()


def own_history(*, employee: Employee, days: int = 30) -> QuerySet[CheckIn]:
    """The employee's check-ins of the last `days` days, newest first."""
    since = timezone.localdate() - dt.timedelta(days=days - 1)
    return CheckIn.objects.filter(employee=employee, day__gte=since).order_by("-day")
