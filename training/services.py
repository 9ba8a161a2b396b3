"""Writes of the training app: courses, quiz questions, files, assignments, quiz attempts,
reminders, and the seed courses. Every write is audited (no personal values in audit rows).

Course text is Markdown rendered and sanitised exactly as notices are
(`notices.markdown.render_markdown`); video links are http(s) only; files are checked by
content (`lib.uploads.upload_check`). Quizzes are graded here, never in the browser: the
answers are choice ids, and anything that is not a choice of that question (unknown ids,
ids of another question or course, junk) is ignored; a question is right when the chosen
set equals the correct set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, RoleGrant, User
from audit.services import audit_record
from lib import crypto
from lib.uploads import ATTACHMENT_KINDS, save_with_file, upload_check
from notices.markdown import clean_line, clean_text, render_markdown
from notify.models import Channel
from notify.services import Message, Recipient, notify_send
from orgs.models import Organization, OrganizationKind, Sector, Site
from training import selectors
from training.models import (
    Assignment,
    Attempt,
    Choice,
    Completion,
    Course,
    CourseFile,
    Question,
    Reminder,
)
from workforce.links import link_token
from workforce.models import Employee

WRITER_ROLES = (Role.ADMIN, Role.STAFF)
MAX_QUESTIONS = 50
MAX_CHOICES = 8
MAX_VIDEOS = 10
MAX_FILES = 20
MAX_ANSWER_IDS = 200  # per submission: more is not an answer, it is a probe
REMIND_INTERVAL = dt.timedelta(hours=1)
RATE_LIMIT = 10  # quiz submissions a minute per employee
RATE_WINDOW_SECONDS = 60


def file_max_bytes() -> int:
    """The size limit of one course file (setting TRAINING_FILE_MAX_BYTES, 20 MB)."""
    return int(getattr(settings, "TRAINING_FILE_MAX_BYTES", 20 * 1024 * 1024))


def _require_writer(actor: User | None, organization: Organization) -> None:
    """Only the organisation's administrators and staff write; `None` is the system."""
    if actor is None:
        return
    if not RoleGrant.objects.filter(
        user=actor, organization=organization, role__in=WRITER_ROLES
    ).exists():
        raise PermissionDenied


def _lock(course: Course) -> Course:
    return Course.objects.select_for_update().get(pk=course.pk)


def _bump(course: Course) -> None:
    Course.objects.filter(pk=course.pk).update(version=course.version + 1)
    course.version += 1


# --- Courses ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Video:
    title: str
    url: str


@dataclass(frozen=True)
class CourseInput:
    title: str
    summary: str = ""
    body_md: str = ""
    sources: str = ""
    videos: Sequence[Video] = ()
    pass_mark: int = 80
    minutes: int = 15


def video_url_clean(url: str) -> str:
    """An absolute http(s) address with a host, else ValidationError (no javascript:,
    data:, protocol-relative or bare words)."""
    url = clean_line(url, max_length=500)
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValidationError(
            _("A video link must be an address starting with http:// or https://."),
            code="video_url",
        )
    if any(ch.isspace() for ch in url) or "\\" in url:
        raise ValidationError(_("A video link cannot contain spaces."), code="video_url")
    return url


def parse_videos(text: str) -> list[Video]:
    """Video links typed one a line as "title | address" (or just the address)."""
    videos: list[Video] = []
    for line in clean_text(text, multiline=True).splitlines():
        if not line.strip():
            continue
        title, bar, url = line.rpartition("|")
        if not bar:
            title, url = "", line
        videos.append(Video(title=clean_line(title, max_length=120), url=url.strip()))
    return videos


