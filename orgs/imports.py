"""An association imports its existing members from a spreadsheet: all rows pass, or none is saved.

Accepted: .xlsx or .csv (UTF-8 or GB18030), at most `settings.IMPORT_MAX_BYTES` and
`MAX_ROWS` data rows, with the Chinese headers of the template or their English aliases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from lib.ids import normalize_mobile, validate_uscc
from lib.spreadsheets import Sheet, read_sheet, require_headers
from orgs import services
from orgs.models import Division, Organization, OrganizationKind
from orgs.selectors import shenzhen_district_list, street_list

MAX_ROWS = 5000

# Canonical headers, in template order, with the model field each one fills.
COLUMNS: dict[str, str] = {
    "企业名称": "name",
    "统一社会信用代码": "uscc",
    "法定代表人": "legal_representative",
    "所在区": "district",
    "街道": "street",
    "详细地址": "address",
    "联系人": "contact_name",
    "联系人手机": "contact_mobile",
}
REQUIRED_VALUES = ("企业名称", "统一社会信用代码", "所在区", "街道", "联系人手机")
ALIASES: dict[str, str] = {english: chinese for chinese, english in COLUMNS.items()}
COLUMN_LABELS: dict[str, Promise] = {
    "企业名称": gettext_lazy("Enterprise name"),
    "统一社会信用代码": gettext_lazy("Credit code"),
    "法定代表人": gettext_lazy("Legal representative"),
    "所在区": gettext_lazy("District"),
    "街道": gettext_lazy("Street"),
    "详细地址": gettext_lazy("Address"),
    "联系人": gettext_lazy("Contact person"),
    "联系人手机": gettext_lazy("Contact mobile"),
}
# Longest accepted text per column (the model's column widths).
MAX_LENGTHS = {"企业名称": 120, "法定代表人": 50, "详细地址": 200, "联系人": 50}

_DISTRICT_SUFFIXES = re.compile(r"(特别合作区|新区|区)$")
_STREET_SUFFIXES = re.compile(r"(街道办事处|街道|镇)$")
_ENGLISH_SUFFIXES = re.compile(r"\s+(district|new district|subdistrict|street)$")


@dataclass(frozen=True)
class RowError:
    """One problem in one cell of the upload."""

    row: int
    column: str
    message: str


@dataclass
class MemberImportResult:
    """What an import did, or why it did nothing."""

    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    linked: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Row:
    number: int
    data: services.EnterpriseData | None
    existing: Organization | None


def _key(text: str) -> str:
    return "".join(text.split()).casefold()


class _Divisions:
    """Shenzhen's districts and streets, matched by name the way people write them."""

    def __init__(self) -> None:
        self.districts: dict[str, Division] = {}
        for district in shenzhen_district_list():
            for name in (district.name, district.name_en):
                if name:
                    self.districts.setdefault(_key(name), district)
                    self.districts.setdefault(_key(_DISTRICT_SUFFIXES.sub("", name)), district)
                    self.districts.setdefault(
                        _key(_ENGLISH_SUFFIXES.sub("", name.casefold())), district
                    )
        self.streets: dict[tuple[str, str], Division] = {}
        for street in street_list():
            for owner in {street.parent_id, street.managed_by_id} - {None}:
                for name in (street.name, street.name_en):
                    if name:
                        self.streets.setdefault((str(owner), _key(name)), street)
                        self.streets.setdefault(
                            (str(owner), _key(_STREET_SUFFIXES.sub("", name))), street
                        )

    def district(self, text: str) -> Division | None:
        return self.districts.get(_key(text))

    def street(self, district: Division, text: str) -> Division | None:
        key = _key(text)
        return self.streets.get((district.pk, key)) or self.streets.get(
            (district.pk, _key(_STREET_SUFFIXES.sub("", text.strip())))
        )


def _existing_by_uscc(codes: Iterable[str]) -> dict[str, Organization]:
    """Organisations already registered with any of these credit codes."""
    found: dict[str, Organization] = {}
    chunk: list[str] = []
    for code in [*codes, None]:
        if code is not None:
            chunk.append(code)
        if chunk and (code is None or len(chunk) == 500):
            for org in Organization.objects.filter(uscc__in=chunk):
                found[org.uscc or ""] = org
            chunk = []
    return found


