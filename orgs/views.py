"""Pages of organisations: registration, memberships, the directories, sites, member import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import GrantRequest
from accounts.middleware import SESSION_KEY
from accounts.models import RoleGrant, User
from accounts.selectors import grant_list_for_user
from lib.access import Audience, access
from lib.ids import mask_mobile
from lib.pages import paginate
from lib.spreadsheets import SpreadsheetError, write_xlsx
from orgs import imports, selectors, services
from orgs.forms import (
    DECISIONS,
    STATUS_TABS,
    ApplyForm,
    DecisionForm,
    EnterpriseEditForm,
    EnterpriseFilterForm,
    MemberFilterForm,
    MemberImportForm,
    RegisterForm,
    SiteEditForm,
    SiteForm,
)
from orgs.models import Membership, MembershipStatus, Organization, Site

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Membership states that block a new application to the same association.
_OPEN_STATES = {MembershipStatus.APPLIED, MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED}


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's errors on the fields they name, the rest above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.error_list)


def _status_label(status: str) -> str:
    return str(MembershipStatus(status).label) if status in MembershipStatus.values else status


def _history(membership: Membership) -> list[dict[str, Any]]:
    return [
        {
            "at": event.at,
            "from": _status_label(event.from_status) if event.from_status else "",
            "to": _status_label(event.to_status),
            "reason": event.reason,
        }
        for event in membership.events.all()
    ]


# Registration ------------------------------------------------------------------------------


@access(Audience.PUBLIC)
def register(request: HttpRequest) -> HttpResponse:
    """An enterprise registers online and applies to one or more associations."""
    user = request.user if request.user.is_authenticated else None
    form = RegisterForm(request.POST or None, signed_in=user is not None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data.get("password1", "")
        try:
            enterprise = services.enterprise_register(
                data=form.enterprise_data(),
                associations=form.cleaned_data["associations"],
                admin_name=form.cleaned_data["contact_name"],
                password=password,
                user=user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            _act_for(request, enterprise, user=user, password=password)
            messages.success(
                request,
                _(
                    "%(name)s is registered. Your applications are waiting for the "
                    "associations' decision."
                )
                % {"name": enterprise.name},
            )
            return redirect("dashboards:home")
    return render(request, "orgs/register.html", {"form": form, "signed_in": user is not None})


def _act_for(
    request: HttpRequest, enterprise: Organization, *, user: User | None, password: str
) -> None:
    """Sign a newly registered admin in and make the new enterprise the one they act for."""
    if user is None:
        user = authenticate(request, username=enterprise.contact_mobile, password=password)
        if user is None:  # pragma: no cover - the account was created a moment ago
            return
        auth_login(request, user)
    grant = next(
        (g for g in grant_list_for_user(user=user) if g.organization_id == enterprise.pk), None
    )
    if grant is not None:
        request.session[SESSION_KEY] = grant.pk


@access(Audience.PUBLIC)
def streets(request: HttpRequest) -> HttpResponse:
    """The <option>s of a district's streets, for the street select that follows it."""
    district = request.GET.get("district", "")[:12]
    options = selectors.street_list(district=district) if district else []
    return render(request, "orgs/_street_options.html", {"streets": options})


# Memberships -------------------------------------------------------------------------------


@access(Audience.ENTERPRISE)
def my_memberships(request: GrantRequest) -> HttpResponse:
    """The enterprise's memberships with their history, and a form to apply to another one."""
    memberships = list(selectors.membership_list(viewer=request.grant).prefetch_related("events"))
    taken = [m.association_id for m in memberships if m.status in _OPEN_STATES]
    return render(
        request,
        "orgs/my_memberships.html",
        {
            "memberships": [(m, _history(m)) for m in memberships],
            "form": ApplyForm(exclude=taken),
        },
    )


@access(Audience.ENTERPRISE, write=True)
@require_POST
def membership_apply(request: GrantRequest) -> HttpResponse:
    """The enterprise applies to one more association."""
    form = ApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an association from the list."))
        return redirect("orgs:my_memberships")
    association = form.cleaned_data["association"]
    try:
        services.membership_apply(
            actor=request.user, enterprise=request.grant.organization, association=association
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Your application to %(name)s is waiting for its decision.")
            % {"name": association.name},
        )
    return redirect("orgs:my_memberships")


def _status_tabs(
    request: HttpRequest, counts: dict[str, int], current: str
) -> list[dict[str, Any]]:
    params = request.GET.copy()
    params.pop("page", None)
    tabs = []
    for status in ("", *STATUS_TABS):
        params["status"] = status
        tabs.append(
            {
                "label": _status_label(status) if status else _("All"),
                "count": sum(counts.values()) if not status else counts.get(status, 0),
                "query": params.urlencode(),
                "active": status == current,
            }
        )
    return tabs


