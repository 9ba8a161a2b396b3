"""Reminders: only to those who have not checked in, once per reminder, and the daily one
at the enterprise's time, once a day."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import Cast
from health import reminders
from health.models import CheckInSettings
from health.services import checkin_submit, consent_withdraw
from health.tasks import daily_reminder
from health.tests.checkin_helpers import _fresh_cache, employee_of, good_answers  # noqa: F401
from notify.models import Delivery
from workforce.models import Employee
from workforce.tests.roster import mobile


@pytest.fixture
def staff(cast: Cast) -> list[Employee]:
    """Five employees: 1 and 2 have checked in, 3 withdrew consent, 4 has never answered
    (no consent yet), 5 has consented but not checked in; 6 has left."""
    people = [employee_of(cast, n, consent="" if n == 4 else "health,travel") for n in range(1, 6)]
    for employee in people[:2]:
        checkin_submit(employee=employee, answers=good_answers(), via="self", actor=None)
    consent_withdraw(employee=people[2], kind="health")
    left = employee_of(cast, 6)
    left.status = "left"
    left.save()
    return people


def sms_to() -> set[str]:
    from lib import crypto

    return {
        crypto.decrypt(d.address_enc)
        for d in Delivery.objects.filter(key__startswith="health:remind:", channel="sms")
    }


def test_it_reminds_only_those_who_have_not_checked_in(
    cast: Cast, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = cast.client(cast.enterprise_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("health:remind"), {"number": 1}, follow=True)
    assert "A reminder is on its way to 2 employees" in response.content.decode()
    assert sms_to() == {mobile(4), mobile(5)}
    delivery = Delivery.objects.filter(key__startswith="health:remind:").first()
    assert delivery is not None
    assert delivery.url.startswith("/me/")
    assert "health check-in" in delivery.subject
    event = AuditEvent.objects.get(action="health.remind")
    assert event.changes["recipients"] == 2
    assert mobile(4) not in str(event.changes)


def test_it_never_sends_the_same_reminder_twice(
    cast: Cast, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = cast.client(cast.enterprise_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("health:remind"), {"number": 1})
        # A double click posts the same number again: refused, nothing more sent.
        again = client.post(reverse("health:remind"), {"number": 1}, follow=True)
    assert "already been sent" in again.content.decode()
    assert Delivery.objects.filter(key__startswith="health:remind:").count() == 2
    # The task run twice (a retried worker) sends nothing new either.
    today = timezone.localdate()
    assert reminders.remind_send(enterprise_id=cast.enterprise.pk, day=today, number=1) == 0
    # Someone checks in; the next reminder goes to the one still missing.
    checkin_submit(employee=staff[4], answers=good_answers(), via="self", actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("health:remind"), {"number": 2})
    keys = set(Delivery.objects.values_list("key", flat=True))
    assert keys == {
        f"health:remind:{today}:{staff[3].pk}:1",
        f"health:remind:{today}:{staff[4].pk}:1",
        f"health:remind:{today}:{staff[3].pk}:2",
    }


def test_it_limits_reminders_a_day(
    cast: Cast, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = cast.client(cast.enterprise_admin)
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(1, reminders.MANUAL_PER_DAY + 1):
            client.post(reverse("health:remind"), {"number": number})
        last = client.post(
            reverse("health:remind"), {"number": reminders.MANUAL_PER_DAY + 1}, follow=True
        )
    assert "At most 3 reminders a day" in last.content.decode()
    page = client.get(reverse("health:today"))
    assert "have all been sent" in page.content.decode()


def test_it_says_when_everyone_has_checked_in(cast: Cast) -> None:
    employee = employee_of(cast)
    checkin_submit(employee=employee, answers=good_answers(), via="self", actor=None)
    response = cast.client(cast.enterprise_admin).post(
        reverse("health:remind"), {"number": 1}, follow=True
    )
    assert "nobody to remind" in response.content.decode()
    assert not Delivery.objects.exists()


def test_it_refuses_a_viewer_and_the_other_enterprise(cast: Cast, staff: Any) -> None:
    assert (
        cast.client(cast.enterprise_viewer)
        .post(reverse("health:remind"), {"number": 1})
        .status_code
        == 403
    )
    cast.client(cast.other_admin).post(reverse("health:remind"), {"number": 1})
    assert not Delivery.objects.exists()


def at(hour: int, minute: int = 0, days: int = 0) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def test_it_sends_the_daily_reminder_at_the_set_time_once_a_day(
    cast: Cast, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    CheckInSettings.objects.create(enterprise=cast.enterprise, reminder_time=dt.time(9, 30))
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.daily_reminders_due(now=at(9, 29)) == 0
        assert reminders.daily_reminders_due(now=at(9, 30)) == 1
        assert reminders.daily_reminders_due(now=at(9, 31)) == 0
        assert reminders.daily_reminders_due(now=at(18, 0)) == 0
    assert sms_to() == {mobile(4), mobile(5)}
    today = timezone.localdate()
    assert set(Delivery.objects.values_list("key", flat=True)) == {
        f"health:remind:{today}:{staff[3].pk}:0",
        f"health:remind:{today}:{staff[4].pk}:0",
    }
    assert CheckInSettings.objects.get(enterprise=cast.enterprise).last_reminder_on == today


def test_it_registers_the_daily_job(
    cast: Cast, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from lib.periodic import JOBS

    assert {"health.daily_reminder", "health.rollup_roster", "health.rollup_nightly"} <= set(JOBS)
    CheckInSettings.objects.create(enterprise=cast.enterprise, reminder_time=dt.time(0, 0))
    with django_capture_on_commit_callbacks(execute=True):
        assert daily_reminder() == 1
        assert daily_reminder() == 0
    assert Delivery.objects.count() == 2


def test_it_skips_an_enterprise_without_a_time(cast: Cast, staff: Any) -> None:
    CheckInSettings.objects.create(enterprise=cast.enterprise)
    assert reminders.daily_reminders_due(now=at(23, 59)) == 0


def test_it_starts_tomorrow_when_the_time_has_passed_today(cast: Cast) -> None:
    with mock.patch("django.utils.timezone.now", return_value=at(15, 0)):
        row = reminders.settings_save(
            actor=cast.enterprise_admin,
            enterprise=cast.enterprise,
            reminder_time=dt.time(9, 0),
            officers=[cast.enterprise_viewer],
        )
    assert row.last_reminder_on == timezone.localdate()
    assert reminders.daily_reminders_due(now=at(15, 1)) == 0
    assert reminders.daily_reminders_due(now=at(9, 0, days=1)) == 1
    event = AuditEvent.objects.get(action="health.settings")
    assert event.changes["reminder_time"] == ["", "09:00"]


def test_it_saves_settings_from_the_page(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    page = client.get(reverse("health:settings"))
    assert page.status_code == 200
    assert cast.other_admin.name not in page.content.decode()
    response = client.post(
        reverse("health:settings"),
        {"reminder_time": "23:59", "officers": [cast.enterprise_viewer.pk]},
    )
    assert response.status_code == 302
    row = CheckInSettings.objects.get(enterprise=cast.enterprise)
    assert row.reminder_time == dt.time(23, 59)
    assert list(row.officers.all()) == [cast.enterprise_viewer]
    # Someone of another enterprise is not a choice.
    bad = client.post(reverse("health:settings"), {"officers": [cast.other_admin.pk]})
    assert bad.status_code == 200
    assert list(row.officers.all()) == [cast.enterprise_viewer]
    assert cast.client(cast.enterprise_viewer).get(reverse("health:settings")).status_code == 403
