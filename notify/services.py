"""Sending: one call queues a message to many recipients on their channels.

`notify_send` writes every delivery row first (in bulk; the unique key makes a repeat a
no-op, so nothing is sent twice for the same key and address), writes in-app inbox items
at once, and enqueues background tasks in batches for the channels that leave the
building (email, SMS, group robots). The tasks send, retry with backoff, and record the
outcome on each row (`notify.sending`, `notify.tasks`).

The other writes here: the inbox (mark read), the group robots of an organisation, and
"retry now" on a failed delivery.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from lib import crypto
from lib.ids import mask_mobile, normalize_mobile
from notify.models import Channel, ChannelConfig, Delivery, InboxItem
from notify.webhooks import secret_clean, webhook_clean, webhook_mask
from orgs.models import Organization

logger = logging.getLogger(__name__)

# Deliveries handed to one background task; a task sends them one after another.
BATCH = 200
# Group robots an organisation may configure.
MAX_ROBOTS = 10

USER_CHANNELS = frozenset({Channel.INBOX, Channel.EMAIL, Channel.SMS})
ROBOT_CHANNELS = frozenset({Channel.WECOM, Channel.DINGTALK})


@dataclass(frozen=True)
class Message:
    """What is sent: a subject, a short plain-text body and a link into the app (a path)."""

    subject: str
    body: str = ""
    url: str = ""


@dataclass(frozen=True)
class Recipient:
    """Exactly one of: a user (inbox, email, SMS to their login mobile), an organisation
    (its enabled group robots), or a bare mobile number (an employee with no account)."""

    user: User | None = None
    organization: Organization | None = None
    mobile: str = ""
    # For a user: the organisation they receive this as a member of (shown in the inbox).
    on_behalf_of: Organization | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        given = [self.user is not None, self.organization is not None, bool(self.mobile)]
        if sum(given) != 1:
            raise ValueError("a Recipient is exactly one of user, organization or mobile")


def _mask_email(value: str) -> str:
    local, _at, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"[:120]


def _robots_of(
    recipients: list[Recipient], channels: frozenset[str]
) -> dict[int, list[ChannelConfig]]:
    """The enabled robots of every organisation among the recipients, in one query."""
    org_ids = {r.organization.pk for r in recipients if r.organization is not None}
    wanted = channels & ROBOT_CHANNELS
    robots: dict[int, list[ChannelConfig]] = defaultdict(list)
    if org_ids and wanted:
        for robot in ChannelConfig.objects.filter(
            organization_id__in=org_ids, enabled=True, channel__in=wanted
        ).order_by("pk"):
            robots[robot.organization_id].append(robot)
    return robots


def _rows(
    key: str,
    message: Message,
    recipient: Recipient,
    channels: frozenset[str],
    scope: Organization | None,
    robots: dict[int, list[ChannelConfig]],
    now: datetime,
) -> Iterator[Delivery]:
    common = {
        "key": key,
        "scope": scope,
        "subject": message.subject[:200],
        "body": message.body,
        "url": message.url[:500],
    }
    outgoing = {"next_attempt_at": now, **common}
    if recipient.user is not None:
        user = recipient.user
        if not user.is_active:  # a deactivated account receives nothing
            return
        if Channel.INBOX in channels:
            yield Delivery(
                channel=Channel.INBOX,
                user=user,
                address_hash=crypto.keyed_hash(f"user:{user.pk}"),
                address_masked=mask_mobile(user.mobile),
                status=Delivery.Status.SENT,
                sent_at=now,
                attempts=1,
                **common,
            )
        if Channel.EMAIL in channels and user.email:
            yield Delivery(
                channel=Channel.EMAIL,
                user=user,
                address_hash=crypto.keyed_hash(user.email.lower()),
                address_enc=crypto.encrypt(user.email),
                address_masked=_mask_email(user.email),
                **outgoing,
            )
        if Channel.SMS in channels:
            yield Delivery(
                channel=Channel.SMS,
                user=user,
                address_hash=crypto.keyed_hash(user.mobile),
                address_enc=crypto.encrypt(user.mobile),
                address_masked=mask_mobile(user.mobile),
                **outgoing,
            )
    elif recipient.organization is not None:
        for robot in robots.get(recipient.organization.pk, []):
            yield Delivery(
                channel=robot.channel,
                robot=robot,
                address_hash=crypto.keyed_hash(f"robot:{robot.pk}"),
                address_masked=robot.webhook_masked,
                **outgoing,
            )
    elif Channel.SMS in channels:
        try:
            mobile = normalize_mobile(recipient.mobile)
        except ValidationError:
            # Logged as failed, never silently dropped.
            yield Delivery(
                channel=Channel.SMS,
                address_hash=crypto.keyed_hash(recipient.mobile),
                address_masked=mask_mobile(recipient.mobile)[:120],
                status=Delivery.Status.FAILED,
                last_error=_("This is not a mainland mobile number."),
                **common,
            )
            return
        yield Delivery(
            channel=Channel.SMS,
            address_hash=crypto.keyed_hash(mobile),
            address_enc=crypto.encrypt(mobile),
            address_masked=mask_mobile(mobile),
            **outgoing,
        )


def _chunks(values: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def notify_send(
    *,
    key: str,
    message: Message,
    recipients: Iterable[Recipient],
    channels: Iterable[str] = (Channel.INBOX, Channel.EMAIL, Channel.WECOM, Channel.DINGTALK),
    scope: Organization | None = None,
) -> int:
    """Queue `message` for every recipient on each of `channels` they have; returns how many
    deliveries are new. Calling again with the same key sends nothing twice: use a new key
    (e.g. with a reminder number) for a message that must go out again.

    A constant number of queries whatever the number of recipients; sending happens in
    background tasks of `BATCH` deliveries, enqueued after the caller's transaction commits.
    """
    wanted = frozenset(channels)
    people = list(recipients)
    robots = _robots_of(people, wanted)
    now = timezone.now()
    rows = [row for r in people for row in _rows(key, message, r, wanted, scope, robots, now)]
    if not rows:
        return 0
    with transaction.atomic():
        existing = set(Delivery.objects.filter(key=key).values_list("channel", "address_hash"))
        fresh = [r for r in rows if (r.channel, r.address_hash) not in existing]
        # One row per (channel, address) even when a list names the same person twice.
        unique = list({(r.channel, r.address_hash): r for r in fresh}.values())
        Delivery.objects.bulk_create(unique, batch_size=1000, ignore_conflicts=True)
        pending = list(
            Delivery.objects.filter(key=key, status=Delivery.Status.QUEUED, attempts=0)
            .exclude(channel=Channel.INBOX)
            .values_list("pk", flat=True)
        )
        inbox_users = [
            r.user_id for r in unique if r.channel == Channel.INBOX and r.user_id is not None
        ]
        on_behalf: dict[int, Organization] = {}
        for r in people:
            if r.user is not None and r.on_behalf_of is not None:
                on_behalf.setdefault(r.user.pk, r.on_behalf_of)
        InboxItem.objects.bulk_create(
            [
                InboxItem(
                    user_id=user_id,
                    organization=on_behalf.get(user_id),
                    key=key,
                    subject=message.subject[:200],
                    body=message.body,
                    url=message.url[:500],
                )
                for user_id in inbox_users
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        if pending:
            transaction.on_commit(lambda: enqueue(pending))
    return len(unique)


def enqueue(pks: list[int]) -> None:
    """Hand deliveries to background tasks, `BATCH` a task."""
    from notify.tasks import send_deliveries

    for chunk in _chunks(pks, BATCH):
        send_deliveries.enqueue(chunk)


# The inbox ------------------------------------------------------------------------------


def inbox_mark_read(*, user: User, item: InboxItem) -> InboxItem:
    """Mark one of the user's inbox items read (again is a no-op)."""
    if item.user_id != user.pk:
        raise ValidationError(_("This message is not yours."))
    if item.read_at is None:
        item.read_at = timezone.now()
        InboxItem.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=item.read_at)
    return item


