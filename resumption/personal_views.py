"""The employee's return page: their declaration (light form, no script) and, once a
plan is published, their first working day, site and shift."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lib.access import Audience, access
from resumption import planning, selectors, services
from resumption.forms import DeclarationForm, declaration_initial
from resumption.models import Via
from workforce.models import Employee
from workforce.personal import personal_page


@access(Audience.TOKEN)
@personal_page
@require_http_methods(["GET", "POST"])
def declaration(request: HttpRequest, employee: Employee, token: str) -> HttpResponse:
    current = selectors.own_declaration(employee=employee)
    form = DeclarationForm(
        request.POST if request.method == "POST" else None,
        initial=declaration_initial(current),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.declaration_save(
                employee=employee, data=form.to_input(), via=Via.PERSONAL, actor=None
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, errors in exc.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Thank you. Your declaration is saved."))
            return redirect("my_return:declaration", token=token)
    assignment = selectors.own_assignment(employee=employee)
    shift = ""
    if assignment is not None and assignment.told_shift is not None:
        labels = planning.shift_labels_of(assignment.plan)
        shift = planning.shift_label(labels, assignment.told_shift)
    return render(
        request,
        "resumption/personal/declaration.html",
        {
            "employee": employee,
            "token": token,
            "form": form,
            "declaration": current,
            "assignment": assignment,
            "shift": shift,
        },
    )
