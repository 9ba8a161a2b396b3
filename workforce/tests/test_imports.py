"""Roster import: upload, check every row, import all or nothing, report every problem."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from conftest import Cast
from orgs.models import Site
from workforce import imports
from workforce.models import Employee, ImportJob
from workforce.tests.roster import (
    add_employee,
    csv,
    full_width,
    mobile,
    resident_id,
    row,
    xlsx,
)


def upload(
    client: Client, content: bytes, filename: str, capture: Any
) -> tuple[Any, ImportJob | None]:
    """Post a file to the import page, running the queued task after commit."""
    with capture(execute=True):
        response = client.post(
            reverse("workforce:import"), {"file": SimpleUploadedFile(filename, content)}
        )
    job = ImportJob.objects.order_by("-pk").first()
    return response, job


def problems_by_row(job: ImportJob) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for problem in job.errors:
        found.setdefault(problem["row"], []).append((problem["column"], problem["message"]))
    return found


@pytest.mark.parametrize(
    ("filename", "build"),
    [
        ("roster.xlsx", lambda rows: xlsx(rows)),
        ("roster.csv", lambda rows: csv(rows, encoding="gbk")),
        ("roster.csv", lambda rows: b"\xef\xbb\xbf" + csv(rows)),
    ],
    ids=["xlsx", "gbk-csv", "utf8-bom-csv"],
)
def test_it_imports_a_valid_file(
    cast: Cast, django_capture_on_commit_callbacks: Any, filename: str, build: Any
) -> None:
    client = cast.client(cast.enterprise_admin)
    rows = [
        row(1),
        row(2, 关键岗位="是", 在职状态="停工"),
        row(3, 户籍省份="广东", 户籍城市="", 户籍区县=""),
    ]
    response, job = upload(client, build(rows), filename, django_capture_on_commit_callbacks)

    assert job is not None
    assert response.status_code == 302
    assert response["Location"] == reverse("workforce:import_status", args=[job.pk])
    job.refresh_from_db()
    assert job.errors == []
    assert job.status == ImportJob.Status.DONE
    assert (job.row_count, job.created_count, job.updated_count) == (3, 3, 0)
    assert bytes(job.content) == b""
    employees = {e.name: e for e in Employee.objects.filter(enterprise=cast.enterprise)}
    assert set(employees) == {"员工1", "员工2", "员工3"}
    assert employees["员工1"].site == cast.site
    assert employees["员工1"].home_county_id == "440303"
    assert employees["员工2"].is_critical
    assert employees["员工2"].status == "suspended"
    assert employees["员工3"].home_province_id == "440000"
    assert employees["员工3"].home_city is None
    audit = AuditEvent.objects.get(action="employee.import")
    assert audit.changes == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    assert AuditEvent.objects.filter(action="employee.create").count() == 0


def test_it_shows_the_outcome_and_polls_while_running(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = cast.client(cast.enterprise_admin)
    _response, job = upload(client, xlsx([row(1)]), "r.xlsx", django_capture_on_commit_callbacks)
    assert job is not None
    page = client.get(reverse("workforce:import_status", args=[job.pk]))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert "hx-trigger" not in page.content.decode()

    waiting = ImportJob.objects.create(
        enterprise=cast.enterprise,
        created_by=cast.enterprise_admin,
        filename="w.xlsx",
        content=b"x",
    )
    partial = client.get(
        reverse("workforce:import_status", args=[waiting.pk]), headers={"HX-Request": "true"}
    )
    body = partial.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert "<html" not in body


def test_it_reports_every_problem_and_imports_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    add_employee(cast.enterprise_admin, cast.enterprise, 900)
    before = Employee.objects.count()
    bad_check = resident_id(5)[:-1] + ("0" if resident_id(5)[-1] != "0" else "1")
    rows = [
        row(1),  # 2: fine
        row(2, 证件号码=bad_check),  # 3: bad check digit
        row(3, 证件号码=4.40303e17),  # 4: Excel-mangled number cell
        row(4, 证件号码=resident_id(1), 手机号码=mobile(40)),  # 5: document of row 2
        row(6, 手机号码=mobile(900)),  # 6: mobile of an employee on the roster
        row(7, 所在场所="不存在的店"),  # 7: unknown site
        row(8, 证件号码=full_width(resident_id(8)), 手机号码=full_width(mobile(8))),  # 8: fine
        row(9, 姓名="", 证件号码=""),  # 9: empty required fields
        row(10, 户籍城市="不存在市"),  # 10: unknown city
        row(11, 户籍省份="火星"),  # 11: unknown province
        row(12, 证件类型="驾驶证"),  # 12: unknown document type
        row(13, 关键岗位="也许"),  # 13: not a yes/no
    ]
    _response, job = upload(
        cast.client(cast.enterprise_admin),
        xlsx(rows),
        "bad.xlsx",
        django_capture_on_commit_callbacks,
    )
    assert job is not None
    job.refresh_from_db()

    assert job.status == ImportJob.Status.FAILED
    assert Employee.objects.count() == before
    assert bytes(job.content) == b""
    found = problems_by_row(job)
    assert set(found) == {2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13}
    assert found[2] == [("证件号码", "The same document number is also in row 5.")]
    assert found[5] == [("证件号码", "The same document number is also in row 2.")]
    assert found[3][0][0] == "证件号码"
    assert "check digit" in found[3][0][1]
    assert found[4][0][0] == "证件号码"
    assert "4.40303E+17" in found[4][0][1]
    assert found[6] == [
        ("手机号码", "This mobile number belongs to another employee already on the roster.")
    ]
    assert [column for column, _ in found[7]] == ["所在场所"]
    assert [column for column, _ in found[9]] == ["姓名", "证件号码"]
    assert [column for column, _ in found[10]] == ["户籍城市"]
    assert [column for column, _ in found[11]] == ["户籍省份"]
    assert [column for column, _ in found[12]] == ["证件类型"]
    assert [column for column, _ in found[13]] == ["关键岗位"]
    # No personal value is echoed into the stored problems.
    assert resident_id(1) not in str(job.errors)
    assert mobile(900) not in str(job.errors)

    page = cast.client(cast.enterprise_admin).get(reverse("workforce:import_status", args=[job.pk]))
    assert "The same document number is also in row 5." in page.content.decode()


def test_it_names_the_column_as_the_file_does(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    headers = ["Name", "Mobile", "Document type", "ID number", "Position", "Site"]
    content = csv([["王五", "12345", "passport", "AB", "", ""]], headers=headers)
    _response, job = upload(
        cast.client(cast.enterprise_admin), content, "en.csv", django_capture_on_commit_callbacks
    )
    assert job is not None
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert [(p["row"], p["column"]) for p in job.errors] == [(2, "Mobile"), (2, "ID number")]


def test_it_accepts_english_headers_codes_and_short_region_names(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    headers = [
        "name",
        "MOBILE",
        "document type",
        "document number",
        "critical",
        "home province",
        "home city",
        "home county",
        "status",
    ]
    rows = [
        [
            "李四",
            "+86 139-0000-0001",
            "resident_id",
            resident_id(1),
            "Y",
            "北京",
            "",
            "朝阳区",
            "active",
        ],
        ["赵六", mobile(2), "身份证", resident_id(2).lower(), "1", "广西", "南宁", "", "离职"],
    ]
    _response, job = upload(
        cast.client(cast.enterprise_admin),
        csv(rows, headers=headers),
        "en.csv",
        django_capture_on_commit_callbacks,
    )
    assert job is not None
    job.refresh_from_db()
    assert job.errors == []
    li = Employee.objects.get(name="李四")
    assert (li.home_province_id, li.home_city_id, li.home_county_id) == (
        "110000",
        "110100",
        "110105",
    )
    assert li.is_critical
    zhao = Employee.objects.get(name="赵六")
    assert (zhao.home_province_id, zhao.home_city_id, zhao.status) == ("450000", "450100", "left")


def test_it_updates_on_reimport_instead_of_duplicating(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = cast.client(cast.enterprise_admin)
    content = xlsx([row(1), row(2)])
    upload(client, content, "r.xlsx", django_capture_on_commit_callbacks)
    _response, again = upload(client, content, "r.xlsx", django_capture_on_commit_callbacks)
    assert again is not None
    again.refresh_from_db()
    assert again.status == ImportJob.Status.DONE
    assert (again.created_count, again.updated_count, again.row_count) == (0, 0, 2)
    assert Employee.objects.filter(enterprise=cast.enterprise).count() == 2

    changed = xlsx([row(1, 岗位="店长", 手机号码=mobile(50)), row(2), row(3)])
    _response, third = upload(client, changed, "r.xlsx", django_capture_on_commit_callbacks)
    assert third is not None
    third.refresh_from_db()
    assert (third.created_count, third.updated_count) == (1, 1)
    first = Employee.objects.get(name="员工1")
    assert first.position == "店长"
    assert first.mobile_masked == "139****0050"
    assert first.version == 2
    assert Employee.objects.filter(enterprise=cast.enterprise).count() == 3


def test_it_refuses_the_example_row_of_the_template(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = cast.client(cast.enterprise_admin)
    template = client.get(reverse("workforce:import_template"))
    assert template.status_code == 200
    assert template["Content-Disposition"].startswith("attachment;")
    _response, job = upload(
        client, template.content, "template.xlsx", django_capture_on_commit_callbacks
    )
    assert job is not None
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert [(p["row"], p["column"]) for p in job.errors] == [(2, "证件号码")]
    assert "example row" in job.errors[0]["message"]


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("roster.xlsx", b"MZ\x90\x00\x03\x00\x00\x00" * 64, "not an Excel workbook"),
        ("roster.exe", b"MZ\x90\x00", ".xlsx"),
        ("roster.xlsx", b"", "empty"),
    ],
)
def test_it_refuses_a_bad_upload_at_once(
    cast: Cast, django_capture_on_commit_callbacks: Any, filename: str, content: bytes, message: str
) -> None:
    response, job = upload(
        cast.client(cast.enterprise_admin), content, filename, django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert job is None


def test_it_refuses_an_oversized_upload(
    cast: Cast, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    content = xlsx([row(1)]) + b"\0" * (1024 * 1024)
    response, job = upload(
        cast.client(cast.enterprise_admin), content, "big.xlsx", django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    assert "larger than 1 MB" in response.content.decode()
    assert job is None


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("roster.csv", b"MZ\x90\x00\x03\x00\x00\x00", "not a text file"),
        ("roster.xlsx", b"PK\x03\x04 this is not a zip archive", "could not be read"),
        (
            "roster.csv",
            "姓名,手机号码\r\n张三,13900000001\r\n".encode(),
            "required columns are missing",
        ),
        ("roster.csv", "\r\n".join(["姓名,手机号码,证件号码"]).encode(), "no employees"),
    ],
    ids=["exe-as-csv", "broken-zip", "missing-column", "headers-only"],
)
def test_it_fails_a_malformed_file_with_a_clear_message(
    cast: Cast, django_capture_on_commit_callbacks: Any, filename: str, content: bytes, message: str
) -> None:
    response, job = upload(
        cast.client(cast.enterprise_admin), content, filename, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    assert job is not None
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert len(job.errors) == 1
    assert message in job.errors[0]["message"]
    assert bytes(job.content) == b""


def test_it_fails_a_file_over_the_row_limit(
    cast: Cast, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.IMPORT_MAX_ROWS = 2
    _response, job = upload(
        cast.client(cast.enterprise_admin),
        xlsx([row(1), row(2), row(3)]),
        "r.xlsx",
        django_capture_on_commit_callbacks,
    )
    assert job is not None
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "more than 2 data rows" in job.errors[0]["message"]
    assert Employee.objects.count() == 0


def test_it_does_not_run_a_job_twice(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    _response, job = upload(
        cast.client(cast.enterprise_admin),
        xlsx([row(1)]),
        "r.xlsx",
        django_capture_on_commit_callbacks,
    )
    assert job is not None
    imports.roster_import_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert AuditEvent.objects.filter(action="employee.import").count() == 1


def test_it_keeps_sites_of_other_enterprises_out(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    other_site_name = cast.other_site.name
    assert not Site.objects.filter(enterprise=cast.enterprise, name=other_site_name).exists()
    _response, job = upload(
        cast.client(cast.enterprise_admin),
        xlsx([row(1, 所在场所=other_site_name)]),
        "r.xlsx",
        django_capture_on_commit_callbacks,
    )
    assert job is not None
    job.refresh_from_db()
    assert [(p["row"], p["column"]) for p in job.errors] == [(2, "所在场所")]


def test_it_refuses_a_second_upload_while_one_is_being_checked(cast: Cast) -> None:
    ImportJob.objects.create(
        enterprise=cast.enterprise,
        created_by=cast.enterprise_admin,
        filename="w.xlsx",
        content=b"x",
    )
    response = cast.client(cast.enterprise_admin).post(
        reverse("workforce:import"), {"file": SimpleUploadedFile("r.xlsx", xlsx([row(1)]))}
    )
    assert response.status_code == 200
    assert "still being checked" in response.content.decode()
    assert ImportJob.objects.count() == 1


def test_it_limits_uploads_per_hour(cast: Cast) -> None:
    for _ in range(30):
        ImportJob.objects.create(
            enterprise=cast.enterprise,
            created_by=cast.enterprise_admin,
            filename="r.xlsx",
            status=ImportJob.Status.DONE,
        )
    response = cast.client(cast.enterprise_admin).post(
        reverse("workforce:import"), {"file": SimpleUploadedFile("r.xlsx", xlsx([row(1)]))}
    )
    assert "At most 30 roster uploads per hour" in response.content.decode()
    assert ImportJob.objects.count() == 30


def test_it_offers_a_template_with_the_document_types(cast: Cast) -> None:
    import io

    import python_calamine

    response = cast.client(cast.enterprise_viewer).get(reverse("workforce:import_template"))
    with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(response.content)) as book:
        assert book.sheet_names[:2] == ["花名册", "证件类型"]
        headers, example = book.get_sheet_by_index(0).to_python()[:2]
        types = [r[0] for r in book.get_sheet_by_index(1).to_python()[1:]]
    assert headers == list(imports.HEADERS.values())
    assert example[5] == cast.site.name
    assert types == list(imports.DOCUMENT_TYPE_LABELS.values())