def inbox_mark_all_read(*, user: User) -> int:
    """Mark every unread item of the user's inbox read; returns how many."""
    return InboxItem.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# Group robots ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RobotData:
    """A robot's settings as a form or the API gives them (webhook/secret "" = unchanged)."""

    name: str
    channel: str = ""
    webhook: str = ""
    secret: str = ""
    remove_secret: bool = False


def _name_clean(organization: Organization, name: str, robot: ChannelConfig | None) -> str:
    value = " ".join(name.split())
    if not value:
        raise ValidationError({"name": _("Give the robot a name, such as the group's name.")})
    if len(value) > 60:
        raise ValidationError({"name": _("At most 60 characters.")})
    taken = ChannelConfig.objects.filter(organization=organization, name=value)
    if robot is not None:
        taken = taken.exclude(pk=robot.pk)
    if taken.exists():
        raise ValidationError({"name": _("Your organisation already has a robot of this name.")})
    return value


def _secret_clean(channel: str, secret: str) -> str:
    if not secret.strip():
        return ""
    if channel != Channel.DINGTALK:
        raise ValidationError({"secret": _("Only DingTalk robots have a signing secret.")})
    try:
        return secret_clean(secret)
    except ValidationError as exc:
        raise ValidationError({"secret": exc.messages}) from exc


