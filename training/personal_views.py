"""The employee's training pages under their personal link: my courses, read one, take
its quiz (graded on the server; the right answers are never sent before a submission),
and download its files. Light pages (`templates/personal_base.html`)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from lib.access import Audience, access
from lib.uploads import file_response
from training import selectors, services
from workforce.models import Employee
from workforce.personal import personal_page

_STARTED_SALT = "tongzhou.training.quiz-started"


def _started_token(now: dt.datetime) -> str:
    return signing.dumps(int(now.timestamp()), salt=_STARTED_SALT)


def _started_at(token: str) -> dt.datetime | None:
    try:
        value = signing.loads(token, salt=_STARTED_SALT, max_age=86400)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, int):
        return None
    return dt.datetime.fromtimestamp(value, tz=dt.UTC)


@access(Audience.TOKEN)
@personal_page
@require_GET
def course_list(request: HttpRequest, employee: Employee, token: str) -> HttpResponse:
    """The courses that apply to me, required first, with how far I got."""
    completions = selectors.own_completions(employee=employee)
    today = timezone.localdate()
    rows = [
        {
            "assigned": a,
            "completion": completions.get(a.course.pk),
            "overdue": a.required
            and a.due_on is not None
            and a.due_on < today
            and not (completions.get(a.course.pk) and completions[a.course.pk].passed),
        }
        for a in selectors.assigned_courses(employee=employee)
    ]
    return render(
        request, "training/personal/list.html", {"employee": employee, "token": token, "rows": rows}
    )


@access(Audience.TOKEN)
@personal_page
@require_http_methods(["GET", "POST"])
def course_detail(request: HttpRequest, employee: Employee, token: str, pk: int) -> HttpResponse:
    """Read a course; a course without a quiz is completed with "I have studied it"."""
    assigned = selectors.assigned_course_get(employee=employee, pk=pk)
    course = assigned.course
    if request.method == "POST":
        try:
            services.course_read(employee=employee, course=course)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Recorded: you have completed this course."))
        return redirect("my_training:list", token=token)
    return render(
        request,
        "training/personal/course.html",
        {
            "employee": employee,
            "token": token,
            "assigned": assigned,
            "course": course,
            "files": selectors.file_list(course=course),
            "has_quiz": course.questions.exists(),
            "completion": selectors.own_completions(employee=employee).get(course.pk),
        },
    )


@access(Audience.TOKEN)
@personal_page
@require_http_methods(["GET", "POST"])
def quiz(request: HttpRequest, employee: Employee, token: str, pk: int) -> HttpResponse:
    """The quiz: questions and answers only (no right answers); a submission is graded here."""
    assigned = selectors.assigned_course_get(employee=employee, pk=pk)
    course = assigned.course
    questions = selectors.question_list(course=course)
    if not questions:
        raise Http404
    if request.method == "POST":
        if services.quiz_throttled(employee_id=employee.pk):
            return render(request, "health/personal/throttled.html", status=429)
        answers = {
            key[1:]: request.POST.getlist(key)
            for key in list(request.POST.keys())[:200]
            if key.startswith("q") and key[1:].isdigit()
        }
        try:
            attempt, grade = services.attempt_submit(
                employee=employee,
                course=course,
                answers=answers,
                started_at=_started_at(request.POST.get("started", "")),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("my_training:list", token=token)
        completion = selectors.own_completions(employee=employee).get(course.pk)
        return render(
            request,
            "training/personal/result.html",
            {
                "employee": employee,
                "token": token,
                "course": course,
                "attempt": attempt,
                "grade": grade,
                "completion": completion,
                "wrong": [q for q in questions if not grade.right.get(q.pk)],
            },
        )
    return render(
        request,
        "training/personal/quiz.html",
        {
            "employee": employee,
            "token": token,
            "course": course,
            "questions": questions,
            "started": _started_token(timezone.now()),
        },
    )


@access(Audience.TOKEN)
@personal_page
@require_GET
def file_download(request: HttpRequest, employee: Employee, token: str, pk: int) -> HttpResponse:
    """A file of a course that applies to me."""
    row = selectors.own_file_get(employee=employee, pk=pk)
    if not row.file.name or not default_storage.exists(row.file.name):
        raise Http404
    return file_response(row.file, row.name, row.content_type)  # type: ignore[return-value]
