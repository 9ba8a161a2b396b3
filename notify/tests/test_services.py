"""notify_send (dedupe, bulk, recipients) and the group robots' settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from audit.models import AuditEvent
from conftest import Cast, make_enterprise, make_user
from lib import crypto
from notify.models import Channel, ChannelConfig, Delivery, InboxItem
from notify.services import (
    MAX_ROBOTS,
    Message,
    Recipient,
    RobotData,
    notify_send,
    robot_create,
    robot_update,
)
from notify.tests.conftest import Webhook, make_robot
from orgs.models import Organization, Sector

MESSAGE = Message("关于复工的通知", "请做好防控。", "/notices/1/")
ALL = (Channel.INBOX, Channel.EMAIL, Channel.SMS, Channel.WECOM, Channel.DINGTALK)
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def with_email(user: User, email: str) -> User:
    user.email = email
    user.save(update_fields=["email"])
    return user


def test_it_sends_nothing_twice_for_the_same_key(
    cast: Cast, webhook: Webhook, django_capture_on_commit_callbacks: Any
) -> None:
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    admin = with_email(cast.enterprise_admin, "admin@example.org")
    recipients = [Recipient(user=admin), Recipient(organization=cast.enterprise)]
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_send(key="notice:1", message=MESSAGE, recipients=recipients) == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_send(key="notice:1", message=MESSAGE, recipients=recipients) == 0
    assert len(webhook.seen) == 1
    assert len(mail.outbox) == 1
    assert InboxItem.objects.count() == 1
    # A new key (a reminder) goes out again.
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_send(key="notice:1:remind:1", message=MESSAGE, recipients=recipients) == 3
    assert len(webhook.seen) == 2


def test_it_collapses_duplicates_within_one_call(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    admin = cast.enterprise_admin
    recipients = [
        Recipient(user=admin),
        Recipient(user=admin, on_behalf_of=cast.enterprise),
        Recipient(mobile=admin.mobile),  # the same number as the user's login
        Recipient(mobile=f"+86 {admin.mobile[:3]} {admin.mobile[3:]}"),  # written differently
    ]
    with django_capture_on_commit_callbacks(execute=True):
        created = notify_send(
            key="k", message=MESSAGE, recipients=recipients, channels=[Channel.INBOX, Channel.SMS]
        )
    assert created == 2
    assert sorted(Delivery.objects.values_list("channel", flat=True)) == ["inbox", "sms"]
    assert Delivery.objects.get(channel="sms").status == Delivery.Status.SENT


def test_it_writes_inbox_items_at_once(cast: Cast, settings: Any) -> None:
    settings.TASKS = DUMMY
    notify_send(
        key="notice:2",
        message=MESSAGE,
        recipients=[Recipient(user=cast.enterprise_viewer, on_behalf_of=cast.enterprise)],
    )
    item = InboxItem.objects.get()
    assert item.user == cast.enterprise_viewer
    assert item.organization == cast.enterprise
    assert (item.subject, item.body, item.url) == (MESSAGE.subject, MESSAGE.body, MESSAGE.url)
    assert item.read_at is None
    inbox = Delivery.objects.get(channel=Channel.INBOX)
    assert inbox.status == Delivery.Status.SENT
    assert inbox.address_masked == "138****0004"


def test_it_skips_deactivated_accounts(cast: Cast) -> None:
    cast.enterprise_viewer.is_active = False
    cast.enterprise_viewer.save(update_fields=["is_active"])
    sent = notify_send(
        key="k", message=MESSAGE, recipients=[Recipient(user=cast.enterprise_viewer)]
    )
    assert sent == 0


def test_it_logs_an_impossible_mobile_as_failed(cast: Cast) -> None:
    sent = notify_send(
        key="k", message=MESSAGE, recipients=[Recipient(mobile="12345")], channels=[Channel.SMS]
    )
    assert sent == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_error == "This is not a mainland mobile number."


def test_it_stores_addresses_encrypted_and_masked(cast: Cast, settings: Any) -> None:
    settings.TASKS = DUMMY
    admin = with_email(cast.enterprise_admin, "fangkong@example.org")
    notify_send(key="k", message=MESSAGE, recipients=[Recipient(user=admin)], channels=ALL)
    email = Delivery.objects.get(channel=Channel.EMAIL)
    sms = Delivery.objects.get(channel=Channel.SMS)
    assert email.address_masked == "f***@example.org"
    assert crypto.decrypt(email.address_enc) == "fangkong@example.org"
    assert sms.address_masked == "138****0003"
    assert crypto.decrypt(sms.address_enc) == admin.mobile
    assert admin.mobile not in sms.address_hash


def test_it_posts_only_to_enabled_robots_of_the_chosen_channels(
    cast: Cast, webhook: Webhook, settings: Any
) -> None:
    settings.TASKS = DUMMY
    make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url(), name="一群")
    off = make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url(), name="二群")
    off.enabled = False
    off.save()
    make_robot(
        cast.enterprise,
        cast.enterprise_admin,
        webhook.dingtalk_url(),
        channel=Channel.DINGTALK,
        name="钉钉群",
    )
    notify_send(
        key="k",
        message=MESSAGE,
        recipients=[Recipient(organization=cast.enterprise)],
        channels=[Channel.WECOM],
    )
    assert [d.robot.name for d in Delivery.objects.select_related("robot")] == ["一群"]  # type: ignore[union-attr]


def _fan_out_queries(count: int, start: int, hotel: Sector, settings: Any) -> tuple[int, int]:
    """Queries of one notify_send to `count` enterprises with a robot and an admin each:
    (inserts, the others)."""
    settings.TASKS = DUMMY
    actor = User.objects.first()
    assert actor is not None
    recipients = []
    for n in range(start, start + count):
        enterprise = make_enterprise(f"企业{n}", f"91440300MA5{n:07d}", hotel)
        ChannelConfig.objects.create(
            organization=enterprise,
            channel=Channel.WECOM,
            name="群",
            webhook_enc=crypto.encrypt("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"),
            webhook_masked="masked",
        )
        user = make_user(f"137{n:08d}", f"管理员{n}")
        recipients += [
            Recipient(organization=enterprise),
            Recipient(user=user, on_behalf_of=enterprise),
        ]
    with CaptureQueriesContext(connection) as queries:
        notify_send(key=f"bulk:{start}", message=MESSAGE, recipients=recipients, channels=ALL)
    sql = [q["sql"] for q in queries.captured_queries]
    inserts = sum(1 for q in sql if q.startswith("INSERT"))
    return inserts, len(sql) - inserts


def test_it_queues_many_recipients_in_a_fixed_number_of_queries(cast: Cast, settings: Any) -> None:
    hotel = Sector.objects.get(code="hotel")
    few_inserts, few = _fan_out_queries(3, 0, hotel, settings)
    many_inserts, many = _fan_out_queries(60, 100, hotel, settings)
    assert few == many
    assert Delivery.objects.filter(key="bulk:100").count() == 60 * 3  # robot, inbox, SMS
    # Bulk inserts: one statement on PostgreSQL; SQLite splits them by its limit of
    # variables per statement (about 50 delivery rows), never one a row.
    assert few_inserts == 2
    assert many_inserts <= 1 + (60 * 3) // 40


def test_it_enqueues_outgoing_deliveries_in_batches(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks import task_backends

    settings.TASKS = DUMMY
    recipients = [Recipient(mobile=f"139{n:08d}") for n in range(450)]
    with django_capture_on_commit_callbacks(execute=True):
        notify_send(key="k", message=MESSAGE, recipients=recipients, channels=[Channel.SMS])
    batches = [len(r.args[0]) for r in task_backends["default"].results]  # type: ignore[attr-defined]
    assert batches == [200, 200, 50]


# Group robots ---------------------------------------------------------------------------


def test_it_stores_the_webhook_encrypted_and_shows_it_masked(cast: Cast) -> None:
    url = (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    )
    robot = robot_create(
        actor=cast.enterprise_admin,
        organization=cast.enterprise,
        data=RobotData(name="会员防控群", channel=Channel.WECOM, webhook=url),
    )
    stored = ChannelConfig.objects.get(pk=robot.pk)
    assert url not in stored.webhook_enc
    assert crypto.decrypt(stored.webhook_enc) == url
    assert stored.webhook_masked == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…5aaa"
    event = AuditEvent.objects.get(action="robot.create")
    assert "693a91f6" not in str(event.changes)


def test_it_stores_a_dingtalk_secret_encrypted(cast: Cast) -> None:
    robot = robot_create(
        actor=cast.enterprise_admin,
        organization=cast.enterprise,
        data=RobotData(
            name="钉钉群",
            channel=Channel.DINGTALK,
            webhook="https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789",
            secret="SECabcdef0123456789",
        ),
    )
    assert "SECabcdef" not in robot.secret_enc
    assert crypto.decrypt(robot.secret_enc) == "SECabcdef0123456789"
    robot_update(
        actor=cast.enterprise_admin, robot=robot, data=RobotData(name="钉钉群", remove_secret=True)
    )
    robot.refresh_from_db()
    assert robot.secret_enc == ""


@pytest.mark.parametrize(
    ("channel", "url"),
    [
        ("wecom", "http://169.254.169.254/latest/meta-data/?key=abcdefgh"),
        ("wecom", "http://127.0.0.1:8000/cgi-bin/webhook/send?key=abcdefgh"),
        ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh"),
        ("wecom", "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=abcdefgh"),
        ("wecom", "https://qyapi.weixin.qq.com@10.0.0.1/cgi-bin/webhook/send?key=abcdefgh"),
        ("wecom", "https://qyapi.weixin.qq.com:8443/cgi-bin/webhook/send?key=abcdefgh"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/other?key=abcdefgh"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"),
        ("wecom", "https://oapi.dingtalk.com/robot/send?access_token=abcdefgh"),
        ("dingtalk", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh"),
        ("dingtalk", "file:///etc/passwd"),
        ("dingtalk", "gopher://oapi.dingtalk.com/robot/send?access_token=abcdefgh"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=<script>"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=a&access_token=b"),
        ("dingtalk", "https://[::1]/robot/send?access_token=abcdefgh"),
        ("dingtalk", "https://oapi.dingtalk.com:99999/robot/send?access_token=abcdefgh"),
    ],
)
def test_it_refuses_webhooks_elsewhere(cast: Cast, channel: str, url: str) -> None:
    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=cast.enterprise_admin,
            organization=cast.enterprise,
            data=RobotData(name="群", channel=channel, webhook=url),
        )
    assert "webhook" in error.value.message_dict
    assert not ChannelConfig.objects.exists()


def test_it_refuses_a_second_robot_of_the_same_name(cast: Cast) -> None:
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh"
    data = RobotData(name="防控群", channel=Channel.WECOM, webhook=url)
    robot_create(actor=cast.enterprise_admin, organization=cast.enterprise, data=data)
    with pytest.raises(ValidationError) as error:
        robot_create(actor=cast.enterprise_admin, organization=cast.enterprise, data=data)
    assert error.value.message_dict["name"] == [
        "Your organisation already has a robot of this name."
    ]
    # Another organisation may use the name.
    robot_create(actor=cast.other_admin, organization=cast.other_enterprise, data=data)


def test_it_limits_the_number_of_robots(cast: Cast) -> None:
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh"
    for n in range(MAX_ROBOTS):
        make_robot(cast.enterprise, cast.enterprise_admin, url, name=f"群{n}")
    with pytest.raises(ValidationError):
        make_robot(cast.enterprise, cast.enterprise_admin, url, name="再来一个")


def test_it_refuses_a_secret_for_wecom(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=cast.enterprise_admin,
            organization=cast.enterprise,
            data=RobotData(
                name="群",
                channel=Channel.WECOM,
                webhook="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh",
                secret="SECabcdef0123456789",
            ),
        )
    assert "secret" in error.value.message_dict


def test_it_keeps_the_webhook_when_an_edit_leaves_it_empty(cast: Cast) -> None:
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh"
    robot = make_robot(cast.enterprise, cast.enterprise_admin, url)
    robot_update(actor=cast.enterprise_admin, robot=robot, data=RobotData(name="新名字"))
    robot.refresh_from_db()
    assert robot.name == "新名字"
    assert crypto.decrypt(robot.webhook_enc) == url
    assert AuditEvent.objects.filter(action="robot.update").exists()


def test_it_gives_every_organisation_its_own_robots(cast: Cast) -> None:
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh"
    make_robot(cast.association, cast.association_officer, url, name="商会群")
    assert Organization.objects.get(pk=cast.association.pk).channel_configs.count() == 1
    assert not cast.enterprise.channel_configs.exists()


def test_it_re_encrypts_its_fields_with_the_newest_key(cast: Cast, settings: Any) -> None:
    from cryptography.fernet import Fernet

    from notify.services import notify_rotate_field_keys

    settings.TASKS = DUMMY
    url = "https://oapi.dingtalk.com/robot/send?access_token=abcdefgh"
    robot = make_robot(
        cast.enterprise, cast.enterprise_admin, url, channel=Channel.DINGTALK, secret="SEC12345678"
    )
    notify_send(
        key="k",
        message=MESSAGE,
        recipients=[Recipient(mobile="13912345678")],
        channels=[Channel.SMS],
    )
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old_keys]
    assert notify_rotate_field_keys() == 2
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old key is gone
    robot.refresh_from_db()
    assert crypto.decrypt(robot.webhook_enc) == url
    assert crypto.decrypt(robot.secret_enc) == "SEC12345678"
    assert crypto.decrypt(Delivery.objects.get().address_enc) == "13912345678"
