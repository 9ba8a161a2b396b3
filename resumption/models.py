"""Staged return to work: declarations, applications (复工申请), plans and attendance."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low risk")
    MEDIUM = "medium", _("Medium risk")
    HIGH = "high", _("High risk")


class TravelMode(models.TextChoices):
    NONE = "none", _("Not travelling (already in Shenzhen)")
    TRAIN = "train", _("Train")
    PLANE = "plane", _("Plane")
    COACH = "coach", _("Coach")
    CAR = "car", _("Own car")
    OTHER = "other", _("Other")


class Via(models.TextChoices):
    PERSONAL = "personal", _("Personal link")
    MANAGER = "manager", _("Manager")
    IMPORT = "import", _("Import")


class ReturnDeclaration(models.Model):
    """Where an employee is, the risk of that place, and when and how they plan to return."""

    enterprise = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="return_declarations"
    )
    employee = models.OneToOneField(
        "workforce.Employee", on_delete=models.CASCADE, related_name="return_declaration"
    )
    in_shenzhen = models.BooleanField(_("in Shenzhen"))
    district = models.ForeignKey(
        "orgs.Division",
        verbose_name=_("district in Shenzhen"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    province = models.ForeignKey(
        "orgs.Division",
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    city = models.ForeignKey(
        "orgs.Division",
        verbose_name=_("city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices)
    quarantine_days = models.PositiveSmallIntegerField(_("quarantine days"), default=0)
    observation_days = models.PositiveSmallIntegerField(_("observation days"), default=0)
    rule_version = models.ForeignKey(
        "emergencies.RuleVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rule_source = models.CharField(_("rule source"), max_length=300, blank=True)
    declared_on = models.DateField(_("declared on"))
    planned_travel_on = models.DateField(_("planned travel date"), null=True, blank=True)
    travel_mode = models.CharField(
        _("travel mode"), max_length=8, choices=TravelMode.choices, default=TravelMode.NONE
    )
    needs_isolation = models.BooleanField(_("needs isolation accommodation"), default=False)
    via = models.CharField(_("filled in by"), max_length=10, choices=Via.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revision = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["employee__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(in_shenzhen=True, province__isnull=True)
                | Q(in_shenzhen=False, province__isnull=False),
                name="declaration_place_given",
                violation_error_message=_("Say where the employee is: Shenzhen or a province."),
            )
        ]
        indexes = [models.Index(fields=["enterprise", "risk_level"])]
        verbose_name = _("return declaration")
        verbose_name_plural = _("return declarations")

    def __str__(self) -> str:
        return f"{self.employee_id} r{self.revision}"

    @property
    def place(self) -> str:
        if self.in_shenzhen:
            return f"深圳 {self.district.name}" if self.district else "深圳"
        parts = [d.name for d in (self.province, self.city) if d is not None]
        return " ".join(parts)


class DeclarationRevision(models.Model):
    """One saved version of a declaration: an immutable history row."""

    declaration = models.ForeignKey(
        ReturnDeclaration, on_delete=models.CASCADE, related_name="revisions"
    )
    revision = models.PositiveIntegerField()
    data = models.JSONField()
    via = models.CharField(max_length=10, choices=Via.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "revision"],
                name="one_declaration_revision_number",
                violation_error_message=_("This revision exists already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id} r{self.revision}"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for changes")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    APPROVED = "approved", _("Approved")


class ResumptionApplication(models.Model):
    """An enterprise's application to resume work in phases (复工申请)."""

    ALLOWED_TRANSITIONS: dict[str, set[str]] = {
        ApplicationStatus.DRAFT: {ApplicationStatus.SUBMITTED},
        ApplicationStatus.SUBMITTED: {ApplicationStatus.APPROVED, ApplicationStatus.RETURNED},
        ApplicationStatus.RETURNED: {ApplicationStatus.RESUBMITTED},
        ApplicationStatus.RESUBMITTED: {ApplicationStatus.APPROVED, ApplicationStatus.RETURNED},
        ApplicationStatus.APPROVED: set(),
    }
    # Who acts: the enterprise moves its own application, the reviewer decides.
    ENTERPRISE_MOVES = {ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED}
    REVIEWER_MOVES = {ApplicationStatus.APPROVED, ApplicationStatus.RETURNED}

    enterprise = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="resumption_applications"
    )
    reviewer = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        related_name="resumption_reviews",
    )
    title = models.CharField(_("title"), max_length=120)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        db_index=True,
    )
    normal_headcount = models.PositiveIntegerField(_("normal headcount"))
    isolation_rooms = models.PositiveIntegerField(_("isolation rooms"), default=0)
    committed = models.BooleanField(_("commits to the conditions"), default=False)
    committed_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(_("reviewer's comments"), max_length=2000, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["reviewer", "status"])]
        verbose_name = _("resumption application")
        verbose_name_plural = _("resumption applications")

    def __str__(self) -> str:
        return self.title

    @property
    def editable(self) -> bool:
        return self.status in {ApplicationStatus.DRAFT, ApplicationStatus.RETURNED}


