"""The employee's own check-in pages under their personal link (no account, no app).

Light pages for cheap phones: `templates/personal_base.html` (inline CSS, no script except
the pass page's clock), in the employee's language. Submissions are rate limited per
employee (`RATE_LIMIT` a minute → a 429 page); the database keeps one row per day whatever
arrives (`health.services.checkin_submit`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from emergencies.rules import REGISTRY
from emergencies.selectors import emergency_current, rule_effective
from health import selectors, services
from health.forms import CheckInAnswersForm, ConsentForm
from health.models import ConsentKind, Status, Via
from health.passes import PASS_MAX_AGE, pass_token, pass_verify
from lib.access import Audience, access
from lib.ids import mask_name
from workforce.models import Employee
from workforce.personal import personal_headers, personal_page

STATUS_CLASS: dict[str, str] = {
    Status.NORMAL: "ok",
    Status.ATTENTION: "warn",
    Status.ABNORMAL: "bad",
}


def _throttled(request: HttpRequest) -> HttpResponse:
    return render(request, "health/personal/throttled.html", status=429)


def _retention_days() -> int | None:
    """How long health data is kept after the emergency closes: the rule table
    `personal_data.retention` when published, else the emergency's retention days."""
    emergency = emergency_current()
    if emergency is None:
        return None
    if "personal_data.retention" in REGISTRY:
        rule = rule_effective(
            emergency=emergency, key="personal_data.retention", on=timezone.localdate()
        )
        if rule is not None and isinstance(rule.data.get("health_days"), int):
            return int(rule.data["health_days"])
    return emergency.retention_days


@access(Audience.TOKEN)
@personal_page
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, employee: Employee, token: str) -> HttpResponse:
    """What is collected, why, who sees it and for how long; separate consents; withdrawal."""
    state = services.consent_state(employee=employee)
    form = ConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if "withdraw" in request.POST:
            kind = request.POST.get("withdraw", "")
            try:
                services.consent_withdraw(employee=employee, kind=kind)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request, _("Consent withdrawn. Nothing more of this kind is collected.")
                )
            return redirect("checkin:consent", token=token)
        if form.is_valid():
            kinds = form.kinds() - {kind for kind, given in state.items() if given}
            if not kinds:
                form.add_error(None, _("Tick what you agree to."))
            else:
                services.consent_give(
                    employee=employee, kinds=kinds, notice_version=services.NOTICE_VERSION
                )
                messages.success(request, _("Thank you. Your consent is recorded."))
                if services.consent_state(employee=employee)[ConsentKind.HEALTH]:
                    return redirect("checkin:form", token=token)
                return redirect("personal:home", token=token)
    given = selectors.own_consents(employee=employee)
    return render(
        request,
        "health/personal/consent.html",
        {
            "employee": employee,
            "token": token,
            "form": form,
            "state": state,
            "given": given,
            "retention_days": _retention_days(),
            "notice_version": services.NOTICE_VERSION,
        },
    )