def _clean_course(data: CourseInput) -> dict[str, object]:
    errors: dict[str, list[str]] = {}
    title = clean_line(data.title)
    if not title:
        errors.setdefault("title", []).append(_("Give the course a title."))
    if not 1 <= int(data.pass_mark) <= 100:
        errors.setdefault("pass_mark", []).append(_("The pass mark is a percentage from 1 to 100."))
    if not 1 <= int(data.minutes) <= 600:
        errors.setdefault("minutes", []).append(_("Say how many minutes it takes (1 to 600)."))
    if len(data.videos) > MAX_VIDEOS:
        errors.setdefault("videos", []).append(
            _("A course carries at most %(count)d video links.") % {"count": MAX_VIDEOS}
        )
    videos: list[dict[str, str]] = []
    for video in data.videos[:MAX_VIDEOS]:
        try:
            url = video_url_clean(video.url)
        except ValidationError as exc:
            errors.setdefault("videos", []).extend(exc.messages)
            continue
        videos.append({"title": clean_line(video.title, max_length=120) or url, "url": url})
    body_md = clean_text(data.body_md, multiline=True)
    if len(body_md) > 100_000:
        errors.setdefault("body_md", []).append(_("The text is too long."))
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "summary": clean_line(data.summary, max_length=300),
        "body_md": body_md,
        "body_html": render_markdown(body_md),
        "sources": clean_text(data.sources, multiline=True)[:5000],
        "videos": videos,
        "pass_mark": int(data.pass_mark),
        "minutes": int(data.minutes),
    }


@transaction.atomic
def course_create(*, actor: User | None, publisher: Organization, data: CourseInput) -> Course:
    """A draft course of `publisher` (the federation, an association or an enterprise)."""
    _require_writer(actor, publisher)
    course = Course.objects.create(publisher=publisher, author=actor, **_clean_course(data))
    audit_record(
        actor=actor,
        action="training.course_create",
        scope=publisher,
        obj=course,
        changes={"title": course.title},
    )
    return course


@transaction.atomic
def course_update(*, actor: User, course: Course, data: CourseInput, version: int) -> Course:
    """Edit a course; refused when someone saved it since `version` was read. Every edit
    makes a new version (completions remember the version they were made on)."""
    current = _lock(course)
    _require_writer(actor, current.publisher)
    if current.version != version:
        raise ValidationError(
            _("Someone changed this course while you were editing it. Reload and edit again."),
            code="stale",
        )
    cleaned = _clean_course(data)
    changed = sorted(k for k, v in cleaned.items() if getattr(current, k) != v)
    for key, value in cleaned.items():
        setattr(current, key, value)
    current.version += 1
    current.save()
    audit_record(
        actor=actor,
        action="training.course_update",
        scope=current.publisher,
        obj=current,
        changes={"fields": changed, "version": current.version},
    )
    return current


def _publish_errors(course: Course) -> list[str]:
    errors: list[str] = []
    if not course.body_md.strip() and not course.files.exists() and not course.videos:
        errors.append(_("Add the course text, a file or a video link before publishing."))
    for question in course.questions.prefetch_related("choices"):
        choices = list(question.choices.all())
        if len(choices) < 2 or not any(c.is_correct for c in choices):
            errors.append(
                _("Question “%(text)s” needs at least two answers and a right one.")
                % {"text": question.text[:60]}
            )
    return errors


@transaction.atomic
def course_publish(*, actor: User | None, course: Course) -> Course:
    """Publish a course: it reaches the employees its assignments pick."""
    current = _lock(course)
    _require_writer(actor, current.publisher)
    if current.status == Course.Status.PUBLISHED:
        raise ValidationError(_("This course is already published."), code="published")
    errors = _publish_errors(current)
    if errors:
        raise ValidationError(errors)
    current.status = Course.Status.PUBLISHED
    current.published_at = timezone.now()
    current.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action="training.course_publish",
        scope=current.publisher,
        obj=current,
        changes={"version": current.version},
    )
    return current


@transaction.atomic
def course_unpublish(*, actor: User, course: Course) -> Course:
    """Take a course back to draft: employees no longer see it; results are kept."""
    current = _lock(course)
    _require_writer(actor, current.publisher)
    if current.status != Course.Status.PUBLISHED:
        raise ValidationError(_("This course is not published."), code="draft")
    current.status = Course.Status.DRAFT
    current.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor, action="training.course_unpublish", scope=current.publisher, obj=current
    )
    return current


