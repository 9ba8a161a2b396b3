"""Check-in export: masked by default; full numbers for an administrator with a purpose,
and every export audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import Cast
from health.services import checkin_submit
from health.tests.checkin_helpers import _fresh_cache, employee_of, good_answers  # noqa: F401
from lib.spreadsheets import read_sheet
from workforce.tests.roster import mobile


@pytest.fixture
def checked_in(cast: Cast) -> list[Any]:
    today = timezone.localdate()
    staff = [employee_of(cast, n) for n in range(1, 4)]
    checkin_submit(
        employee=staff[0],
        answers=good_answers(temperature="38.1", remarks="=HYPERLINK(1)"),
        via="self",
        actor=None,
    )
    checkin_submit(
        employee=staff[1], answers=good_answers(), via="manager", actor=cast.enterprise_admin
    )
    checkin_submit(
        employee=staff[2],
        answers=good_answers(),
        via="self",
        actor=None,
        day=today - dt.timedelta(days=3),
        now=timezone.now() - dt.timedelta(days=3),
    )
    return staff


def export(client: Any, **data: Any) -> Any:
    today = timezone.localdate().isoformat()
    return client.post(
        reverse("health:export"), {"start": today, "end": today, "file_format": "xlsx", **data}
    )


def rows_of(response: Any) -> list[dict[str, str]]:
    sheet = read_sheet(response.content, filename="x.xlsx", max_bytes=10**7, max_rows=1000)
    return [values for _number, values in sheet.rows]


def test_it_exports_a_day_masked_by_default(cast: Cast, checked_in: Any) -> None:
    response = export(cast.client(cast.enterprise_admin))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-masked.xlsx"')
    rows = rows_of(response)
    assert [r["姓名"] for r in rows] == ["员工1", "员工2"]
    assert rows[0]["手机号码"] == "139****0001"
    assert rows[0]["状态"] == "Abnormal"
    assert "38.1" in rows[0]["异常原因"]
    assert rows[0]["情况说明(选填)"] == "=HYPERLINK(1)"  # read back as written (stored neutralised)
    assert rows[1]["填报方式"] == "By a manager on their behalf"
    assert rows[1]["代填人"] == cast.enterprise_admin.display_label
    assert mobile(1) not in response.content.decode("latin-1")
    event = AuditEvent.objects.get(action="health.checkin_export")
    assert event.changes["masked"] is True
    assert event.changes["rows"] == 2
    assert event.personal_data  # names and health answers, masked or not


def test_it_exports_a_range_as_csv(cast: Cast, checked_in: Any) -> None:
    start = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    response = export(cast.client(cast.enterprise_admin), start=start, file_format="csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.count("\r\n") == 4  # header and three check-ins
    assert "'=HYPERLINK(1)" in text  # a formula is neutralised


def test_it_reveals_full_numbers_only_with_a_purpose_and_logs_it(
    cast: Cast, checked_in: Any
) -> None:
    client = cast.client(cast.enterprise_admin)
    refused = export(client, unmasked="on", purpose="  ")
    assert refused.status_code == 200
    assert "Say why you need the full numbers." in refused.content.decode()
    assert not AuditEvent.objects.filter(action="health.checkin_export").exists()
    response = export(client, unmasked="on", purpose="报社区防控办核对")
    assert response["Content-Disposition"].endswith('-full.xlsx"')
    assert rows_of(response)[0]["手机号码"] == mobile(1)
    event = AuditEvent.objects.get(action="health.checkin_export")
    assert (event.changes["masked"], event.changes["purpose"]) == (False, "报社区防控办核对")
    assert event.personal_data


def test_it_keeps_full_numbers_from_staff_and_exports_from_viewers(
    cast: Cast, checked_in: Any
) -> None:
    from accounts.models import RoleGrant

    RoleGrant.objects.filter(user=cast.enterprise_viewer).update(role="staff")
    staff_client = cast.client(cast.enterprise_viewer)
    assert export(staff_client, unmasked="on", purpose="x").status_code == 403
    assert export(staff_client).status_code == 200
    RoleGrant.objects.filter(user=cast.enterprise_viewer).update(role="viewer")
    assert export(cast.client(cast.enterprise_viewer)).status_code == 403


def test_it_checks_the_range(cast: Cast, checked_in: Any) -> None:
    client = cast.client(cast.enterprise_admin)
    today = timezone.localdate()
    cases = [
        {"start": today.isoformat(), "end": (today - dt.timedelta(days=1)).isoformat()},
        {"end": (today + dt.timedelta(days=1)).isoformat()},
        {"start": (today - dt.timedelta(days=100)).isoformat()},
    ]
    for data in cases:
        response = export(client, **data)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action="health.checkin_export").exists()


def test_it_exports_only_the_viewers_enterprise(cast: Cast, checked_in: Any) -> None:
    response = export(cast.client(cast.other_admin))
    assert rows_of(response) == []