@access(Audience.ASSOCIATION)
def member_list(request: GrantRequest) -> HttpResponse:
    """The association's members and applicants, searchable, by status."""
    filters = MemberFilterForm(request.GET)
    values = filters.values()
    memberships = selectors.membership_list(viewer=request.grant, **values)
    counts = selectors.membership_status_counts(
        viewer=request.grant, search=values["search"], sector=values["sector"]
    )
    return render(
        request,
        "orgs/member_list.html",
        {
            "filters": filters,
            "status": values["status"],
            "tabs": _status_tabs(request, counts, values["status"]),
            **paginate(request, memberships),
        },
    )


def _decisions_for(membership: Membership) -> list[str]:
    """The decisions the state machine allows now, named after where they start."""
    allowed = Membership.ALLOWED_TRANSITIONS.get(membership.status, set())
    names = [name for name, target in DECISIONS.items() if target in allowed]
    drop = "reinstate" if membership.status == MembershipStatus.APPLIED else "approve"
    return [name for name in names if name != drop]


@access(Audience.STEWARD)
def membership_detail(request: GrantRequest, pk: int) -> HttpResponse:
    """An applicant's or member's org-level profile, history and the association's decisions."""
    membership = selectors.membership_get(viewer=request.grant, pk=pk)
    enterprise = membership.enterprise
    decides = request.grant.can_write and membership.association_id == request.grant.organization_id
    return render(
        request,
        "orgs/membership_detail.html",
        {
            "membership": membership,
            "enterprise": enterprise,
            "contact_mobile": mask_mobile(enterprise.contact_mobile),
            "site_count": selectors.site_list(viewer=request.grant, enterprise=enterprise).count(),
            "history": _history(membership),
            "decisions": _decisions_for(membership) if decides else [],
        },
    )


@access(Audience.ASSOCIATION, write=True)
@require_POST
def membership_decide(request: GrantRequest, pk: int) -> HttpResponse:
    """Approve, reject, suspend or reinstate a membership of the acting association."""
    membership = selectors.membership_get(viewer=request.grant, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("orgs:membership_detail", pk=pk)
    try:
        membership = services.membership_transition(
            actor=request.user,
            membership=membership,
            to=form.target_status,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s: the membership is now “%(status)s”.")
            % {"name": membership.enterprise.name, "status": _status_label(membership.status)},
        )
    return redirect("orgs:membership_detail", pk=pk)


# Member import -----------------------------------------------------------------------------


@access(Audience.ASSOCIATION, write=True)
def member_import(request: GrantRequest) -> HttpResponse:
    """Upload the association's existing members; every row is checked before any is saved."""
    form = MemberImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = imports.member_import(
                actor=request.user,
                association=request.grant.organization,
                # One byte past the limit is enough for the reader to refuse the file.
                data=upload.read(settings.IMPORT_MAX_BYTES + 1),
                filename=upload.name or "",
            )
        except SpreadsheetError as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if result.ok:
                messages.success(
                    request,
                    _(
                        "Import finished: %(created)d enterprises added, %(linked)d registered "
                        "enterprises linked, %(unchanged)d already on your list."
                    )
                    % {
                        "created": result.created,
                        "linked": result.linked,
                        "unchanged": result.unchanged,
                    },
                )
                return redirect("orgs:member_import")
    return render(
        request,
        "orgs/member_import.html",
        {
            "form": form,
            "result": result,
            "aliases": imports.COLUMNS,
            "required": imports.REQUIRED_VALUES,
            "max_rows": imports.MAX_ROWS,
            "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
        },
    )


@access(Audience.ASSOCIATION)
def member_import_template(request: GrantRequest) -> HttpResponse:
    """An empty member list with the Chinese headers, and a sheet explaining each column."""
    required = set(imports.REQUIRED_VALUES)
    notes = [
        (
            header,
            english,
            _("required") if header in required else _("optional"),
            str(imports.COLUMN_LABELS[header]),
        )
        for header, english in imports.COLUMNS.items()
    ]
    content = write_xlsx(
        sheets=[
            ("会员名单", list(imports.COLUMNS), []),
            (_("Instructions"), [_("Column"), _("Also accepted"), _("Value"), _("Meaning")], notes),
        ]
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename="会员导入模板.xlsx") or ""
    )
    return response


# Directories -------------------------------------------------------------------------------


