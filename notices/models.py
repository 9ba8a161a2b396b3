"""Notices: policy, directives, initiatives, good practice, rumour clarifications, news.

A notice is written by a publisher (the federation, an association, or an enterprise for
its own staff) and delivered to an audience. Each recipient organisation (or employee)
gets one `Receipt`, which records delivery, reading, acknowledgement and attestation.
A directive that asks for relay reaches associations; each association relays it to its
members as a child notice (`parent`), and every notice in the chain points at the
original (`root`), so the sender can follow the whole cascade.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    POLICY = "policy", _("Policy document")
    GOVERNMENT = "government", _("Government information")
    DIRECTIVE = "directive", _("Directive")
    INITIATIVE = "initiative", _("Initiative")
    PRACTICE = "practice", _("Good practice")
    RUMOUR = "rumour", _("Rumour clarification")
    NEWS = "news", _("Industry news")


# Categories that must cite an official source (link, name, verifier, valid-until date).
_SOURCED = (Category.POLICY, Category.GOVERNMENT)  # a tuple: migrations need a stable order
SOURCED_CATEGORIES = frozenset(_SOURCED)


class AudienceKind(models.TextChoices):
    NONE = "none", _("Nobody (public news only)")
    ALL_ASSOCIATIONS = "all_associations", _("All associations")
    ASSOCIATIONS = "associations", _("Chosen associations")
    MEMBERS = "members", _("Member enterprises")
    EMPLOYEES = "employees", _("Our employees")


class Notice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    publisher = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("publisher"),
        on_delete=models.PROTECT,
        related_name="notices",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    emergency = models.ForeignKey(
        "emergencies.Emergency",
        verbose_name=_("emergency"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices",
    )
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body_md = models.TextField(_("text"), blank=True, max_length=100_000)
    body_html = models.TextField(blank=True)  # rendered from body_md and sanitised (nh3)
    is_public = models.BooleanField(_("show in the public news centre"), default=False)
    # Policy and government information cite their source.
    source_url = models.URLField(_("official source link"), blank=True, max_length=500)
    source_name = models.CharField(_("source"), max_length=120, blank=True)
    verified_by = models.CharField(_("verified by"), max_length=60, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)

    # Who receives it.
    audience_kind = models.CharField(
        _("audience"), max_length=20, choices=AudienceKind.choices, default=AudienceKind.NONE
    )
    audience_associations = models.ManyToManyField(
        "orgs.Organization", blank=True, related_name="+", verbose_name=_("associations")
    )
    audience_sectors = models.ManyToManyField(
        "orgs.Sector", blank=True, related_name="+", verbose_name=_("sectors")
    )
    audience_districts = models.ManyToManyField(
        "orgs.Division", blank=True, related_name="+", verbose_name=_("districts")
    )
    # What it asks of them.
    requires_ack = models.BooleanField(_("ask for acknowledgement"), default=False)
    requires_attestation = models.BooleanField(_("ask for proof of implementation"), default=False)
    asks_relay = models.BooleanField(_("associations relay it to their members"), default=False)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)

    # The cascade: a relay points at what it relays and at the original at the top.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="relays"
    )
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="chain"
    )

    revision = models.PositiveIntegerField(default=1)
    version = models.PositiveIntegerField(default=1)  # optimistic locking of edits
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(category__in=list(_SOURCED))
                | ~Q(status="published")
                | (~Q(source_url="") & ~Q(source_name="")),
                name="sourced_notice_cites_source",
                violation_error_message=_(
                    "Policy documents and government information cite their official source."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["publisher", "status", "-published_at"]),
            models.Index(
                fields=["category", "-published_at"],
                condition=Q(is_public=True, status="published"),
                name="notice_public_by_category",
            ),
            models.Index(fields=["status", "publish_at"]),
        ]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return self.title

    @property
    def is_sourced(self) -> bool:
        """Policy and government information: they cite an official source."""
        return self.category in SOURCED_CATEGORIES

    @property
    def is_outdated(self) -> bool:
        """A sourced notice past its valid-until date: pages mark it "may be outdated"."""
        return (
            self.is_sourced
            and self.valid_until is not None
            and self.valid_until < timezone.localdate()
        )

    @property
    def is_relay(self) -> bool:
        return self.parent_id is not None


class NoticeRevision(models.Model):
    """The text of a notice as it was after each edit: the visible revision history."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body_md = models.TextField(blank=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["notice", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "number"], name="one_revision_number"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} r{self.number}"


def _upload_to(instance: models.Model, filename: str) -> str:
    # The stored name is random; the original name is kept in the row for downloads.
    return f"notices/{instance._meta.model_name}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file attached to a notice (PDF, Word, Excel, image), type checked by content."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_upload_to, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["notice", "id"]

    def __str__(self) -> str:
        return self.name


class Receipt(models.Model):
    """One notice delivered to one organisation (or one employee): read, acknowledged,
    attested, overdue. Sector, district and the relaying association are copied at
    delivery so the cascade can be counted per association and per sector fast."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    root = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notice_receipts",
    )
    employee = models.ForeignKey(
        "workforce.Employee",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notice_receipts",
    )
    sector = models.ForeignKey(
        "orgs.Sector", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    district = models.ForeignKey(
        "orgs.Division", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivered_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attested_at = models.DateTimeField(null=True, blank=True)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attestation_note = models.TextField(_("what was done"), blank=True, max_length=5000)
    # Set by the periodic job when the deadline passed without the response asked for.
    overdue_at = models.DateTimeField(null=True, blank=True)
    # For an association's receipt of a directive to relay: its relay.
    relayed_as = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.SET_NULL, related_name="relayed_from"
    )
    reminder_count = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-delivered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=True) ^ Q(employee__isnull=True),
                name="receipt_has_one_recipient",
            ),
            models.UniqueConstraint(
                fields=["notice", "organization"],
                condition=Q(organization__isnull=False),
                name="one_receipt_per_organization",
            ),
            models.UniqueConstraint(
                fields=["notice", "employee"],
                condition=Q(employee__isnull=False),
                name="one_receipt_per_employee",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-delivered_at", "-id"]),  # the desk/inbox
            models.Index(fields=["employee", "-delivered_at"]),
            models.Index(fields=["notice", "acknowledged_at"]),
            models.Index(fields=["root", "sector"]),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.organization_id or self.employee_id}"


class Evidence(models.Model):
    """A file attached to an attestation: the proof that a directive was carried out."""

    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=_upload_to, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["receipt", "id"]

    def __str__(self) -> str:
        return self.name
