"""Prevention plans: checklist templates (versioned data) and the enterprises' plans.

A template (the federation's base template, or an association's additions for its
sector) has sections and items; a template version that any plan uses is immutable —
editing it makes a new draft version. A plan is filled from the base template and its
sector's template, moves through a review state machine (`Plan.ALLOWED_TRANSITIONS`,
assigned only by `plans.services.plan_transition`), and keeps an immutable event row
per transition.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Quantities people type: anything outside these bounds is a mistake (10⁹ m², −5 masks).
MAX_QUANTITY = Decimal("10000000")
MAX_DAILY_USE = Decimal("1000000")
MAX_FLOOR_AREA = Decimal("1000000")
MAX_PARAMETER = Decimal("1000000")
LOW_COVER_DAYS = 3


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ChecklistTemplate(models.Model):
    """One version of a checklist: the base template (no sector) or a sector's additions."""

    owner = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    sector = models.ForeignKey(
        "orgs.Sector",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sector"),
    )
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveIntegerField(_("version"), default=1)
    effective_from = models.DateField(_("effective from"))
    status = models.CharField(
        _("status"), max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    sources = models.JSONField(_("sources"), default=list, blank=True)  # [{title, url}]
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sector_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "sector", "version"],
                condition=Q(sector__isnull=False),
                name="one_sector_template_version",
                violation_error_message=_("This template version exists already."),
            ),
            models.UniqueConstraint(
                fields=["owner", "version"],
                condition=Q(sector__isnull=True),
                name="one_base_template_version",
                violation_error_message=_("This template version exists already."),
            ),
        ]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def is_base(self) -> bool:
        return self.sector_id is None


class TemplateSection(models.Model):
    """A titled group of items in a template."""

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="sections"
    )
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return self.title


class EvidenceKind(models.TextChoices):
    NONE = "none", _("None")
    NOTE = "note", _("A note")
    PHOTO = "photo", _("A photo")
    FILE = "file", _("A file")
    NUMBER = "number", _("A number")


