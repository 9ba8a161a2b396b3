"""Daily rollups: counts per enterprise and day, kept up to date as check-ins arrive.

Associations and the federation read only `DailyRollup` (grouped sums over an index), never
`CheckIn`, so their dashboards stay fast with millions of check-ins and carry no person.

- `rollup_record` is called by `health.services.checkin_submit` in its transaction: an
  UPDATE that adds the change (a first check-in of the day, or a status that changed) to
  the row of the enterprise and day, or when the row is missing an `INSERT … ON CONFLICT
  DO UPDATE` that creates it with the enterprise's roster, sector and district. The same
  SQL runs on PostgreSQL and SQLite (≥ 3.24).
- `rollup_fold` adds pending `RollupDelta` rows to their rows. The ingest service
  (health/ingest) does not wait for a row another check-in holds: it records the change as
  a delta in the check-in's own statement and folds it moments later (and the periodic job
  `health.rollup_fold` catches any left behind), so one enterprise's morning burst does not
  queue on its one row.
- `rollup_observations` recounts who is in isolation or observation, after an observation
  is recorded, released or extended.
- `rollup_rebuild` recomputes rows from the check-ins, observations and roster (the nightly
  job, and after anything that writes check-ins in bulk); it is idempotent.
- `rollup_roster_refresh` keeps today's roster and observation counts current and makes
  sure every enterprise has a row for today (a periodic job, every quarter of an hour).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from health.models import CheckIn, DailyRollup, Observation, RollupDelta, Status
from orgs.models import Organization, OrganizationKind
from workforce.models import Employee, EmploymentStatus

STATUSES = (Status.NORMAL, Status.ATTENTION, Status.ABNORMAL)
# Rows written per statement by the rebuild.
BATCH = 2000


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _increment(table: str, column: str) -> str:
    # Never below zero (a row rebuilt in between may already hold the new state).
    current = f"{table}.{_quoted(column)}"
    return f"{_quoted(column)} = CASE WHEN {current} + %s < 0 THEN 0 ELSE {current} + %s END"


_COUNTERS = ("submitted", "normal", "attention", "abnormal")


def _update_sql() -> str:
    """Add to the existing row: the common case, one indexed UPDATE."""
    rollup = _quoted(DailyRollup._meta.db_table)
    # Only quoted names from the models are formatted in; every value is a parameter.
    return (
        f"UPDATE {rollup} SET "  # noqa: S608
        + ", ".join(_increment(rollup, column) for column in _COUNTERS)
        + ", updated_at = %s WHERE enterprise_id = %s AND day = %s"
    )


def _upsert_sql() -> str:
    """Create the row (roster, sector and district from the enterprise) or, when another
    transaction created it meanwhile, add to it."""
    rollup = _quoted(DailyRollup._meta.db_table)
    org = _quoted(Organization._meta.db_table)
    employee = _quoted(Employee._meta.db_table)
    observation = _quoted(Observation._meta.db_table)
    return (
        f"INSERT INTO {rollup} (enterprise_id, day, sector_id, district_id, roster, "  # noqa: S608
        f"submitted, normal, attention, abnormal, in_observation, updated_at) "
        f"SELECT o.id, %s, o.sector_id, o.district_id, "
        f"(SELECT COUNT(*) FROM {employee} e WHERE e.enterprise_id = o.id AND e.status = %s), "
        f"%s, %s, %s, %s, "
        f"(SELECT COUNT(DISTINCT b.employee_id) FROM {observation} b "
        f"WHERE b.enterprise_id = o.id AND b.starts_on <= %s "
        f"AND (b.released_on IS NULL OR b.released_on > %s)), %s "
        f"FROM {org} o WHERE o.id = %s "
        f"ON CONFLICT (enterprise_id, day) DO UPDATE SET "
        + ", ".join(_increment(rollup, column) for column in _COUNTERS)
        + ", updated_at = %s"
    )


_SQL: dict[tuple[str, str], str] = {}


def _sql(name: str, build: Any) -> str:
    key = (connection.vendor, name)
    if key not in _SQL:
        _SQL[key] = build()
    return _SQL[key]


def rollup_changes(
    *, old_status: str | None, new_status: str
) -> tuple[list[int], list[int]] | None:
    """What a submission adds to the counters (submitted, normal, attention, abnormal):
    the values of a new row and the changes to an existing one; None when nothing changes
    (a resubmission with the same status). Shared with the ingest service's statement."""
    if new_status not in STATUSES or (old_status is not None and old_status not in STATUSES):
        raise ValueError(f"unknown check-in status {old_status!r} → {new_status!r}")
    if old_status == new_status:
        return None
    deltas: dict[str, int] = {status.value: 0 for status in STATUSES}
    deltas[new_status] += 1
    submitted = 1
    if old_status is not None:
        deltas[old_status] -= 1
        submitted = 0
    inserted = [submitted, *(max(deltas[s], 0) for s in STATUSES)]
    changes = [submitted, *(deltas[s] for s in STATUSES)]
    return inserted, changes


