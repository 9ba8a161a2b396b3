"""The resumption pages: the enterprise's declarations, applications, plan and attendance;
the reviewer's decisions; the association's and federation's overview (counts only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import GrantRequest
from lib.access import Audience, access
from lib.pages import paginate
from orgs.selectors import site_list
from resumption import imports, planning, selectors, services
from resumption import waves as waves_service
from resumption.forms import (
    ApplicationForm,
    AttendanceForm,
    DeclarationForm,
    ImportForm,
    PhaseForm,
    PinForm,
    ReviewForm,
    declaration_initial,
)
from resumption.models import ApplicationStatus, ResumptionApplication, Via

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _day(value: str | None) -> dt.date:
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat(str(value or "")[:10])
    except ValueError:
        return today
    return day if today - dt.timedelta(days=366) <= day <= today + dt.timedelta(days=366) else today


# Enterprise: home -----------------------------------------------------------------------


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def home(request: GrantRequest) -> HttpResponse:
    """Applications, plans and today's on-site count against capacity per site."""
    today = timezone.localdate()
    return render(
        request,
        "resumption/home.html",
        {
            "applications": selectors.application_list(viewer=request.grant)[:50],
            "sites": selectors.on_site_today(viewer=request.grant, day=today),
            "declared": selectors.declaration_counts(viewer=request.grant),
            "today": today,
        },
    )


# Declarations ---------------------------------------------------------------------------


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def declarations(request: GrantRequest) -> HttpResponse:
    missing = request.GET.get("missing") == "1"
    roster = selectors.declaration_roster(viewer=request.grant, missing_only=missing)
    return render(
        request,
        "resumption/declarations.html",
        {
            **paginate(request, roster),
            "missing": missing,
            "counts": selectors.declaration_counts(viewer=request.grant),
            "import_form": ImportForm(),
        },
    )


