"""An enterprise's roster over the JSON API; personal numbers only ever leave masked."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Body, Field, Query, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from accounts.models import RoleGrant
from lib.access import Audience
from lib.api import ScopedRouter, Text, api_access, grant_of, version_required
from orgs.models import Division, Site
from orgs.selectors import division_list, site_list
from workforce import selectors
from workforce.models import DocumentType, Employee, EmploymentStatus
from workforce.services import (
    EmployeeInput,
    employee_clean,
    employee_create,
    employee_delete,
    employee_update,
    today_local,
)

router = ScopedRouter(tags=["roster"])

BULK_MAX_ROWS = 1000


class EmployeeIn(Schema):
    """One employee as the client sends it; the home region and the site by code and id."""

    # Generous limits that stop absurd input; the service words the real limits.
    name: Text = Field(max_length=200)
    mobile: Text = Field(max_length=64)
    document_type: DocumentType
    document_number: Text = Field(max_length=64)
    position: Text = Field("", max_length=200)
    site: int | None = Field(None, description="The id of one of your sites.")
    is_critical: bool = False
    home_province: Text | None = Field(None, max_length=12, description="Province code.")
    home_city: Text | None = Field(None, max_length=12, description="City code.")
    home_county: Text | None = Field(
        None, max_length=12, description="County code; a missing city and province follow from it."
    )
    status: EmploymentStatus = EmploymentStatus.ACTIVE


class EmployeeUpdateIn(EmployeeIn):
    version: int | None = Field(None, description="The version last read (required).")


class EmployeeOut(Schema):
    """An employee with the mobile and document number masked."""

    id: int
    name: str
    mobile_masked: str
    document_type: str
    document_masked: str
    position: str
    site: int | None
    is_critical: bool
    home_province: str | None
    home_city: str | None
    home_county: str | None
    status: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_site(obj: Employee) -> int | None:
        return obj.site_id

    @staticmethod
    def resolve_home_province(obj: Employee) -> str | None:
        return obj.home_province_id

    @staticmethod
    def resolve_home_city(obj: Employee) -> str | None:
        return obj.home_city_id

    @staticmethod
    def resolve_home_county(obj: Employee) -> str | None:
        return obj.home_county_id


class EmployeeFilter(Schema):
    search: Text = Field("", max_length=100)
    site: int | None = None
    status: EmploymentStatus | None = None


EmployeeRows = Annotated[list[EmployeeIn], Field(min_length=1, max_length=BULK_MAX_ROWS)]


class BulkOut(Schema):
    received: int
    created: int


class _Lookup:
    """Resolves codes and site ids to objects, once per distinct value in a request."""

    def __init__(self, grant: RoleGrant) -> None:
        self.grant = grant
        self.divisions: dict[tuple[str, str], Division | None] = {}
        self.sites: dict[int, Site | None] = {}

    def division(self, code: str, level: str) -> Division | None:
        if (code, level) not in self.divisions:
            self.divisions[code, level] = (
                division_list(level=level).select_related("parent__parent").filter(pk=code).first()
            )
        return self.divisions[code, level]

    def site(self, pk: int) -> Site | None:
        if pk not in self.sites:
            own = site_list(viewer=self.grant, enterprise=self.grant.organization)
            self.sites[pk] = own.filter(pk=pk).first()
        return self.sites[pk]

    def employee_input(self, payload: EmployeeIn) -> tuple[EmployeeInput, dict[str, list[str]]]:
        """The service's input, and the fields whose codes or ids match nothing of ours."""
        errors: dict[str, list[str]] = {}
        levels = {
            "home_province": Division.Level.PROVINCE,
            "home_city": Division.Level.CITY,
            "home_county": Division.Level.COUNTY,
        }
        region: dict[str, Division | None] = {}
        for field, level in levels.items():
            code = getattr(payload, field)
            region[field] = self.division(code.strip(), level) if code else None
            if code and region[field] is None:
                errors[field] = [_("Unknown division code.")]
        province, city, county = region["home_province"], region["home_city"], region["home_county"]
        # A county names its city and province; asking for all three would only invite
        # contradictions (which the service still reports when they are given).
        if county is not None and city is None and county.parent is not None:
            if county.parent.level == Division.Level.CITY:
                city = county.parent
            elif province is None and county.parent.level == Division.Level.PROVINCE:
                province = county.parent
        if city is not None and province is None:
            province = city.parent
        site = None
        if payload.site is not None:
            site = self.site(payload.site)
            if site is None:
                errors["site"] = [_("Choose one of your own sites.")]
        data = EmployeeInput(
            name=payload.name,
            mobile=payload.mobile,
            document_type=payload.document_type,
            document_number=payload.document_number,
            position=payload.position,
            site=site,
            is_critical=payload.is_critical,
            home_province=province,
            home_city=city,
            home_county=county,
            status=payload.status,
        )
        return data, errors


def _clean_or_raise(grant: RoleGrant, payload: EmployeeIn) -> EmployeeInput:
    """Resolve codes; when one is unknown, report it with every other field's problem."""
    data, errors = _Lookup(grant).employee_input(payload)
    if errors:
        try:
            employee_clean(enterprise=grant.organization, data=data, today=today_local())
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, messages)
        raise ValidationError(errors)
    return data


