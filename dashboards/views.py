"""Home pages per role with real counts, and the error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.http import UserRequest
from emergencies.selectors import emergency_current
from lib.access import Audience, access
from notices import receipt_selectors
from notices import selectors as notice_selectors
from notices.models import Category, Notice
from orgs import selectors as org_selectors
from workforce import selectors as workforce_selectors


@access(Audience.SIGNED_IN)
def home(request: UserRequest) -> HttpResponse:
    """The home page of the organisation the user is acting for."""
    grant = request.grant
    context: dict[str, object] = {"emergency": emergency_current()}
    if grant is None:
        return render(request, "dashboards/home_none.html", context)
    org = grant.organization
    # What this organisation sent that still asks something of its recipients.
    context["directives"] = notice_selectors.notice_list(
        viewer=grant, status=Notice.Status.PUBLISHED, category=Category.DIRECTIVE
    )[:5]
    if not org.is_federation:
        context["desk"] = receipt_selectors.desk_counts(viewer=grant)
    if org.is_enterprise:
        context.update(
            counts=workforce_selectors.employee_counts(viewer=grant),
            sites=org_selectors.site_list(viewer=grant, enterprise=org).count(),
            memberships=org_selectors.membership_list(viewer=grant),
        )
        return render(request, "dashboards/home_enterprise.html", context)
    context["counts"] = org_selectors.organization_counts(viewer=grant)
    if org.is_association:
        context["pending"] = org_selectors.membership_list(viewer=grant, status="applied")[:5]
        return render(request, "dashboards/home_association.html", context)
    context["associations"] = org_selectors.association_list()
    return render(request, "dashboards/home_federation.html", context)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
