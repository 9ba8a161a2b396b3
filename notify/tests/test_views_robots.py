"""The group robots pages: list, add, edit, switch off, test message, remove."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import Cast
from lib import crypto
from notify.models import ChannelConfig, Delivery
from notify.tests.conftest import Webhook, make_robot

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


def test_it_adds_a_robot_and_shows_its_webhook_masked(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    response = client.post(
        reverse("notify:robot_create"),
        {"channel": "wecom", "name": "会员防控群", "webhook": f"  {WECOM} "},
    )
    assert response.status_code == 302
    robot = ChannelConfig.objects.get()
    assert robot.organization == cast.enterprise
    assert crypto.decrypt(robot.webhook_enc) == WECOM
    page = client.get(reverse("notify:robot_list")).content.decode()
    assert "会员防控群" in page
    assert "key=693a…5aaa" in page
    assert "693a91f6-7xxx" not in page
    edit = client.get(reverse("notify:robot_edit", args=[robot.pk])).content.decode()
    assert "693a91f6-7xxx" not in edit


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.8/cgi-bin/webhook/send?key=abcdefgh",
        "https://example.com/cgi-bin/webhook/send?key=abcdefgh",
        "not a url",
    ],
)
def test_it_refuses_a_webhook_elsewhere_with_a_clear_message(cast: Cast, url: str) -> None:
    response = cast.client(cast.enterprise_admin).post(
        reverse("notify:robot_create"), {"channel": "wecom", "name": "群", "webhook": url}
    )
    assert response.status_code == 200
    assert "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…" in response.content.decode()
    assert not ChannelConfig.objects.exists()


def test_it_adds_a_signed_dingtalk_robot(cast: Cast) -> None:
    response = cast.client(cast.enterprise_admin).post(
        reverse("notify:robot_create"),
        {
            "channel": "dingtalk",
            "name": "钉钉群",
            "webhook": "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef",
            "secret": "SEC0123456789abcdef",
        },
    )
    assert response.status_code == 302
    robot = ChannelConfig.objects.get()
    assert crypto.decrypt(robot.secret_enc) == "SEC0123456789abcdef"
    page = cast.client(cast.enterprise_admin).get(reverse("notify:robot_list")).content.decode()
    assert "SEC0123456789abcdef" not in page
    assert "signed" in page


def test_it_edits_a_robot_keeping_the_webhook_when_left_empty(cast: Cast) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, WECOM)
    client = cast.client(cast.enterprise_admin)
    response = client.post(reverse("notify:robot_edit", args=[robot.pk]), {"name": "新群名"})
    assert response.status_code == 302
    robot.refresh_from_db()
    assert robot.name == "新群名"
    assert crypto.decrypt(robot.webhook_enc) == WECOM


def test_it_switches_a_robot_off_and_on(cast: Cast) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, WECOM)
    client = cast.client(cast.enterprise_admin)
    client.post(reverse("notify:robot_toggle", args=[robot.pk]))
    robot.refresh_from_db()
    assert robot.enabled is False
    client.post(reverse("notify:robot_toggle", args=[robot.pk]))
    robot.refresh_from_db()
    assert robot.enabled is True


def test_it_removes_a_robot_and_keeps_its_log(cast: Cast) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, WECOM)
    Delivery.objects.create(
        key="k",
        channel="wecom",
        robot=robot,
        scope=cast.enterprise,
        address_hash="h",
        address_masked=robot.webhook_masked,
        subject="通知",
        status=Delivery.Status.SENT,
    )
    response = cast.client(cast.enterprise_admin).post(
        reverse("notify:robot_delete", args=[robot.pk])
    )
    assert response.status_code == 302
    assert not ChannelConfig.objects.exists()
    assert Delivery.objects.get().robot is None


def test_it_sends_a_test_message_through_the_task_and_logs_the_outcome(
    cast: Cast, webhook: Webhook, django_capture_on_commit_callbacks: Any
) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    client = cast.client(cast.enterprise_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notify:robot_test", args=[robot.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('notify:delivery_list')}?channel=wecom"
    assert "Test message from Tongzhou" in webhook.seen[0].json()["markdown"]["content"]
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENT
    log = client.get(response["Location"]).content.decode()
    assert "Test message from Tongzhou" in log
    assert "Sent" in log
    # A second test is a new message, not a duplicate.
    webhook.reply(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notify:robot_test", args=[robot.pk]))
    log = client.get(reverse("notify:delivery_list")).content.decode()
    assert "invalid webhook url" in log


@pytest.mark.parametrize("name", ["notify:robot_list", "notify:robot_create"])
def test_it_lets_only_admins_configure_robots(cast: Cast, name: str) -> None:
    assert cast.client(cast.enterprise_viewer).get(reverse(name)).status_code == 403
    assert cast.client(cast.association_officer).get(reverse(name)).status_code == 200


def test_it_hides_another_organisations_robots(cast: Cast) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, WECOM)
    client = cast.client(cast.other_admin)
    assert client.get(reverse("notify:robot_edit", args=[robot.pk])).status_code == 404
    assert client.post(reverse("notify:robot_delete", args=[robot.pk])).status_code == 404
    assert client.post(reverse("notify:robot_test", args=[robot.pk])).status_code == 404
    assert "防控群" not in client.get(reverse("notify:robot_list")).content.decode()
    assert ChannelConfig.objects.filter(pk=robot.pk).exists()
