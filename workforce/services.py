"""Writes to the roster: one validation for the form, the API and imports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from lib import crypto
from lib.ids import (
    mask_document,
    mask_mobile,
    normalize_mobile,
    parse_resident_id,
    validate_document,
)
from orgs.models import Division, Organization, Site
from workforce.models import DocumentType, Employee, EmploymentStatus, ImportJob


def today_local() -> dt.date:
    """The business day in Asia/Shanghai."""
    return timezone.localdate()


# Built once: the enums' .values property builds a new list on every call (hot in imports).
_DOCUMENT_TYPES = frozenset(DocumentType.values)
_STATUSES = frozenset(EmploymentStatus.values)


@dataclass(frozen=True)
class EmployeeInput:
    """What a person types (or a sheet holds) for one employee, before validation."""

    name: str
    mobile: str
    document_type: str
    document_number: str
    position: str = ""
    site: Site | None = None
    is_critical: bool = False
    home_province: Division | None = None
    home_city: Division | None = None
    home_county: Division | None = None
    status: str = EmploymentStatus.ACTIVE


def employee_clean(
    *, enterprise: Organization, data: EmployeeInput, today: dt.date, allow_legacy: bool = False
) -> dict[str, Any]:
    """Validate one employee; raises ValidationError with every field's problem at once."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}

    name = " ".join(data.name.split())
    if not name:
        errors["name"] = [_("Enter the employee's name.")]
    elif len(name) > 50:
        errors["name"] = [_("Names are at most 50 characters.")]
    cleaned["name"] = name

    try:
        mobile = normalize_mobile(data.mobile)
        cleaned.update(
            mobile_enc=crypto.encrypt(mobile),
            mobile_hash=crypto.keyed_hash(mobile),
            mobile_masked=mask_mobile(mobile),
        )
    except ValidationError as exc:
        errors["mobile"] = exc.messages

    if data.document_type not in _DOCUMENT_TYPES:
        errors["document_type"] = [_("Choose a document type.")]
    else:
        try:
            number = validate_document(
                data.document_type, data.document_number, today=today, allow_legacy=allow_legacy
            )
            cleaned.update(
                document_type=data.document_type,
                document_enc=crypto.encrypt(number),
                document_hash=document_hash(data.document_type, number),
                document_masked=mask_document(number),
                birth_date=(
                    parse_resident_id(number, today=today).birth_date
                    if data.document_type
                    in {DocumentType.RESIDENT_ID, DocumentType.RESIDENCE_PERMIT}
                    else None
                ),
            )
        except ValidationError as exc:
            errors["document_number"] = exc.messages

    position = data.position.strip()
    if len(position) > 50:
        errors["position"] = [_("Positions are at most 50 characters.")]
    cleaned["position"] = position

    if data.site is not None and data.site.enterprise_id != enterprise.pk:
        errors["site"] = [_("Choose one of your own sites.")]
    cleaned["site"] = data.site
    cleaned["is_critical"] = bool(data.is_critical)

    region_error = _check_home_region(data)
    if region_error:
        errors["home_region"] = [region_error]
    cleaned.update(
        home_province=data.home_province, home_city=data.home_city, home_county=data.home_county
    )

    if data.status not in _STATUSES:
        errors["status"] = [_("Choose an employment status.")]
    cleaned["status"] = data.status

    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]
    return cleaned


def document_hash(document_type: str, number: str) -> str:
    """The keyed hash that identifies a document on a roster: its type and normalised number."""
    return crypto.keyed_hash(f"{document_type}:{number}")


def _check_home_region(data: EmployeeInput) -> str | None:
    province, city, county = data.home_province, data.home_city, data.home_county
    if province is not None and province.level != Division.Level.PROVINCE:
        return _("Choose a province.")
    if city is not None and (province is None or city.parent_id != province.pk):
        return _("The city is not in the chosen province.")
    if county is not None:
        parent = city or province
        if parent is None or county.parent_id != parent.pk:
            return _("The county is not in the chosen city.")
    return None


