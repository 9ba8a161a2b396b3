"""Declaration import: one row per employee (identified by mobile; the name must match),
checked like a declaration on the form, written all or nothing with every problem of
every row listed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from lib import crypto
from lib.ids import normalize_mobile
from lib.spreadsheets import SpreadsheetError, read_sheet, require_headers, write_xlsx
from orgs.models import Division, Organization
from resumption.models import TravelMode, Via
from resumption.services import SHENZHEN, DeclarationInput, declaration_save
from workforce.models import Employee, EmploymentStatus

IMPORT_MAX_ROWS = 5000
NAME, MOBILE, IN_SZ, DISTRICT, PROVINCE, CITY, TRAVEL_ON, MODE, ISOLATION = (
    "姓名",
    "手机号码",
    "是否在深",
    "所在区",
    "省份",
    "城市",
    "计划返深日期",
    "交通方式",
    "需要隔离住宿",
)
HEADERS = [NAME, MOBILE, IN_SZ, DISTRICT, PROVINCE, CITY, TRAVEL_ON, MODE, ISOLATION]
ALIASES = {
    "name": NAME,
    "mobile": MOBILE,
    "手机号": MOBILE,
    "in shenzhen": IN_SZ,
    "district": DISTRICT,
    "province": PROVINCE,
    "city": CITY,
    "travel date": TRAVEL_ON,
    "travel mode": MODE,
    "needs isolation": ISOLATION,
}
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "对"}
_FALSE = {"否", "n", "no", "false", "0", "×", "不是", "无", ""}
MODES = {
    "火车": TravelMode.TRAIN,
    "高铁": TravelMode.TRAIN,
    "train": TravelMode.TRAIN,
    "飞机": TravelMode.PLANE,
    "plane": TravelMode.PLANE,
    "大巴": TravelMode.COACH,
    "客车": TravelMode.COACH,
    "coach": TravelMode.COACH,
    "自驾": TravelMode.CAR,
    "car": TravelMode.CAR,
    "其他": TravelMode.OTHER,
    "other": TravelMode.OTHER,
}
EXAMPLE_MOBILE = "13800138000"


@dataclass
class Problem:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    saved: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Rollback(Exception):
    pass


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError(_("Write 是 or 否."))


class _Places:
    """Divisions by code or name (exact, or the only one starting with the text)."""

    def __init__(self) -> None:
        self.by_level: dict[str, list[Division]] = {}
        for d in Division.objects.filter(
            level__in=["province", "city", "county", "functional_area"]
        ).only("code", "name", "level", "parent_id"):
            self.by_level.setdefault(d.level, []).append(d)

    def find(self, text: str, levels: list[str], parent: str | None = None) -> Division | None:
        value = text.strip()
        if not value:
            return None
        pool = [
            d
            for level in levels
            for d in self.by_level.get(level, [])
            if parent is None or d.parent_id == parent
        ]
        for d in pool:
            if value in (d.code, d.name):
                return d
        starts = [d for d in pool if d.name.startswith(value)]
        if len(starts) == 1:
            return starts[0]
        raise ValidationError(_("No such place: write its full name or its code."))


def _parse_row(
    values: dict[str, str], places: _Places
) -> tuple[DeclarationInput, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []

    def attempt(column: str, func: Any) -> Any:
        try:
            return func()
        except ValidationError as exc:
            problems.append((column, " ".join(exc.messages)))
            return None

    in_sz = attempt(IN_SZ, lambda: _flag(values.get(IN_SZ, "")))
    district = province = city = None
    if in_sz:
        district = attempt(
            DISTRICT,
            lambda: places.find(values.get(DISTRICT, ""), ["county", "functional_area"], SHENZHEN),
        )
    elif in_sz is False:
        province = attempt(PROVINCE, lambda: places.find(values.get(PROVINCE, ""), ["province"]))
        if province is not None:
            city = attempt(CITY, lambda: places.find(values.get(CITY, ""), ["city"], province.code))
    travel_on = None
    text = values.get(TRAVEL_ON, "").strip()
    if text:
        try:
            travel_on = dt.date.fromisoformat(text[:10].replace("/", "-"))
        except ValueError:
            problems.append((TRAVEL_ON, _("Write the date as YYYY-MM-DD.")))
    mode_text = values.get(MODE, "").strip().lower()
    mode = TravelMode.NONE if in_sz or not mode_text else MODES.get(mode_text, "")
    if not mode:
        problems.append((MODE, _("Write 火车, 飞机, 大巴, 自驾 or 其他.")))
    isolation = attempt(ISOLATION, lambda: _flag(values.get(ISOLATION, "")))
    data = DeclarationInput(
        in_shenzhen=bool(in_sz),
        district=district,
        province=province,
        city=city,
        planned_travel_on=travel_on,
        travel_mode=mode or TravelMode.OTHER,
        needs_isolation=bool(isolation),
    )
    return data, problems


def declaration_import(
    *, actor: User, enterprise: Organization, filename: str, content: bytes
) -> ImportResult:
    """Check every row and save all declarations, or none."""
    result = ImportResult()
    try:
        raw = read_sheet(
            content,
            filename=filename,
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_rows=IMPORT_MAX_ROWS,
            max_columns=len(HEADERS) + 10,
        )
        sheet = require_headers(raw, required=[NAME, MOBILE, IN_SZ], aliases=ALIASES)
    except SpreadsheetError as exc:
        result.problems.append(Problem(exc.row or 0, "", str(exc)))
        return result
    result.rows = len(sheet.rows)
    if not sheet.rows:
        result.problems.append(Problem(0, "", _("The file has headers but no declarations.")))
        return result
    roster = {
        mobile_hash: (pk, name, status)
        for pk, name, status, mobile_hash in Employee.objects.filter(
            enterprise=enterprise
        ).values_list("pk", "name", "status", "mobile_hash")
    }
    places = _Places()
    parsed: list[tuple[int, int, DeclarationInput]] = []
    seen: dict[int, int] = {}
    for number, values in sheet.rows:
        employee_id = _identify(values, roster, number, result.problems)
        data, problems = _parse_row(values, places)
        result.problems.extend(Problem(number, column, message) for column, message in problems)
        if employee_id is None:
            continue
        if employee_id in seen:
            result.problems.append(
                Problem(
                    number,
                    MOBILE,
                    _("The same employee is also in row %(row)s.") % {"row": seen[employee_id]},
                )
            )
            continue
        seen[employee_id] = number
        if not problems:
            parsed.append((number, employee_id, data))
    employees = {e.pk: e for e in Employee.objects.filter(pk__in=seen, enterprise=enterprise)}
    try:
        with transaction.atomic():
            for number, employee_id, data in parsed:
                try:
                    declaration_save(
                        employee=employees[employee_id], data=data, via=Via.IMPORT, actor=actor
                    )
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        for key, messages in exc.message_dict.items():
                            result.problems.append(Problem(number, key, " ".join(messages)))
                    else:
                        result.problems.append(Problem(number, "", " ".join(exc.messages)))
                    continue
                result.saved += 1
            if result.problems:
                raise _Rollback
            audit_record(
                actor=actor,
                action="resumption.declaration_import",
                scope=enterprise,
                changes={"file": filename[-100:], "rows": result.rows, "saved": result.saved},
            )
    except _Rollback:
        result.saved = 0
    result.problems.sort(key=lambda p: (p.row, p.column))
    return result


def _identify(
    values: dict[str, str],
    roster: dict[str, tuple[int, str, str]],
    number: int,
    problems: list[Problem],
) -> int | None:
    name = " ".join(values.get(NAME, "").split())
    text = values.get(MOBILE, "").strip()
    if not name:
        problems.append(Problem(number, NAME, _("This column must be filled in.")))
    if not text:
        problems.append(Problem(number, MOBILE, _("This column must be filled in.")))
        return None
    try:
        mobile = normalize_mobile(text)
    except ValidationError as exc:
        problems.append(Problem(number, MOBILE, " ".join(exc.messages)))
        return None
    if mobile == EXAMPLE_MOBILE:
        problems.append(
            Problem(
                number,
                MOBILE,
                _("This is the example row of the template; delete it before importing."),
            )
        )
        return None
    found = roster.get(crypto.keyed_hash(mobile))
    if found is None:
        problems.append(
            Problem(number, MOBILE, _("No employee on your roster has this mobile number."))
        )
        return None
    pk, roster_name, status = found
    if name and "".join(name.split()) != "".join(roster_name.split()):
        problems.append(
            Problem(
                number,
                NAME,
                _("The roster has another name for this mobile number; check the row."),
            )
        )
        return None
    if status == EmploymentStatus.LEFT:
        problems.append(Problem(number, NAME, _("This employee has left the company.")))
        return None
    return pk if name else None


def template_xlsx() -> bytes:
    """The import template with two example rows."""
    rows = [
        ["张三", EXAMPLE_MOBILE, "是", "罗湖区", "", "", "", "", "否"],
        ["李四", EXAMPLE_MOBILE, "否", "", "湖北省", "武汉市", "2020-02-20", "火车", "是"],
    ]
    return write_xlsx(sheets=[("返岗申报", HEADERS, rows)])
