"""Notification channels, the in-app inbox and the delivery log.

Every message to every recipient on every channel is one `Delivery` row, created before
anything is sent: the row is the log, the retry schedule and the guard against sending
twice (unique per key, channel and address). The in-app channel is an `InboxItem`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.lookups import IsNull
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class InboxItem(models.Model):
    """A message in a user's in-app inbox."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_items"
    )
    # The organisation the message was sent to the user as a member of (for switching).
    organization = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=200)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_inbox_item_per_key"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"]),
            # The inbox page's order (unread first, then newest): an index on the same
            # expressions lets the database read a page without sorting the whole inbox.
            models.Index(
                models.F("user"),
                IsNull(models.F("read_at"), True).desc(),
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="inbox_page",
            ),
            # The navbar's unread count (context_processors.inbox).
            models.Index(
                fields=["user"], condition=models.Q(read_at__isnull=True), name="inbox_unread"
            ),
        ]
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")

    def __str__(self) -> str:
        return self.subject


class ChannelConfig(models.Model):
    """An organisation's group robot (WeCom or DingTalk) that its notices are posted to."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="channel_configs"
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=[(Channel.WECOM, Channel.WECOM.label), (Channel.DINGTALK, Channel.DINGTALK.label)],
    )
    name = models.CharField(_("name"), max_length=60)
    # The webhook URL and DingTalk's signing secret carry the robot's credentials: encrypted.
    webhook_enc = models.TextField()
    webhook_masked = models.CharField(_("webhook"), max_length=120)
    secret_enc = models.TextField(blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="one_robot_name_per_organization",
                violation_error_message=_("Your organisation already has a robot of this name."),
            ),
        ]
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One message to one address on one channel: the log, the retry state, the dedupe key."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Failed, will retry")
        FAILED = "failed", _("Failed")

    key = models.CharField(max_length=200)  # what is being sent, e.g. "notice:12:org:34"
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # Who: a user, an organisation's robot, or a bare mobile (an employee with no account).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notify_deliveries",
    )
    # SET_NULL: removing a robot keeps its deliveries in the log (a queued one then fails).
    robot = models.ForeignKey(ChannelConfig, null=True, blank=True, on_delete=models.SET_NULL)
    # The organisation whose log shows this delivery (the sender's side).
    scope = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    address_hash = models.CharField(max_length=64)  # keyed hash: the dedupe key's address part
    address_enc = models.TextField(blank=True)  # encrypted address (email or mobile)
    address_masked = models.CharField(_("address"), max_length=120)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the row may next be sent: set at creation, pushed back by a backoff after a
    # failure, and by a lease while a worker sends it (a crashed worker's row comes back).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The worker that holds the row while sending it (a random token per claim).
    claim = models.CharField(max_length=32, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)  # the provider's message id
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "channel", "address_hash"],
                name="one_delivery_per_address",
                violation_error_message=_("This message was already sent to this address."),
            ),
        ]
        indexes = [
            models.Index(fields=["scope", "-created_at", "-id"], name="delivery_log"),
            models.Index(fields=["status", "next_attempt_at"]),
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk}"  # no address: this lands in audit rows
