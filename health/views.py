"""The enterprise's check-in pages, and the association's and federation's overviews.

Enterprise pages show the enterprise's own people and are sent `Cache-Control: no-store`.
The association and federation pages read the rollups only: counts, never a person.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.http import GrantRequest
from health import exports, imports, observations, reminders, selectors
from health.charts import trend_bars
from health.enterprise_forms import (
    CheckInAnswersForm,
    ExportForm,
    ExtendForm,
    ImportForm,
    ObservationForm,
    ReleaseForm,
    RemindForm,
    SettingsForm,
)
from health.models import CheckInImport, Status, Via
from health.services import (
    FormSpec,
    checkin_form_for,
    checkin_form_of,
    checkin_submit,
    consent_state,
    reason_texts,
)
from lib.access import Audience, access
from lib.pages import PAGE_SIZE, paginate
from workforce import selectors as workforce_selectors
from workforce.models import Employee, EmploymentStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _posted(request: GrantRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _active_employees(request: GrantRequest) -> QuerySet[Employee]:
    return workforce_selectors.employee_list(viewer=request.grant, status=EmploymentStatus.ACTIVE)


# The enterprise's day -----------------------------------------------------------------


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def today(request: GrantRequest) -> HttpResponse:
    """Today's check-ins (or another day's): coverage by site, who needs attention and what
    to do next, who has not checked in (with a reminder), who is in observation, 14 days."""
    day = selectors.day_or_today(request.GET.get("day"))
    page = selectors.enterprise_day(viewer=request.grant, day=day)
    only_abnormal = request.GET.get("status") == Status.ABNORMAL
    specs: dict[str, FormSpec] = {}
    flagged = []
    for checkin in page.flagged:
        if only_abnormal and checkin.status != Status.ABNORMAL:
            continue
        if checkin.form_version not in specs:
            specs[checkin.form_version] = checkin_form_of(checkin)
        spec = specs[checkin.form_version]
        flagged.append(
            {
                "checkin": checkin,
                "reasons": reason_texts(
                    spec=spec, reasons=checkin.reasons, answers=checkin.answers
                ),
                "next_steps": spec.next_steps(checkin.status),
                "in_observation": checkin.employee_id in page.in_observation_ids,
            }
        )
    is_today = day == timezone.localdate()
    sent = reminders.reminders_sent(viewer=request.grant, day=day) if is_today else 0
    context: dict[str, Any] = {
        "page": page,
        "day": day,
        "is_today": is_today,
        "flagged": flagged,
        "only_abnormal": only_abnormal,
        "trend": trend_bars(page.trend),
        "reminders_sent": sent,
        "next_reminder": sent + 1,
        "reminders_left": max(reminders.MANUAL_PER_DAY - sent, 0),
        "settings": selectors.settings_get(viewer=request.grant),
        "observations_overdue": sum(1 for o in page.observations if o.planned_end_on < day),
    }
    context.update(paginate(request, page.not_submitted))
    return render(request, "health/today.html", context)


@access(Audience.ENTERPRISE, write=True)
@require_POST
def remind(request: GrantRequest) -> HttpResponse:
    """Remind everyone who has not checked in today, by SMS with their personal link."""
    form = RemindForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reload the page and try again."))
        return redirect("health:today")
    try:
        count = reminders.remind_now(
            actor=request.user, viewer=request.grant, number=form.cleaned_data["number"]
        )
    except ValidationError as exc:
        messages.warning(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            ngettext(
                "A reminder is on its way to %(count)d employee who has not checked in.",
                "A reminder is on its way to %(count)d employees who have not checked in.",
                count,
            )
            % {"count": count},
        )
    return redirect("health:today")


# Observations -------------------------------------------------------------------------


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def observation_list(request: GrantRequest) -> HttpResponse:
    """Isolations and observations: running (soonest end first), released, or all."""
    state = request.GET.get("state", "open")
    if state not in {"open", "released", "all"}:
        state = "open"
    qs = selectors.observation_list(viewer=request.grant, state=state)
    context = paginate(request, qs)
    context.update(state=state, today=timezone.localdate())
    return render(request, "health/observation_list.html", context)


@access(Audience.ENTERPRISE, write=True)
@never_cache
def observation_new(request: GrantRequest) -> HttpResponse:
    """Record an isolation or medical observation; the planned end follows the rules."""
    employees = _active_employees(request)
    initial: dict[str, Any] = {}
    chosen = request.GET.get("employee", "")
    if chosen.isdigit() and len(chosen) < 12:
        initial["employee"] = chosen
    form = ObservationForm(_posted(request), employees=employees, initial=initial)
    if request.method == "POST" and form.is_valid():
        employee: Employee = form.cleaned_data["employee"]
        try:
            observation = observations.observation_create(
                actor=request.user, employee=employee, data=form.to_input()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s: %(kind)s until %(date)s.")
                % {
                    "name": employee.name,
                    "kind": observation.get_kind_display(),
                    "date": observation.planned_end_on.isoformat(),
                },
            )
            return redirect("health:observations")
    return render(request, "health/observation_form.html", {"form": form})


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@access(Audience.ENTERPRISE)
@never_cache
def observation_release(request: GrantRequest, pk: int) -> HttpResponse:
    """One observation with the check-ins since its start; staff and administrators end it
    explicitly here (logged) or extend it."""
    observation = selectors.observation_get(viewer=request.grant, pk=pk)
    if request.method == "POST" and not request.grant.can_write:
        raise PermissionDenied
    release = ReleaseForm(
        request.POST if request.method == "POST" and "release" in request.POST else None,
        initial={"released_on": timezone.localdate(), "version": observation.version},
    )
    extend = ExtendForm(
        request.POST if request.method == "POST" and "extend" in request.POST else None,
        initial={"planned_end_on": observation.planned_end_on, "version": observation.version},
    )
    if request.method == "POST" and "release" in request.POST and release.is_valid():
        data = release.cleaned_data
        try:
            observations.observation_release(
                actor=request.user,
                observation=observation,
                released_on=data["released_on"],
                note=data.get("note") or "",
                version=data["version"],
            )
        except ValidationError as exc:
            _add_errors(release, exc)
        else:
            messages.success(
                request, _("%(name)s is released.") % {"name": observation.employee.name}
            )
            return redirect("health:observations")
    elif request.method == "POST" and "extend" in request.POST and extend.is_valid():
        data = extend.cleaned_data
        try:
            observations.observation_extend(
                actor=request.user,
                observation=observation,
                planned_end_on=data["planned_end_on"],
                note=data["note"],
                version=data["version"],
            )
        except ValidationError as exc:
            _add_errors(extend, exc)
        else:
            messages.success(request, _("The planned end was moved."))
            return redirect("health:observations")
    elif request.method == "POST" and not {"release", "extend"} & set(request.POST):
        release = ReleaseForm(request.POST)
        release.is_valid()
    return render(
        request,
        "health/observation_release.html",
        {
            "observation": observation,
            "release_form": release,
            "extend_form": extend,
            "checkins": selectors.checkins_of(
                viewer=request.grant, employee=observation.employee, since=observation.starts_on
            ),
        },
    )


# Check-in on behalf, import, export --------------------------------------------------


@access(Audience.ENTERPRISE, write=True)
@never_cache
def checkin_on_behalf(request: GrantRequest, pk: int) -> HttpResponse:
    """Fill in an employee's check-in for them (no phone); recorded as done by a manager."""
    employee = workforce_selectors.employee_get(viewer=request.grant, pk=pk)
    day_text = request.POST.get("day") if request.method == "POST" else request.GET.get("day")
    day = selectors.day_or_today(day_text)
    spec = checkin_form_for(employee=employee, on=day)
    consents = consent_state(employee=employee)
    questions = spec.asked(consents)
    form = CheckInAnswersForm(_posted(request), questions=questions, initial={"day": day})
    if request.method == "POST" and form.is_valid():
        try:
            result = checkin_submit(
                employee=employee,
                answers=form.answers(),
                via=Via.MANAGER,
                actor=request.user,
                day=form.cleaned_data["day"],
            )
        except ValidationError as exc:
            form.add_answer_errors(exc)
        else:
            status = result.checkin.get_status_display()
            messages.success(
                request,
                _("Check-in recorded for %(name)s on their behalf: %(status)s.")
                % {"name": employee.name, "status": status},
            )
            if result.status != Status.NORMAL:
                for step in [*result.reasons, *result.next_steps]:
                    messages.warning(request, step)
            return redirect(f"{reverse('health:today')}?day={form.cleaned_data['day']}")
    return render(
        request,
        "health/checkin_on_behalf.html",
        {
            "employee": employee,
            "form": form,
            "consents": consents,
            "current": selectors.checkin_get(viewer=request.grant, employee=employee, day=day),
            "day": day,
        },
    )


