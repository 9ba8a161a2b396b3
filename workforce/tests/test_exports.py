"""Roster export: masked by default; full numbers for an administrator with a purpose."""

from __future__ import annotations

import io
import re
from typing import Any

import python_calamine
from django.urls import reverse

from audit.models import AuditEvent
from conftest import Cast
from workforce.tests.roster import add_employee, bulk_employees, mobile, resident_id

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FULL_ID = re.compile(r"\d{17}[\dX]")
FULL_MOBILE = re.compile(r"1[3-9]\d{9}")


def cells(response: Any) -> list[list[str]]:
    with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(response.content)) as book:
        rows = book.get_sheet_by_index(0).to_python()
    return [[str(value) for value in row] for row in rows]


def test_it_exports_masked_numbers_by_default(cast: Cast) -> None:
    bulk_employees(cast.enterprise, 3)
    add_employee(cast.enterprise_admin, cast.enterprise, 9, name='=HYPERLINK("http://x")')
    response = cast.client(cast.enterprise_admin).post(reverse("workforce:export"), {})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="roster-')
    assert "no-store" in response["Cache-Control"]
    rows = cells(response)
    assert "防控负责人" in rows[0][0]  # the note: who exported, and when
    assert rows[1][:4] == ["姓名", "手机号码", "证件类型", "证件号码"]
    assert len(rows) == 2 + 4
    text = " ".join(" ".join(r) for r in rows)
    assert not FULL_ID.search(text)
    assert not FULL_MOBILE.search(text.replace("139****", ""))
    assert "'=HYPERLINK" in text  # formula neutralised
    event = AuditEvent.objects.get(action="employee.export")
    assert event.changes["rows"] == 4
    assert event.changes["masked"] is True
    assert not event.personal_data


def test_it_exports_only_the_filtered_rows(cast: Cast) -> None:
    add_employee(cast.enterprise_admin, cast.enterprise, 1, name="张三", site=cast.site)
    add_employee(cast.enterprise_admin, cast.enterprise, 2, name="李四")
    response = cast.client(cast.enterprise_admin).post(reverse("workforce:export"), {"q": "张"})
    assert [row[0] for row in cells(response)[2:]] == ["张三"]


def test_it_refuses_full_numbers_to_a_viewer(cast: Cast) -> None:
    bulk_employees(cast.enterprise, 1)
    response = cast.client(cast.enterprise_viewer).post(
        reverse("workforce:export"), {"unmasked": "on", "purpose": "核对"}
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="employee.export").exists()


def test_it_refuses_full_numbers_to_staff(cast: Cast) -> None:
    from accounts.models import RoleGrant

    RoleGrant.objects.filter(user=cast.enterprise_admin).update(role="staff")
    bulk_employees(cast.enterprise, 1)
    response = cast.client(cast.enterprise_admin).post(
        reverse("workforce:export"), {"unmasked": "on", "purpose": "核对"}
    )
    assert response.status_code == 403


def test_it_asks_an_admin_for_a_purpose(cast: Cast) -> None:
    bulk_employees(cast.enterprise, 1)
    response = cast.client(cast.enterprise_admin).post(
        reverse("workforce:export"), {"unmasked": "on", "purpose": " "}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Say why you need the full numbers." in response.content.decode()
    assert not AuditEvent.objects.filter(action="employee.export").exists()


def test_it_exports_full_numbers_with_a_purpose_and_audits_it(cast: Cast) -> None:
    add_employee(cast.enterprise_admin, cast.enterprise, 1)
    response = cast.client(cast.enterprise_admin).post(
        reverse("workforce:export"), {"unmasked": "on", "purpose": "报送街道防控办"}
    )
    assert response["Content-Type"] == XLSX
    rows = cells(response)
    assert rows[2][1] == mobile(1)
    assert rows[2][3] == resident_id(1)
    event = AuditEvent.objects.get(action="employee.export")
    assert event.personal_data
    assert event.changes["purpose"] == "报送街道防控办"
    assert event.changes["masked"] is False


def test_it_exports_a_full_roster_that_imports_again(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    from workforce.models import Employee, ImportJob
    from workforce.tests.test_imports import upload  # the same upload path as the import tests

    bulk_employees(cast.enterprise, 5)
    exported = cast.client(cast.enterprise_admin).post(
        reverse("workforce:export"), {"unmasked": "on", "purpose": "迁移到新系统"}
    )
    assert exported.status_code == 200
    # The watermark row above the headers is skipped; the numbers come back whole.
    _response, job = upload(
        cast.client(cast.other_admin),
        exported.content,
        "roster.xlsx",
        django_capture_on_commit_callbacks,
    )
    assert job is not None
    assert job.enterprise == cast.other_enterprise
    assert job.status == ImportJob.Status.DONE, job.errors
    assert Employee.objects.filter(enterprise=cast.other_enterprise).count() == 5