@access(Audience.ENTERPRISE, write=True)
@never_cache
@require_http_methods(["GET", "POST"])
def declaration_edit(request: GrantRequest, pk: int) -> HttpResponse:
    employee = selectors.roster_employee_get(viewer=request.grant, pk=pk)
    declaration = selectors.own_declaration(employee=employee)
    form = DeclarationForm(
        request.POST if request.method == "POST" else None,
        initial=declaration_initial(declaration),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.declaration_save(
                employee=employee, data=form.to_input(), via=Via.MANAGER, actor=request.user
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Declaration saved."))
            return redirect("resumption:declarations")
    return render(
        request,
        "resumption/declaration_form.html",
        {
            "employee": employee,
            "declaration": declaration,
            "form": form,
            "revisions": selectors.declaration_revisions(viewer=request.grant, employee=employee),
        },
    )


@access(Audience.ENTERPRISE, write=True)
@never_cache
@require_POST
def declaration_import(request: GrantRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    result = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        result = imports.declaration_import(
            actor=request.user,
            enterprise=request.grant.organization,
            filename=upload.name or "",
            content=upload.read(),
        )
        if result.ok:
            messages.success(request, _("%(n)s declarations imported.") % {"n": result.saved})
            return redirect("resumption:declarations")
    return render(
        request,
        "resumption/import_result.html",
        {"form": form, "result": result},
        status=200,
    )


@access(Audience.ENTERPRISE)
@require_GET
def declaration_template(request: GrantRequest) -> HttpResponse:
    response = HttpResponse(imports.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="return-declarations.xlsx"'
    return response


# Applications ---------------------------------------------------------------------------


@access(Audience.ENTERPRISE, write=True)
@require_http_methods(["GET", "POST"])
def application_new(request: GrantRequest) -> HttpResponse:
    form = ApplicationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                actor=request.user,
                enterprise=request.grant.organization,
                title=form.cleaned_data["title"],
                normal_headcount=form.cleaned_data["normal_headcount"],
                isolation_rooms=form.cleaned_data["isolation_rooms"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Application started. Now add its phases."))
            return redirect("resumption:application_detail", pk=application.pk)
    return render(request, "resumption/application_new.html", {"form": form})


@access(Audience.MEMBER)
@never_cache
@require_GET
def application_detail(request: GrantRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(viewer=request.grant, pk=pk)
    org = request.grant.organization
    is_owner = org.pk == application.enterprise_id
    phases = [
        {"phase": p, "capacities": services.phase_capacities(p)}
        for p in application.phases.prefetch_related("sites").order_by("starts_on")
    ]
    context: dict[str, Any] = {
        "application": application,
        "phases": phases,
        "events": application.events.select_related("actor").all(),
        "is_owner": is_owner,
        "is_reviewer": org.pk == application.reviewer_id,
        "plan_gate": services.prevention_plan_approved(application.enterprise),
        "review_form": ReviewForm(),
    }
    if is_owner:
        context["form"] = ApplicationForm(
            initial={
                "title": application.title,
                "normal_headcount": application.normal_headcount,
                "isolation_rooms": application.isolation_rooms,
                "committed": application.committed,
            }
        )
        context["phase_form"] = PhaseForm(enterprise=org)
        context["plan"] = selectors.plan_of(viewer=request.grant, application=application)
    return render(request, "resumption/application_detail.html", context)


@access(Audience.ENTERPRISE, write=True)
@require_POST
def application_edit(request: GrantRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(viewer=request.grant, pk=pk)
    form = ApplicationForm(request.POST)
    if form.is_valid():
        try:
            services.application_update(
                actor=request.user,
                application=application,
                title=form.cleaned_data["title"],
                normal_headcount=form.cleaned_data["normal_headcount"],
                isolation_rooms=form.cleaned_data["isolation_rooms"],
                committed=form.cleaned_data["committed"],
                version=_int(request.POST.get("version")),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Application saved."))
    else:
        messages.error(request, _("Check the application's fields."))
    return redirect("resumption:application_detail", pk=application.pk)


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1


@access(Audience.ENTERPRISE, write=True)
@require_POST
def phase_add(request: GrantRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(viewer=request.grant, pk=pk)
    form = PhaseForm(request.POST, enterprise=request.grant.organization)
    if form.is_valid():
        try:
            services.phase_add(
                actor=request.user,
                application=application,
                starts_on=form.cleaned_data["starts_on"],
                share_pct=form.cleaned_data["share_pct"],
                sites=list(form.cleaned_data["sites"]),
                shifts=services.parse_shifts(form.cleaned_data["shifts"]),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Phase added."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("resumption:application_detail", pk=application.pk)


@access(Audience.ENTERPRISE, write=True)
@require_POST
def phase_remove(request: GrantRequest, pk: int) -> HttpResponse:
    phase = selectors.phase_get(viewer=request.grant, pk=pk)
    application_id = phase.application_id
    try:
        services.phase_remove(actor=request.user, phase=phase)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("resumption:application_detail", pk=application_id)


@access(Audience.MEMBER, write=True)
@require_POST
def application_transition(request: GrantRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(viewer=request.grant, pk=pk)
    to = str(request.POST.get("to", ""))
    form = ReviewForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        services.application_transition(
            actor=request.user,
            application=application,
            to=to,
            acting_for=request.grant.organization,
            comment=comment,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Application is now “%(status)s”.") % {"status": ApplicationStatus(to).label}
        )
    return redirect("resumption:application_detail", pk=application.pk)


# Plans ----------------------------------------------------------------------------------


def _plan_context(request: GrantRequest, application: ResumptionApplication) -> dict[str, Any]:
    plan = selectors.plan_of(viewer=request.grant, application=application)
    context: dict[str, Any] = {"application": application, "plan": plan}
    if plan is not None and plan.computed_at is not None:
        labels, loads, calendar = planning.site_loads(plan)
        rows = selectors.assignment_list(viewer=request.grant, plan=plan)
        context.update(
            {
                "labels": labels,
                "loads": loads,
                "calendar": calendar,
                "weeks": planning.calendar_weeks(calendar),
                # Any Monday to Sunday, for the column heads (named by the date filter).
                "weekdays": [dt.date(2020, 2, 10) + dt.timedelta(days=n) for n in range(7)],
                **paginate(request, rows),
                "unscheduled": rows.filter(first_day__isnull=True).count(),
                "reasons": {
                    code: planning.reason_text(code)
                    for code in set(rows.exclude(reason="").values_list("reason", flat=True))
                },
                "binding": [
                    {**row, "kind_label": planning.BINDING_TEXT.get(row["kind"], row["kind"])}
                    for row in plan.binding
                ],
            }
        )
    return context


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def plan(request: GrantRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(viewer=request.grant, pk=pk)
    return render(request, "resumption/plan.html", _plan_context(request, application))


@access(Audience.ENTERPRISE, write=True)
@require_POST
def plan_compute(request: GrantRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(viewer=request.grant, pk=pk)
    try:
        planning.plan_compute(actor=request.user, application=application)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Plan computed."))
    return redirect("resumption:plan", pk=application.pk)


@access(Audience.ENTERPRISE, write=True)
@require_POST
def plan_publish(request: GrantRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(viewer=request.grant, pk=pk)
    plan_row = selectors.plan_of(viewer=request.grant, application=application)
    if plan_row is None:
        messages.error(request, _("Compute the plan first."))
        return redirect("resumption:plan", pk=application.pk)
    try:
        told = planning.plan_publish(actor=request.user, plan=plan_row)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Plan published; %(n)s employees were told of a new or changed date.") % {"n": told},
        )
    return redirect("resumption:plan", pk=application.pk)


@access(Audience.ENTERPRISE, write=True)
@never_cache
@require_http_methods(["GET", "POST"])
def assignment_pin(request: GrantRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get(viewer=request.grant, pk=pk)
    plan_row = assignment.plan
    labels, _loads, _calendar = planning.site_loads(plan_row)
    frame = planning.frame_of(plan_row.application, plan_row.horizon_days)
    sites = site_list(viewer=request.grant, enterprise=request.grant.organization).filter(
        pk__in=list(frame.sites)
    )
    form = PinForm(
        request.POST if request.method == "POST" else None,
        shifts=labels,
        sites=sites,
        initial={
            "first_day": assignment.first_day,
            "shift": assignment.shift,
            "site": assignment.site_id,
        },
    )
    if request.method == "POST":
        if "unpin" in request.POST:
            planning.assignment_unpin(actor=request.user, assignment=assignment)
            messages.success(request, _("Unpinned; the plan was computed again."))
            return redirect("resumption:plan", pk=plan_row.application_id)
        if form.is_valid():
            try:
                planning.assignment_pin(
                    actor=request.user,
                    assignment=assignment,
                    first_day=form.cleaned_data["first_day"],
                    shift=form.cleaned_data["shift"],
                    site=form.cleaned_data.get("site"),
                )
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, _("Pinned; everyone else was planned again."))
                return redirect("resumption:plan", pk=plan_row.application_id)
    return render(
        request,
        "resumption/pin.html",
        {
            "assignment": assignment,
            "form": form,
            "labels": labels,
            "reason": planning.reason_text(assignment.reason) if assignment.reason else "",
        },
    )


# Attendance -----------------------------------------------------------------------------


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def attendance(request: GrantRequest) -> HttpResponse:
    day = _day(request.GET.get("day"))
    rows = selectors.attendance_day(viewer=request.grant, day=day)
    return render(
        request,
        "resumption/attendance.html",
        {
            **paginate(request, rows, per_page=100),
            "day": day,
            "sites": selectors.on_site_today(viewer=request.grant, day=day),
            "form": AttendanceForm(),
        },
    )


@access(Audience.ENTERPRISE, write=True)
@require_POST
def attendance_correct(request: GrantRequest, pk: int) -> HttpResponse:
    record = selectors.attendance_get(viewer=request.grant, pk=pk)
    form = AttendanceForm(request.POST)
    if form.is_valid():
        checkout = timezone.now() if request.POST.get("checkout") == "1" else None
        try:
            services.attendance_correct(
                actor=request.user,
                record=record,
                status=form.cleaned_data["status"],
                shift=form.cleaned_data.get("shift"),
                checked_out_at=checkout,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Attendance corrected."))
    else:
        messages.error(request, _("Choose present, absent or swapped shift."))
    return redirect(f"{_attendance_url()}?day={record.day.isoformat()}")


def _attendance_url() -> str:
    from django.urls import reverse

    return reverse("resumption:attendance")


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def contacts(request: GrantRequest, pk: int) -> HttpResponse:
    employee = selectors.roster_employee_get(viewer=request.grant, pk=pk)
    return render(
        request,
        "resumption/contacts.html",
        {
            "employee": employee,
            "contacts": selectors.contacts_of(viewer=request.grant, employee=employee),
            "days": selectors.CONTACT_DAYS,
        },
    )


# Association and federation -------------------------------------------------------------


@access(Audience.STEWARD)
@never_cache
@require_GET
def overview(request: GrantRequest) -> HttpResponse:
    """Applications by status, arrivals per day and district against the cap, and the
    resumption rate per sector and district: counts only, never a person."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=6)
    status = request.GET.get("status") or ""
    applications = selectors.application_list(viewer=request.grant, status=status or None)
    districts = selectors.arrivals_by_district(viewer=request.grant, start=start)
    busy = [
        d
        for d in districts
        if any(r["planned_arrivals"] or r["planned_starts"] or r["actual"] for r in d.days)
    ]
    return render(
        request,
        "resumption/overview.html",
        {
            "counts": selectors.application_status_counts(viewer=request.grant),
            "statuses": ApplicationStatus.choices,
            "status": status,
            **paginate(request, applications),
            "districts": busy,
            "quiet_districts": [d for d in districts if d not in busy],
            "by_sector": selectors.resumption_rates(
                viewer=request.grant, by="sector", start=today - dt.timedelta(days=13)
            ),
            "by_district": selectors.resumption_rates(
                viewer=request.grant, by="district", start=today - dt.timedelta(days=13)
            ),
            "start": start,
        },
    )


# Wave plans (federation, or an association over its members) ------------------------------


@access(Audience.STEWARD)
@never_cache
@require_GET
def waves(request: GrantRequest) -> HttpResponse:
    """The latest wave plan of the viewer's organisation: report, conflicts, binding
    constraints and arrivals per district and day against the cap (counts only)."""
    wave = selectors.wave_latest(viewer=request.grant)
    context: dict[str, Any] = {"wave": wave}
    if wave is not None:
        context.update(selectors.wave_tables(viewer=request.grant, wave=wave))
    return render(request, "resumption/waves.html", context)


@access(Audience.STEWARD, write=True)
@require_POST
def wave_compute(request: GrantRequest) -> HttpResponse:
    try:
        waves_service.wave_compute(actor=request.user, scope=request.grant.organization)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Wave plan computed."))
    return redirect("resumption:waves")


@access(Audience.STEWARD, write=True)
@require_POST
def wave_publish(request: GrantRequest, pk: int) -> HttpResponse:
    wave = selectors.wave_get(viewer=request.grant, pk=pk)
    waves_service.wave_publish(actor=request.user, wave=wave)
    messages.success(
        request, _("Wave plan published: the enterprises' plans now respect its arrival quotas.")
    )
    return redirect("resumption:waves")