def _check_duplicates(
    enterprise: Organization, cleaned: dict[str, Any], exclude_pk: int | None = None
) -> None:
    qs = Employee.objects.filter(enterprise=enterprise)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    errors: dict[str, str] = {}
    if qs.filter(document_hash=cleaned["document_hash"]).exists():
        errors["document_number"] = _("An employee with this document number is on the roster.")
    if qs.filter(mobile_hash=cleaned["mobile_hash"]).exists():
        errors["mobile"] = _("An employee with this mobile number is on the roster.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def employee_create(*, actor: User, enterprise: Organization, data: EmployeeInput) -> Employee:
    """Add one employee to an enterprise's roster."""
    cleaned = employee_clean(enterprise=enterprise, data=data, today=today_local())
    _check_duplicates(enterprise, cleaned)
    employee = Employee.objects.create(enterprise=enterprise, **cleaned)
    audit_record(actor=actor, action="employee.create", scope=enterprise, obj=employee)
    return employee


_AUDITED_FIELDS = ("name", "position", "site_id", "is_critical", "status", "home_county_id")


@transaction.atomic
def employee_update(
    *, actor: User, employee: Employee, data: EmployeeInput, version: int
) -> Employee:
    """Edit an employee; a stale `version` is refused, not overwritten."""
    enterprise = employee.enterprise
    cleaned = employee_clean(enterprise=enterprise, data=data, today=today_local())
    _check_duplicates(enterprise, cleaned, exclude_pk=employee.pk)
    before = {f: getattr(employee, f) for f in _AUDITED_FIELDS}
    updated = Employee.objects.filter(pk=employee.pk, version=version).update(
        **cleaned, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise ValidationError(
            _("Someone else changed this employee while you were editing. Reload and try again."),
            code="stale",
        )
    employee.refresh_from_db()
    changed = [f for f in _AUDITED_FIELDS if getattr(employee, f) != before[f]]
    if (
        employee.mobile_hash != cleaned["mobile_hash"]
        or employee.document_hash != cleaned["document_hash"]
    ):
        changed.append("identifiers")
    audit_record(
        actor=actor,
        action="employee.update",
        scope=enterprise,
        obj=employee,
        changes={"fields": changed},
    )
    return employee


@transaction.atomic
def employee_delete(*, actor: User, employee: Employee) -> None:
    """Remove an employee's record entirely (for entries made in error)."""
    audit_record(actor=actor, action="employee.delete", scope=employee.enterprise, obj=employee)
    employee.delete()


REVEALABLE = {"mobile": "mobile_enc", "document_number": "document_enc"}


@transaction.atomic
def employee_reveal(*, actor: User, employee: Employee, field: str, purpose: str) -> str:
    """Decrypt one personal field for display; the reveal and its purpose are logged."""
    if field not in REVEALABLE:
        raise ValidationError(_("This field cannot be revealed."))
    purpose = purpose.strip()
    if not purpose:
        raise ValidationError({"purpose": _("Say why you need to see the full number.")})
    audit_record(
        actor=actor,
        action="employee.reveal",
        scope=employee.enterprise,
        obj=employee,
        changes={"field": field, "purpose": purpose[:200]},
        personal_data=True,
    )
    return crypto.decrypt(getattr(employee, REVEALABLE[field]))


def rotate_field_keys(*, batch_size: int = 1000) -> int:
    """Re-encrypt every personal field with the newest key; returns rows rewritten."""
    count = 0
    qs = Employee.objects.only("pk", "mobile_enc", "document_enc").order_by("pk")
    last_pk = 0
    while True:
        batch = list(qs.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return count
        with transaction.atomic():
            for employee in batch:
                employee.mobile_enc = crypto.rotate(employee.mobile_enc)
                employee.document_enc = crypto.rotate(employee.document_enc)
            Employee.objects.bulk_update(batch, ["mobile_enc", "document_enc"])
        count += len(batch)
        last_pk = batch[-1].pk


def employee_input_keeping_identifiers(*, employee: Employee, data: EmployeeInput) -> EmployeeInput:
    """Fill a blank mobile or document number with the stored one (edit forms never show it)."""
    mobile = data.mobile if data.mobile.strip() else crypto.decrypt(employee.mobile_enc)
    number = (
        data.document_number
        if data.document_number.strip()
        else crypto.decrypt(employee.document_enc)
    )
    return replace(data, mobile=mobile, document_number=number)


# Business limits on roster uploads per enterprise (reliability-security.md IV-17, UX-13).
IMPORT_MAX_PER_HOUR = 30
# A job still waiting or running after this long is presumed lost and no longer blocks.
IMPORT_STALE_AFTER = dt.timedelta(minutes=15)


@transaction.atomic
def import_job_create(
    *, actor: User, enterprise: Organization, filename: str, content: bytes
) -> ImportJob:
    """Store an uploaded roster and queue its check-and-import after commit."""
    now = timezone.now()
    recent = ImportJob.objects.filter(
        enterprise=enterprise, created_at__gte=now - dt.timedelta(hours=1)
    )
    if recent.filter(
        status__in=[ImportJob.Status.PENDING, ImportJob.Status.RUNNING],
        created_at__gte=now - IMPORT_STALE_AFTER,
    ).exists():
        raise ValidationError(
            _("An import of your roster is still being checked; wait until it has finished."),
            code="busy",
        )
    if recent.count() >= IMPORT_MAX_PER_HOUR:
        raise ValidationError(
            _("At most %(limit)d roster uploads per hour; please try again later."),
            code="rate_limited",
            params={"limit": IMPORT_MAX_PER_HOUR},
        )
    job = ImportJob.objects.create(
        enterprise=enterprise,
        created_by=actor,
        filename=_safe_filename(filename),
        content=content,
    )
    transaction.on_commit(partial(_enqueue_import, job.pk))
    return job


def _enqueue_import(job_id: int) -> None:
    # Imported here: workforce.tasks imports workforce.imports, which imports this module.
    from workforce.tasks import roster_import_run

    roster_import_run.enqueue(job_id)


def _safe_filename(filename: str) -> str:
    """Keep only the base name of an uploaded file, without control characters."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(char for char in base if char.isprintable()).strip()
    return cleaned[-200:] or "upload"