def _posted_day(request: HttpRequest, today: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(str(request.POST.get("day", ""))[:10])
    except ValueError:
        return today


@access(Audience.TOKEN)
@personal_page
@require_http_methods(["GET", "POST"])
def checkin_form(request: HttpRequest, employee: Employee, token: str) -> HttpResponse:
    """Today's check-in (prefilled when already given today, to update it)."""
    now = timezone.now()
    today = timezone.localdate(now)
    consents = services.consent_state(employee=employee)
    if not consents[ConsentKind.HEALTH]:
        messages.info(request, _("Before your first check-in, please read how your data is used."))
        return redirect("checkin:consent", token=token)
    day = _posted_day(request, today) if request.method == "POST" else today
    spec = services.checkin_form_for(employee=employee, on=day)
    existing = selectors.own_checkin(employee=employee, day=day)
    data: Any = None
    if request.method == "POST":
        if services.checkin_throttled(employee_id=employee.pk):
            return _throttled(request)
        data = request.POST.copy()
        data["temperature"] = _confirmed_celsius(
            data.get("temperature", ""), data.get("use_celsius", "")
        )
    form = CheckInAnswersForm(
        data,
        spec=spec,
        consents=consents,
        initial_answers=existing.answers if existing else None,
        day=day,
    )
    fahrenheit: dict[str, Any] = {}
    if data is not None and form.is_valid():
        try:
            result = services.checkin_submit(
                employee=employee,
                answers=form.answers(),
                via=Via.SELF,
                actor=None,
                day=day,
                now=now,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "day" in exc.error_dict:
                messages.error(request, " ".join(exc.message_dict["day"]))
                return redirect("checkin:form", token=token)
            form.add_service_errors(exc)
            code, params = form.service_error_code("temperature")
            if code == "fahrenheit":
                fahrenheit = params
        else:
            _thank(request, result, day=day, today=today)
            return redirect("checkin:pass", token=token)
    offer = None
    if existing is None and day == today:
        offer = services.checkin_quick_offer(employee=employee, on=today, spec=spec)
    return render(
        request,
        "health/personal/form.html",
        {
            "employee": employee,
            "token": token,
            "form": form,
            "rows": form.rows(),
            "day": day,
            "today": today,
            "existing": existing,
            "offer": offer,
            "fahrenheit": fahrenheit,
            "travel_consent": consents[ConsentKind.TRAVEL],
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _confirmed_celsius(typed: str, confirmed: str) -> str:
    """The temperature to record: the °C value the employee confirmed with the "Use …
    °C" button, but only while the field still holds the Fahrenheit reading it was
    offered for (pressing Enter after correcting the field also sends that button)."""
    if not confirmed:
        return typed
    try:
        services.temperature_parse(typed)
    except ValidationError as exc:
        if exc.code == "fahrenheit" and (exc.params or {}).get("celsius") == confirmed:
            return confirmed
    return typed


def _thank(
    request: HttpRequest, result: services.CheckInResult, *, day: dt.date, today: dt.date
) -> None:
    if day != today:
        messages.success(
            request,
            _("Recorded for %(day)s (the form you opened before midnight).") % {"day": day},
        )
    elif result.status == Status.ABNORMAL:
        messages.error(request, _("Recorded. Your prevention officer has been told."))
    else:
        messages.success(request, _("Thank you, your check-in is recorded."))


@access(Audience.TOKEN)
@personal_page
@require_POST
def quick(request: HttpRequest, employee: Employee, token: str) -> HttpResponse:
    """ "Nothing has changed since yesterday": one tap, when it is offered."""
    if services.checkin_throttled(employee_id=employee.pk):
        return _throttled(request)
    now = timezone.now()
    try:
        result = services.checkin_submit(
            employee=employee, answers={}, via=Via.SELF, actor=None, now=now, quick=True
        )
    except ValidationError as exc:
        if getattr(exc, "code", "") == "no_consent":
            return redirect("checkin:consent", token=token)
        messages.info(request, " ".join(exc.messages))
        return redirect("checkin:form", token=token)
    _thank(request, result, day=result.checkin.day, today=timezone.localdate(now))
    return redirect("checkin:pass", token=token)


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#1f2933")  # type: ignore[no-any-return]


@access(Audience.TOKEN)
@personal_page
@require_GET
def pass_page(request: HttpRequest, employee: Employee, token: str) -> HttpResponse:
    """Today's clearance pass: the status in a colour block, why, a live clock and a QR
    code that site staff scan to verify it (valid for PASS_MAX_AGE)."""
    now = timezone.now()
    today = timezone.localdate(now)
    clearance = services.clearance_for(employee=employee, on=today)
    checkin = clearance.checkin
    reasons: list[str] = []
    next_steps: list[str] = []
    if checkin is not None:
        spec = services.checkin_form_of(checkin)
        reasons = services.reason_texts(spec=spec, reasons=checkin.reasons, answers=checkin.answers)
        next_steps = spec.next_steps(checkin.status)
    verify_url = request.build_absolute_uri(
        reverse("clearance:verify", kwargs={"pass_token": pass_token(employee, now=now)})
    )
    return render(
        request,
        "health/personal/pass.html",
        {
            "employee": employee,
            "token": token,
            "masked_name": mask_name(employee.name),
            "clearance": clearance,
            "checkin": checkin,
            "status_class": STATUS_CLASS.get(checkin.status, "none") if checkin else "none",
            "reasons": reasons,
            "next_steps": next_steps,
            "now": timezone.localtime(now),
            "qr": _qr_svg(verify_url),
            "verify_url": verify_url,
            "refresh_seconds": PASS_MAX_AGE // 2,
        },
    )


@access(Audience.TOKEN)
@personal_page
@require_GET
def history(request: HttpRequest, employee: Employee, token: str) -> HttpResponse:
    """The employee's check-ins of the last 30 days."""
    rows = []
    for checkin in selectors.own_history(employee=employee):
        spec = services.checkin_form_of(checkin)
        rows.append(
            {
                "checkin": checkin,
                "status_class": STATUS_CLASS.get(checkin.status, "none"),
                "reasons": services.reason_texts(
                    spec=spec, reasons=checkin.reasons, answers=checkin.answers
                ),
            }
        )
    return render(
        request,
        "health/personal/history.html",
        {"employee": employee, "token": token, "rows": rows},
    )


@access(Audience.TOKEN)
@require_GET
def verify(request: HttpRequest, pass_token: str) -> HttpResponse:
    """What site staff see when they scan a pass: valid or not, cleared or not, the masked
    name, the enterprise and when it was issued — never an answer or an ID number."""
    check = pass_verify(pass_token)
    context: dict[str, Any] = {
        "check": check,
        "now": timezone.localtime(),
        "issued_at": timezone.localtime(check.issued_at) if check.issued_at else None,
    }
    if check.employee is not None:
        context.update(
            masked_name=mask_name(check.employee.name),
            enterprise=check.employee.enterprise.short_name or check.employee.enterprise.name,
        )
    response = render(
        request,
        "health/personal/verify.html",
        context,
        status=404 if check.state == "invalid" else 200,
    )
    return personal_headers(response)