class ApplicationEvent(models.Model):
    """One status change of an application: an immutable history row."""

    application = models.ForeignKey(
        ResumptionApplication, on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    comment = models.CharField(max_length=2000, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status}→{self.to_status}"

    @property
    def from_label(self) -> str:
        if self.from_status in ApplicationStatus.values:
            return str(ApplicationStatus(self.from_status).label)
        return "—"

    @property
    def to_label(self) -> str:
        if self.to_status in ApplicationStatus.values:
            return str(ApplicationStatus(self.to_status).label)
        return self.to_status


class Phase(models.Model):
    """One phase of an application: from a date, these sites, a share of normal headcount,
    and the shifts of a day (e.g. [{"start": "08:00", "end": "16:00"}])."""

    application = models.ForeignKey(
        ResumptionApplication, on_delete=models.CASCADE, related_name="phases"
    )
    starts_on = models.DateField(_("starts on"))
    share_pct = models.PositiveSmallIntegerField(_("share of normal headcount (%)"))
    sites = models.ManyToManyField("orgs.Site", verbose_name=_("sites"), related_name="+")
    shifts = models.JSONField(_("shifts"), default=list)

    class Meta:
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share_pct__gt=0) & Q(share_pct__lte=100),
                name="phase_share_range",
                violation_error_message=_("A phase's share must be above 0 and at most 100 %."),
            ),
            models.UniqueConstraint(
                fields=["application", "starts_on"],
                name="one_phase_per_day",
                violation_error_message=_("Another phase starts on this day."),
            ),
        ]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")

    def __str__(self) -> str:
        return f"{self.starts_on} {self.share_pct}%"

    @property
    def shift_labels(self) -> list[str]:
        return [f"{s['start']}–{s['end']}" for s in self.shifts]


class ReturnPlan(models.Model):
    """The schedule of an application: who comes back when, with the solver's report."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    enterprise = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="return_plans"
    )
    application = models.OneToOneField(
        ResumptionApplication, on_delete=models.CASCADE, related_name="plan"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    starts_on = models.DateField(_("horizon start"))
    horizon_days = models.PositiveSmallIntegerField(_("horizon (days)"), default=30)
    method = models.CharField(_("method"), max_length=40, blank=True)
    objective = models.FloatField(_("objective"), null=True, blank=True)
    bound = models.FloatField(_("bound"), null=True, blank=True)
    gap = models.FloatField(_("gap"), null=True, blank=True)
    binding = models.JSONField(_("binding constraints"), default=list, blank=True)
    solve_seconds = models.FloatField(_("solve time (s)"), null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("return plan")
        verbose_name_plural = _("return plans")

    def __str__(self) -> str:
        return f"plan {self.application_id} ({self.status})"


class Assignment(models.Model):
    """One employee's place in a plan: arrival, first working day, site and shift."""

    plan = models.ForeignKey(ReturnPlan, on_delete=models.CASCADE, related_name="assignments")
    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.CASCADE, related_name="return_assignments"
    )
    arrival_on = models.DateField(_("arrival"), null=True, blank=True)
    first_day = models.DateField(_("first working day"), null=True, blank=True)
    site = models.ForeignKey(
        "orgs.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    shift = models.PositiveSmallIntegerField(_("shift"), null=True, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    reason = models.CharField(_("why not scheduled"), max_length=300, blank=True)
    # What the employee was last told (set on publishing; a change notifies them).
    told_first_day = models.DateField(null=True, blank=True)
    told_arrival_on = models.DateField(null=True, blank=True)
    told_site = models.ForeignKey(
        "orgs.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    told_shift = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["first_day", "shift", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "employee"],
                name="one_assignment_per_employee",
                violation_error_message=_("The employee is in this plan already."),
            )
        ]
        indexes = [models.Index(fields=["employee"])]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return f"{self.employee_id} {self.first_day} {self.shift}"

    @property
    def scheduled(self) -> bool:
        return self.first_day is not None


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    SWAPPED = "swapped", _("Swapped shift")


