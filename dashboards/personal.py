"""The employee's home under their personal link (/me/<token>/): today's status and pass,
the check-in button, consent, language, and sections other capabilities add.

A capability adds a section (notices, training, return date…) with
`personal_section(name, order=…)` on a function `(employee, token) -> dict | None`
returning at least `{"template": "<app>/personal/_section.html", …context}`; the home
page includes each section's template with its context (None hides the section).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from health import services as health
from health.models import CheckIn, ConsentKind
from lib.access import Audience, access
from workforce.models import Employee
from workforce.personal import employee_language_set, personal_page

Section = Callable[[Employee, str], dict[str, Any] | None]
SECTIONS: list[tuple[int, str, Section]] = []


def personal_section(name: str, *, order: int = 100) -> Callable[[Section], Section]:
    """Register a section of the employee's home page (see the module docstring)."""

    def decorator(section: Section) -> Section:
        SECTIONS[:] = [entry for entry in SECTIONS if entry[1] != name]
        SECTIONS.append((order, name, section))
        SECTIONS.sort(key=lambda entry: (entry[0], entry[1]))
        return section

    return decorator


@personal_section("training", order=30)
def _training(employee: Employee, token: str) -> dict[str, Any] | None:
    """The courses the employee still has to pass (training app)."""
    from training.selectors import assigned_courses, own_completions

    assigned = assigned_courses(employee=employee)
    if not assigned:
        return None
    completions = own_completions(employee=employee)
    todo = [
        a for a in assigned if not (a.course.pk in completions and completions[a.course.pk].passed)
    ]
    todo.sort(key=lambda a: (not a.required, a.due_on or dt.date.max))
    return {
        "template": "training/personal/_section.html",
        "token": token,
        "todo": todo[:5],
        "todo_count": len(todo),
        "total": len(assigned),
    }


@personal_section("return", order=20)
def _return(employee: Employee, token: str) -> dict[str, Any] | None:
    """Where the employee is, when they may come back (resumption app)."""
    from resumption.selectors import own_assignment, own_declaration

    return {
        "template": "resumption/personal/_section.html",
        "token": token,
        "assignment": own_assignment(employee=employee),
        "declaration": own_declaration(employee=employee),
    }


@access(Audience.TOKEN)
@personal_page
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest, employee: Employee, token: str) -> HttpResponse:
    """Greeting, today's status and pass, check-in, consent and the language picker."""
    if request.method == "POST":
        try:
            employee_language_set(employee=employee, language=request.POST.get("language", "")[:10])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("personal:home", token=token)
    today = timezone.localdate()
    consents = health.consent_state(employee=employee)
    clearance = health.clearance_for(employee=employee, on=today)
    checkin: CheckIn | None = clearance.checkin
    offer = None
    if checkin is None and consents[ConsentKind.HEALTH]:
        offer = health.checkin_quick_offer(employee=employee, on=today)
    sections = []
    for _order, _name, section in SECTIONS:
        context = section(employee, token)
        if context is not None:
            sections.append(context)
    return render(
        request,
        "dashboards/personal/home.html",
        {
            "employee": employee,
            "token": token,
            "today": today,
            "consents": consents,
            "clearance": clearance,
            "checkin": checkin,
            "offer": offer,
            "sections": sections,
            "languages": settings.LANGUAGES,
            "greeting": _greeting(),
        },
    )


def _greeting() -> str:
    hour = timezone.localtime().hour
    if hour < 11:
        return _("Good morning")
    if hour < 18:
        return _("Good afternoon")
    return _("Good evening")
