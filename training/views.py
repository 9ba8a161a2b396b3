"""Training pages for organisations: courses (write, quiz, files, assignments), an
enterprise's progress per course with reminders, and the stewards' completion roll-up
(counts only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import GrantRequest
from lib.access import Audience, access
from lib.uploads import file_response
from orgs.models import OrganizationKind
from training import selectors, services
from training.forms import AssignmentForm, CourseForm, FileForm, QuestionForm
from training.models import Course


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _status_counts(rows: list[selectors.ProgressRow]) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "missing": 0}
    for row in rows:
        counts[row.status] += 1
    return counts


@access(Audience.MEMBER)
@require_GET
def course_list(request: GrantRequest) -> HttpResponse:
    """Our courses, and (for an enterprise) the courses its associations and the federation
    published."""
    org = request.grant.organization
    courses = list(selectors.course_list(viewer=request.grant).order_by("-created_at"))
    mine = [c for c in courses if c.publisher_id == org.pk]
    received = [c for c in courses if c.publisher_id != org.pk]
    return render(
        request,
        "training/list.html",
        {
            "mine": mine,
            "received": received,
            "is_enterprise": org.kind == OrganizationKind.ENTERPRISE,
            "can_write": request.grant.can_write,
        },
    )


@access(Audience.MEMBER, write=True)
@require_http_methods(["GET", "POST"])
def course_create(request: GrantRequest) -> HttpResponse:
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(
                actor=request.user, publisher=request.grant.organization, data=form.to_input()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Draft saved. Add the quiz and files, then publish."))
            return redirect("training:course_detail", pk=course.pk)
    return render(
        request,
        "training/form.html",
        {"form": form, "course": None},
        status=422 if form.errors else 200,
    )


@access(Audience.MEMBER, write=True)
@require_http_methods(["GET", "POST"])
def course_edit(request: GrantRequest, pk: int) -> HttpResponse:
    course = selectors.course_manage_get(viewer=request.grant, pk=pk)
    form = CourseForm(request.POST) if request.method == "POST" else CourseForm.for_course(course)
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(
                actor=request.user,
                course=course,
                data=form.to_input(),
                version=form.cleaned_data.get("version") or 0,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("training:course_detail", pk=course.pk)
    return render(
        request,
        "training/form.html",
        {"form": form, "course": course},
        status=422 if form.errors else 200,
    )


def _detail(
    request: GrantRequest, course: Course, status: int = 200, **forms_: Any
) -> HttpResponse:
    org = request.grant.organization
    mine = course.publisher_id == org.pk
    can_write = request.grant.can_write
    may_assign = can_write and (
        mine
        or org.kind == OrganizationKind.ENTERPRISE
        or (org.kind == OrganizationKind.ASSOCIATION and course.publisher_id == org.parent_id)
    )
    questions = selectors.question_list(course=course)
    context = {
        "course": course,
        "mine": mine,
        "can_write": can_write and mine,
        "may_assign": may_assign,
        "questions": questions,
        "show_answers": mine,  # the publisher sees the right answers; nobody else
        "files": selectors.file_list(course=course),
        "assignments": selectors.assignment_list(viewer=request.grant, course=course),
        "own_org_id": org.pk,
        "is_enterprise": org.kind == OrganizationKind.ENTERPRISE,
        "question_form": forms_.get("question_form") or QuestionForm(),
        "file_form": forms_.get("file_form") or FileForm(),
        "assignment_form": forms_.get("assignment_form") or AssignmentForm(organization=org),
    }
    return render(request, "training/detail.html", context, status=status)


@access(Audience.MEMBER)
@require_GET
def course_detail(request: GrantRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.course_get(viewer=request.grant, pk=pk))


@access(Audience.MEMBER, write=True)
@require_POST
def course_publish(request: GrantRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(viewer=request.grant, pk=pk)
    course = selectors.course_manage_get(viewer=request.grant, pk=course.pk)
    try:
        if request.POST.get("action") == "unpublish":
            services.course_unpublish(actor=request.user, course=course)
            messages.success(request, _("The course is back to draft; employees no longer see it."))
        else:
            services.course_publish(actor=request.user, course=course)
            messages.success(request, _("Published."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("training:course_detail", pk=course.pk)


@access(Audience.MEMBER, write=True)
@require_POST
def question_add(request: GrantRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(viewer=request.grant, pk=pk)
    course = selectors.course_manage_get(viewer=request.grant, pk=course.pk)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_add(
                actor=request.user,
                course=course,
                text=form.cleaned_data["text"],
                multiple=form.cleaned_data["multiple"],
                choices=form.parsed_choices(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Question added."))
            return redirect("training:course_detail", pk=course.pk)
    return _detail(request, course, status=422, question_form=form)


@access(Audience.MEMBER, write=True)
@require_POST
def question_delete(request: GrantRequest, pk: int) -> HttpResponse:
    question = selectors.question_manage_get(viewer=request.grant, pk=pk)
    course_pk = question.course_id
    services.question_delete(actor=request.user, question=question)
    messages.success(request, _("Question removed."))
    return redirect("training:course_detail", pk=course_pk)


@access(Audience.MEMBER, write=True)
@require_POST
def file_add(request: GrantRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(viewer=request.grant, pk=pk)
    course = selectors.course_manage_get(viewer=request.grant, pk=course.pk)
    form = FileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            row = services.file_add(
                actor=request.user, course=course, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” is attached.") % {"name": row.name})
            return redirect("training:course_detail", pk=course.pk)
    return _detail(request, course, status=422, file_form=form)


@access(Audience.MEMBER, write=True)
@require_POST
def file_delete(request: GrantRequest, pk: int) -> HttpResponse:
    row = selectors.file_manage_get(viewer=request.grant, pk=pk)
    course_pk = row.course_id
    services.file_delete(actor=request.user, course_file=row)
    messages.success(request, _("“%(name)s” is removed.") % {"name": row.name})
    return redirect("training:course_detail", pk=course_pk)


@access(Audience.MEMBER)
@require_GET
def file_download(request: GrantRequest, pk: int) -> HttpResponseBase:
    row = selectors.file_get(viewer=request.grant, pk=pk)
    if not row.file.name or not default_storage.exists(row.file.name):
        raise Http404
    return file_response(row.file, row.name, row.content_type)


@access(Audience.MEMBER, write=True)
@require_POST
def assignment_add(request: GrantRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(viewer=request.grant, pk=pk)
    org = request.grant.organization
    form = AssignmentForm(request.POST, organization=org)
    if form.is_valid():
        try:
            services.assignment_add(
                actor=request.user, organization=org, course=course, data=form.to_input()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Assigned."))
            return redirect("training:course_detail", pk=course.pk)
    return _detail(request, course, status=422, assignment_form=form)


@access(Audience.MEMBER, write=True)
@require_POST
def assignment_delete(request: GrantRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_manage_get(viewer=request.grant, pk=pk)
    course_pk = assignment.course_id
    services.assignment_delete(actor=request.user, assignment=assignment)
    messages.success(request, _("Assignment removed."))
    return redirect("training:course_detail", pk=course_pk)


@access(Audience.ENTERPRISE)
@require_GET
def progress(request: GrantRequest, pk: int) -> HttpResponse:
    """Who of our employees passed, failed or has not taken a course (names masked)."""
    course = selectors.course_get(viewer=request.grant, pk=pk)
    rows = selectors.progress_rows(viewer=request.grant, course=course)
    wanted = request.GET.get("status", "")
    shown = [r for r in rows if r.status == wanted] if wanted in _status_counts([]) else rows
    return render(
        request,
        "training/progress.html",
        {
            "course": course,
            "rows": shown,
            "counts": _status_counts(rows),
            "wanted": wanted,
            "can_write": request.grant.can_write,
        },
    )


@access(Audience.ENTERPRISE, write=True)
@require_POST
def remind(request: GrantRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(viewer=request.grant, pk=pk)
    try:
        count = services.remind_missing(actor=request.user, viewer=request.grant, course=course)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("A reminder goes to %(count)d employees by SMS.") % {"count": count}
        )
    return redirect("training:progress", pk=course.pk)


@access(Audience.STEWARD)
@require_GET
def rollup(request: GrantRequest) -> HttpResponse:
    """Completion of required courses per member enterprise and per sector: counts only."""
    courses = selectors.course_list(viewer=request.grant).filter(status=Course.Status.PUBLISHED)
    course = None
    wanted = request.GET.get("course", "")
    if wanted.isdigit():
        course = courses.filter(pk=int(wanted)).first()
    data = selectors.completion_counts(viewer=request.grant, course=course)
    return render(
        request,
        "training/rollup.html",
        {
            "data": data,
            "courses": courses,
            "course": course,
            "is_federation": request.grant.organization.kind == OrganizationKind.FEDERATION,
        },
    )
