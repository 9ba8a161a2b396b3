"""Site logs: the disinfection, ventilation and temperature-check schedule of a site, and the
immutable log of what was done (a correction is a new entry pointing at the one it corrects)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgs.models import Organization, Site


class Kind(models.TextChoices):
    DISINFECTION = "disinfection", _("Disinfection")
    VENTILATION = "ventilation", _("Ventilation")
    TEMPERATURE = "temperature", _("Temperature check")
    OTHER = "other", _("Other")


class SiteSchedule(models.Model):
    """When a site disinfects, ventilates or checks temperatures: slot times, areas, agent.

    One open schedule per site and kind; a change on a later day closes the open one
    (`valid_until`) and opens a new one, so earlier days keep the slots they had.
    """

    enterprise = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="log_schedules")
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    label = models.CharField(_("name"), max_length=60, blank=True)
    slots = models.JSONField(_("times"), default=list)  # ["08:00", "14:00"], sorted
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=0)
    areas = models.JSONField(_("areas"), default=list)  # ["大堂", "电梯"]
    agent = models.CharField(_("agent"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["site", "kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "kind"],
                condition=Q(valid_until__isnull=True),
                name="sitelogs_one_open_schedule",
                violation_error_message=_("This site already has a schedule of this kind."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="sitelogs_schedule_dates",
                violation_error_message=_("A schedule cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.site_id} {self.kind} {','.join(self.slots)}"

    @property
    def title(self) -> str:
        return self.label or str(self.get_kind_display())


class LogEntryQuerySet(models.QuerySet["LogEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Log entries are immutable: record a correction instead.")


def _photo_to(instance: models.Model, filename: str) -> str:
    # Random stored name; the original name stays in the row.
    return f"sitelogs/{uuid.uuid4().hex}"


class LogEntry(models.Model):
    """One disinfection, ventilation or temperature check done at a slot — never changed.

    A mistake is fixed by a new entry whose `corrects` points at the wrong one; the wrong
    one then shows as corrected and no longer counts for its slot. The database refuses
    UPDATEs (a trigger, migration 0002) and so does the ORM.
    """

    enterprise = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="log_entries")
    schedule = models.ForeignKey(
        SiteSchedule, null=True, blank=True, on_delete=models.RESTRICT, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    slot_date = models.DateField(_("day"))
    slot_time = models.TimeField(_("time"), null=True, blank=True)  # None: an extra round
    done_at = models.DateTimeField(_("done at"))
    area = models.CharField(_("area"), max_length=100, blank=True)
    agent = models.CharField(_("agent"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    who = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    photo = models.FileField(upload_to=_photo_to, max_length=200, blank=True)
    photo_name = models.CharField(max_length=200, blank=True)
    photo_content_type = models.CharField(max_length=100, blank=True)
    photo_sha256 = models.CharField(max_length=64, blank=True)
    corrects = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="correction",
        verbose_name=_("corrects"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LogEntryQuerySet.as_manager()

    class Meta:
        ordering = ["slot_date", "slot_time", "created_at", "pk"]
        indexes = [
            models.Index(fields=["site", "slot_date"]),
            models.Index(fields=["enterprise", "slot_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.kind} {self.slot_date} {self.slot_time}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("Log entries are immutable: record a correction instead.")
        super().save(*args, **kwargs)
