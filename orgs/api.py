"""Organisations (read, org-level fields only) and an enterprise's own sites."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from lib.access import Audience
from lib.api import ScopedRouter, Text, api_access, grant_of, version_required
from lib.ids import mask_mobile
from orgs import selectors
from orgs.models import Division, Organization, Site
from orgs.services import SiteData, site_create, site_delete, site_update

router = ScopedRouter(tags=["organisations"])


class OrganizationOut(Schema):
    """An organisation's org-level details; the contact mobile is masked unless it is yours."""

    id: int
    kind: str
    name: str
    short_name: str
    uscc: str | None
    sector: str | None = Field(description="Sector code, e.g. hotel.")
    district: str | None = Field(description="District code, e.g. 440303.")
    street: str | None = Field(description="Street code, e.g. 440303001.")
    address: str
    contact_name: str
    contact_mobile: str = Field(description="Full for your own organisation, else masked.")

    @staticmethod
    def resolve_sector(obj: Organization) -> str | None:
        return obj.sector_id

    @staticmethod
    def resolve_district(obj: Organization) -> str | None:
        return obj.district_id

    @staticmethod
    def resolve_street(obj: Organization) -> str | None:
        return obj.street_id

    @staticmethod
    def resolve_contact_mobile(obj: Organization, context: dict[str, Any]) -> str:
        if obj.pk == grant_of(context["request"]).organization_id:
            return obj.contact_mobile
        return mask_mobile(obj.contact_mobile)


class OrganizationFilter(Schema):
    kind: Literal["federation", "association", "enterprise"] | None = None


@router.get("/organizations", response=list[OrganizationOut], tags=["organisations"])
@api_access(Audience.MEMBER)
@paginate(LimitOffsetPagination)
def organization_list(
    request: HttpRequest, filters: Query[OrganizationFilter]
) -> QuerySet[Organization]:
    """Organisations visible to the caller, optionally of one kind."""
    qs = selectors.organization_visible(viewer=grant_of(request))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs.order_by("kind", "name", "pk")


@router.get("/organizations/{organization_id}", response=OrganizationOut)
@api_access(Audience.MEMBER)
def organization_detail(request: HttpRequest, organization_id: int) -> Organization:
    """One organisation in the caller's scope."""
    organization = (
        selectors.organization_visible(viewer=grant_of(request)).filter(pk=organization_id).first()
    )
    if organization is None:
        raise Http404
    return organization


class SiteIn(Schema):
    """A site as the client sends it; district and street are division codes."""

    name: Text = Field(max_length=100)
    address: Text = Field(max_length=200)
    district: Text = Field(max_length=12, description="District code, e.g. 440303.")
    street: Text = Field(max_length=12, description="Street code, e.g. 440303001.")
    floor_area_m2: Decimal = Field(description="Between 1 and 1,000,000; one decimal kept.")
    kind: Site.Kind
    service_mode: Site.ServiceMode


class SiteUpdateIn(SiteIn):
    version: int | None = Field(None, description="The version last read (required).")


class SiteOut(Schema):
    id: int
    name: str
    address: str
    district: str
    street: str
    floor_area_m2: Decimal
    kind: str
    service_mode: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_district(obj: Site) -> str:
        return obj.district_id

    @staticmethod
    def resolve_street(obj: Site) -> str:
        return obj.street_id


def _site_data(payload: SiteIn) -> SiteData:
    """The service's input from the schema; unknown codes are refused naming their field."""
    errors: dict[str, str] = {}
    district: Division | None = (
        selectors.shenzhen_district_list().filter(pk=payload.district).first()
    )
    if district is None:
        errors["district"] = _("Unknown district code.")
    street: Division | None = selectors.street_list().filter(pk=payload.street).first()
    if street is None:
        errors["street"] = _("Unknown street code.")
    if errors or district is None or street is None:
        raise ValidationError(errors)
    return SiteData(
        name=payload.name,
        address=payload.address,
        district=district,
        street=street,
        floor_area_m2=payload.floor_area_m2,
        kind=payload.kind,
        service_mode=payload.service_mode,
    )


@router.get("/sites", response=list[SiteOut], tags=["sites"])
@api_access(Audience.ENTERPRISE)
@paginate(LimitOffsetPagination)
def site_list(request: HttpRequest) -> QuerySet[Site]:
    """The caller's enterprise's sites."""
    grant = grant_of(request)
    return selectors.site_list(viewer=grant, enterprise=grant.organization)


@router.get("/sites/{site_id}", response=SiteOut, tags=["sites"])
@api_access(Audience.ENTERPRISE)
def site_detail(request: HttpRequest, site_id: int) -> Site:
    """One of the caller's enterprise's sites."""
    return selectors.site_get(viewer=grant_of(request), pk=site_id)


@router.post("/sites", response={201: SiteOut}, tags=["sites"])
@api_access(Audience.ENTERPRISE, write=True)
def site_add(request: HttpRequest, payload: SiteIn) -> Site:
    """Add a site to the caller's enterprise."""
    grant = grant_of(request)
    return site_create(actor=grant.user, enterprise=grant.organization, data=_site_data(payload))


@router.put("/sites/{site_id}", response=SiteOut, tags=["sites"])
@api_access(Audience.ENTERPRISE, write=True)
def site_edit(request: HttpRequest, site_id: int, payload: SiteUpdateIn) -> Site:
    """Replace a site's details; `version` must be the one last read."""
    grant = grant_of(request)
    site = selectors.site_get(viewer=grant, pk=site_id)
    version = version_required(payload.version)
    return site_update(actor=grant.user, site=site, data=_site_data(payload), version=version)


@router.delete("/sites/{site_id}", response={204: None}, tags=["sites"])
@api_access(Audience.ENTERPRISE, write=True)
def site_remove(request: HttpRequest, site_id: int) -> None:
    """Remove a site; its employees stay on the roster without one."""
    grant = grant_of(request)
    site_delete(actor=grant.user, site=selectors.site_get(viewer=grant, pk=site_id))
