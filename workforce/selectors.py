"""Reads of the roster: personal data is visible only through an enterprise grant."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import RoleGrant
from workforce.models import Employee, ImportJob


def employee_list(
    *,
    viewer: RoleGrant,
    search: str = "",
    site: int | None = None,
    status: str = "",
    critical: bool | None = None,
) -> QuerySet[Employee]:
    """The viewer's own enterprise's employees; nobody else's, whatever their role."""
    if not viewer.organization.is_enterprise:
        return Employee.objects.none()
    qs = Employee.objects.filter(enterprise_id=viewer.organization_id)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(position__icontains=search))
    if site:
        qs = qs.filter(site_id=site)
    if status:
        qs = qs.filter(status=status)
    if critical is not None:
        qs = qs.filter(is_critical=critical)
    return qs.select_related("site", "home_province", "home_city").order_by("name", "pk")


def employee_get(*, viewer: RoleGrant, pk: int) -> Employee:
    """One employee of the viewer's enterprise, else 404."""
    try:
        return employee_list(viewer=viewer).select_related("home_county", "enterprise").get(pk=pk)
    except Employee.DoesNotExist:
        raise Http404 from None


def import_job_list(*, viewer: RoleGrant) -> QuerySet[ImportJob]:
    if not viewer.organization.is_enterprise:
        return ImportJob.objects.none()
    return ImportJob.objects.filter(enterprise_id=viewer.organization_id).defer("content")


def import_job_get(*, viewer: RoleGrant, pk: int) -> ImportJob:
    try:
        return import_job_list(viewer=viewer).get(pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


def employee_counts(*, viewer: RoleGrant) -> dict[str, int]:
    """Roster counts for the enterprise home page."""
    qs = employee_list(viewer=viewer)
    return {
        "employees": qs.filter(status="active").count(),
        "critical": qs.filter(status="active", is_critical=True).count(),
        "without_site": qs.filter(status="active", site__isnull=True).count(),
    }
