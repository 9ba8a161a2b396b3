"""The sending task: outcomes on each row, retries with backoff, final failure, claims."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks import task_backends

from conftest import Cast
from notify.backends import Backend
from notify.models import Channel, Delivery
from notify.sending import (
    BACKOFF,
    MAX_ATTEMPTS,
    SWEEP_GRACE,
    deliveries_claim,
    deliveries_send,
)
from notify.services import Message, Recipient, notify_send
from notify.tasks import retry_due, send_deliveries
from notify.tests.conftest import Webhook, make_robot

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


class BrokenBackend(Backend):
    """An SMS backend with a bug."""

    def send(self, delivery: Delivery) -> str:
        raise RuntimeError("boom")


def publish(cast: Cast, capture: Any, key: str = "notice:1") -> int:
    with capture(execute=True):
        return notify_send(
            key=key,
            message=Message("关于复工的通知", "请做好防控。", "/notices/1/"),
            recipients=[Recipient(organization=cast.enterprise)],
            scope=cast.association,
        )


def overdue(delivery: Delivery, by: timedelta = SWEEP_GRACE + timedelta(seconds=1)) -> None:
    """Let time pass: the row's next attempt is `by` in the past."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - by)


def test_it_sends_queued_deliveries_and_records_the_outcome(
    cast: Cast, webhook: Webhook, django_capture_on_commit_callbacks: Any
) -> None:
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    assert publish(cast, django_capture_on_commit_callbacks) == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 1
    assert delivery.sent_at is not None
    assert delivery.next_attempt_at is None
    assert delivery.scope == cast.association
    assert len(webhook.seen) == 1


def test_it_retries_with_backoff_and_then_fails_for_good(
    cast: Cast, webhook: Webhook, django_capture_on_commit_callbacks: Any
) -> None:
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    webhook.reply(500, b"down")
    publish(cast, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        delivery.refresh_from_db()
        assert delivery.status == Delivery.Status.RETRYING
        assert delivery.attempts == attempt
        assert "HTTP 500" in delivery.last_error
        assert delivery.next_attempt_at is not None
        waits.append(delivery.next_attempt_at - timezone.now())
        overdue(delivery)
        assert retry_due() == 1  # the sweep finds it and the (inline) task sends again
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == MAX_ATTEMPTS
    assert delivery.next_attempt_at is None
    assert "HTTP 500" in delivery.last_error
    assert len(webhook.seen) == MAX_ATTEMPTS
    for wait, backoff in zip(waits, BACKOFF, strict=True):
        assert backoff - timedelta(seconds=30) < wait <= backoff
    assert retry_due() == 0


def test_it_fails_at_once_when_trying_again_cannot_help(
    cast: Cast, webhook: Webhook, django_capture_on_commit_callbacks: Any
) -> None:
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    webhook.reply(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    publish(cast, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 1
    assert "93000" in delivery.last_error


def test_it_marks_a_retry_that_succeeds_as_sent(
    cast: Cast, webhook: Webhook, django_capture_on_commit_callbacks: Any
) -> None:
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    webhook.hang = 2.0  # longer than the 0.5 s timeout
    publish(cast, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING
    assert "No answer" in delivery.last_error
    webhook.hang = 0
    overdue(delivery)
    retry_due()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 2
    assert delivery.last_error == ""


def test_it_schedules_each_retry_with_run_after(
    cast: Cast, webhook: Webhook, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    webhook.reply(503, b"busy")
    settings.TASKS = DUMMY
    publish(cast, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.QUEUED  # only queued: the dummy runs nothing
    [queued] = task_backends["default"].results  # type: ignore[attr-defined]
    assert queued.args == [[delivery.pk]]
    send_deliveries.call([delivery.pk])  # what the worker would do
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING
    retry = task_backends["default"].results[-1]  # type: ignore[attr-defined]
    assert retry.args == [[delivery.pk]]
    assert retry.task.run_after is not None
    assert delivery.next_attempt_at is not None
    assert timedelta(0) <= retry.task.run_after - delivery.next_attempt_at <= timedelta(seconds=1)


def test_it_sends_nothing_twice_when_a_task_runs_twice(
    cast: Cast, webhook: Webhook, django_capture_on_commit_callbacks: Any
) -> None:
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    publish(cast, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    report = deliveries_send(pks=[delivery.pk])
    assert report.sent == []
    assert len(webhook.seen) == 1


def test_it_lets_only_one_worker_claim_a_row(
    cast: Cast, webhook: Webhook, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    settings.TASKS = DUMMY
    publish(cast, django_capture_on_commit_callbacks)
    pk = Delivery.objects.get().pk
    assert [row.pk for row in deliveries_claim([pk])] == [pk]
    assert deliveries_claim([pk]) == []  # the second worker finds it taken
    # The first worker dies while sending: the row is due again when the lease ends.
    assert deliveries_send(pks=[pk]).sent == []
    overdue(Delivery.objects.get(), by=timedelta(seconds=1))
    assert deliveries_send(pks=[pk]).sent == [pk]
    delivery = Delivery.objects.get()
    assert delivery.attempts == 2
    assert delivery.claim == ""
    assert len(webhook.seen) == 1


def test_it_leaves_rows_to_their_scheduled_task_before_sweeping(
    cast: Cast, webhook: Webhook, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    settings.TASKS = DUMMY
    publish(cast, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    overdue(delivery, by=timedelta(minutes=1))
    assert retry_due() == 0  # within the grace: its task will run
    overdue(delivery)
    assert retry_due() == 1
    assert retry_due() == 0  # just picked up: not re-enqueued every minute
    assert webhook.seen == []


def test_it_keeps_a_row_whose_backend_crashes(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SMS_BACKEND = "notify.tests.test_sending.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        notify_send(
            key="remind:1",
            message=Message("请打卡"),
            recipients=[Recipient(mobile="13912345678")],
            channels=[Channel.SMS],
        )
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING
    assert "RuntimeError" in delivery.last_error


def test_it_fails_a_delivery_whose_robot_was_removed(
    cast: Cast, webhook: Webhook, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    settings.TASKS = DUMMY
    publish(cast, django_capture_on_commit_callbacks)
    robot.delete()
    delivery = Delivery.objects.get()  # still in the log
    deliveries_send(pks=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert "removed" in delivery.last_error


@pytest.mark.parametrize("mode", ["hang", "500"])
def test_it_does_not_block_publishing_on_a_bad_webhook(
    cast: Cast,
    webhook: Webhook,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    mode: str,
) -> None:
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    if mode == "hang":
        webhook.hang = 5.0
    else:
        webhook.reply(500, b"down")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert publish(cast, django_capture_on_commit_callbacks) == 1
    # notify_send only wrote the row and enqueued a task; nothing was fetched.
    assert webhook.seen == []
    assert Delivery.objects.get().status == Delivery.Status.QUEUED