def _webhook_clean(channel: str, webhook: str) -> str:
    try:
        return webhook_clean(channel, webhook)
    except ValidationError as exc:
        raise ValidationError({"webhook": exc.messages}) from exc


@transaction.atomic
def robot_create(*, actor: User, organization: Organization, data: RobotData) -> ChannelConfig:
    """Add a WeCom or DingTalk group robot to an organisation."""
    if data.channel not in ROBOT_CHANNELS:
        raise ValidationError({"channel": _("Choose WeCom or DingTalk.")})
    # Locks the organisation row, so two concurrent adds cannot pass the limit together.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    if ChannelConfig.objects.filter(organization=organization).count() >= MAX_ROBOTS:
        raise ValidationError(
            _("An organisation may have at most %(count)s robots.") % {"count": MAX_ROBOTS}
        )
    name = _name_clean(organization, data.name, None)
    webhook = _webhook_clean(data.channel, data.webhook)
    secret = _secret_clean(data.channel, data.secret)
    robot = ChannelConfig(
        organization=organization,
        channel=data.channel,
        name=name,
        webhook_enc=crypto.encrypt(webhook),
        webhook_masked=webhook_mask(data.channel, webhook),
        secret_enc=crypto.encrypt(secret) if secret else "",
        created_by=actor,
    )
    try:
        with transaction.atomic():
            robot.save()
    except IntegrityError as exc:  # the same name, added concurrently
        raise ValidationError(
            {"name": _("Your organisation already has a robot of this name.")}
        ) from exc
    audit_record(
        actor=actor,
        action="robot.create",
        scope=organization,
        obj=robot,
        changes={"channel": robot.channel, "name": name, "signed": bool(secret)},
    )
    return robot


@transaction.atomic
def robot_update(*, actor: User, robot: ChannelConfig, data: RobotData) -> ChannelConfig:
    """Rename a robot, replace its webhook or signing secret (blank keeps them)."""
    changes: dict[str, object] = {}
    name = _name_clean(robot.organization, data.name, robot)
    if name != robot.name:
        changes["name"] = [robot.name, name]
        robot.name = name
    if data.webhook.strip():
        webhook = _webhook_clean(robot.channel, data.webhook)
        robot.webhook_enc = crypto.encrypt(webhook)
        robot.webhook_masked = webhook_mask(robot.channel, webhook)
        changes["webhook"] = "replaced"  # never the value: it is a credential
    if data.remove_secret and robot.secret_enc:
        robot.secret_enc = ""
        changes["signing"] = "removed"
    elif data.secret.strip():
        robot.secret_enc = crypto.encrypt(_secret_clean(robot.channel, data.secret))
        changes["signing"] = "replaced"
    try:
        with transaction.atomic():
            robot.save(
                update_fields=["name", "webhook_enc", "webhook_masked", "secret_enc", "updated_at"]
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"name": _("Your organisation already has a robot of this name.")}
        ) from exc
    audit_record(
        actor=actor, action="robot.update", scope=robot.organization, obj=robot, changes=changes
    )
    return robot


