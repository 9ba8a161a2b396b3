"""Builders for roster tests: valid identifiers, employees and in-memory sheets."""

from __future__ import annotations

import io
from collections.abc import Sequence

import xlsxwriter  # type: ignore[import-untyped]

from accounts.models import User
from lib.ids import resident_id_check_char
from orgs.models import Organization, Site
from workforce.models import Employee
from workforce.services import EmployeeInput, employee_clean, employee_create, today_local

HEADER_ROW = [
    "姓名",
    "手机号码",
    "证件类型",
    "证件号码",
    "岗位",
    "所在场所",
    "关键岗位",
    "户籍省份",
    "户籍城市",
    "户籍区县",
    "在职状态",
]


def resident_id(n: int) -> str:
    """A valid 18-character resident ID number, different for each n < 1000."""
    body = f"44030319900101{n:03d}"
    return body + resident_id_check_char(body)


def mobile(n: int) -> str:
    return f"139{n:08d}"


def full_width(text: str) -> str:
    """The same digits and letters typed with a Chinese input method (１２３)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def add_employee(
    actor: User, enterprise: Organization, n: int, *, name: str = "", site: Site | None = None
) -> Employee:
    return employee_create(
        actor=actor,
        enterprise=enterprise,
        data=EmployeeInput(
            name=name or f"员工{n}",
            mobile=mobile(n),
            document_type="resident_id",
            document_number=resident_id(n),
            site=site,
        ),
    )


def bulk_employees(enterprise: Organization, count: int, *, start: int = 0) -> None:
    """Many employees at once, without audit rows (for list and export tests)."""
    objs = []
    for n in range(start, start + count):
        data = EmployeeInput(
            name=f"员工{n}",
            mobile=mobile(n),
            document_type="resident_id",
            document_number=resident_id(n),
        )
        cleaned = employee_clean(enterprise=enterprise, data=data, today=today_local())
        objs.append(Employee(enterprise=enterprise, **cleaned))
    Employee.objects.bulk_create(objs)


def row(n: int, **overrides: object) -> list[object]:
    """A valid data row in the template's column order."""
    values: dict[str, object] = {
        "姓名": f"员工{n}",
        "手机号码": mobile(n),
        "证件类型": "居民身份证",
        "证件号码": resident_id(n),
        "岗位": "前台",
        "所在场所": "罗湖店",
        "关键岗位": "否",
        "户籍省份": "广东省",
        "户籍城市": "深圳市",
        "户籍区县": "罗湖区",
        "在职状态": "在职",
    }
    values.update(overrides)
    return [values[h] for h in HEADER_ROW]


def xlsx(rows: Sequence[Sequence[object]], headers: Sequence[str] = HEADER_ROW) -> bytes:
    """An .xlsx with text cells as text and numbers as numbers (as Excel would store them)."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet("花名册")
    for column, header in enumerate(headers):
        sheet.write_string(0, column, header)
    for r, values in enumerate(rows, 1):
        for column, value in enumerate(values):
            if isinstance(value, int | float):
                sheet.write_number(r, column, value)
            else:
                sheet.write_string(r, column, str(value))
    workbook.close()
    return output.getvalue()


def csv(
    rows: Sequence[Sequence[object]],
    *,
    encoding: str = "utf-8",
    headers: Sequence[str] = HEADER_ROW,
) -> bytes:
    lines = [",".join(headers)] + [",".join(str(v) for v in values) for values in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
