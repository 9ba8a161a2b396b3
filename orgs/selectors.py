"""Tenant-scoped reads of organisations: the one place visibility is decided.

- The federation sees every organisation.
- An association sees itself, the federation, all associations (a public directory) and
  the enterprises that are its members or have applied to it (active, applied, suspended).
- An enterprise sees itself, the federation and all associations.
Every list, detail page, export and API call reaches organisations through here.
"""

from __future__ import annotations

import re

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import RoleGrant
from orgs.models import (
    Division,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Sector,
    Site,
)

# Membership states in which an association may see an enterprise's org-level data.
VISIBLE_MEMBERSHIP_STATES = (
    MembershipStatus.APPLIED,
    MembershipStatus.ACTIVE,
    MembershipStatus.SUSPENDED,
)


def enterprise_ids_visible(*, viewer: RoleGrant) -> QuerySet[Organization, int] | None:
    """None when the viewer sees every enterprise, else a queryset of visible ids."""
    org = viewer.organization
    if org.kind == OrganizationKind.FEDERATION:
        return None
    if org.kind == OrganizationKind.ASSOCIATION:
        return Organization.objects.filter(
            kind=OrganizationKind.ENTERPRISE,
            memberships__association=org,
            memberships__status__in=VISIBLE_MEMBERSHIP_STATES,
        ).values_list("pk", flat=True)
    return Organization.objects.filter(pk=org.pk).values_list("pk", flat=True)


def organization_visible(*, viewer: RoleGrant) -> QuerySet[Organization]:
    """Every organisation the viewer may see."""
    qs = Organization.objects.all()
    enterprise_ids = enterprise_ids_visible(viewer=viewer)
    if enterprise_ids is None:
        return qs
    return qs.filter(~Q(kind=OrganizationKind.ENTERPRISE) | Q(pk__in=enterprise_ids))


def enterprise_list(
    *,
    viewer: RoleGrant,
    search: str = "",
    sector: str = "",
    district: str = "",
    association: int | None = None,
    status: str = "",
) -> QuerySet[Organization]:
    """Enterprises in the viewer's scope, filtered, with their sector and district."""
    qs = organization_visible(viewer=viewer).filter(kind=OrganizationKind.ENTERPRISE)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(uscc__iexact=search.strip().upper()))
    if sector:
        qs = qs.filter(sector_id=sector)
    if district:
        qs = qs.filter(district_id=district)
    if association:
        qs = qs.filter(memberships__association_id=association)
    if viewer.organization.is_association and status:
        qs = qs.filter(memberships__association=viewer.organization, memberships__status=status)
    return (
        qs.select_related("sector", "district", "street")
        .annotate(site_count=Count("sites", distinct=True))
        .order_by("name", "pk")
    )


def enterprise_get(*, viewer: RoleGrant, pk: int) -> Organization:
    """One enterprise in scope, else 404."""
    try:
        return (
            organization_visible(viewer=viewer)
            .select_related("sector", "district", "street")
            .get(pk=pk, kind=OrganizationKind.ENTERPRISE)
        )
    except Organization.DoesNotExist:
        raise Http404 from None


def association_list() -> QuerySet[Organization]:
    """All associations (a public directory), with their active member counts."""
    return (
        Organization.objects.filter(kind=OrganizationKind.ASSOCIATION)
        .select_related("sector")
        .annotate(
            member_count=Count(
                "member_links", filter=Q(member_links__status=MembershipStatus.ACTIVE)
            )
        )
        .order_by("name")
    )


def federation_get() -> Organization | None:
    """The federation of this installation."""
    return Organization.objects.filter(kind=OrganizationKind.FEDERATION).first()


def membership_list(
    *, viewer: RoleGrant, status: str = "", search: str = "", sector: str = ""
) -> QuerySet[Membership]:
    """Memberships the viewer may see: its own (enterprise) or its members' (association)."""
    org = viewer.organization
    qs = Membership.objects.select_related(
        "enterprise", "enterprise__sector", "enterprise__district", "association"
    )
    if org.is_enterprise:
        qs = qs.filter(enterprise=org)
    elif org.is_association:
        qs = qs.filter(association=org)
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(
            Q(enterprise__name__icontains=search) | Q(enterprise__uscc__iexact=search.strip())
        )
    if sector:
        qs = qs.filter(enterprise__sector_id=sector)
    return qs.order_by("-applied_at", "-pk")


