"""Training: courses with an optional quiz, who must take them, and what employees did.

A course is written by a publisher (the federation, an association, or an enterprise for
its own staff). Published courses of the federation and associations reach their member
enterprises; an `Assignment` says which employees must (or may) take a course: all of an
enterprise's employees, those of a sector, a position or a site. Assignments made by the
publisher apply in every member enterprise; an enterprise's own assignments apply to its
own employees only. Employees answer the quiz through their personal link; each submission
is an `Attempt` (graded on the server) and `Completion` keeps the best result per person
and course.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Course(models.Model):
    """A course: text, files, video links and an optional quiz with a pass mark."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    publisher = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("publisher"),
        on_delete=models.PROTECT,
        related_name="courses",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body_md = models.TextField(_("text"), blank=True, max_length=100_000)
    body_html = models.TextField(blank=True)  # rendered from body_md, sanitised (notices.markdown)
    sources = models.TextField(_("sources"), blank=True, max_length=5000)
    # [{"title": "…", "url": "https://…"}]: http(s) only, checked by the services.
    videos = models.JSONField(_("video links"), default=list, blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    minutes = models.PositiveSmallIntegerField(_("minutes to study"), default=15)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Bumped by every edit: optimistic locking, and the version a completion was made on.
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=1) & Q(pass_mark__lte=100),
                name="training_pass_mark_range",
                violation_error_message=_("The pass mark is a percentage from 1 to 100."),
            ),
        ]
        indexes = [models.Index(fields=["publisher", "status"])]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """One quiz question: single or multiple choice."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("question"), max_length=500)
    multiple = models.BooleanField(_("several answers are right"), default=False)

    class Meta:
        ordering = ["course", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text


class Choice(models.Model):
    """One answer offered for a question; `is_correct` never leaves the server before grading."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("answer"), max_length=300)
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["question", "position", "id"]

    def __str__(self) -> str:
        return self.text


def _upload_to(instance: models.Model, filename: str) -> str:
    # The stored name is random; the original name is kept in the row for downloads.
    return f"training/{instance._meta.model_name}/{uuid.uuid4().hex}"


class CourseFile(models.Model):
    """A document attached to a course (PDF, Word, Excel, image), type checked by content."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="files")
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
        ordering = ["course", "id"]

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """Who must (or may) take a course: a rule set by the publisher (applies in every member
    enterprise) or by an enterprise (applies to its own employees)."""

    class Rule(models.TextChoices):
        ALL = "all", _("All employees")
        SECTOR = "sector", _("Employees of enterprises in a sector")
        POSITION = "position", _("Employees in a position")
        SITE = "site", _("Employees of a site")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="training_assignments"
    )
    rule = models.CharField(_("who"), max_length=10, choices=Rule.choices, default=Rule.ALL)
    sector = models.ForeignKey(
        "orgs.Sector", verbose_name=_("sector"), null=True, blank=True, on_delete=models.CASCADE
    )
    position = models.CharField(_("position"), max_length=50, blank=True)
    site = models.ForeignKey(
        "orgs.Site", verbose_name=_("site"), null=True, blank=True, on_delete=models.CASCADE
    )
    required = models.BooleanField(_("required"), default=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(rule="sector") & Q(sector__isnull=False))
                | (Q(rule="site") & Q(site__isnull=False))
                | (Q(rule="position") & ~Q(position=""))
                | Q(rule="all"),
                name="training_assignment_has_target",
                violation_error_message=_("Say which sector, site or position."),
            ),
        ]
        indexes = [models.Index(fields=["organization", "course"])]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return f"{self.course_id} → {self.rule}"


class Attempt(models.Model):
    """One submission of a course's quiz by an employee (answers as choice ids)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="attempts")
    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.CASCADE, related_name="training_attempts"
    )
    enterprise = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    answers = models.JSONField(default=dict)  # {"<question id>": [<choice id>, …]}
    score = models.PositiveSmallIntegerField()  # percent
    passed = models.BooleanField()
    course_version = models.PositiveIntegerField()
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["employee", "course"])]

    def __str__(self) -> str:
        return f"{self.employee_id}: {self.course_id} {self.score}%"


class Completion(models.Model):
    """An employee's best result for a course: the row managers and roll-ups count."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="completions")
    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.CASCADE, related_name="training_completions"
    )
    enterprise = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    best_score = models.PositiveSmallIntegerField(null=True, blank=True)  # None: no quiz
    passed = models.BooleanField(default=False)
    passed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()
    seconds_spent = models.PositiveIntegerField(default=0)  # on the best attempt
    course_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["course", "employee"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "employee"], name="training_one_completion_per_person"
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "course"])]

    def __str__(self) -> str:
        return f"{self.employee_id}: {self.course_id} {'passed' if self.passed else 'open'}"


class Reminder(models.Model):
    """An enterprise reminding those who have not taken a course (at most once an hour)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="reminders")
    enterprise = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["course", "enterprise", "-sent_at"])]

    def __str__(self) -> str:
        return f"{self.course_id} @ {self.sent_at:%Y-%m-%d %H:%M}"
