"""The federation opens and closes emergencies and publishes rule versions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.http import GrantRequest
from emergencies import selectors, services
from emergencies.forms import CloseForm, EmergencyForm, RuleForm
from emergencies.models import Emergency
from lib.access import Audience, access


@access(Audience.STEWARD)
def emergency_list(request: GrantRequest) -> HttpResponse:
    """Emergencies, the current one's rule tables, and (for the federation) forms."""
    current = selectors.emergency_current()
    return render(
        request,
        "emergencies/emergency_list.html",
        {
            "emergencies": selectors.emergency_list(),
            "current": current,
            "rules": selectors.rule_history(emergency=current) if current else [],
            "form": EmergencyForm(),
            "close_form": CloseForm(),
            "rule_form": RuleForm(),
        },
    )


@access(Audience.FEDERATION, write=True)
def emergency_create(request: GrantRequest) -> HttpResponse:
    form = EmergencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.emergency_create(
                actor=request.user, federation=request.grant.organization, **form.cleaned_data
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Emergency opened."))
            return redirect("emergencies:emergency_list")
    return render(
        request, "accounts/form_page.html", {"form": form, "title": _("Open an emergency")}
    )


def _emergency(pk: int) -> Emergency:
    emergency = selectors.emergency_list().filter(pk=pk).first()
    if emergency is None:
        raise Http404
    return emergency


@access(Audience.FEDERATION, write=True)
def emergency_close(request: GrantRequest, pk: int) -> HttpResponse:
    emergency = _emergency(pk)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.emergency_close(
                actor=request.user,
                federation=request.grant.organization,
                emergency=emergency,
                closed_on=form.cleaned_data["closed_on"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Emergency closed. Personal data will be purged after the retention period."),
            )
            return redirect("emergencies:emergency_list")
    return render(
        request,
        "accounts/form_page.html",
        {"form": form, "title": _("Close %(name)s") % {"name": emergency.name}},
    )


@access(Audience.FEDERATION, write=True)
def rule_publish(request: GrantRequest) -> HttpResponse:
    current = selectors.emergency_current()
    if current is None:
        raise Http404
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        fields["data"] = fields.pop("rules")
        try:
            services.rule_publish(
                actor=request.user, scope=request.grant.organization, emergency=current, **fields
            )
        except ValidationError as exc:
            problems = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            for field, errors in problems.items():
                target = "rules" if field == "data" else field
                form.add_error(target if target in form.fields else None, errors)
        else:
            messages.success(request, _("New rule version published."))
            return redirect("emergencies:emergency_list")
    return render(
        request, "accounts/form_page.html", {"form": form, "title": _("Publish a rule version")}
    )