def rollup_record(
    *, enterprise_id: int, day: dt.date, old_status: str | None, new_status: str
) -> None:
    """Count one submission in the enterprise's row for the day.

    `old_status` is None for the first check-in of the day (submitted + 1), else the status
    the check-in had before this resubmission (moved from that status to the new one).
    Call inside the transaction that writes the check-in. One UPDATE when the row exists
    (the periodic job creates every enterprise's row after midnight), else one
    INSERT … ON CONFLICT DO UPDATE.
    """
    counted = rollup_changes(old_status=old_status, new_status=new_status)
    if counted is None:
        return  # a resubmission that changed no count
    inserted, changes = counted
    increments: list[Any] = [value for change in changes for value in (change, change)]
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_sql("update", _update_sql), [*increments, now, enterprise_id, day])
        if cursor.rowcount:
            return
        params: list[Any] = [
            day,
            EmploymentStatus.ACTIVE.value,
            *inserted,
            day,
            day,
            now,
            enterprise_id,
            *increments,
            now,
        ]
        cursor.execute(_sql("upsert", _upsert_sql), params)


@transaction.atomic
def rollup_fold(*, keys: Iterable[tuple[int, dt.date]] | None = None) -> int:
    """Add the pending deltas (of the given (enterprise, day) rows, else all) to their
    rows; returns how many deltas were folded. Each row is locked while its deltas are
    read, added and deleted, so two folds never count a delta twice; deltas added
    meanwhile wait for the next fold."""
    if keys is None:
        keys = set(RollupDelta.objects.values_list("enterprise_id", "day").distinct())
    folded = 0
    for enterprise_id, day in sorted(set(keys)):
        # No ordering (the model's would join the organisation, and FOR UPDATE would then
        # lock the enterprise's row too: every check-in's foreign-key check waits on it).
        rows = list(
            DailyRollup.objects.select_for_update(of=("self",))
            .filter(enterprise_id=enterprise_id, day=day)
            .order_by()
            .values_list("pk", flat=True)
        )
        row = rows[0] if rows else None
        deltas = list(
            RollupDelta.objects.filter(enterprise_id=enterprise_id, day=day).values_list(
                "pk", *_COUNTERS
            )
        )
        if not deltas:
            continue
        if row is None:
            # The row went away (deltas are only written beside an existing row): count
            # it again from the check-ins, which these deltas are already part of.
            rollup_rebuild(day=day, enterprise_ids=[enterprise_id])
        else:
            sums = [sum(d[i] for d in deltas) for i in range(1, len(_COUNTERS) + 1)]
            DailyRollup.objects.filter(pk=row).update(
                **{
                    column: Greatest(F(column) + total, 0)
                    for column, total in zip(_COUNTERS, sums, strict=True)
                },
                updated_at=timezone.now(),
            )
        RollupDelta.objects.filter(pk__in=[d[0] for d in deltas]).delete()
        folded += len(deltas)
    return folded


def _open_on(day_ref: OuterRef | dt.date) -> Q:
    """Observations running on a day: started, and not released before or on it."""
    return Q(starts_on__lte=day_ref) & (Q(released_on__isnull=True) | Q(released_on__gt=day_ref))


def rollup_observations(*, enterprise_id: int, since: dt.date, until: dt.date | None = None) -> int:
    """Recount `in_observation` for the enterprise's existing rows from `since` to `until`
    (today by default), creating today's row when it is missing. One statement."""
    today = timezone.localdate()
    until = until or today
    if (
        since <= today <= until
        and not DailyRollup.objects.filter(enterprise_id=enterprise_id, day=today).exists()
    ):
        rollup_rebuild(day=today, enterprise_ids=[enterprise_id])
    running = (
        Observation.objects.filter(
            _open_on(OuterRef("day")), enterprise_id=OuterRef("enterprise_id")
        )
        .order_by()
        .values("enterprise_id")
        .annotate(n=Count("employee_id", distinct=True))
        .values("n")
    )
    return DailyRollup.objects.filter(
        enterprise_id=enterprise_id, day__gte=since, day__lte=until
    ).update(in_observation=Coalesce(Subquery(running), 0), updated_at=timezone.now())


def _enterprises(enterprise_ids: Iterable[int] | None) -> QuerySet[Organization]:
    qs = Organization.objects.filter(kind=OrganizationKind.ENTERPRISE)
    if enterprise_ids is not None:
        qs = qs.filter(pk__in=list(enterprise_ids))
    return qs


