"""Check-in import: the same validation as the phone, every bad row listed, all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import Cast
from health.imports import checkin_import, checkin_import_run, question_header
from health.models import CheckIn, CheckInImport, DailyRollup
from health.services import checkin_form_for
from health.tests.checkin_helpers import _fresh_cache, employee_of  # noqa: F401
from lib.spreadsheets import read_sheet
from workforce.models import Employee
from workforce.tests.roster import add_employee, mobile


def headers(employee: Employee) -> list[str]:
    spec = checkin_form_for(employee=employee, on=timezone.localdate())
    return ["日期", "姓名", "手机号码", *(question_header(q) for q in spec.questions)]


def row(employee: Employee, day: dt.date | str | None = None, **answers: str) -> dict[str, str]:
    values = {
        "日期": str(day or timezone.localdate()),
        "姓名": employee.name,
        "手机号码": mobile(int(employee.name.removeprefix("员工")))
        if employee.name.startswith("员工")
        else "",
        "今日体温（℃）": "36.6",
        "今日有无以下症状": "无",
        "本人健康状况": "健康，无不适",
        "当前所在地": "南山区",
        "14天内旅居史": "未离开本市",
        "14天内接触史": "无",
        "隔离或医学观察状态": "否",
        "健康码颜色（本人申报）": "绿码",
        "情况说明（选填）": "",
        "本人承诺以上信息真实准确": "是",
    }
    values.update(answers)
    return values


def sheet(columns: list[str], rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


@pytest.fixture
def staff(cast: Cast) -> list[Employee]:
    return [employee_of(cast, n) for n in range(1, 5)]


def run(cast: Cast, content: bytes, filename: str = "checkins.csv") -> Any:
    return checkin_import(
        actor=cast.enterprise_admin, enterprise=cast.enterprise, filename=filename, content=content
    )


def test_it_imports_a_good_file(cast: Cast, staff: Any) -> None:
    columns = headers(staff[0])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    rows = [
        row(staff[0]),
        row(staff[1], **{"今日体温（℃）": "37,5"}),  # a decimal comma, as typed
        row(staff[2], **{"今日有无以下症状": "干咳，头痛"}, **{"当前所在地": "湖北省武汉市"}),
        row(staff[3], day=yesterday.strftime("%Y/%m/%d")),
    ]
    result = run(cast, sheet(columns, rows))
    assert result.problems == []
    assert (result.rows, result.created, result.updated) == (4, 4, 0)
    checkins = {c.employee_id: c for c in CheckIn.objects.all()}
    assert {c.via for c in checkins.values()} == {"import"}
    assert {c.recorded_by for c in checkins.values()} == {cast.enterprise_admin}
    assert str(checkins[staff[1].pk].temperature) == "37.5"
    assert checkins[staff[1].pk].status == "abnormal"
    assert checkins[staff[2].pk].answers["symptoms"] == ["dry_cough", "headache"]
    assert checkins[staff[2].pk].answers["location"] == {"province": "420000", "city": "武汉市"}
    assert checkins[staff[3].pk].day == yesterday
    rollup = DailyRollup.objects.get(enterprise=cast.enterprise, day=timezone.localdate())
    assert (rollup.submitted, rollup.abnormal) == (3, 2)
    assert AuditEvent.objects.filter(action="health.checkin_import").count() == 1
    # The same file again changes nothing.
    again = run(cast, sheet(columns, rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_it_refuses_the_whole_file_and_lists_every_bad_row(cast: Cast, staff: Any) -> None:
    columns = headers(staff[0])
    other = add_employee(cast.other_admin, cast.other_enterprise, 77)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    outsider = row(staff[0], 姓名=other.name, 手机号码=mobile(77))
    rows = [
        row(staff[0]),  # 2: good, but the file fails, so it is not written either
        row(staff[1], **{"今日体温（℃）": "3.7"}),  # 3
        row(staff[2], **{"今日体温（℃）": "98.6"}),  # 4
        row(staff[3], **{"今日体温（℃）": "370"}),  # 5
        row(staff[0], day=tomorrow),  # 6: a future day
        outsider,  # 7: another enterprise's employee
        row(staff[1], day=timezone.localdate() - dt.timedelta(days=3)),  # 8 and 9: duplicates
        row(staff[1], day=timezone.localdate() - dt.timedelta(days=3)),
        row(staff[2], **{"姓名": "别人"}, day="2020-13-45"),  # 10: wrong name, bad date
        row(
            staff[3],
            **{"健康码颜色（本人申报）": "紫码", "本人承诺以上信息真实准确": "否"},
            day=timezone.localdate() - dt.timedelta(days=5),
        ),  # 11
        row(
            staff[3], **{"手机号码": "139****0004"}, day=timezone.localdate() - dt.timedelta(days=2)
        ),  # 12
        row(
            staff[0],
            **{"今日有无以下症状": "无、发烧"},
            day=timezone.localdate() - dt.timedelta(days=4),
        ),  # 13
        row(staff[2], day=timezone.localdate() - dt.timedelta(days=31)),  # 14: too long ago
    ]
    result = run(cast, sheet(columns, rows))
    assert not result.ok
    by_row: dict[int, list[str]] = {}
    for problem in result.problems:
        by_row.setdefault(problem.row, []).append(f"{problem.column}: {problem.message}")
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
    assert "decimal point" in by_row[3][0]
    assert "Fahrenheit" in by_row[4][0]
    assert "decimal point" in by_row[5][0]
    assert "future day" in by_row[6][0]
    assert "No employee on your roster has this mobile number." in by_row[7][0]
    assert "also in row 9" in by_row[8][0]
    assert "also in row 8" in by_row[9][0]
    assert any("YYYY-MM-DD" in p for p in by_row[10])
    assert any("another name" in p for p in by_row[10])
    assert any(p.startswith("健康码颜色") and "绿码" in p for p in by_row[11])
    assert any(p.startswith("本人承诺") and "confirm" in p for p in by_row[11])
    assert any("last 30 days" in p for p in by_row[14])
    assert "full mobile number" in by_row[12][0]
    assert "“发烧” is not an answer" in by_row[13][0]
    assert not CheckIn.objects.exists()
    assert not DailyRollup.objects.filter(submitted__gt=0).exists()
    assert not AuditEvent.objects.filter(action="health.checkin_submit").exists()


def test_it_refuses_files_it_cannot_use(cast: Cast, staff: Any) -> None:
    assert "missing" in run(cast, b"a,b\n1,2\n").problems[0].message
    assert run(cast, b"").problems[0].message == "The file is empty."
    assert "Only these kinds" in run(cast, b"x", filename="checkins.xls.exe").problems[0].message
    headers_only = sheet(headers(staff[0]), [])
    assert "no check-ins" in run(cast, headers_only).problems[0].message
    example = row(staff[0], **{"手机号码": "13800138000"}, **{"姓名": "张三"})
    assert "example row" in run(cast, sheet(headers(staff[0]), [example])).problems[0].message


def test_it_offers_a_template_that_imports_once_filled(
    cast: Cast, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = cast.client(cast.enterprise_admin)
    response = client.get(reverse("health:import_template"))
    assert response.status_code == 200
    template = read_sheet(response.content, filename="t.xlsx", max_bytes=10**6, max_rows=10)
    assert template.headers == [unicodedata.normalize("NFKC", h) for h in headers(staff[0])]
    _number, example = template.rows[0]
    example.update({"姓名": staff[0].name, "手机号码": mobile(1)})
    filled = sheet(template.headers, [example])
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(reverse("health:import"), {"file": _upload("filled.csv", filled)})
    page = client.get(posted["Location"])
    assert "Imported 1 rows" in page.content.decode()
    assert CheckIn.objects.get().status == "normal"


def test_it_shows_the_problems_on_the_page(
    cast: Cast, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = cast.client(cast.enterprise_admin)
    bad = sheet(headers(staff[0]), [row(staff[0], **{"今日体温（℃）": "98.6"})])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("health:import"), {"file": _upload("bad.csv", bad)})
    job = CheckInImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("health:import_status", args=[job.pk])
    # The task ran (inline in tests) after the commit: finished, the file's bytes gone.
    job.refresh_from_db()
    assert (job.status, bytes(job.content), job.row_count) == ("failed", b"", 1)
    page = client.get(response["Location"])
    assert page.status_code == 422
    html = page.content.decode()
    assert "Nothing was imported: 1 problem to fix." in html
    assert "looks like Fahrenheit" in html
    polled = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert polled.status_code == 200  # htmx swaps only 2xx answers
    assert "hx-trigger" not in polled.content.decode()  # finished: the polling stops
    assert CheckIn.objects.count() == 0
    assert (
        client.post(reverse("health:import"), {"file": _upload("x.xls", b"x")}).status_code == 200
    )
    viewer = cast.client(cast.enterprise_viewer)
    assert (
        viewer.post(reverse("health:import"), {"file": _upload("bad.csv", bad)}).status_code == 403
    )
    assert viewer.get(response["Location"]).status_code == 422  # viewers may see the outcome
    other = cast.client(cast.other_admin)
    assert other.get(response["Location"]).status_code == 404


def test_it_queues_one_upload_at_a_time_and_keeps_waiting_jobs(
    cast: Cast, staff: Any, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client = cast.client(cast.enterprise_admin)
    good = sheet(headers(staff[0]), [row(staff[0])])
    first = client.post(reverse("health:import"), {"file": _upload("a.csv", good)})
    assert first.status_code == 302
    job = CheckInImport.objects.get()
    assert job.status == "pending"
    waiting = client.get(first["Location"])
    assert "every 1s" in waiting.content.decode()  # the page polls until it has finished
    second = client.post(reverse("health:import"), {"file": _upload("b.csv", good)})
    assert second.status_code == 200
    assert "still being checked" in second.content.decode()
    assert CheckInImport.objects.count() == 1
    checkin_import_run(job.pk)
    checkin_import_run(job.pk)  # a second run of the same job does nothing
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 1)
    assert CheckIn.objects.count() == 1
    assert "Imported 1 rows" in client.get(first["Location"]).content.decode()


def _upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
