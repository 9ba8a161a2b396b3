"""The delivery log: masked addresses, filters, "retry now", scope."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import Cast
from lib import crypto
from notify.models import Channel, Delivery
from notify.services import Message, Recipient, notify_send
from notify.tests.conftest import Webhook, make_robot

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def failed_sms(cast: Cast, mobile: str = "13912345678", n: int = 1) -> Delivery:
    return Delivery.objects.create(
        key=f"remind:{n}",
        channel=Channel.SMS,
        scope=cast.enterprise,
        address_hash=crypto.keyed_hash(f"{mobile}:{n}"),
        address_enc=crypto.encrypt(mobile),
        address_masked="139****5678",
        subject="请完成今日健康打卡",
        status=Delivery.Status.FAILED,
        attempts=5,
        last_error="The server answered HTTP 500.",
    )


def test_it_lists_deliveries_with_masked_addresses_only(cast: Cast, settings: Any) -> None:
    settings.TASKS = DUMMY
    cast.enterprise_viewer.email = "viewer@example.org"
    cast.enterprise_viewer.save()
    notify_send(
        key="notice:1",
        message=Message("复工通知"),
        recipients=[Recipient(user=cast.enterprise_viewer), Recipient(mobile="13912345678")],
        channels=[Channel.INBOX, Channel.EMAIL, Channel.SMS],
        scope=cast.enterprise,
    )
    response = cast.client(cast.enterprise_viewer).get(reverse("notify:delivery_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "139****5678" in body
    assert "v***@example.org" in body
    assert "13912345678" not in body
    assert "viewer@example.org" not in body
    assert cast.enterprise_viewer.mobile not in body
    assert "Retry now" not in body  # a viewer may look, not retry


def test_it_filters_by_status_and_channel(cast: Cast, settings: Any) -> None:
    settings.TASKS = DUMMY
    failed_sms(cast)
    notify_send(
        key="notice:2",
        message=Message("已发送的通知"),
        recipients=[Recipient(user=cast.enterprise_admin)],
        channels=[Channel.INBOX],
        scope=cast.enterprise,
    )
    client = cast.client(cast.enterprise_admin)
    failed = client.get(reverse("notify:delivery_list"), {"status": "failed"})
    assert [d.channel for d in failed.context["page_obj"].object_list] == ["sms"]
    inbox = client.get(reverse("notify:delivery_list"), {"channel": "inbox"})
    assert [d.subject for d in inbox.context["page_obj"].object_list] == ["已发送的通知"]
    nothing = client.get(reverse("notify:delivery_list"), {"status": "sent", "channel": "sms"})
    assert "No delivery matches these filters." in nothing.content.decode()
    junk = client.get(reverse("notify:delivery_list"), {"status": "bogus", "channel": "sms"})
    assert junk.status_code == 200
    assert [d.channel for d in junk.context["page_obj"].object_list] == ["sms"]


def test_it_shows_only_the_organisations_own_log(cast: Cast) -> None:
    failed_sms(cast)
    other = cast.client(cast.other_admin).get(reverse("notify:delivery_list"))
    assert list(other.context["page_obj"].object_list) == []
    association = cast.client(cast.association_officer).get(reverse("notify:delivery_list"))
    assert list(association.context["page_obj"].object_list) == []


def test_it_shows_what_reached_the_organisations_robots_from_others(
    cast: Cast, webhook: Webhook, settings: Any
) -> None:
    settings.TASKS = DUMMY
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    notify_send(
        key="directive:1",
        message=Message("商会通知"),
        recipients=[Recipient(organization=cast.enterprise)],
        scope=cast.association,
    )
    for user in (cast.enterprise_admin, cast.association_officer):
        page = cast.client(user).get(reverse("notify:delivery_list"))
        assert [d.subject for d in page.context["page_obj"].object_list] == ["商会通知"]


def test_it_retries_a_failed_delivery_now(
    cast: Cast, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    delivery = failed_sms(cast)
    client = cast.client(cast.enterprise_admin)
    assert "Retry now" in client.get(reverse("notify:delivery_list")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notify:delivery_retry", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT  # the console backend accepted it
    assert delivery.attempts == 6
    assert delivery.provider_id.startswith("console-")


def test_it_refuses_to_retry_what_did_not_fail(cast: Cast) -> None:
    delivery = failed_sms(cast)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT)
    client = cast.client(cast.enterprise_admin)
    response = client.post(reverse("notify:delivery_retry", args=[delivery.pk]), follow=True)
    assert "Only a failed delivery can be retried." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_it_lets_only_an_admin_of_the_organisation_retry(cast: Cast) -> None:
    delivery = failed_sms(cast)
    url = reverse("notify:delivery_retry", args=[delivery.pk])
    assert cast.client(cast.enterprise_viewer).post(url).status_code == 403
    assert cast.client(cast.other_admin).post(url).status_code == 404
    assert cast.client(cast.association_officer).post(url).status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED


def log_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("notify:delivery_list"))
    assert response.status_code == 200
    return len(queries)


def test_it_lists_the_log_in_a_fixed_number_of_queries(cast: Cast, webhook: Webhook) -> None:
    client = cast.client(cast.enterprise_admin)
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    failed_sms(cast)
    client.get(reverse("notify:delivery_list"))
    few = log_queries(client)
    for n in range(2, 60):
        failed_sms(cast, n=n)
    assert log_queries(client) == few
