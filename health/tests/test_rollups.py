"""Daily rollups: incremental counts as check-ins arrive, and rebuilds that agree with them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import Cast
from health.models import CheckIn, DailyRollup, Observation, RollupDelta
from health.rollups import (
    rollup_fold,
    rollup_observations,
    rollup_rebuild,
    rollup_record,
    rollup_roster_refresh,
)
from workforce.models import Employee
from workforce.tests.roster import add_employee

COUNTS = ("roster", "submitted", "normal", "attention", "abnormal", "in_observation")


def counts(enterprise_id: int, day: dt.date) -> dict[str, int]:
    row = DailyRollup.objects.get(enterprise_id=enterprise_id, day=day)
    return {name: getattr(row, name) for name in COUNTS}


def check_in(employee: Employee, day: dt.date, status: str) -> None:
    """What checkin_submit does to the tables it shares with the rollups."""
    existing = CheckIn.objects.filter(employee=employee, day=day).first()
    old = existing.status if existing else None
    CheckIn.objects.update_or_create(
        employee=employee,
        day=day,
        defaults={
            "enterprise_id": employee.enterprise_id,
            "site_id": employee.site_id,
            "status": status,
            "submitted_at": timezone.now(),
        },
    )
    rollup_record(enterprise_id=employee.enterprise_id, day=day, old_status=old, new_status=status)


@pytest.fixture
def staff(cast: Cast) -> list[Employee]:
    return [
        add_employee(cast.enterprise_admin, cast.enterprise, n, site=cast.site) for n in range(4)
    ]


def test_it_creates_the_row_with_roster_sector_and_district(cast: Cast, staff: Any) -> None:
    today = timezone.localdate()
    check_in(staff[0], today, "normal")
    row = DailyRollup.objects.get(enterprise=cast.enterprise, day=today)
    assert (row.sector_id, row.district_id) == ("hotel", "440303")
    assert counts(cast.enterprise.pk, today) == {
        "roster": 4,
        "submitted": 1,
        "normal": 1,
        "attention": 0,
        "abnormal": 0,
        "in_observation": 0,
    }


def test_it_moves_a_resubmission_between_statuses(cast: Cast, staff: Any) -> None:
    today = timezone.localdate()
    check_in(staff[0], today, "normal")
    check_in(staff[1], today, "attention")
    check_in(staff[0], today, "abnormal")
    check_in(staff[0], today, "abnormal")  # same status again: nothing moves
    got = counts(cast.enterprise.pk, today)
    assert (got["submitted"], got["normal"], got["attention"], got["abnormal"]) == (2, 0, 1, 1)


def test_it_agrees_with_a_rebuild(cast: Cast, staff: Any) -> None:
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    for employee, status in zip(staff, ["normal", "attention", "abnormal", "normal"], strict=True):
        check_in(employee, today, status)
    check_in(staff[3], today, "attention")
    check_in(staff[0], yesterday, "normal")
    incremental = counts(cast.enterprise.pk, today)
    DailyRollup.objects.all().delete()
    rollup_rebuild(day=today)
    assert counts(cast.enterprise.pk, today) == incremental
    # Every enterprise gets a row, with or without check-ins.
    assert counts(cast.other_enterprise.pk, today)["submitted"] == 0


def test_it_never_counts_below_zero(cast: Cast, staff: Any) -> None:
    today = timezone.localdate()
    rollup_rebuild(day=today)  # a row with nothing in it
    rollup_record(
        enterprise_id=cast.enterprise.pk, day=today, old_status="normal", new_status="abnormal"
    )
    got = counts(cast.enterprise.pk, today)
    assert (got["normal"], got["abnormal"]) == (0, 1)


def test_it_refuses_an_unknown_status(cast: Cast) -> None:
    with pytest.raises(ValueError, match="unknown"):
        rollup_record(
            enterprise_id=cast.enterprise.pk,
            day=timezone.localdate(),
            old_status=None,
            new_status="x",
        )


def test_it_keeps_a_past_days_roster_on_rebuild(cast: Cast, staff: Any) -> None:
    today = timezone.localdate()
    last_week = today - dt.timedelta(days=7)
    check_in(staff[0], last_week, "normal")
    assert counts(cast.enterprise.pk, last_week)["roster"] == 4
    add_employee(cast.enterprise_admin, cast.enterprise, 50)
    rollup_rebuild(day=last_week)
    assert counts(cast.enterprise.pk, last_week)["roster"] == 4
    rollup_rebuild(day=today)
    assert counts(cast.enterprise.pk, today)["roster"] == 5


def test_it_counts_who_is_in_observation(cast: Cast, staff: Any) -> None:
    today = timezone.localdate()
    start = today - dt.timedelta(days=3)
    for offset in range(4):
        rollup_rebuild(day=start + dt.timedelta(days=offset))
    Observation.objects.create(
        employee=staff[0],
        enterprise=cast.enterprise,
        kind=Observation.Kind.HOME_ISOLATION,
        reason=Observation.Reason.ARRIVAL,
        starts_on=start + dt.timedelta(days=1),
        planned_end_on=today + dt.timedelta(days=10),
    )
    rollup_observations(enterprise_id=cast.enterprise.pk, since=start)
    assert [
        counts(cast.enterprise.pk, start + dt.timedelta(days=d))["in_observation"] for d in range(4)
    ] == [0, 1, 1, 1]
    Observation.objects.filter(employee=staff[0]).update(released_on=today)
    rollup_observations(enterprise_id=cast.enterprise.pk, since=today)
    assert counts(cast.enterprise.pk, today)["in_observation"] == 0


def test_it_refreshes_todays_roster_without_touching_the_counts(cast: Cast, staff: Any) -> None:
    today = timezone.localdate()
    check_in(staff[0], today, "abnormal")
    staff[1].status = "left"
    staff[1].save()
    written = rollup_roster_refresh()
    assert written == 2  # both enterprises
    got = counts(cast.enterprise.pk, today)
    assert (got["roster"], got["submitted"], got["abnormal"]) == (3, 1, 1)
    assert counts(cast.other_enterprise.pk, today)["roster"] == 0


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def test_it_refreshes_the_roster_every_quarter_and_when_a_row_is_missing(
    cast: Cast, staff: Any
) -> None:
    from unittest import mock

    from health.tasks import rollup_roster

    today = timezone.localdate()
    with mock.patch("django.utils.timezone.now", return_value=_at(today, 9, 7)):
        assert rollup_roster() == 2  # no row yet for today: both enterprises get one
        assert rollup_roster() == 0  # 09:07, rows complete: nothing to do
        add_employee(cast.enterprise_admin, cast.enterprise, 60)
    assert counts(cast.enterprise.pk, today)["roster"] == 4
    with mock.patch("django.utils.timezone.now", return_value=_at(today, 9, 15)):
        assert rollup_roster() == 2
    assert counts(cast.enterprise.pk, today)["roster"] == 5


def test_it_rebuilds_yesterday_once_after_one_in_the_morning(cast: Cast, staff: Any) -> None:
    from unittest import mock

    from health.tasks import rollup_nightly

    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    check_in(staff[0], yesterday, "normal")
    # Drifted, and last written yesterday evening.
    DailyRollup.objects.filter(day=yesterday).update(
        submitted=40, normal=40, updated_at=_at(yesterday, 21, 0)
    )
    with mock.patch("django.utils.timezone.now", return_value=_at(today, 0, 30)):
        assert rollup_nightly() == 0
    with mock.patch("django.utils.timezone.now", return_value=_at(today, 1, 2)):
        assert rollup_nightly() == 2
    assert counts(cast.enterprise.pk, yesterday)["submitted"] == 1
    with mock.patch("django.utils.timezone.now", return_value=_at(today, 1, 3)):
        assert rollup_nightly() == 0


def delta(enterprise_id: int, day: dt.date, **changes: int) -> RollupDelta:
    return RollupDelta.objects.create(enterprise_id=enterprise_id, day=day, **changes)


def test_it_folds_the_deltas_into_their_row(cast: Cast, staff: Any) -> None:
    today = timezone.localdate()
    check_in(staff[0], today, "normal")
    # Two check-ins the ingest service could not add at once: a new abnormal one, and a
    # resubmission that moved from normal to attention.
    delta(cast.enterprise.pk, today, submitted=1, abnormal=1)
    delta(cast.enterprise.pk, today, normal=-1, attention=1)
    other = delta(cast.other_enterprise.pk, today, submitted=1, normal=1)
    assert rollup_fold(keys=[(cast.enterprise.pk, today)]) == 2
    after = counts(cast.enterprise.pk, today)
    assert (after["submitted"], after["normal"], after["attention"], after["abnormal"]) == (
        2, 0, 1, 1,
    )  # fmt: skip
    assert list(RollupDelta.objects.all()) == [other]  # only the keys asked for
    assert rollup_fold(keys=[(cast.enterprise.pk, today)]) == 0


def test_it_folds_every_pending_delta_and_never_below_zero(cast: Cast, staff: Any) -> None:
    today = timezone.localdate()
    rollup_rebuild(day=today)
    delta(cast.enterprise.pk, today, submitted=-3, normal=-3)
    delta(cast.other_enterprise.pk, today, submitted=1, normal=1)
    assert rollup_fold() == 2
    assert counts(cast.enterprise.pk, today)["submitted"] == 0
    assert counts(cast.other_enterprise.pk, today)["submitted"] == 1
    assert not RollupDelta.objects.exists()


def test_it_counts_a_missing_row_again_instead_of_folding(cast: Cast, staff: Any) -> None:
    today = timezone.localdate()
    check_in(staff[0], today, "abnormal")
    DailyRollup.objects.filter(enterprise=cast.enterprise, day=today).delete()
    delta(cast.enterprise.pk, today, submitted=1, abnormal=1)  # already in the check-ins
    assert rollup_fold() == 1
    assert (counts(cast.enterprise.pk, today)["submitted"], RollupDelta.objects.count()) == (1, 0)


def test_a_rebuild_drops_the_deltas_it_counts_again(cast: Cast, staff: Any) -> None:
    today = timezone.localdate()
    check_in(staff[0], today, "normal")
    delta(cast.enterprise.pk, today, submitted=1, normal=1)
    yesterday = delta(cast.enterprise.pk, today - dt.timedelta(days=1), submitted=1)
    rollup_rebuild(day=today, enterprise_ids=[cast.enterprise.pk])
    assert counts(cast.enterprise.pk, today)["submitted"] == 1
    assert list(RollupDelta.objects.all()) == [yesterday]


def test_the_periodic_job_folds_what_a_stopped_worker_left(cast: Cast, staff: Any) -> None:
    from health.tasks import rollup_fold_pending
    from lib.periodic import JOBS

    today = timezone.localdate()
    rollup_rebuild(day=today)
    delta(cast.enterprise.pk, today, submitted=1, normal=1)
    assert "health.rollup_fold" in JOBS
    assert rollup_fold_pending() == 1
    assert counts(cast.enterprise.pk, today)["normal"] == 1


def test_the_fold_locks_only_the_rollup_row(cast: Cast, staff: Any) -> None:
    """FOR UPDATE on a query that joins (the model's ordering goes through the enterprise)
    would lock the enterprise's row too, and every check-in's foreign-key check waits."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = timezone.localdate()
    rollup_rebuild(day=today)
    delta(cast.enterprise.pk, today, submitted=1, normal=1)
    with CaptureQueriesContext(connection) as queries:
        rollup_fold()
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    if connection.features.has_select_for_update:
        assert locking
    assert all("JOIN" not in sql or " OF " in sql for sql in locking)
