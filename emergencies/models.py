"""Emergencies and the versioned rule tables every capability reads its rules from."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Emergency(models.Model):
    """An epidemic, typhoon or other emergency that the platform is run for."""

    class Kind(models.TextChoices):
        EPIDEMIC = "epidemic", _("Epidemic")
        TYPHOON = "typhoon", _("Typhoon")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Ongoing")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    started_on = models.DateField(_("started on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    retention_days = models.PositiveIntegerField(
        _("days personal data is kept after closing"),
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(3650)],
    )
    is_current = models.BooleanField(_("current"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="one_current_emergency",
                violation_error_message=_("Only one emergency can be current."),
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("started_on")),
                name="emergency_closes_after_start",
                violation_error_message=_("An emergency cannot close before it starts."),
            ),
        ]
        verbose_name = _("emergency")
        verbose_name_plural = _("emergencies")

    def __str__(self) -> str:
        return self.name


class RuleVersion(models.Model):
    """One version of a rule table (e.g. check-in thresholds), effective from a date.

    Capabilities register a key and a pydantic schema for its data in
    `emergencies.rules`; the version effective on a day is the latest one whose
    `effective_from` is on or before it. Versions are never edited, only superseded.
    """

    emergency = models.ForeignKey(Emergency, on_delete=models.CASCADE, related_name="rules")
    key = models.CharField(_("rule table"), max_length=80)
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    data = models.JSONField(_("rules"))
    source_title = models.CharField(_("source"), max_length=300)
    source_url = models.URLField(_("source link"), blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["key", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["emergency", "key", "version"], name="one_rule_version_number"
            )
        ]
        indexes = [models.Index(fields=["emergency", "key", "effective_from"])]
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")

    def __str__(self) -> str:
        return f"{self.key} v{self.version} ({self.effective_from})"
