"""Managing employees' personal links: print QR sheets, show one link, re-issue, send by SMS.

A personal link lets whoever holds it check in as the employee, so these pages are for
staff who may write (not viewers), and printing, showing and sending are audited (counts,
never the links themselves). Links and QR codes point at SITE_URL, the public address.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import GrantRequest
from accounts.models import User
from audit.services import audit_record
from lib import crypto
from lib.access import Audience, access
from lib.pages import paginate
from notify.models import Channel
from notify.services import Message, Recipient, notify_send
from orgs import selectors as org_selectors
from orgs.models import Organization
from workforce import selectors
from workforce.links import link_path, link_revoke
from workforce.models import Employee, EmploymentStatus

# Employees on one printed sheet (a bigger roster prints in batches, by site or page).
SHEET_MAX = 300


def link_url(employee: Employee) -> str:
    """The absolute address of the employee's personal page."""
    return settings.SITE_URL.rstrip("/") + link_path(employee)


def qr_svg(url: str, *, scale: int = 3) -> str:
    return segno.make(url, error="m").svg_inline(scale=scale, border=2)  # type: ignore[no-any-return]


def _active(request: GrantRequest) -> QuerySet[Employee]:
    site = request.GET.get("site", "") or request.POST.get("site", "")
    return selectors.employee_list(
        viewer=request.grant,
        status=EmploymentStatus.ACTIVE,
        site=int(site) if site.isdigit() and len(site) < 10 else None,
    )


def _chosen(request: GrantRequest) -> QuerySet[Employee]:
    """The employees a sheet or a sending is for: those ticked, or all (of a site)."""
    params = request.POST if request.method == "POST" else request.GET
    employees = _active(request)
    if params.get("all") == "1":
        return employees
    ids = [int(v) for v in params.getlist("employee") if v.isdigit() and len(v) < 12]
    return employees.filter(pk__in=ids[:SHEET_MAX])


@access(Audience.ENTERPRISE, write=True)
@never_cache
@require_GET
def link_list(request: GrantRequest) -> HttpResponse:
    """Choose employees to print QR codes for or to send links to."""
    context = paginate(request, _active(request))
    context.update(
        sites=org_selectors.site_list(viewer=request.grant, enterprise=request.grant.organization),
        site=request.GET.get("site", ""),
        sheet_max=SHEET_MAX,
    )
    return render(request, "workforce/links.html", context)


@access(Audience.ENTERPRISE, write=True)
@never_cache
@require_http_methods(["GET", "POST"])
def link_sheet(request: GrantRequest) -> HttpResponse:
    """A printable sheet: each employee's name, site and personal QR code."""
    employees = list(_chosen(request).select_related("site")[:SHEET_MAX])
    if employees:
        audit_record(
            actor=request.user,
            action="employee.link_print",
            scope=request.grant.organization,
            changes={"count": len(employees)},
            personal_data=True,
        )
    cards = [{"employee": e, "qr": qr_svg(link_url(e))} for e in employees]
    return render(
        request,
        "workforce/links_sheet.html",
        {"cards": cards, "sheet_max": SHEET_MAX, "truncated": len(employees) >= SHEET_MAX},
    )


@access(Audience.ENTERPRISE, write=True)
@never_cache
@require_GET
def link_detail(request: GrantRequest, pk: int) -> HttpResponse:
    """One employee's link and QR code, with re-issue and send."""
    employee = selectors.employee_get(viewer=request.grant, pk=pk)
    url = link_url(employee)
    audit_record(
        actor=request.user,
        action="employee.link_show",
        scope=request.grant.organization,
        obj=employee,
        personal_data=True,
    )
    return render(
        request,
        "workforce/links_detail.html",
        {
            "employee": employee,
            "url": url,
            "qr": qr_svg(url, scale=5),
            "active": employee.status == EmploymentStatus.ACTIVE,
        },
    )


@access(Audience.ENTERPRISE, write=True)
@require_POST
def link_reissue(request: GrantRequest, pk: int) -> HttpResponse:
    """Revoke the employee's link (every earlier copy stops working) and issue a new one."""
    employee = selectors.employee_get(viewer=request.grant, pk=pk)
    link_revoke(actor=request.user, employee=employee)
    messages.success(
        request,
        _("A new link was issued to %(name)s; the old one no longer works. Print or send it.")
        % {"name": employee.name},
    )
    return redirect("workforce:link_detail", pk=employee.pk)


@transaction.atomic
def links_send(*, actor: User, enterprise: Organization, employees: list[Employee]) -> int:
    """Send each employee their link by SMS (once per link generation: a repeat sends
    nothing new); returns how many messages were queued."""
    queued = 0
    for employee in employees:
        if employee.status != EmploymentStatus.ACTIVE:
            continue
        try:
            mobile = crypto.decrypt(employee.mobile_enc)
        except ValueError:
            continue
        with translation.override(employee.language or settings.LANGUAGE_CODE):
            message = Message(
                subject=_(
                    "%(enterprise)s: your personal health check-in link (keep it to yourself)"
                )
                % {"enterprise": enterprise.short_name or enterprise.name},
                url=link_path(employee),
            )
        queued += notify_send(
            key=f"workforce:link:{employee.pk}:{employee.link_generation}",
            message=message,
            recipients=[Recipient(mobile=mobile)],
            channels=[Channel.SMS],
            scope=enterprise,
        )
    audit_record(
        actor=actor,
        action="employee.link_send",
        scope=enterprise,
        changes={"count": len(employees), "queued": queued},
        personal_data=True,
    )
    return queued


@access(Audience.ENTERPRISE, write=True)
@require_POST
def link_send(request: GrantRequest) -> HttpResponse:
    """Send the chosen employees (or all) their links by SMS."""
    employees = list(_chosen(request)[:5000])
    back = request.POST.get("back", "")
    if not employees:
        messages.error(request, _("Choose at least one employee."))
    else:
        try:
            queued = links_send(
                actor=request.user, enterprise=request.grant.organization, employees=employees
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            skipped = len(employees) - queued
            text = ngettext(
                "%(count)d link queued for sending by SMS.",
                "%(count)d links queued for sending by SMS.",
                queued,
            ) % {"count": queued}
            if skipped:
                text += " " + ngettext(
                    "%(count)d was already sent (the same link is not sent twice).",
                    "%(count)d were already sent (the same link is not sent twice).",
                    skipped,
                ) % {"count": skipped}
            messages.success(request, text)
    if back.isdigit() and len(employees) == 1:
        return redirect("workforce:link_detail", pk=employees[0].pk)
    return redirect("workforce:links")