ON_SITE = (AttendanceStatus.PRESENT, AttendanceStatus.SWAPPED)


class AttendanceRecord(models.Model):
    """Who is on site per site, day and shift: from the published plan, corrected by
    managers. Exposure tracing reads it ("who shared a site and shift with this person")."""

    class Source(models.TextChoices):
        PLAN = "plan", _("Plan")
        MANAGER = "manager", _("Manager")

    enterprise = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="attendance"
    )
    site = models.ForeignKey("orgs.Site", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    shift = models.PositiveSmallIntegerField(_("shift"))
    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.CASCADE, related_name="attendance"
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.PRESENT,
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "site", "shift", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "day"],
                name="one_attendance_per_employee_day",
                violation_error_message=_("The employee has an attendance record for this day."),
            )
        ]
        indexes = [
            models.Index(fields=["site", "day", "shift"], name="attendance_site_day_shift"),
            models.Index(fields=["employee", "day"], name="attendance_employee_day"),
            models.Index(fields=["enterprise", "day"], name="attendance_enterprise_day"),
        ]
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")

    def __str__(self) -> str:
        return f"{self.employee_id} {self.day} {self.site_id}/{self.shift}"


class WavePlan(models.Model):
    """The federation's (or an association's) plan across submitted applications: how many
    people of each enterprise arrive and start each day, within the district arrival caps.
    Counts only; each enterprise's own plan then respects its daily arrival quota."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    scope = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="wave_plans"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    starts_on = models.DateField(_("horizon start"))
    horizon_days = models.PositiveSmallIntegerField(_("horizon (days)"), default=30)
    applications = models.PositiveIntegerField(_("applications"), default=0)
    people = models.PositiveIntegerField(_("people"), default=0)
    scheduled = models.PositiveIntegerField(_("scheduled"), default=0)
    method = models.CharField(_("method"), max_length=40, blank=True)
    objective = models.FloatField(_("objective"), null=True, blank=True)
    bound = models.FloatField(_("bound"), null=True, blank=True)
    gap = models.FloatField(_("gap"), null=True, blank=True)
    greedy_objective = models.FloatField(null=True, blank=True)
    binding = models.JSONField(_("binding constraints"), default=list, blank=True)
    conflicts = models.JSONField(_("conflicts"), default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    solve_seconds = models.FloatField(_("solve time (s)"), null=True, blank=True)
    computed_at = models.DateTimeField(auto_now_add=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-computed_at", "-pk"]
        indexes = [models.Index(fields=["scope", "status"])]
        verbose_name = _("wave plan")
        verbose_name_plural = _("wave plans")

    def __str__(self) -> str:
        return f"wave {self.starts_on} ({self.status})"


class WaveQuota(models.Model):
    """One enterprise's arrivals (quota) and first working days on one day of a wave plan."""

    wave = models.ForeignKey(WavePlan, on_delete=models.CASCADE, related_name="quotas")
    enterprise = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(
        "orgs.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("day"))
    arrivals = models.PositiveIntegerField(_("arrivals"), default=0)
    starts = models.PositiveIntegerField(_("first working days"), default=0)

    class Meta:
        ordering = ["day", "enterprise_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "enterprise", "district", "day"],
                name="one_wave_quota_per_day",
                violation_error_message=_("This quota exists already."),
            )
        ]
        indexes = [models.Index(fields=["enterprise", "day"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.day} {self.arrivals}"