@access(Audience.MEMBER)
def association_list(request: GrantRequest) -> HttpResponse:
    """The associations of the federation, with their sectors and active member counts."""
    return render(
        request, "orgs/association_list.html", {"associations": selectors.association_list()}
    )


@access(Audience.STEWARD)
def enterprise_list(request: GrantRequest) -> HttpResponse:
    """Enterprises in the viewer's scope, searchable and filtered."""
    filters = EnterpriseFilterForm(request.GET)
    enterprises = selectors.enterprise_list(viewer=request.grant, **filters.values())
    return render(
        request,
        "orgs/enterprise_list.html",
        {"filters": filters, **paginate(request, enterprises)},
    )


@access(Audience.MEMBER)
def enterprise_detail(request: GrantRequest, pk: int) -> HttpResponse:
    """An enterprise's org-level profile, sites and memberships (no employee data)."""
    enterprise = selectors.enterprise_get(viewer=request.grant, pk=pk)
    own = enterprise.pk == request.grant.organization_id
    return render(
        request,
        "orgs/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "own": own,
            "contact_mobile": (
                enterprise.contact_mobile if own else mask_mobile(enterprise.contact_mobile)
            ),
            "sites": selectors.site_list(viewer=request.grant, enterprise=enterprise),
            "memberships": selectors.membership_list(viewer=request.grant).filter(
                enterprise=enterprise
            ),
        },
    )


def _own_enterprise(grant: RoleGrant) -> Organization:
    return selectors.enterprise_get(viewer=grant, pk=grant.organization_id)


@access(Audience.ENTERPRISE, write=True)
def enterprise_edit(request: GrantRequest) -> HttpResponse:
    """The acting enterprise edits its profile; a concurrent change is refused, not lost."""
    enterprise = _own_enterprise(request.grant)
    initial = {name: getattr(enterprise, name) for name in services.ENTERPRISE_FIELDS}
    form = EnterpriseEditForm(
        request.POST or None, initial={**initial, "version": enterprise.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_update(
                actor=request.user,
                enterprise=enterprise,
                data=form.enterprise_data(),
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The enterprise's details are saved."))
            return redirect("orgs:enterprise_detail", pk=enterprise.pk)
    return render(request, "orgs/enterprise_form.html", {"form": form, "enterprise": enterprise})


# Sites -------------------------------------------------------------------------------------


def _own_site(grant: RoleGrant, pk: int) -> Site:
    site = selectors.site_get(viewer=grant, pk=pk)
    if site.enterprise_id != grant.organization_id:
        raise Http404
    return site


@access(Audience.ENTERPRISE)
def site_list(request: GrantRequest) -> HttpResponse:
    """The enterprise's sites."""
    sites = selectors.site_list(viewer=request.grant, enterprise=request.grant.organization)
    return render(request, "orgs/site_list.html", {"sites": sites})


@access(Audience.ENTERPRISE, write=True)
def site_create(request: GrantRequest) -> HttpResponse:
    """Add a site."""
    form = SiteForm(
        request.POST or None, initial={"district": request.grant.organization.district_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            site = services.site_create(
                actor=request.user, enterprise=request.grant.organization, data=form.site_data()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Site “%(name)s” added.") % {"name": site.name})
            return redirect("orgs:site_list")
    return render(request, "orgs/site_form.html", {"form": form, "site": None})


@access(Audience.ENTERPRISE, write=True)
def site_edit(request: GrantRequest, pk: int) -> HttpResponse:
    """Edit a site; a concurrent change is refused, not lost."""
    site = _own_site(request.grant, pk)
    initial = {
        "name": site.name,
        "kind": site.kind,
        "service_mode": site.service_mode,
        "floor_area_m2": site.floor_area_m2,
        "district": site.district_id,
        "street": site.street_id,
        "address": site.address,
        "version": site.version,
    }
    form = SiteEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.site_update(
                actor=request.user,
                site=site,
                data=form.site_data(),
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Site “%(name)s” saved.") % {"name": site.name})
            return redirect("orgs:site_list")
    return render(request, "orgs/site_form.html", {"form": form, "site": site})


@access(Audience.ENTERPRISE, write=True)
@require_POST
def site_delete(request: GrantRequest, pk: int) -> HttpResponse:
    """Remove a site."""
    site = _own_site(request.grant, pk)
    try:
        services.site_delete(actor=request.user, site=site)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("orgs:site_edit", pk=pk)
    messages.success(request, _("Site “%(name)s” removed.") % {"name": site.name})
    return redirect("orgs:site_list")