# --- Quiz questions -----------------------------------------------------------------------


def parse_choices(text: str) -> list[tuple[str, bool]]:
    """Answers typed one a line; a leading "*" marks a right one."""
    choices: list[tuple[str, bool]] = []
    for line in clean_text(text, multiline=True).splitlines():
        line = line.strip()
        if not line:
            continue
        correct = line.startswith("*")
        choices.append((clean_line(line.lstrip("*"), max_length=300), correct))
    return choices


@transaction.atomic
def question_add(
    *,
    actor: User | None,
    course: Course,
    text: str,
    multiple: bool,
    choices: Sequence[tuple[str, bool]],
) -> Question:
    """Add a question with its answers (2 to 8; one right for single choice, at least one
    for multiple choice)."""
    current = _lock(course)
    _require_writer(actor, current.publisher)
    errors: dict[str, list[str]] = {}
    text = clean_line(text, max_length=500)
    if not text:
        errors["text"] = [_("Write the question.")]
    answers = [(t, bool(c)) for t, c in choices if t]
    right = sum(1 for _t, c in answers if c)
    if not 2 <= len(answers) <= MAX_CHOICES:
        errors["choices"] = [
            _("Give from 2 to %(count)d answers, one a line.") % {"count": MAX_CHOICES}
        ]
    elif len({t for t, _c in answers}) != len(answers):
        errors["choices"] = [_("Two answers are the same.")]
    elif right == 0:
        errors["choices"] = [_("Mark the right answer with a * at the start of its line.")]
    elif not multiple and right != 1:
        errors["choices"] = [
            _(
                "A single-choice question has exactly one right answer; tick “several answers "
                "are right” otherwise."
            )
        ]
    count = current.questions.count()
    if count >= MAX_QUESTIONS:
        errors["text"] = [_("A quiz has at most %(count)d questions.") % {"count": MAX_QUESTIONS}]
    if errors:
        raise ValidationError(errors)
    question = Question.objects.create(
        course=current, position=count + 1, text=text, multiple=multiple
    )
    Choice.objects.bulk_create(
        Choice(question=question, position=i, text=t, is_correct=c)
        for i, (t, c) in enumerate(answers, start=1)
    )
    _bump(current)
    audit_record(
        actor=actor,
        action="training.question_add",
        scope=current.publisher,
        obj=current,
        changes={"question": question.pk, "version": current.version},
    )
    return question


@transaction.atomic
def question_delete(*, actor: User, question: Question) -> None:
    current = _lock(question.course)
    _require_writer(actor, current.publisher)
    pk = question.pk
    question.delete()
    _bump(current)
    audit_record(
        actor=actor,
        action="training.question_delete",
        scope=current.publisher,
        obj=current,
        changes={"question": pk, "version": current.version},
    )


# --- Files --------------------------------------------------------------------------------