class TemplateItem(models.Model):
    """One checklist requirement, with the evidence it wants and its parameter."""

    section = models.ForeignKey(TemplateSection, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField(default=0)
    code = models.CharField(_("code"), max_length=20)
    text = models.CharField(_("requirement"), max_length=500)
    why = models.CharField(_("why"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=True)
    evidence = models.CharField(
        _("evidence"), max_length=10, choices=EvidenceKind.choices, default=EvidenceKind.NONE
    )
    number_unit = models.CharField(_("unit of the number"), max_length=20, blank=True)
    number_min = models.DecimalField(
        _("smallest number"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    number_max = models.DecimalField(
        _("largest number"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    parameter = models.DecimalField(
        _("parameter"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_PARAMETER)],
    )
    parameter_unit = models.CharField(_("unit of the parameter"), max_length=30, blank=True)
    # When the parameter is a number of rounds a day at each site (disinfection,
    # ventilation, temperature checks), the kind of round: the plan sets the sites'
    # schedules from it (plans.services.plan_site_schedules).
    schedule = models.CharField(
        _("site round"),
        max_length=20,
        blank=True,
        choices=[
            ("disinfection", _("Disinfection")),
            ("ventilation", _("Ventilation")),
            ("temperature", _("Temperature checks")),
        ],
    )

    class Meta:
        ordering = ["section", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number_min__isnull=True)
                | Q(number_max__isnull=True)
                | Q(number_min__lte=models.F("number_max")),
                name="item_number_bounds_ordered",
                violation_error_message=_("The smallest number cannot exceed the largest."),
            ),
            models.CheckConstraint(
                condition=Q(parameter__isnull=True)
                | (Q(parameter__gte=0) & Q(parameter__lte=MAX_PARAMETER)),
                name="item_parameter_range",
                violation_error_message=_("The parameter must be between 0 and 1,000,000."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for rectification")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    APPROVED = "approved", _("Approved")
    SUSPENDED = "suspended", _("Suspended")


class ResumeMode(models.TextChoices):
    FULL = "full", _("Full resumption")
    PARTIAL = "partial", _("Partial resumption")
    ONLINE = "online", _("Online business only")
    NOT_YET = "not_yet", _("Not resuming yet")


class IsolationArrangement(models.TextChoices):
    OWN_DORMITORY = "own_dormitory", _("Isolation area in our own dormitory")
    RENTED = "rented", _("Rented central isolation rooms")
    HOME = "home", _("Home isolation")
    COMMUNITY = "community", _("Arranged by the community")
    NONE = "none", _("Not needed")


class Canteen(models.TextChoices):
    SEPARATE = "separate", _("Separate meals")
    STAGGERED = "staggered", _("Staggered meal times")
    DELIVERED = "delivered", _("Meals delivered")
    NONE = "none", _("No canteen")


class Plan(models.Model):
    """An enterprise's prevention plan and filing, filled from template versions."""

    ALLOWED_TRANSITIONS: dict[str, set[str]] = {
        PlanStatus.DRAFT: {PlanStatus.SUBMITTED},
        PlanStatus.SUBMITTED: {PlanStatus.APPROVED, PlanStatus.RETURNED},
        PlanStatus.RETURNED: {PlanStatus.RESUBMITTED},
        PlanStatus.RESUBMITTED: {PlanStatus.APPROVED, PlanStatus.RETURNED},
        PlanStatus.APPROVED: {PlanStatus.SUSPENDED},
        PlanStatus.SUSPENDED: {PlanStatus.RESUBMITTED},
    }
    # Where the enterprise may still edit the plan.
    EDITABLE = frozenset({PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUSPENDED})
    # Waiting for a reviewer.
    PENDING = frozenset({PlanStatus.SUBMITTED, PlanStatus.RESUBMITTED})

    enterprise = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="prevention_plans"
    )
    base_template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="base_plans"
    )
    sector_templates = models.ManyToManyField(
        ChecklistTemplate, blank=True, related_name="sector_plans"
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=PlanStatus.choices,
        default=PlanStatus.DRAFT,
        db_index=True,
    )
    version = models.PositiveIntegerField(default=1)
    # Section A – the enterprise.
    floor_area_m2 = models.DecimalField(
        _("floor area (m²)"),
        max_digits=10,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_FLOOR_AREA)],
    )
    store_count = models.PositiveIntegerField(
        _("number of shops"), null=True, blank=True, validators=[MaxValueValidator(10_000)]
    )
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("person responsible for prevention"),
    )
    responsible_name = models.CharField(_("person responsible"), max_length=50, blank=True)
    responsible_title = models.CharField(_("position"), max_length=50, blank=True)
    liaison_name = models.CharField(_("prevention liaison"), max_length=50, blank=True)
    liaison_mobile = models.CharField(_("liaison mobile"), max_length=11, blank=True)
    planned_resume_on = models.DateField(_("planned resumption date"), null=True, blank=True)
    resume_mode = models.CharField(
        _("resumption mode"), max_length=10, choices=ResumeMode.choices, blank=True
    )
    # Section B – staff arrangements (the counts come from the roster and check-ins).
    isolation = models.CharField(
        _("isolation arrangement"), max_length=16, choices=IsolationArrangement.choices, blank=True
    )
    isolation_notes = models.TextField(_("isolation details"), max_length=2000, blank=True)
    dormitory_rooms = models.PositiveIntegerField(
        _("dormitory rooms"), null=True, blank=True, validators=[MaxValueValidator(10_000)]
    )
    people_per_room = models.PositiveIntegerField(
        _("people per room"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    canteen = models.CharField(_("canteen"), max_length=10, choices=Canteen.choices, blank=True)
    # The prevention team: [{name, role, mobile}], and the emergency plan.
    team = models.JSONField(_("prevention team"), default=list, blank=True)
    emergency_contacts = models.JSONField(_("emergency contacts"), default=list, blank=True)
    emergency_steps = models.TextField(_("emergency steps"), max_length=5000, blank=True)
    # The commitment letter, confirmed by the named responsible person.
    commitment_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    commitment_confirmed_at = models.DateTimeField(null=True, blank=True)
    commitment_ip = models.GenericIPAddressField(null=True, blank=True)
    commitment_user_agent = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                name="one_plan_per_enterprise",
                violation_error_message=_("The enterprise has a prevention plan already."),
            ),
            models.CheckConstraint(
                condition=Q(floor_area_m2__isnull=True)
                | (Q(floor_area_m2__gte=1) & Q(floor_area_m2__lte=MAX_FLOOR_AREA)),
                name="plan_floor_area_range",
                violation_error_message=_("Floor area must be between 1 and 1,000,000 m²."),
            ),
        ]
        indexes = [models.Index(fields=["status", "enterprise"])]
        verbose_name = _("prevention plan")
        verbose_name_plural = _("prevention plans")

    def __str__(self) -> str:
        return f"{self.enterprise} ({self.status})"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE


class PlanSupply(models.Model):
    """A prevention supply on hand, with the daily use that gives days of cover."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="supplies")
    item = models.CharField(_("item"), max_length=60)
    unit = models.CharField(_("unit"), max_length=20)
    on_hand = models.DecimalField(
        _("on hand"),
        max_digits=12,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_QUANTITY)],
    )
    daily_use = models.DecimalField(
        _("daily use"),
        max_digits=12,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_DAILY_USE)],
    )

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "item"],
                name="one_supply_row_per_item",
                violation_error_message=_("This supply is listed already."),
            ),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0) & Q(on_hand__lte=MAX_QUANTITY),
                name="supply_on_hand_range",
                violation_error_message=_("The quantity on hand is out of range."),
            ),
            models.CheckConstraint(
                condition=Q(daily_use__gte=0) & Q(daily_use__lte=MAX_DAILY_USE),
                name="supply_daily_use_range",
                violation_error_message=_("The daily use is out of range."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.on_hand} {self.unit}"

    @property
    def days_of_cover(self) -> Decimal | None:
        """Days the stock lasts at the daily use (None when nothing is used)."""
        if not self.daily_use:
            return None
        return (self.on_hand / self.daily_use).quantize(Decimal("0.1"))

    @property
    def is_low(self) -> bool:
        cover = self.days_of_cover
        return cover is not None and cover < LOW_COVER_DAYS


class AnswerState(models.TextChoices):
    DONE = "done", _("Done")
    NOT_APPLICABLE = "na", _("Not applicable")
    NOT_YET = "not_yet", _("Not yet")


def _evidence_upload_to(instance: models.Model, filename: str) -> str:
    # The stored name is random; the original name is kept in the row for downloads.
    return f"plans/evidence/{uuid.uuid4().hex}"


class PlanAnswer(models.Model):
    """The enterprise's answer to one checklist item, with its evidence."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(TemplateItem, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("answer"), max_length=8, choices=AnswerState.choices)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    number = models.DecimalField(
        _("number"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    evidence_file = models.FileField(upload_to=_evidence_upload_to, max_length=200, blank=True)
    evidence_name = models.CharField(max_length=200, blank=True)
    evidence_type = models.CharField(max_length=100, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["plan", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "item"],
                name="one_answer_per_item",
                violation_error_message=_("This item is answered already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.item_id}: {self.state}"


class PlanEvent(models.Model):
    """One status change of a plan: an immutable history row."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    reason = models.CharField(max_length=1000, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_organization = models.ForeignKey(
        "orgs.Organization", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status}→{self.to_status}"

    @property
    def from_label(self) -> str:
        return str(PlanStatus(self.from_status).label) if self.from_status else ""

    @property
    def to_label(self) -> str:
        return str(PlanStatus(self.to_status).label)


class ReviewComment(models.Model):
    """A reviewer's comment on a plan, or on one of its checklist items."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    item = models.ForeignKey(
        TemplateItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.CharField(_("comment"), max_length=1000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_organization = models.ForeignKey(
        "orgs.Organization", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]