class _RowChecker:
    """Validates rows one by one, collecting every problem instead of stopping at the first."""

    def __init__(self, association: Organization, existing: dict[str, Organization]) -> None:
        self.association = association
        self.existing = existing
        self.divisions = _Divisions()
        self.seen: dict[str, int] = {}
        self.errors: list[RowError] = []

    def _error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, str(COLUMN_LABELS[column]), message))

    def check(self, number: int, cells: dict[str, str]) -> _Row:
        before = len(self.errors)
        values = {column: cells.get(column, "").strip() for column in COLUMNS}
        for column in REQUIRED_VALUES:
            if not values[column]:
                self._error(number, column, _("This value is required."))
        for column, limit in MAX_LENGTHS.items():
            if len(values[column]) > limit:
                self._error(
                    number,
                    column,
                    _("Keep this under %(limit)d characters.") % {"limit": limit},
                )
        uscc = self._uscc(number, values["统一社会信用代码"])
        mobile = self._mobile(number, values["联系人手机"])
        district, street = self._place(number, values["所在区"], values["街道"])
        existing = self.existing.get(uscc) if uscc else None
        if existing is not None and not existing.is_enterprise:
            self._error(
                number,
                "统一社会信用代码",
                _("This credit code belongs to an association or the federation."),
            )
        if len(self.errors) > before or uscc is None or district is None or street is None:
            return _Row(number, None, None)
        sector = self.association.sector
        assert sector is not None  # associations have a sector (model constraint)
        data = services.EnterpriseData(
            name=values["企业名称"],
            uscc=uscc,
            legal_representative=values["法定代表人"],
            sector=sector,
            district=district,
            street=street,
            address=values["详细地址"],
            contact_name=values["联系人"],
            contact_mobile=mobile or "",
        )
        return _Row(number, data, existing)

    def _uscc(self, number: int, text: str) -> str | None:
        if not text:
            return None
        try:
            code = validate_uscc(text)
        except ValidationError as exc:
            self._error(number, "统一社会信用代码", " ".join(exc.messages))
            return None
        if code in self.seen:
            self._error(
                number,
                "统一社会信用代码",
                _("The same credit code is already in row %(row)d.") % {"row": self.seen[code]},
            )
            return None
        self.seen[code] = number
        return code

    def _mobile(self, number: int, text: str) -> str | None:
        if not text:
            return None
        try:
            return normalize_mobile(text)
        except ValidationError as exc:
            self._error(number, "联系人手机", " ".join(exc.messages))
            return None

    def _place(
        self, number: int, district_text: str, street_text: str
    ) -> tuple[Division | None, Division | None]:
        if not district_text:
            return None, None
        district = self.divisions.district(district_text)
        if district is None:
            self._error(
                number,
                "所在区",
                _("“%(name)s” is not a Shenzhen district or functional area.")
                % {"name": district_text[:40]},
            )
            return None, None
        if not street_text:
            return district, None
        street = self.divisions.street(district, street_text)
        if street is None:
            self._error(
                number,
                "街道",
                _("“%(street)s” is not a street of %(district)s.")
                % {"street": street_text[:40], "district": district.label},
            )
        return district, street


def member_import(
    *, actor: User, association: Organization, data: bytes, filename: str
) -> MemberImportResult:
    """Check every row of an upload, then save all of them in one transaction, or none.

    Raises `lib.spreadsheets.SpreadsheetError` for a file that cannot be read at all.
    """
    if association.kind != OrganizationKind.ASSOCIATION:
        raise ValidationError(_("Only associations import members."))
    sheet = require_headers(
        read_sheet(data, filename=filename, max_bytes=settings.IMPORT_MAX_BYTES, max_rows=MAX_ROWS),
        required=COLUMNS,
        aliases=ALIASES,
    )
    if not sheet.rows:
        return MemberImportResult(
            errors=[RowError(1, "", _("The file has headers but no rows of members below them."))]
        )
    rows = _check_rows(sheet, association)
    if isinstance(rows, MemberImportResult):
        return rows
    return _save(actor=actor, association=association, rows=rows)


def _check_rows(sheet: Sheet, association: Organization) -> list[_Row] | MemberImportResult:
    codes = set()
    for _number, cells in sheet.rows:
        try:
            codes.add(validate_uscc(cells.get("统一社会信用代码", "")))
        except ValidationError:
            continue
    checker = _RowChecker(association, _existing_by_uscc(sorted(codes)))
    rows = [checker.check(number, cells) for number, cells in sheet.rows]
    if checker.errors:
        return MemberImportResult(errors=checker.errors)
    return rows


@transaction.atomic
def _save(*, actor: User, association: Organization, rows: list[_Row]) -> MemberImportResult:
    result = MemberImportResult()
    for row in rows:
        assert row.data is not None  # rows with errors never reach here
        enterprise = row.existing
        try:
            if enterprise is None:
                enterprise = services.enterprise_create(actor=actor, data=row.data)
                result.created += 1
            _membership, changed = services.membership_admit(
                actor=actor, enterprise=enterprise, association=association
            )
        except ValidationError as exc:
            # Only a change made between the check and the save lands here; undo everything.
            transaction.set_rollback(True)
            return MemberImportResult(errors=[RowError(row.number, "", " ".join(exc.messages))])
        if row.existing is not None:
            result.linked += int(changed)
            result.unchanged += int(not changed)
    audit_record(
        actor=actor,
        action="membership.import",
        scope=association,
        changes={
            "created": result.created,
            "linked": result.linked,
            "unchanged": result.unchanged,
        },
    )
    return result
