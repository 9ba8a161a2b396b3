"""An enterprise's roster of employees: personal data, encrypted, visible only to it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    RESIDENCE_PERMIT = "residence_permit", _("HK/Macau/Taiwan residence permit")
    HK_MACAU_PERMIT = "hk_macau_permit", _("Mainland travel permit for HK/Macau residents")
    TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
    PASSPORT = "passport", _("Passport")
    OTHER = "other", _("Other document")


class EmploymentStatus(models.TextChoices):
    ACTIVE = "active", _("Employed")
    SUSPENDED = "suspended", _("Suspended (not working)")
    LEFT = "left", _("Left the company")


class Employee(models.Model):
    """One person on an enterprise's roster.

    The mobile and document numbers are stored encrypted (`*_enc`, Fernet), with a
    keyed hash (`*_hash`, HMAC-SHA256) for duplicate detection and a masked copy for
    lists, so a list page never decrypts anything.
    """

    enterprise = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="employees"
    )
    site = models.ForeignKey(
        "orgs.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
    )
    name = models.CharField(_("name"), max_length=50)
    mobile_enc = models.TextField()
    mobile_hash = models.CharField(max_length=64)
    mobile_masked = models.CharField(_("mobile"), max_length=11)
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices
    )
    document_enc = models.TextField()
    document_hash = models.CharField(max_length=64)
    document_masked = models.CharField(_("document number"), max_length=40)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    position = models.CharField(_("position"), max_length=50, blank=True)
    is_critical = models.BooleanField(_("critical role"), default=False)
    home_province = models.ForeignKey(
        "orgs.Division",
        verbose_name=_("home province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    home_city = models.ForeignKey(
        "orgs.Division",
        verbose_name=_("home city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    home_county = models.ForeignKey(
        "orgs.Division",
        verbose_name=_("home county"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("employment status"),
        max_length=10,
        choices=EmploymentStatus.choices,
        default=EmploymentStatus.ACTIVE,
    )
    # Bumped to revoke the employee's personal link (workforce.links); a new link is issued.
    link_generation = models.PositiveIntegerField(default=1)
    # Language the employee reads their personal pages in ("" = the browser's choice).
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "document_hash"],
                name="one_employee_per_document",
                violation_error_message=_(
                    "An employee with this document number is on the roster."
                ),
            ),
            models.UniqueConstraint(
                fields=["enterprise", "mobile_hash"],
                name="one_employee_per_mobile",
                violation_error_message=_("An employee with this mobile number is on the roster."),
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "name", "id"]),  # the roster order, no sort
            # Counts by status and per site read the index alone (no heap fetches).
            models.Index(fields=["enterprise", "status", "site"]),
        ]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """A roster upload: validated as a whole in the background, committed all or nothing."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Checking")
        FAILED = "failed", _("Not imported")
        DONE = "done", _("Imported")

    enterprise = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=200)
    content = models.BinaryField()
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    errors = models.JSONField(_("problems"), default=list, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