@access(Audience.ENTERPRISE, write=True)
@never_cache
def checkin_import(request: GrantRequest) -> HttpResponse:
    """Upload check-ins collected on paper: checked in the background, all imported or none."""
    form = ImportForm(_posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = imports.checkin_import_create(
                actor=request.user,
                enterprise=request.grant.organization,
                filename=upload.name or "",
                content=upload.read(),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return redirect("health:import_status", pk=job.pk)
    return render(
        request,
        "health/import.html",
        {
            "form": form,
            "max_rows": imports.IMPORT_MAX_ROWS,
            "jobs": selectors.checkin_import_list(viewer=request.grant).select_related(
                "created_by"
            )[:10],
        },
    )


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def import_status(request: GrantRequest, pk: int) -> HttpResponse:
    """How an upload is doing: polled by htmx every second until it has finished."""
    job = selectors.checkin_import_get(viewer=request.grant, pk=pk)
    running = job.status in {CheckInImport.Status.PENDING, CheckInImport.Status.RUNNING}
    context = {"job": job, "polling": running, "problems": job.problems}
    htmx = request.headers.get("HX-Request") == "true"
    template = "health/_import_status.html" if htmx else "health/import_status.html"
    # htmx swaps only 2xx answers; a full page of a refused file says so with 422.
    failed = job.status == CheckInImport.Status.FAILED and not htmx
    return render(request, template, context, status=422 if failed else 200)


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def import_template(request: GrantRequest) -> HttpResponse:
    """The .xlsx template with the questions of the enterprise's form."""
    # The form depends on the enterprise only (its associations' and its own questions).
    anyone = Employee(enterprise=request.grant.organization)
    spec = checkin_form_for(employee=anyone, on=timezone.localdate())
    response = HttpResponse(imports.template_xlsx(spec=spec), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="checkin-template.xlsx"'
    return response


@access(Audience.ENTERPRISE, write=True)
@never_cache
def checkin_export(request: GrantRequest) -> HttpResponse:
    """Download the check-ins of a day or a range: masked, or in full for an administrator."""
    can_unmask = request.grant.is_admin
    if request.method == "POST" and request.POST.get("unmasked") and not can_unmask:
        raise PermissionDenied
    initial = {}
    day = request.GET.get("day")
    if day:
        initial = {"start": selectors.day_or_today(day), "end": selectors.day_or_today(day)}
    form = ExportForm(_posted(request), can_unmask=can_unmask, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            export = exports.checkin_export(
                actor=request.user,
                viewer=request.grant,
                start=data["start"],
                end=data["end"],
                unmasked=bool(data.get("unmasked")),
                purpose=data.get("purpose") or "",
                file_format=data["file_format"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            response = HttpResponse(export.content, content_type=export.content_type)
            response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            return response
    return render(request, "health/export.html", {"form": form})


@access(Audience.ENTERPRISE, admin=True)
@never_cache
def checkin_settings(request: GrantRequest) -> HttpResponse:
    """When the daily reminder goes out, and who the prevention officers are."""
    current = selectors.settings_get(viewer=request.grant)
    people = selectors.officer_candidates(viewer=request.grant)
    initial = {
        "reminder_time": current.reminder_time,
        "officers": list(current.officers.all()) if current.pk else [],
    }
    form = SettingsForm(_posted(request), people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        reminders.settings_save(
            actor=request.user,
            enterprise=request.grant.organization,
            reminder_time=form.cleaned_data.get("reminder_time"),
            officers=list(form.cleaned_data.get("officers") or []),
        )
        messages.success(request, _("Check-in settings saved."))
        return redirect("health:today")
    return render(request, "health/settings.html", {"form": form, "settings": current})


# Upward: counts only ------------------------------------------------------------------


@access(Audience.ASSOCIATION)
@require_GET
def association(request: GrantRequest) -> HttpResponse:
    """The association's members' check-ins: coverage, abnormal and in observation, per
    member enterprise and per sector, from the rollups (no person)."""
    day = selectors.day_or_today(request.GET.get("day"))
    overview = selectors.association_overview(viewer=request.grant, day=day)
    context: dict[str, Any] = {
        "overview": overview,
        "day": day,
        "trend": trend_bars(overview.trend),
    }
    members = selectors.association_members(viewer=request.grant, day=day)
    # The number of members with a row is already known from the (cached) sums: no COUNT.
    paginator = _CountedPaginator(members, PAGE_SIZE, count=overview.reporting)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = selectors.member_rows(list(page.object_list))
    params = request.GET.copy()
    params.pop("page", None)
    context.update(
        page_obj=page,
        querystring_without_page=f"{params.urlencode()}&" if params else "",
    )
    return render(request, "health/association.html", context)


@access(Audience.FEDERATION)
@require_GET
def federation(request: GrantRequest) -> HttpResponse:
    """The whole picture: per association, per sector and per district, from the rollups."""
    day = selectors.day_or_today(request.GET.get("day"))
    overview = selectors.federation_overview(viewer=request.grant, day=day)
    return render(
        request,
        "health/federation.html",
        {"overview": overview, "day": day, "trend": trend_bars(overview.trend)},
    )


class _CountedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator told its count, so that paging a long list costs no COUNT query."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self) -> int:  # type: ignore[override]
        return self._known_count
