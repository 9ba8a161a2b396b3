"""An association imports its existing members: every row checked, all saved or none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role, RoleGrant, User
from audit.models import AuditEvent
from conftest import PASSWORD, Cast
from lib.ids import uscc_check_char
from lib.spreadsheets import SpreadsheetError, read_sheet, write_xlsx
from orgs.imports import COLUMN_LABELS, COLUMNS, MemberImportResult, member_import
from orgs.models import Membership, MembershipEvent, MembershipStatus, Organization

pytestmark = pytest.mark.django_db

HEADERS = list(COLUMNS)


def col(header: str) -> str:
    """The column name errors use, in the active language."""
    return str(COLUMN_LABELS[header])


def make_uscc(number: int) -> str:
    body = f"91440300{number:09d}"
    return body + uscc_check_char(body)


def member_row(number: int, **overrides: str) -> list[str]:
    row = {
        "企业名称": f"深圳市会员{number:03d}酒店有限公司",
        "统一社会信用代码": make_uscc(number),
        "法定代表人": "张三",
        "所在区": "罗湖区",
        "街道": "桂园街道",
        "详细地址": f"深圳市罗湖区桂园街道{number}号",
        "联系人": "李四",
        "联系人手机": f"137{number:08d}",
    }
    row.update(overrides)
    return [row[header] for header in HEADERS]


def xlsx(rows: Sequence[Sequence[str]], headers: Sequence[str] = HEADERS) -> bytes:
    return write_xlsx(sheets=[("会员名单", headers, rows)])


def csv_bytes(rows: Sequence[Sequence[str]], encoding: str = "utf-8") -> bytes:
    lines = [",".join(HEADERS), *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def run(cast: Cast, data: bytes, filename: str = "members.xlsx") -> MemberImportResult:
    return member_import(
        actor=cast.association_officer,
        association=cast.association,
        data=data,
        filename=filename,
    )


def test_it_creates_enterprises_with_active_memberships(cast: Cast) -> None:
    rows = [
        member_row(1),
        member_row(2, 所在区="罗湖", 街道="黄贝"),
        member_row(3, 所在区="大鹏新区", 街道="南澳街道"),
    ]
    result = run(cast, xlsx(rows))
    assert result.ok, result.errors
    assert (result.created, result.linked, result.unchanged) == (3, 0, 0)
    created = Organization.objects.filter(uscc__in=[make_uscc(n) for n in (1, 2, 3)])
    assert created.count() == 3
    second = created.get(uscc=make_uscc(2))
    assert (second.district_id, second.street_id, second.sector_id) == (
        "440303",
        "440303002",
        "hotel",
    )
    assert created.get(uscc=make_uscc(3)).district_id == "SZ-DP"
    memberships = Membership.objects.filter(enterprise__in=created, association=cast.association)
    assert {m.status for m in memberships} == {MembershipStatus.ACTIVE}
    assert (
        MembershipEvent.objects.filter(membership__in=memberships, to_status="active").count() == 3
    )
    assert AuditEvent.objects.filter(action="enterprise.create").count() == 3
    assert AuditEvent.objects.filter(action="membership.admit").count() == 3
    assert AuditEvent.objects.filter(action="membership.import").count() == 1


def test_it_accepts_english_headers(cast: Cast) -> None:
    result = run(cast, xlsx([member_row(1)], headers=list(COLUMNS.values())))
    assert result.ok, result.errors
    assert result.created == 1


def test_it_links_registered_enterprises_instead_of_duplicating_them(cast: Cast) -> None:
    rows = [
        member_row(1, 统一社会信用代码=cast.other_enterprise.uscc or "", 企业名称="别的名字"),
        member_row(2, 统一社会信用代码=cast.enterprise.uscc or ""),
        member_row(3),
    ]
    result = run(cast, xlsx(rows))
    assert result.ok, result.errors
    assert (result.created, result.linked, result.unchanged) == (1, 1, 1)
    cast.other_enterprise.refresh_from_db()
    assert cast.other_enterprise.name == "深圳市丽人美容有限公司"  # details are not overwritten
    linked = Membership.objects.get(enterprise=cast.other_enterprise, association=cast.association)
    assert linked.status == MembershipStatus.ACTIVE


def test_it_readmits_a_rejected_enterprise_and_leaves_a_suspended_one_alone(cast: Cast) -> None:
    Membership.objects.filter(enterprise=cast.enterprise).update(status="suspended")
    Membership.objects.create(
        enterprise=cast.other_enterprise, association=cast.association, status="rejected"
    )
    rows = [
        member_row(1, 统一社会信用代码=cast.enterprise.uscc or ""),
        member_row(2, 统一社会信用代码=cast.other_enterprise.uscc or ""),
    ]
    result = run(cast, xlsx(rows))
    assert (result.linked, result.unchanged) == (1, 1)
    statuses = dict(
        Membership.objects.filter(association=cast.association).values_list(
            "enterprise_id", "status"
        )
    )
    assert statuses == {cast.enterprise.pk: "suspended", cast.other_enterprise.pk: "active"}


def test_it_saves_nothing_and_lists_every_bad_row(cast: Cast) -> None:
    rows = [member_row(n) for n in range(1, 21)]
    rows[3] = member_row(4, 统一社会信用代码=make_uscc(4)[:17] + "Z")  # row 5
    rows[7] = member_row(8, 所在区="福田区", 街道="桂园街道")  # row 9
    rows[12] = member_row(13, 联系人手机="1234")  # row 14
    rows[15] = member_row(16, 所在区="东莞")  # row 17
    rows[18] = member_row(19, 企业名称="")  # row 20
    organizations, memberships = Organization.objects.count(), Membership.objects.count()
    result = run(cast, xlsx(rows))
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [
        (5, col("统一社会信用代码")),
        (9, col("街道")),
        (14, col("联系人手机")),
        (17, col("所在区")),
        (20, col("企业名称")),
    ]
    assert all(e.message for e in result.errors)
    assert (Organization.objects.count(), Membership.objects.count()) == (
        organizations,
        memberships,
    )
    assert not AuditEvent.objects.filter(action__startswith="membership.").exists()


def test_it_reports_several_problems_of_one_row(cast: Cast) -> None:
    result = run(cast, xlsx([member_row(1, 统一社会信用代码="123", 联系人手机="abc", 街道="")]))
    assert {e.column for e in result.errors} == {
        col("统一社会信用代码"),
        col("联系人手机"),
        col("街道"),
    }
    assert {e.row for e in result.errors} == {2}


def test_it_refuses_a_credit_code_twice_in_the_file(cast: Cast) -> None:
    rows = [member_row(1), member_row(2), member_row(3, 统一社会信用代码=make_uscc(1))]
    result = run(cast, xlsx(rows))
    assert [(e.row, e.column) for e in result.errors] == [(4, col("统一社会信用代码"))]
    assert "2" in result.errors[0].message
    assert not Organization.objects.filter(uscc=make_uscc(2)).exists()


def test_it_refuses_the_credit_code_of_an_association(cast: Cast) -> None:
    Organization.objects.filter(pk=cast.other_association.pk).update(uscc=make_uscc(9))
    result = run(cast, xlsx([member_row(9)]))
    assert [(e.row, e.column) for e in result.errors] == [(2, col("统一社会信用代码"))]


def test_it_reads_a_gbk_csv(cast: Cast) -> None:
    result = run(cast, csv_bytes([member_row(1), member_row(2)], "gbk"), "members.csv")
    assert result.ok, result.errors
    assert Organization.objects.get(uscc=make_uscc(1)).name == "深圳市会员001酒店有限公司"


def test_it_refuses_an_exe_disguised_as_xlsx(cast: Cast) -> None:
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    with pytest.raises(SpreadsheetError):
        run(cast, exe, "members.xlsx")
    with pytest.raises(SpreadsheetError):
        run(cast, exe, "members.csv")


def test_it_refuses_a_file_without_the_required_columns(cast: Cast) -> None:
    with pytest.raises(SpreadsheetError) as caught:
        run(cast, xlsx([["x"]], headers=["企业名称"]))
    assert caught.value.code == "headers"


def test_it_reports_a_file_with_headers_only(cast: Cast) -> None:
    result = run(cast, xlsx([]))
    assert not result.ok
    assert result.errors[0].row == 1


# The page ------------------------------------------------------------------------------------


def upload(
    cast: Cast, user: User, content: bytes, name: str = "members.xlsx", language: str = "zh-hans"
) -> Any:
    client = cast.client(user)
    return client.post(
        reverse("orgs:member_import"),
        {"file": SimpleUploadedFile(name, content)},
        headers={"accept-language": language},
        follow=True,
    )


def test_the_page_imports_and_reports_the_counts(cast: Cast) -> None:
    response = upload(cast, cast.association_officer, xlsx([member_row(1), member_row(2)]))
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert len(texts) == 1
    assert "2" in texts[0]
    assert Organization.objects.filter(uscc=make_uscc(2)).exists()


def test_the_page_shows_the_error_table(cast: Cast) -> None:
    rows = [member_row(1), member_row(2, 联系人手机="12")]
    response = upload(cast, cast.association_officer, xlsx(rows), language="en")
    result = response.context["result"]
    assert [(e.row, e.column) for e in result.errors] == [(3, "Contact mobile")]
    html = response.content.decode()
    assert 'data-label="' in html
    assert not Organization.objects.filter(uscc=make_uscc(1)).exists()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"MZ\x90\x00" + b"\x00" * 100, "members.xlsx"),
        (b"PK\x03\x04garbage", "members.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "members.xls"),
        (b"name\n", "members.pdf"),
        (b"", "members.csv"),
    ],
)
def test_the_page_shows_a_bad_files_problem_instead_of_failing(
    cast: Cast, content: bytes, name: str
) -> None:
    response = upload(cast, cast.association_officer, content, name)
    assert response.status_code == 200
    form = response.context["form"]
    assert "file" in form.errors


def test_the_page_refuses_an_oversized_file(cast: Cast, settings: Any) -> None:
    settings.IMPORT_MAX_BYTES = 1024
    response = upload(cast, cast.association_officer, csv_bytes([member_row(n) for n in range(40)]))
    form = response.context["form"]
    assert "file" in form.errors
    assert not Organization.objects.filter(uscc=make_uscc(1)).exists()


def test_the_page_forbids_a_viewer_and_hides_from_enterprises(cast: Cast) -> None:
    viewer = User.objects.create_user("13800000011", PASSWORD, name="商会只读")
    RoleGrant.objects.create(user=viewer, organization=cast.association, role=Role.VIEWER)
    url = reverse("orgs:member_import")
    assert cast.client(viewer).get(url).status_code == 403
    assert cast.client(cast.enterprise_admin).get(url).status_code == 404
    assert cast.client(cast.federation_officer).get(url).status_code == 404


def test_the_template_has_the_chinese_headers(cast: Cast) -> None:
    response = cast.client(cast.association_officer).get(reverse("orgs:member_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = read_sheet(response.content, filename="template.xlsx", max_bytes=10**6, max_rows=10)
    assert sheet.headers == HEADERS
    assert sheet.rows == []