def membership_status_counts(
    *, viewer: RoleGrant, search: str = "", sector: str = ""
) -> dict[str, int]:
    """How many of the viewer's memberships are in each status (for the list's tabs)."""
    rows = (
        membership_list(viewer=viewer, search=search, sector=sector)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    return {row["status"]: row["n"] for row in rows}


def membership_get(*, viewer: RoleGrant, pk: int) -> Membership:
    """One membership in the viewer's scope, else 404."""
    try:
        return membership_list(viewer=viewer).prefetch_related(Prefetch("events")).get(pk=pk)
    except Membership.DoesNotExist:
        raise Http404 from None


def site_list(*, viewer: RoleGrant, enterprise: Organization | None = None) -> QuerySet[Site]:
    """Sites of enterprises in scope (org-level data, visible to their associations)."""
    qs = Site.objects.select_related("enterprise", "district", "street")
    enterprise_ids = enterprise_ids_visible(viewer=viewer)
    if enterprise_ids is not None:
        qs = qs.filter(enterprise_id__in=enterprise_ids)
    if enterprise is not None:
        qs = qs.filter(enterprise=enterprise)
    return qs.order_by("name", "pk")


def site_get(*, viewer: RoleGrant, pk: int) -> Site:
    """One site in scope, else 404."""
    try:
        return site_list(viewer=viewer).get(pk=pk)
    except Site.DoesNotExist:
        raise Http404 from None


def sector_list() -> QuerySet[Sector]:
    return Sector.objects.all()


def shenzhen_district_list() -> QuerySet[Division]:
    """Shenzhen's districts and functional areas, for pickers."""
    return Division.objects.filter(
        Q(parent_id="440300", level__in=[Division.Level.COUNTY, Division.Level.FUNCTIONAL_AREA])
    ).order_by("code")


# Division codes: GB/T 2260 digits, 9-digit street codes, or our own like SZ-DP. Anything
# else (a forged or garbled parameter, a NUL byte PostgreSQL would refuse) matches nothing.
_DIVISION_CODE = re.compile(r"[0-9A-Z-]{2,12}")


def _is_division_code(value: str) -> bool:
    return bool(_DIVISION_CODE.fullmatch(value))


def street_list(*, district: str | None = None) -> QuerySet[Division]:
    """Shenzhen streets, optionally of one district or functional area."""
    qs = Division.objects.filter(level=Division.Level.STREET)
    if district:
        if not _is_division_code(district):
            return qs.none()
        qs = qs.filter(Q(parent_id=district) | Q(managed_by_id=district))
    return qs.order_by("code")


def division_list(*, level: str) -> QuerySet[Division]:
    """Every division of one level (e.g. the provinces, for the first picker)."""
    return Division.objects.filter(level=level)


def division_children(*, parent: str, level: str) -> QuerySet[Division]:
    """Divisions of one level under a parent; none when no valid parent is chosen."""
    qs = division_list(level=level)
    return qs.filter(parent_id=parent) if _is_division_code(parent) else qs.none()


def organization_counts(*, viewer: RoleGrant) -> dict[str, int]:
    """Counts for the home page of an association or the federation."""
    org = viewer.organization
    enterprises = organization_visible(viewer=viewer).filter(kind=OrganizationKind.ENTERPRISE)
    if org.is_association:
        members = Membership.objects.filter(association=org)
        return {
            "members": members.filter(status=MembershipStatus.ACTIVE).count(),
            "pending": members.filter(status=MembershipStatus.APPLIED).count(),
            "sites": Site.objects.filter(
                enterprise__memberships__association=org,
                enterprise__memberships__status=MembershipStatus.ACTIVE,
            ).count(),
        }
    return {
        "associations": Organization.objects.filter(kind=OrganizationKind.ASSOCIATION).count(),
        "members": enterprises.count(),
        "pending": Membership.objects.filter(status=MembershipStatus.APPLIED).count(),
        "sites": Site.objects.count(),
    }
