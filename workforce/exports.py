"""Roster export: an .xlsx of the filtered roster, masked unless an administrator says why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import RoleGrant, User
from audit.services import audit_record
from lib import crypto
from lib.spreadsheets import write_xlsx
from workforce.imports import DOCUMENT_TYPE_LABELS, HEADERS, STATUS_LABELS
from workforce.models import Employee

# More rows than this are refused: split the export with filters (UX-10 row caps).
EXPORT_MAX_ROWS = 50_000


@dataclass(frozen=True)
class RosterExport:
    """An export ready to send: file name and bytes."""

    filename: str
    content: bytes
    rows: int


@transaction.atomic
def roster_export(
    *,
    actor: User,
    viewer: RoleGrant,
    employees: QuerySet[Employee],
    unmasked: bool,
    purpose: str,
    filters: dict[str, Any],
) -> RosterExport:
    """Write the given employees to .xlsx (columns as the import template) and audit it."""
    purpose = purpose.strip()
    if unmasked and not viewer.is_admin:
        raise PermissionDenied
    if unmasked and not purpose:
        raise ValidationError({"purpose": _("Say why you need the full numbers.")})
    count = employees.count()
    if count > EXPORT_MAX_ROWS:
        raise ValidationError(
            _("At most %(limit)d employees per export; narrow it down with the filters."),
            code="too_many_rows",
            params={"limit": EXPORT_MAX_ROWS},
        )
    now = timezone.localtime()
    note = _("Exported by {who} at {when} · {kind} · {enterprise}").format(
        who=actor.display_label,
        when=now.strftime("%Y-%m-%d %H:%M"),
        kind=_("full numbers") if unmasked else _("masked"),
        enterprise=viewer.organization.name,
    )
    # Every related name the rows print, fetched in the same query (no query per row).
    employees = employees.select_related("site", "home_province", "home_city", "home_county")
    rows = (_row(employee, unmasked=unmasked) for employee in employees.iterator(chunk_size=2000))
    content = write_xlsx(sheets=[(_("Roster"), list(HEADERS.values()), rows)], header_note=note)
    audit_record(
        actor=actor,
        action="employee.export",
        scope=viewer.organization,
        changes={
            "rows": count,
            "masked": not unmasked,
            "purpose": purpose[:200],
            "filters": {key: value for key, value in filters.items() if value not in ("", None)},
        },
        personal_data=unmasked,
    )
    suffix = "full" if unmasked else "masked"
    return RosterExport(
        filename=f"roster-{now:%Y%m%d-%H%M}-{suffix}.xlsx", content=content, rows=count
    )


def _row(employee: Employee, *, unmasked: bool) -> list[object]:
    if unmasked:
        mobile = crypto.decrypt(employee.mobile_enc)
        document = crypto.decrypt(employee.document_enc)
    else:
        mobile, document = employee.mobile_masked, employee.document_masked
    return [
        employee.name,
        mobile,
        DOCUMENT_TYPE_LABELS.get(employee.document_type, employee.document_type),
        document,
        employee.position,
        employee.site.name if employee.site else "",
        "是" if employee.is_critical else "否",
        employee.home_province.name if employee.home_province else "",
        employee.home_city.name if employee.home_city else "",
        employee.home_county.name if employee.home_county else "",
        STATUS_LABELS.get(employee.status, employee.status),
    ]
