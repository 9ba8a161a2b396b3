"""Schedules and log entries: immutability, corrections, overdue slots, tenancy, hostile input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import RoleGrant, User
from conftest import Cast
from sitelogs import selectors
from sitelogs.models import LogEntry, SiteSchedule
from sitelogs.rules import DEFAULT, spread
from sitelogs.services import (
    entry_correct,
    entry_record,
    schedule_apply_defaults,
    schedule_end,
    schedule_set,
)
from sitelogs.tests.helpers import PNG, at, schedule, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]


def _grant(cast: Cast, user: User) -> RoleGrant:
    return RoleGrant.objects.get(user=user)


def _record(cast: Cast, sched: SiteSchedule, day: dt.date, hhmm: str, **kw: object) -> LogEntry:
    return entry_record(
        actor=kw.pop("actor", None) or staff_of(cast),  # type: ignore[arg-type]
        site=cast.site,
        schedule=sched,
        slot_date=day,
        slot_time=dt.time.fromisoformat(hhmm),
        **kw,  # type: ignore[arg-type]
    )


# Schedules ------------------------------------------------------------------------------


def test_it_spreads_rounds_a_day_evenly() -> None:
    assert spread(3, dt.time(8), dt.time(18)) == ["08:00", "13:00", "18:00"]
    assert spread(1, dt.time(9), dt.time(18)) == ["09:00"]


def test_it_sets_a_schedule_from_a_number_of_rounds(cast: Cast) -> None:
    made = schedule_set(actor=cast.enterprise_admin, site=cast.site, kind="ventilation", slots=3)
    assert made.slots == ["08:00", "13:00", "18:00"]
    assert made.enterprise == cast.enterprise


def test_it_edits_todays_schedule_in_place_and_versions_earlier_ones(cast: Cast) -> None:
    old = schedule(cast, days_ago=3)
    new = schedule_set(
        actor=cast.enterprise_admin, site=cast.site, kind="disinfection", slots=["10:00"]
    )
    old.refresh_from_db()
    assert new.pk != old.pk
    assert old.valid_until == timezone.localdate() - dt.timedelta(days=1)
    again = schedule_set(
        actor=cast.enterprise_admin, site=cast.site, kind="disinfection", slots=["11:00"]
    )
    assert again.pk == new.pk
    assert again.slots == ["11:00"]
    assert again.version == 2


def test_it_applies_the_rule_tables_defaults(cast: Cast) -> None:
    made = schedule_apply_defaults(actor=cast.enterprise_admin, site=cast.site)
    kinds = {s.kind: s for s in made}
    assert set(kinds) == {"disinfection", "ventilation", "temperature"}
    assert len(kinds["disinfection"].slots) == 2
    assert len(kinds["ventilation"].slots) == 3
    assert kinds["ventilation"].duration_minutes == 30
    assert len(kinds["temperature"].slots) == 2
    assert schedule_apply_defaults(actor=cast.enterprise_admin, site=cast.site) == []
    assert DEFAULT.grace_minutes == 60


def test_it_lets_only_administrators_set_schedules(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        schedule_set(actor=staff_of(cast), site=cast.site, kind="disinfection", slots=2)
    with pytest.raises(PermissionDenied):
        schedule_set(actor=cast.other_admin, site=cast.site, kind="disinfection", slots=2)
    with pytest.raises(PermissionDenied):
        schedule_set(actor=cast.enterprise_viewer, site=cast.site, kind="disinfection", slots=2)


@pytest.mark.parametrize(
    "slots",
    [["25:00"], ["8"], ["<script>"], [], 0, 99, [f"{h:02d}:00" for h in range(24)] + ["00:30"]],
)
def test_it_refuses_bad_slots(cast: Cast, slots: object) -> None:
    with pytest.raises(ValidationError):
        schedule_set(actor=cast.enterprise_admin, site=cast.site, kind="disinfection", slots=slots)  # type: ignore[arg-type]


def test_it_refuses_an_unknown_kind(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        schedule_set(actor=cast.enterprise_admin, site=cast.site, kind="x", slots=2)


def test_it_ends_a_schedule(cast: Cast) -> None:
    old = schedule(cast, days_ago=2)
    schedule_end(actor=cast.enterprise_admin, schedule=old)
    old.refresh_from_db()
    assert old.valid_until == timezone.localdate() - dt.timedelta(days=1)
    fresh = schedule(cast, kind="ventilation")
    schedule_end(actor=cast.enterprise_admin, schedule=fresh)
    assert not SiteSchedule.objects.filter(pk=fresh.pk).exists()


# Entries: immutability and corrections ----------------------------------------------------


def test_it_records_a_round(cast: Cast) -> None:
    sched = schedule(cast)
    entry = _record(cast, sched, timezone.localdate(), "09:00", area="大堂", agent="含氯 500")
    assert entry.enterprise == cast.enterprise
    assert entry.kind == "disinfection"


def test_it_never_updates_an_entry_through_the_orm(cast: Cast) -> None:
    entry = _record(cast, schedule(cast), timezone.localdate(), "09:00")
    entry.area = "篡改"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        LogEntry.objects.filter(pk=entry.pk).update(area="篡改")


def test_it_never_updates_an_entry_in_the_database(cast: Cast) -> None:
    entry = _record(cast, schedule(cast), timezone.localdate(), "09:00", area="大堂")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE sitelogs_logentry SET area = %s WHERE id = %s", ["篡改", entry.pk])
    assert LogEntry.objects.get(pk=entry.pk).area == "大堂"


def test_it_refuses_a_second_entry_for_the_same_slot(cast: Cast) -> None:
    sched = schedule(cast)
    _record(cast, sched, timezone.localdate(), "09:00")
    with pytest.raises(ValidationError):
        _record(cast, sched, timezone.localdate(), "09:00")


def test_it_chains_corrections_and_only_the_latest_counts(cast: Cast) -> None:
    sched = schedule(cast)
    today = timezone.localdate()
    first = _record(cast, sched, today, "09:00", area="大堂")
    second = entry_correct(actor=cast.enterprise_admin, entry=first, note="区域填错", area="电梯")
    assert second.corrects == first
    assert second.area == "电梯"
    assert second.slot_time == first.slot_time
    with pytest.raises(ValidationError):
        entry_correct(actor=cast.enterprise_admin, entry=first, note="再改一次")
    third = entry_correct(
        actor=cast.enterprise_admin, entry=second, note="时段选错", slot_time=dt.time(15)
    )
    grant = _grant(cast, cast.enterprise_admin)
    entries = list(selectors.entries_of_day(viewer=grant, site=cast.site, day=today))
    flags = {e.pk: e.is_corrected for e in entries}  # type: ignore[attr-defined]
    assert flags == {first.pk: True, second.pk: True, third.pk: False}
    states = {
        s.time.strftime("%H:%M"): s.state
        for s in selectors.day_slots(
            viewer=grant, site=cast.site, day=today, now=at(today, "23:59")
        )
    }
    # the 09:00 round was moved to 15:00 by the correction: 09:00 is now missed
    assert states == {"09:00": "overdue", "15:00": "done"}


def test_it_requires_a_reason_to_correct(cast: Cast) -> None:
    entry = _record(cast, schedule(cast), timezone.localdate(), "09:00")
    with pytest.raises(ValidationError):
        entry_correct(actor=cast.enterprise_admin, entry=entry, note="  \x00 ")


def test_it_refuses_moving_a_correction_onto_a_recorded_slot(cast: Cast) -> None:
    sched = schedule(cast)
    today = timezone.localdate()
    first = _record(cast, sched, today, "09:00")
    _record(cast, sched, today, "15:00")
    with pytest.raises(ValidationError):
        entry_correct(actor=cast.enterprise_admin, entry=first, note="x", slot_time=dt.time(15))
    with pytest.raises(ValidationError):
        entry_correct(actor=cast.enterprise_admin, entry=first, note="x", slot_time=dt.time(11))


# Overdue ---------------------------------------------------------------------------------


def test_it_computes_overdue_slots_across_days(cast: Cast) -> None:
    sched = schedule(cast, days_ago=3)
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    grant = _grant(cast, cast.enterprise_admin)
    _record(cast, sched, yesterday, "09:00")
    states = [
        s.state
        for s in selectors.day_slots(
            viewer=grant, site=cast.site, day=yesterday, now=at(today, "08:00")
        )
    ]
    assert states == ["done", "overdue"]
    # today at 09:30: the 09:00 round is due (within the hour's grace), 15:00 is later
    states = [
        s.state
        for s in selectors.day_slots(
            viewer=grant, site=cast.site, day=today, now=at(today, "09:30")
        )
    ]
    assert states == ["due", "upcoming"]
    states = [
        s.state
        for s in selectors.day_slots(
            viewer=grant, site=cast.site, day=today, now=at(today, "10:01")
        )
    ]
    assert states == ["overdue", "upcoming"]
    # before the schedule began nothing was due
    before = today - dt.timedelta(days=5)
    assert (
        selectors.day_slots(viewer=grant, site=cast.site, day=before, now=at(today, "08:00")) == []
    )
    week = dict(
        selectors.overdue_days(viewer=grant, until=yesterday, days=4, now=at(today, "08:00"))
    )
    assert week[yesterday].overdue == 1
    assert week[yesterday].done == 1
    assert week[yesterday - dt.timedelta(days=2)].overdue == 2
    assert week[yesterday - dt.timedelta(days=3)].slots == 0


def test_it_keeps_earlier_days_slots_when_the_schedule_changes(cast: Cast) -> None:
    schedule(cast, days_ago=2)
    schedule_set(actor=cast.enterprise_admin, site=cast.site, kind="disinfection", slots=["10:00"])
    grant = _grant(cast, cast.enterprise_admin)
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    assert [s.time for s in selectors.day_slots(viewer=grant, site=cast.site, day=yesterday)] == [
        dt.time(9),
        dt.time(15),
    ]
    assert [s.time for s in selectors.day_slots(viewer=grant, site=cast.site, day=today)] == [
        dt.time(10)
    ]


def test_it_rolls_up_counts_only_for_the_association_and_federation(cast: Cast) -> None:
    sched = schedule(cast, days_ago=1)
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    _record(cast, sched, yesterday, "09:00", area="大堂", note="秘密备注")
    association = _grant(cast, cast.association_officer)
    rollup = selectors.overdue_counts(viewer=association, day=yesterday, now=at(today, "08:00"))
    assert rollup.total.slots == 2
    assert rollup.total.done == 1
    assert rollup.total.overdue == 1
    [row] = rollup.groups["member"]
    assert row.label == cast.enterprise.name
    assert row.counts.overdue == 1
    other = RoleGrant.objects.create(
        user=cast.enterprise_admin, organization=cast.other_association, role="admin"
    )
    assert selectors.overdue_counts(viewer=other, day=yesterday).total.slots == 0
    federation = _grant(cast, cast.federation_officer)
    rollup = selectors.overdue_counts(viewer=federation, day=yesterday, now=at(today, "08:00"))
    assert set(rollup.groups) == {"association", "sector", "district"}
    by_association = {r.label: r.counts.overdue for r in rollup.groups["association"]}
    assert by_association == {cast.association.name: 1}
    text = repr(rollup)
    assert "大堂" not in text
    assert "秘密备注" not in text
    assert "保洁主管" not in text


# Tenancy and hostile input -----------------------------------------------------------------


def test_it_refuses_a_viewer_and_another_enterprise(cast: Cast) -> None:
    sched = schedule(cast)
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        _record(cast, sched, today, "09:00", actor=cast.enterprise_viewer)
    with pytest.raises(PermissionDenied):
        _record(cast, sched, today, "09:00", actor=cast.other_admin)
    entry = _record(cast, sched, today, "09:00")
    with pytest.raises(PermissionDenied):
        entry_correct(actor=cast.other_admin, entry=entry, note="x")


def test_it_refuses_a_schedule_of_another_site(cast: Cast) -> None:
    other = schedule_set(
        actor=cast.other_admin, site=cast.other_site, kind="disinfection", slots=["09:00"]
    )
    with pytest.raises(ValidationError):
        entry_record(
            actor=staff_of(cast),
            site=cast.site,
            schedule=other,
            slot_date=timezone.localdate(),
            slot_time=dt.time(9),
        )


def test_it_refuses_future_and_stale_times(cast: Cast) -> None:
    sched = schedule(cast, days_ago=30)
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        _record(cast, sched, today + dt.timedelta(days=1), "09:00")
    with pytest.raises(ValidationError):
        _record(cast, sched, today, "09:00", done_at=timezone.now() + dt.timedelta(hours=2))
    with pytest.raises(ValidationError):
        _record(cast, sched, today - dt.timedelta(days=20), "09:00")
    with pytest.raises(ValidationError):
        _record(cast, sched, today, "09:00", done_at=timezone.now() - dt.timedelta(days=3))
    with pytest.raises(ValidationError):
        _record(cast, sched, today, "11:11")  # not a slot of the schedule
    assert not LogEntry.objects.exists()


def test_it_refuses_a_fake_photo(cast: Cast) -> None:
    sched = schedule(cast)
    fake = SimpleUploadedFile(
        "photo.jpg", b"MZ\x90\x00 this is a program", content_type="image/jpeg"
    )
    with pytest.raises(ValidationError):
        _record(cast, sched, timezone.localdate(), "09:00", photo=fake)
    html = SimpleUploadedFile("photo.png", b"<script>alert(1)</script>", content_type="image/png")
    with pytest.raises(ValidationError):
        _record(cast, sched, timezone.localdate(), "09:00", photo=html)
    pdf = SimpleUploadedFile("photo.png", b"%PDF-1.4 fake", content_type="image/png")
    with pytest.raises(ValidationError):
        _record(cast, sched, timezone.localdate(), "09:00", photo=pdf)
    assert not LogEntry.objects.exists()
    good = SimpleUploadedFile("现场.png", PNG, content_type="application/octet-stream")
    entry = _record(cast, sched, timezone.localdate(), "09:00", photo=good)
    assert entry.photo_content_type == "image/png"
    assert entry.photo_name == "现场.png"


def test_it_cleans_hostile_text(cast: Cast) -> None:
    sched = schedule(cast)
    entry = _record(
        cast,
        sched,
        timezone.localdate(),
        "09:00",
        area="\u202e大堂\x00<script>" + "x" * 500,
        agent="😷" * 200,
        note="\r\n".join(["注"] * 400),
    )
    assert "\u202e" not in entry.area
    assert "\x00" not in entry.area
    assert len(entry.area) <= 100
    assert len(entry.agent) <= 100
    assert len(entry.note) <= 300
    assert "<script>" in entry.area  # stored as text; templates escape it