@router.get("/employees", response=list[EmployeeOut])
@api_access(Audience.ENTERPRISE)
@paginate(LimitOffsetPagination)
def employee_list(request: HttpRequest, filters: Query[EmployeeFilter]) -> QuerySet[Employee]:
    """The caller's enterprise's roster, filtered by name or position, site and status."""
    return selectors.employee_list(
        viewer=grant_of(request),
        search=filters.search.strip(),
        site=filters.site,
        status=filters.status or "",
    )


def _bulk_validate(grant: RoleGrant, rows: list[EmployeeIn]) -> list[EmployeeInput]:
    """Every row checked at once: problems keyed `<row>.<field>` (0-based, as in the array)."""
    lookup = _Lookup(grant)
    enterprise = grant.organization
    today = today_local()
    errors: dict[str, list[str]] = {}
    inputs: list[EmployeeInput] = []
    hashes: dict[str, dict[str, int]] = {"document_hash": {}, "mobile_hash": {}}
    fields = {"document_hash": "document_number", "mobile_hash": "mobile"}
    on_roster = {
        "document_hash": _("An employee with this document number is on the roster."),
        "mobile_hash": _("An employee with this mobile number is on the roster."),
    }
    for index, row in enumerate(rows):
        data, row_errors = lookup.employee_input(row)
        inputs.append(data)
        try:
            cleaned: dict[str, Any] = employee_clean(enterprise=enterprise, data=data, today=today)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                row_errors.setdefault(field, messages)
            cleaned = {}
        for hash_field, seen in hashes.items():
            value = cleaned.get(hash_field)
            if value is None:
                continue
            if value in seen:
                row_errors.setdefault(fields[hash_field], []).append(
                    _("Row {row} has the same number.").format(row=seen[value])
                )
            else:
                seen[value] = index
        for field, messages in row_errors.items():
            errors[f"{index}.{field}"] = messages
    roster = selectors.employee_list(viewer=grant)
    for hash_field, seen in hashes.items():
        taken = roster.filter(**{f"{hash_field}__in": list(seen)}).values_list(
            hash_field, flat=True
        )
        for value in taken:
            key = f"{seen[value]}.{fields[hash_field]}"
            errors.setdefault(key, []).append(on_roster[hash_field])
    if errors:
        raise ValidationError(errors)
    return inputs


def _for_row(index: int, exc: ValidationError) -> ValidationError:
    """The same problems, keyed by the row they belong to."""
    if not hasattr(exc, "error_dict"):
        return ValidationError({str(index): exc.messages})
    return ValidationError({f"{index}.{f}": m for f, m in exc.message_dict.items()})


# Registered before /employees/{employee_id}, which would otherwise match "bulk".
@router.post("/employees/bulk", response={201: BulkOut})
@api_access(Audience.ENTERPRISE, write=True)
def employee_bulk(request: HttpRequest, payload: Body[EmployeeRows]) -> BulkOut:
    """Add up to 1000 employees at once: all of them, or none when any row has a problem."""
    grant = grant_of(request)
    inputs = _bulk_validate(grant, payload)
    try:
        with transaction.atomic():
            for index, data in enumerate(inputs):
                try:
                    employee_create(actor=grant.user, enterprise=grant.organization, data=data)
                except ValidationError as exc:  # a concurrent write took a number meanwhile
                    raise _for_row(index, exc) from exc
    except IntegrityError as exc:  # the same race, caught by the database's constraint
        raise HttpError(
            409, _("The roster changed while the batch was being saved. Send it again.")
        ) from exc
    return BulkOut(received=len(inputs), created=len(inputs))


@router.get("/employees/{employee_id}", response=EmployeeOut)
@api_access(Audience.ENTERPRISE)
def employee_detail(request: HttpRequest, employee_id: int) -> Employee:
    """One employee of the caller's enterprise."""
    return selectors.employee_get(viewer=grant_of(request), pk=employee_id)


@router.post("/employees", response={201: EmployeeOut})
@api_access(Audience.ENTERPRISE, write=True)
def employee_add(request: HttpRequest, payload: EmployeeIn) -> Employee:
    """Add one employee to the caller's roster."""
    grant = grant_of(request)
    data = _clean_or_raise(grant, payload)
    return employee_create(actor=grant.user, enterprise=grant.organization, data=data)


@router.put("/employees/{employee_id}", response=EmployeeOut)
@api_access(Audience.ENTERPRISE, write=True)
def employee_edit(request: HttpRequest, employee_id: int, payload: EmployeeUpdateIn) -> Employee:
    """Replace an employee's details (all of them); `version` must be the one last read."""
    grant = grant_of(request)
    employee = selectors.employee_get(viewer=grant, pk=employee_id)
    version = version_required(payload.version)
    data = _clean_or_raise(grant, payload)
    return employee_update(actor=grant.user, employee=employee, data=data, version=version)


@router.delete("/employees/{employee_id}", response={204: None})
@api_access(Audience.ENTERPRISE, write=True)
def employee_remove(request: HttpRequest, employee_id: int) -> None:
    """Remove an employee's record entirely (for entries made in error)."""
    grant = grant_of(request)
    employee_delete(actor=grant.user, employee=selectors.employee_get(viewer=grant, pk=employee_id))