@transaction.atomic
def rollup_rebuild(
    *, day: dt.date, enterprise_ids: Iterable[int] | None = None, roster: bool | None = None
) -> int:
    """Recompute the rows of a day from the check-ins, observations and roster; returns how
    many rows were written. Every enterprise (or those given) gets a row.

    The roster is counted now, so by default it is refreshed only for today and for rows
    that do not exist yet; a past day keeps the roster it had (`roster=True` forces it).
    """
    ids = list(enterprise_ids) if enterprise_ids is not None else None
    enterprises = list(_enterprises(ids).values_list("pk", "sector_id", "district_id"))
    if not enterprises:
        return 0
    pks = [pk for pk, _sector, _district in enterprises]
    scoped = ids is not None

    def only(qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(enterprise_id__in=pks) if scoped else qs

    # The rows are counted again from the check-ins: pending deltas are part of them.
    # (As for increments, a check-in committed while this runs may be counted twice or
    # not at all; the nightly rebuild of the day settles it.)
    only(RollupDelta.objects.filter(day=day)).delete()

    counts: dict[int, dict[str, int]] = {}
    for row in (
        only(CheckIn.objects.filter(day=day))
        .order_by()
        .values("enterprise_id", "status")
        .annotate(n=Count("pk"))
    ):
        counts.setdefault(row["enterprise_id"], {})[row["status"]] = row["n"]
    observing = dict(
        only(Observation.objects.filter(_open_on(day)))
        .order_by()
        .values("enterprise_id")
        .annotate(n=Count("employee_id", distinct=True))
        .values_list("enterprise_id", "n")
    )
    existing = dict(
        only(DailyRollup.objects.filter(day=day)).values_list("enterprise_id", "roster")
    )
    refresh_roster = roster if roster is not None else day >= timezone.localdate()
    missing = [pk for pk in pks if pk not in existing]
    wanted = pks if refresh_roster else missing
    rosters: dict[int, int] = {}
    if wanted:
        active = Employee.objects.filter(status=EmploymentStatus.ACTIVE)
        if scoped or not refresh_roster:
            active = active.filter(enterprise_id__in=wanted)
        rosters = dict(
            active.order_by()
            .values("enterprise_id")
            .annotate(n=Count("pk"))
            .values_list("enterprise_id", "n")
        )
    now = timezone.now()
    rows = []
    for pk, sector_id, district_id in enterprises:
        by_status = counts.get(pk, {})
        rows.append(
            DailyRollup(
                enterprise_id=pk,
                day=day,
                sector_id=sector_id,
                district_id=district_id,
                roster=rosters.get(pk, 0) if pk in wanted else existing[pk],
                submitted=sum(by_status.values()),
                normal=by_status.get(Status.NORMAL, 0),
                attention=by_status.get(Status.ATTENTION, 0),
                abnormal=by_status.get(Status.ABNORMAL, 0),
                in_observation=observing.get(pk, 0),
                updated_at=now,
            )
        )
    DailyRollup.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["enterprise", "day"],
        update_fields=[
            "sector",
            "district",
            "roster",
            "submitted",
            "normal",
            "attention",
            "abnormal",
            "in_observation",
            "updated_at",
        ],
    )
    return len(rows)


@transaction.atomic
def rollup_roster_refresh(*, day: dt.date | None = None) -> int:
    """Refresh the roster, sector, district and observation counts of a day's rows (today by
    default) without touching the check-in counts, which `rollup_record` keeps; enterprises
    without a row get one. Returns how many rows were written."""
    day = day or timezone.localdate()
    enterprises = list(_enterprises(None).values_list("pk", "sector_id", "district_id"))
    if not enterprises:
        return 0
    rosters = dict(
        Employee.objects.filter(status=EmploymentStatus.ACTIVE)
        .order_by()
        .values("enterprise_id")
        .annotate(n=Count("pk"))
        .values_list("enterprise_id", "n")
    )
    observing = dict(
        Observation.objects.filter(_open_on(day))
        .order_by()
        .values("enterprise_id")
        .annotate(n=Count("employee_id", distinct=True))
        .values_list("enterprise_id", "n")
    )
    existing = set(DailyRollup.objects.filter(day=day).values_list("enterprise_id", flat=True))
    missing = [pk for pk, _s, _d in enterprises if pk not in existing]
    if missing:
        # New rows count the day's check-ins too (normally none yet, just after midnight).
        rollup_rebuild(day=day, enterprise_ids=missing, roster=True)
    now = timezone.now()
    rows = [
        DailyRollup(
            enterprise_id=pk,
            day=day,
            sector_id=sector_id,
            district_id=district_id,
            roster=rosters.get(pk, 0),
            in_observation=observing.get(pk, 0),
            updated_at=now,
        )
        for pk, sector_id, district_id in enterprises
        if pk in existing
    ]
    DailyRollup.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["enterprise", "day"],
        update_fields=["sector", "district", "roster", "in_observation", "updated_at"],
    )
    return len(rows) + len(missing)