@transaction.atomic
def file_add(*, actor: User, course: Course, upload: UploadedFile) -> CourseFile:
    """Attach a document, checked by content (PDF, Word, Excel, images), within the limit."""
    current = _lock(course)
    _require_writer(actor, current.publisher)
    if CourseFile.objects.filter(course=current).count() >= MAX_FILES:
        raise ValidationError(
            _("A course carries at most %(count)d files.") % {"count": MAX_FILES},
            code="too_many",
        )
    checked = upload_check(upload, allowed=ATTACHMENT_KINDS, max_bytes=file_max_bytes())
    if CourseFile.objects.filter(course=current, sha256=checked.sha256).exists():
        raise ValidationError(
            _("This file is already attached (“%(name)s”).") % {"name": checked.name},
            code="duplicate",
        )
    row = CourseFile(
        course=current,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    save_with_file(
        row,
        field="file",
        upload=upload,
        name=checked.name,
        then=lambda: audit_record(
            actor=actor,
            action="training.file_add",
            scope=current.publisher,
            obj=current,
            changes={"file": row.pk, "name": checked.name, "size": checked.size},
        ),
    )
    return row


@transaction.atomic
def file_delete(*, actor: User, course_file: CourseFile) -> None:
    current = _lock(course_file.course)
    _require_writer(actor, current.publisher)
    stored = course_file.file.name
    audit_record(
        actor=actor,
        action="training.file_delete",
        scope=current.publisher,
        obj=current,
        changes={"file": course_file.pk, "name": course_file.name},
    )
    course_file.delete()
    transaction.on_commit(lambda: default_storage.delete(stored))


# --- Assignments --------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentInput:
    rule: str
    required: bool = True
    due_on: dt.date | None = None
    sector: Sector | None = None
    position: str = ""
    site: Site | None = None


@transaction.atomic
def assignment_add(
    *, actor: User | None, organization: Organization, course: Course, data: AssignmentInput
) -> Assignment:
    """Say who takes a course. The publisher assigns its own course (to every member
    enterprise it reaches); an association may also assign the federation's courses to its
    members; an enterprise assigns its own courses and those it receives, to its employees
    (all, a position or a site)."""
    _require_writer(actor, organization)
    viewer = RoleGrant(organization=organization)
    if not selectors.course_list(viewer=viewer).filter(pk=course.pk).exists():
        raise PermissionDenied
    is_enterprise = organization.kind == OrganizationKind.ENTERPRISE
    errors: dict[str, list[str]] = {}
    rule = data.rule
    fields: dict[str, object] = {}
    if rule not in Assignment.Rule.values:
        errors["rule"] = [_("Choose who takes the course.")]
    elif rule == Assignment.Rule.SECTOR:
        if is_enterprise:
            errors["rule"] = [
                _("An enterprise assigns to all its employees, a position or a site.")
            ]
        elif data.sector is None:
            errors["sector"] = [_("Choose the sector.")]
        else:
            fields["sector"] = data.sector
    elif rule == Assignment.Rule.SITE:
        if not is_enterprise:
            errors["rule"] = [_("Only an enterprise assigns a course to one of its sites.")]
        elif data.site is None or data.site.enterprise_id != organization.pk:
            errors["site"] = [_("Choose one of your sites.")]
        else:
            fields["site"] = data.site
    elif rule == Assignment.Rule.POSITION:
        position = clean_line(data.position, max_length=50)
        if not position:
            errors["position"] = [_("Write the position, as it is on the roster.")]
        fields["position"] = position
    if data.due_on is not None and data.due_on < timezone.localdate() - dt.timedelta(days=365):
        errors["due_on"] = [_("The due date is too far in the past.")]
    if errors:
        raise ValidationError(errors)
    assignment = Assignment.objects.create(
        course=course,
        organization=organization,
        rule=rule,
        required=bool(data.required),
        due_on=data.due_on,
        created_by=actor,
        **fields,  # type: ignore[arg-type]
    )
    audit_record(
        actor=actor,
        action="training.assignment_add",
        scope=organization,
        obj=course,
        changes={
            "assignment": assignment.pk,
            "rule": rule,
            "required": assignment.required,
            "due_on": data.due_on.isoformat() if data.due_on else "",
        },
    )
    return assignment


@transaction.atomic
def assignment_delete(*, actor: User, assignment: Assignment) -> None:
    _require_writer(actor, assignment.organization)
    audit_record(
        actor=actor,
        action="training.assignment_delete",
        scope=assignment.organization,
        obj=assignment.course,
        changes={"assignment": assignment.pk, "rule": assignment.rule},
    )
    assignment.delete()


# --- Taking a course ----------------------------------------------------------------------


@dataclass
class Grade:
    """The result of grading one submission."""

    score: int
    passed: bool
    right: dict[int, bool] = field(default_factory=dict)  # question id → answered right
    answers: dict[str, list[int]] = field(default_factory=dict)  # what was kept


def _ids(values: Iterable[object]) -> set[int]:
    found: set[int] = set()
    for value in list(values)[:MAX_ANSWER_IDS]:
        text = str(value).strip()
        if text.isascii() and text.isdigit() and len(text) <= 12:
            found.add(int(text))
    return found


def quiz_grade(
    *, questions: Sequence[Question], answers: Mapping[str, Iterable[object]], pass_mark: int
) -> Grade:
    """Grade answers ({"<question id>": [choice ids]}) against `questions` (with their
    choices prefetched). Only the choices of each question count; duplicates count once;
    a single-choice question answered with several choices is wrong."""
    grade = Grade(score=0, passed=False)
    if not questions:
        return grade
    right = 0
    for question in questions:
        choices = list(question.choices.all())
        own = {c.pk for c in choices}
        correct = {c.pk for c in choices if c.is_correct}
        chosen = _ids(answers.get(str(question.pk), ())) & own
        ok = bool(chosen) and chosen == correct and (question.multiple or len(chosen) == 1)
        grade.right[question.pk] = ok
        grade.answers[str(question.pk)] = sorted(chosen)
        right += ok
    grade.score = round(100 * right / len(questions))
    grade.passed = grade.score >= pass_mark
    return grade


def quiz_throttled(*, employee_id: int, now: dt.datetime | None = None) -> bool:
    """Count a submission; True when the employee went over RATE_LIMIT a minute."""
    window = int((now or timezone.now()).timestamp()) // RATE_WINDOW_SECONDS
    key = f"training:quiz-rate:{employee_id}:{window}"
    cache.add(key, 0, RATE_WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, RATE_WINDOW_SECONDS * 2)
        count = 1
    return count > RATE_LIMIT


def _assigned_or_refuse(employee: Employee, course: Course) -> Course:
    for assigned in selectors.assigned_courses(employee=employee):
        if assigned.course.pk == course.pk:
            return assigned.course
    raise ValidationError(_("This course is not one of yours."), code="not_assigned")


def _completion_for(employee: Employee, course: Course, now: dt.datetime) -> Completion:
    completion, _created = Completion.objects.select_for_update().get_or_create(
        course=course,
        employee=employee,
        defaults={"enterprise_id": employee.enterprise_id, "last_at": now},
    )
    return completion


@transaction.atomic
def attempt_submit(
    *,
    employee: Employee,
    course: Course,
    answers: Mapping[str, Iterable[object]],
    started_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> tuple[Attempt, Grade]:
    """Grade and record a quiz submission; the completion keeps the best score. Retakes
    are allowed; a pass, once made, stays."""
    now = now or timezone.now()
    course = _assigned_or_refuse(employee, course)
    questions = selectors.question_list(course=course)
    if not questions:
        raise ValidationError(_("This course has no quiz."), code="no_quiz")
    grade = quiz_grade(questions=questions, answers=answers, pass_mark=course.pass_mark)
    if started_at is not None and not (now - dt.timedelta(days=1) <= started_at <= now):
        started_at = None
    attempt = Attempt.objects.create(
        course=course,
        employee=employee,
        enterprise_id=employee.enterprise_id,
        answers=grade.answers,
        score=grade.score,
        passed=grade.passed,
        course_version=course.version,
        started_at=started_at,
        submitted_at=now,
    )
    completion = _completion_for(employee, course, now)
    completion.attempts += 1
    completion.last_at = now
    if completion.best_score is None or grade.score > completion.best_score:
        completion.best_score = grade.score
        completion.seconds_spent = int((now - started_at).total_seconds()) if started_at else 0
        completion.course_version = course.version
    if grade.passed and not completion.passed:
        completion.passed = True
        completion.passed_at = now
    completion.save()
    audit_record(
        actor=None,
        action="training.attempt",
        scope=employee.enterprise,
        obj=course,
        changes={"attempt": attempt.pk, "score": grade.score, "passed": grade.passed},
    )
    return attempt, grade


@transaction.atomic
def course_read(
    *, employee: Employee, course: Course, now: dt.datetime | None = None
) -> Completion:
    """ "I have studied it": completes a course that has no quiz."""
    now = now or timezone.now()
    course = _assigned_or_refuse(employee, course)
    if course.questions.exists():
        raise ValidationError(
            _("This course ends with a quiz; pass it to complete the course."), code="has_quiz"
        )
    completion = _completion_for(employee, course, now)
    completion.last_at = now
    completion.attempts += 1
    if not completion.passed:
        completion.passed = True
        completion.passed_at = now
        completion.course_version = course.version
    completion.save()
    audit_record(actor=None, action="training.course_read", scope=employee.enterprise, obj=course)
    return completion


# --- Reminders ----------------------------------------------------------------------------


def _absolute(path: str) -> str:
    base = getattr(settings, "SITE_URL", "") or ""
    return base.rstrip("/") + path


@transaction.atomic
def remind_missing(
    *, actor: User, viewer: RoleGrant, course: Course, now: dt.datetime | None = None
) -> int:
    """SMS the enterprise's employees who have not taken a course yet (those who failed
    are not reminded: they know), at most once an hour per course; returns how many."""
    from django.urls import reverse

    now = now or timezone.now()
    enterprise = viewer.organization
    _require_writer(actor, enterprise)
    current = _lock(course)  # one reminder at a time per course
    if selectors.reminded_within(
        enterprise=enterprise, course=current, since=now - REMIND_INTERVAL
    ):
        raise ValidationError(
            _("A reminder for this course went out less than an hour ago; try again later."),
            code="recent",
        )
    missing = selectors.missing_employees(enterprise=enterprise, course=current)
    if not missing:
        raise ValidationError(_("Everyone has taken this course; nobody to remind."), code="none")
    reminder = Reminder.objects.create(
        course=current, enterprise=enterprise, sent_by=actor, sent_at=now, recipients=len(missing)
    )
    audit_record(
        actor=actor,
        action="training.remind",
        scope=enterprise,
        obj=current,
        changes={"reminder": reminder.pk, "recipients": len(missing)},
    )
    name = enterprise.short_name or enterprise.name
    for employee in missing:
        path = reverse(
            "my_training:course", kwargs={"token": link_token(employee), "pk": current.pk}
        )
        with translation.override(employee.language or settings.LANGUAGE_CODE):
            message = Message(
                subject=(
                    _("%(enterprise)s: please take the course “%(title)s”")
                    % {"enterprise": name, "title": current.title}
                )[:200],
                body=_("Open your personal link to study it: %(link)s") % {"link": _absolute(path)},
                url=path,
            )
        notify_send(
            key=f"training:remind:{reminder.pk}:{employee.pk}",
            message=message,
            recipients=[Recipient(mobile=crypto.decrypt(employee.mobile_enc))],
            channels=[Channel.SMS],
            scope=enterprise,
        )
    return len(missing)


# --- Seed courses -------------------------------------------------------------------------


@transaction.atomic
def courses_seed(*, federation: Organization, actor: User | None) -> list[Course]:
    """The three federation courses (prevention basics, service standards, legal and risk
    awareness), each with a quiz and a pass mark of 80, published. Courses already there
    (same title, same publisher) are left as they are."""
    from training.seed import SEED_COURSES

    if federation.kind != OrganizationKind.FEDERATION:
        raise ValidationError(_("Seed courses are the federation's."), code="not_federation")
    courses: list[Course] = []
    for spec in SEED_COURSES:
        existing = Course.objects.filter(publisher=federation, title=spec.title).first()
        if existing is not None:
            courses.append(existing)
            continue
        course = course_create(
            actor=actor,
            publisher=federation,
            data=CourseInput(
                title=spec.title,
                summary=spec.summary,
                body_md=spec.body_md,
                sources=spec.sources,
                videos=spec.videos,
                pass_mark=80,
                minutes=spec.minutes,
            ),
        )
        for question in spec.questions:
            question_add(
                actor=actor,
                course=course,
                text=question.text,
                multiple=question.multiple,
                choices=question.choices,
            )
        course.refresh_from_db()
        courses.append(course_publish(actor=actor, course=course))
    return courses