@transaction.atomic
def robot_set_enabled(*, actor: User, robot: ChannelConfig, enabled: bool) -> ChannelConfig:
    """Switch a robot on or off; a robot that is off receives nothing new."""
    if robot.enabled != enabled:
        robot.enabled = enabled
        robot.save(update_fields=["enabled", "updated_at"])
        audit_record(
            actor=actor,
            action="robot.enable" if enabled else "robot.disable",
            scope=robot.organization,
            obj=robot,
        )
    return robot


@transaction.atomic
def robot_delete(*, actor: User, robot: ChannelConfig) -> None:
    """Remove a robot; its deliveries stay in the log (queued ones then fail)."""
    audit_record(actor=actor, action="robot.delete", scope=robot.organization, obj=robot)
    robot.delete()


@transaction.atomic
def robot_test(*, actor: User, robot: ChannelConfig) -> Delivery:
    """Queue a test message to one robot; it goes through the same task and log as any other."""
    if not robot.enabled:
        raise ValidationError(_("Switch the robot on before sending it a test message."))
    now = timezone.now()
    delivery = Delivery.objects.create(
        key=f"robot-test:{robot.pk}:{uuid.uuid4().hex}",
        channel=robot.channel,
        robot=robot,
        scope=robot.organization,
        address_hash=crypto.keyed_hash(f"robot:{robot.pk}"),
        address_masked=robot.webhook_masked,
        subject=_("Test message from Tongzhou"),
        body=_("This group robot works. Notices for %(organization)s will appear here.")
        % {"organization": robot.organization.name},
        next_attempt_at=now,
    )
    audit_record(actor=actor, action="robot.test", scope=robot.organization, obj=robot)
    transaction.on_commit(lambda: enqueue([delivery.pk]))
    return delivery


# The delivery log -----------------------------------------------------------------------


@transaction.atomic
def delivery_retry(*, actor: User, delivery: Delivery, scope: Organization) -> Delivery:
    """Try a failed delivery once more, now (it keeps its attempt count and history)."""
    if delivery.status != Delivery.Status.FAILED:
        raise ValidationError(_("Only a failed delivery can be retried."))
    if delivery.channel == Channel.INBOX or not (delivery.address_enc or delivery.robot_id):
        raise ValidationError(_("This delivery has no address to send to again."))
    updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.RETRYING, next_attempt_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("Only a failed delivery can be retried."))
    delivery.refresh_from_db()
    audit_record(actor=actor, action="delivery.retry", scope=scope, obj=delivery)
    transaction.on_commit(lambda: enqueue([delivery.pk]))
    return delivery


# Key rotation -----------------------------------------------------------------------------


def notify_rotate_field_keys(*, batch_size: int = 1000) -> int:
    """Re-encrypt robots' webhooks and secrets and deliveries' addresses with the newest key
    (for `manage.py rotate_field_keys`); returns rows rewritten."""
    count = 0
    for robot in ChannelConfig.objects.only("pk", "webhook_enc", "secret_enc").order_by("pk"):
        robot.webhook_enc = crypto.rotate(robot.webhook_enc)
        robot.secret_enc = crypto.rotate(robot.secret_enc) if robot.secret_enc else ""
        robot.save(update_fields=["webhook_enc", "secret_enc"])
        count += 1
    deliveries = Delivery.objects.exclude(address_enc="").only("pk", "address_enc").order_by("pk")
    last_pk = 0
    while batch := list(deliveries.filter(pk__gt=last_pk)[:batch_size]):
        with transaction.atomic():
            for delivery in batch:
                delivery.address_enc = crypto.rotate(delivery.address_enc)
            Delivery.objects.bulk_update(batch, ["address_enc"])
        count += len(batch)
        last_pk = batch[-1].pk
    return count
