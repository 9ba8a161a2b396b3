"""Daily health check-ins, consent, quarantine and observation, and the daily rollups.

Everything here except `DailyRollup` is personal data owned by the employee's enterprise:
it is read only through an enterprise grant. Associations and the federation read the
rollups, which carry counts and no person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ConsentKind(models.TextChoices):
    HEALTH = "health", _("Health data")
    TRAVEL = "travel", _("Travel and contact data")


class Consent(models.Model):
    """An employee's consent to one kind of processing (PIPL: separate consent for
    sensitive personal information). A withdrawal closes the row; giving it again opens a
    new one, so the history is kept."""

    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.CASCADE, related_name="consents"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ConsentKind.choices)
    notice_version = models.CharField(max_length=20)  # the privacy notice the employee saw
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["employee", "kind", "-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "kind"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_open_consent_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.kind}"


class Status(models.TextChoices):
    NORMAL = "normal", _("Normal")
    ATTENTION = "attention", _("Attention")
    ABNORMAL = "abnormal", _("Abnormal")


class Via(models.TextChoices):
    SELF = "self", _("By the employee")
    MANAGER = "manager", _("By a manager on their behalf")
    IMPORT = "import", _("Imported from a spreadsheet")
    API = "api", _("Through the API")


class CheckIn(models.Model):
    """One employee's check-in for one business day (Asia/Shanghai). Resubmitting the
    same day updates this row and adds a `CheckInRevision`."""

    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.CASCADE, related_name="checkins"
    )
    # Copied from the employee at submission, for the enterprise's per-site counts.
    enterprise = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(
        "orgs.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    day = models.DateField(_("day"))
    emergency = models.ForeignKey(
        "emergencies.Emergency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The form version the answers were given against (and the thresholds applied).
    rule_version = models.ForeignKey(
        "emergencies.RuleVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Which form the answers were given against: the federation's version and the
    # additions in force ("v3+a7+a9"; "default" without a published version).
    form_version = models.CharField(max_length=100, blank=True)
    answers = models.JSONField(_("answers"), default=dict)
    # SHA-256 of the canonical answers, to spot identical submissions (checkin_patterns).
    answers_digest = models.CharField(max_length=64, blank=True)
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reasons = models.JSONField(default=list)  # codes of the rules that decided the status
    via = models.CharField(_("submitted"), max_length=10, choices=Via.choices, default=Via.SELF)
    quick = models.BooleanField(default=False)  # "nothing has changed since yesterday"
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    updated_at = models.DateTimeField(auto_now=True)
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-day", "employee"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "day"], name="one_checkin_per_day"),
        ]
        indexes = [
            models.Index(fields=["enterprise", "day", "status"]),
            models.Index(fields=["day", "enterprise"]),
        ]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")

    def __str__(self) -> str:
        return f"{self.employee_id} {self.day}"


class CheckInRevision(models.Model):
    """A check-in as it was after each submission of the day (the history)."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    answers = models.JSONField(default=dict)
    temperature = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    via = models.CharField(max_length=10, choices=Via.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["checkin", "number"]
        constraints = [
            models.UniqueConstraint(fields=["checkin", "number"], name="one_checkin_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.checkin_id} r{self.number}"


class Observation(models.Model):
    """Isolation or medical observation of an employee, from a start to a planned end
    (computed from the rule table) until an explicit, logged release."""

    class Kind(models.TextChoices):
        CENTRAL_ISOLATION = "central_isolation", _("Centralised isolation")
        HOME_ISOLATION = "home_isolation", _("Home isolation")
        HOME_MONITORING = "home_monitoring", _("Home health monitoring")
        SELF_MONITORING = "self_monitoring", _("Self health monitoring")
        MEDICAL_OBSERVATION = "medical_observation", _("Medical observation")

    class Reason(models.TextChoices):
        ARRIVAL = "arrival", _("Arrived from a risk region")
        CONTACT = "contact", _("Contact with a case")
        SYMPTOMS = "symptoms", _("Symptoms or fever")
        OTHER = "other", _("Other")

    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.CASCADE, related_name="observations"
    )
    enterprise = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    place = models.CharField(_("place"), max_length=200, blank=True)
    origin = models.ForeignKey(
        "orgs.Division",
        verbose_name=_("arrived from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    arrived_on = models.DateField(_("arrived on"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    planned_end_on = models.DateField(_("planned end"))
    # How the planned end was computed: the rule version and a sentence that says why.
    rule_version = models.ForeignKey(
        "emergencies.RuleVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    computed_from = models.CharField(max_length=300, blank=True)
    released_on = models.DateField(_("released on"), null=True, blank=True)
    release_note = models.CharField(_("release note"), max_length=300, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end_on__gte=models.F("starts_on")),
                name="observation_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["enterprise", "planned_end_on"],
                condition=Q(released_on__isnull=True),
                name="observation_open",
            ),
        ]
        verbose_name = _("isolation or observation")
        verbose_name_plural = _("isolations and observations")

    def __str__(self) -> str:
        return f"{self.employee_id} {self.kind} {self.starts_on}"


class FormAddition(models.Model):
    """Questions an association or an enterprise adds to the federation's check-in form:
    a versioned rule table scoped to one organisation (data: `health.rules.FormAdditions`).
    The version in force on a day is the latest one effective on or before it; versions
    are never edited, only superseded (a version with no questions withdraws them)."""

    emergency = models.ForeignKey(
        "emergencies.Emergency", on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="checkin_form_additions"
    )
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    data = models.JSONField(_("questions"), default=dict)
    source_title = models.CharField(_("source"), max_length=300)
    source_url = models.URLField(_("source link"), blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["organization", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["emergency", "organization", "version"],
                name="one_form_addition_version",
                violation_error_message=_("This version number is taken."),
            ),
        ]
        indexes = [models.Index(fields=["emergency", "organization", "effective_from"])]
        verbose_name = _("check-in form addition")
        verbose_name_plural = _("check-in form additions")

    def __str__(self) -> str:
        return f"{self.organization_id} a{self.version} ({self.effective_from})"


class CheckInSettings(models.Model):
    """An enterprise's check-in settings: when the daily reminder goes out, and who the
    prevention officers are (they get abnormal-answer alerts; none = the admins)."""

    enterprise = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="checkin_settings"
    )
    reminder_time = models.TimeField(_("daily reminder at"), null=True, blank=True)
    last_reminder_on = models.DateField(null=True, blank=True)
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("prevention officers"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.enterprise_id)


class CheckInImport(models.Model):
    """An uploaded file of check-ins, checked and recorded in the background (all or none)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Checking")
        FAILED = "failed", _("Not imported")
        DONE = "done", _("Imported")

    enterprise = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="checkin_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=200)
    content = models.BinaryField()
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    problems = models.JSONField(_("problems"), default=list, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["enterprise", "-created_at"])]
        verbose_name = _("check-in import")
        verbose_name_plural = _("check-in imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"


class DailyRollup(models.Model):
    """Counts per enterprise and day, kept up to date as check-ins arrive: what
    associations and the federation read. No person appears here."""

    enterprise = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    # Copied from the enterprise so upward views group without joining.
    sector = models.ForeignKey(
        "orgs.Sector", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    district = models.ForeignKey(
        "orgs.Division", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    roster = models.PositiveIntegerField(default=0)  # active employees that day
    submitted = models.PositiveIntegerField(default=0)
    normal = models.PositiveIntegerField(default=0)
    attention = models.PositiveIntegerField(default=0)
    abnormal = models.PositiveIntegerField(default=0)
    in_observation = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "enterprise"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "day"], name="one_rollup_per_day"),
        ]
        indexes = [
            models.Index(fields=["day", "sector"]),
            models.Index(fields=["day", "district"]),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.day}"


class RollupDelta(models.Model):
    """A change to a `DailyRollup` row that could not be applied at once because another
    check-in held the row: the ingest service adds one in the check-in's own statement
    (health/ingest/statements.py) instead of waiting, and `health.rollups.rollup_fold`
    adds the pending ones to the row moments later. Counts only, no person."""

    enterprise = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    submitted = models.IntegerField(default=0)
    normal = models.IntegerField(default=0)
    attention = models.IntegerField(default=0)
    abnormal = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["enterprise", "day"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.day} +{self.submitted}"
