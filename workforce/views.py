"""Roster pages: list, add/edit, detail with audited reveals, import and export.

Every page is for the enterprise's own people only (selectors scope it) and is sent with
`Cache-Control: no-store`, so no browser or proxy keeps a copy of personal data (PD-16).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.http import GrantRequest
from lib.access import Audience, access
from lib.pages import paginate
from orgs import selectors as org_selectors
from orgs.models import Division
from workforce import exports, imports, selectors, services
from workforce.forms import EmployeeFilterForm, EmployeeForm, ExportForm, ImportForm, RevealForm
from workforce.models import Employee, ImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _posted(request: HttpRequest) -> Any:
    """The POST data of a POST (even an empty one), else None for an unbound form."""
    return request.POST if request.method == "POST" else None


def _sites(request: GrantRequest) -> Any:
    return org_selectors.site_list(viewer=request.grant, enterprise=request.grant.organization)


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def employee_list(request: GrantRequest) -> HttpResponse:
    """The roster, searchable and filtered, 50 a page, numbers masked."""
    sites = _sites(request)
    filter_form = EmployeeFilterForm(request.GET, sites=sites)
    filters = filter_form.filters()
    employees = selectors.employee_list(viewer=request.grant, **filters)
    context = paginate(request, employees)
    context.update(
        filter_form=filter_form,
        filtered=any(value not in ("", None) for value in filters.values()),
        export_form=ExportForm(
            initial={k: request.GET.get(k, "") for k in _FILTER_KEYS}, can_unmask=False
        ),
    )
    return render(request, "workforce/employee_list.html", context)


_FILTER_KEYS = ("q", "site", "status", "critical")


@access(Audience.ENTERPRISE, write=True)
@never_cache
def employee_create(request: GrantRequest) -> HttpResponse:
    """Add one employee."""
    form = EmployeeForm(_posted(request), grant=request.grant)
    if request.method == "POST" and "_refresh" in request.POST:
        form = EmployeeForm(initial=request.POST.dict(), grant=request.grant)
    elif request.method == "POST" and form.is_valid():
        try:
            employee = services.employee_create(
                actor=request.user, enterprise=request.grant.organization, data=form.to_input()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("%(name)s is on the roster.") % {"name": employee.name})
            return redirect("workforce:employee_detail", pk=employee.pk)
    return render(
        request, "workforce/employee_form.html", {"form": form, "title": _("Add an employee")}
    )


@access(Audience.ENTERPRISE, write=True)
@never_cache
def employee_edit(request: GrantRequest, pk: int) -> HttpResponse:
    """Edit an employee; a stale form (someone saved in between) is refused, not merged."""
    employee = selectors.employee_get(viewer=request.grant, pk=pk)
    form = EmployeeForm(_posted(request), grant=request.grant, employee=employee)
    if request.method == "POST" and "_refresh" in request.POST:
        form = EmployeeForm(initial=request.POST.dict(), grant=request.grant, employee=employee)
    elif request.method == "POST" and form.is_valid():
        data = services.employee_input_keeping_identifiers(employee=employee, data=form.to_input())
        try:
            services.employee_update(
                actor=request.user,
                employee=employee,
                data=data,
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("workforce:employee_detail", pk=employee.pk)
    return render(
        request,
        "workforce/employee_form.html",
        {"form": form, "employee": employee, "title": _("Edit %(name)s") % {"name": employee.name}},
    )


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def employee_detail(request: GrantRequest, pk: int) -> HttpResponse:
    """One employee, numbers masked, with a reveal form per number."""
    employee = selectors.employee_get(viewer=request.grant, pk=pk)
    return _detail(request, employee)


def _detail(
    request: GrantRequest,
    employee: Employee,
    *,
    revealed: dict[str, str] | None = None,
    reveal_form: RevealForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "workforce/employee_detail.html",
        {
            "employee": employee,
            "revealed": revealed or {},
            "reveal_form": reveal_form,
            "fields": _revealable(employee, revealed or {}, reveal_form),
        },
        status=status,
    )


def _revealable(
    employee: Employee, revealed: dict[str, str], form: RevealForm | None
) -> list[dict[str, Any]]:
    """The masked numbers of the detail page, each with its reveal state."""
    failed = form.data.get("field") if form is not None else None
    return [
        {
            "name": name,
            "label": label,
            "masked": masked,
            "value": revealed.get(name),
            "form": form if failed == name else None,
        }
        for name, label, masked in (
            ("mobile", _("Mobile number"), employee.mobile_masked),
            ("document_number", employee.get_document_type_display(), employee.document_masked),
        )
    ]


@access(Audience.ENTERPRISE, write=True)
@never_cache
@require_POST
def employee_reveal(request: GrantRequest, pk: int) -> HttpResponse:
    """Show one full number once, for a stated purpose; the reveal is logged."""
    employee = selectors.employee_get(viewer=request.grant, pk=pk)
    form = RevealForm(request.POST)
    value = None
    if form.is_valid():
        try:
            value = services.employee_reveal(
                actor=request.user,
                employee=employee,
                field=form.cleaned_data["field"],
                purpose=form.cleaned_data["purpose"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
    name = form.cleaned_data.get("field") if form.is_valid() else request.POST.get("field")
    if _is_htmx(request):
        field = next((f for f in _revealable(employee, {}, None) if f["name"] == name), None)
        if field is None:
            return HttpResponse(status=400)
        field.update(value=value, form=None if value else form)
        return render(request, "workforce/_reveal.html", {"employee": employee, "f": field})
    if value is None:
        return _detail(request, employee, reveal_form=form, status=400)
    return _detail(request, employee, revealed={str(name): value})


@access(Audience.ENTERPRISE, write=True)
@require_POST
def employee_delete(request: GrantRequest, pk: int) -> HttpResponse:
    """Remove an employee entered in error."""
    employee = selectors.employee_get(viewer=request.grant, pk=pk)
    services.employee_delete(actor=request.user, employee=employee)
    messages.success(request, _("%(name)s was removed from the roster.") % {"name": employee.name})
    return redirect("workforce:employee_list")


@access(Audience.ENTERPRISE, write=True)
@never_cache
def roster_import(request: GrantRequest) -> HttpResponse:
    """Upload a roster file; it is checked in the background and imported all or nothing."""
    form = ImportForm(_posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_create(
                actor=request.user,
                enterprise=request.grant.organization,
                filename=upload.name or "",
                content=upload.read(),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return redirect("workforce:import_status", pk=job.pk)
    return render(
        request,
        "workforce/import.html",
        {
            "form": form,
            "jobs": selectors.import_job_list(viewer=request.grant).select_related("created_by")[
                :10
            ],
            "headers": imports.HEADERS,
            "required": [imports.HEADERS[name] for name in imports.REQUIRED_FIELDS],
        },
    )


# Problems shown on the page; the rest are counted (the file needs fixing either way).
_PROBLEMS_SHOWN = 1000


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def import_status(request: GrantRequest, pk: int) -> HttpResponse:
    """How an upload is doing: polled by htmx every second until it has finished."""
    job = selectors.import_job_get(viewer=request.grant, pk=pk)
    errors: list[dict[str, Any]] = list(job.errors or [])
    context = {
        "job": job,
        "problems": errors[:_PROBLEMS_SHOWN],
        "problem_count": len(errors),
        "hidden_count": max(len(errors) - _PROBLEMS_SHOWN, 0),
        "polling": job.status in {ImportJob.Status.PENDING, ImportJob.Status.RUNNING},
        "unchanged": max(job.row_count - job.created_count - job.updated_count, 0),
    }
    template = (
        "workforce/_import_status.html" if _is_htmx(request) else "workforce/import_status.html"
    )
    return render(request, template, context)


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def import_template(request: GrantRequest) -> HttpResponse:
    """The .xlsx template: headers, an example row and the valid document types."""
    content = imports.template_xlsx(sites=_sites(request)[:1])
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response


@access(Audience.ENTERPRISE, write=True)
@never_cache
def roster_export(request: GrantRequest) -> HttpResponse:
    """Download the filtered roster as .xlsx: masked, or in full for an administrator."""
    can_unmask = request.grant.is_admin
    if request.method == "POST" and request.POST.get("unmasked") and not can_unmask:
        raise PermissionDenied
    form = ExportForm(
        _posted(request),
        initial={k: request.GET.get(k, "") for k in _FILTER_KEYS},
        can_unmask=can_unmask,
    )
    if request.method == "POST" and form.is_valid():
        filter_form = EmployeeFilterForm(
            {k: form.cleaned_data.get(k) or "" for k in _FILTER_KEYS}, sites=_sites(request)
        )
        filters = filter_form.filters()
        employees = selectors.employee_list(viewer=request.grant, **filters)
        try:
            export = exports.roster_export(
                actor=request.user,
                viewer=request.grant,
                employees=employees,
                unmasked=bool(form.cleaned_data.get("unmasked")),
                purpose=form.cleaned_data.get("purpose") or "",
                filters=filters,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            response = HttpResponse(export.content, content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            return response
    return render(request, "workforce/export.html", {"form": form})


@access(Audience.MEMBER)
@require_GET
def regions(request: HttpRequest) -> HttpResponse:
    """<option>s of the cities of a province, or of the counties of a city (htmx)."""
    province = request.GET.get("home_province", "")[:12]
    city = request.GET.get("home_city", "")[:12]
    if "home_province" in request.GET:
        options = org_selectors.division_children(parent=province, level=Division.Level.CITY)
        reset_county = True
    else:
        options = org_selectors.division_children(parent=city, level=Division.Level.COUNTY)
        reset_county = False
    return render(
        request,
        "workforce/_region_options.html",
        {"options": options, "reset_county": reset_county},
    )
