"""Roster list, add, edit, delete and detail pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from conftest import Cast
from workforce.models import Employee
from workforce.tests.roster import add_employee, bulk_employees, mobile, resident_id

FORM = {
    "name": "陈七",
    "mobile": "139 0000 0077",
    "document_type": "resident_id",
    "document_number": resident_id(77),
    "position": "厨师",
    "status": "active",
}


def list_queries(cast: Cast) -> int:
    client = cast.client(cast.enterprise_admin)
    client.get(reverse("workforce:employee_list"))  # session and grant warm-up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("workforce:employee_list"))
    assert response.status_code == 200
    return len(queries)


def test_it_lists_with_a_fixed_number_of_queries(cast: Cast) -> None:
    bulk_employees(cast.enterprise, 10)
    few = list_queries(cast)
    bulk_employees(cast.enterprise, 110, start=10)
    many = list_queries(cast)
    assert few == many


def test_it_masks_numbers_and_forbids_caching(cast: Cast) -> None:
    add_employee(cast.enterprise_admin, cast.enterprise, 1, site=cast.site)
    response = cast.client(cast.enterprise_viewer).get(reverse("workforce:employee_list"))
    body = response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "员工1" in body
    assert "139****0001" in body
    assert "440303********" in body
    assert resident_id(1) not in body
    assert mobile(1) not in body


def test_it_paginates_fifty_a_page(cast: Cast) -> None:
    bulk_employees(cast.enterprise, 51)
    client = cast.client(cast.enterprise_admin)
    first = client.get(reverse("workforce:employee_list"))
    assert len(first.context["page_obj"].object_list) == 50
    second = client.get(reverse("workforce:employee_list"), {"page": 2})
    assert len(second.context["page_obj"].object_list) == 1


def test_it_searches_and_filters(cast: Cast) -> None:
    add_employee(cast.enterprise_admin, cast.enterprise, 1, name="张三", site=cast.site)
    add_employee(cast.enterprise_admin, cast.enterprise, 2, name="李四")
    client = cast.client(cast.enterprise_admin)
    url = reverse("workforce:employee_list")

    def names(**params: Any) -> set[str]:
        return {e.name for e in client.get(url, params).context["page_obj"].object_list}

    assert names(q="张") == {"张三"}
    assert names(site=cast.site.pk) == {"张三"}
    assert names(site=cast.other_site.pk) == {"张三", "李四"}  # not theirs: ignored
    assert names(critical="1") == set()
    assert names(status="active") == {"张三", "李四"}
    assert names(status="<script>") == {"张三", "李四"}


def test_it_adds_an_employee(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    data = {
        **FORM,
        "site": cast.site.pk,
        "is_critical": "on",
        "home_province": "440000",
        "home_city": "440300",
        "home_county": "440303",
    }
    response = client.post(reverse("workforce:employee_create"), data)
    employee = Employee.objects.get(name="陈七")
    assert response.status_code == 302
    assert response["Location"] == reverse("workforce:employee_detail", args=[employee.pk])
    assert employee.mobile_masked == "139****0077"
    assert employee.is_critical
    assert employee.site == cast.site
    assert employee.home_county_id == "440303"
    assert AuditEvent.objects.filter(action="employee.create").count() == 1


def test_it_shows_field_errors_from_the_service(cast: Cast) -> None:
    add_employee(cast.enterprise_admin, cast.enterprise, 1)
    bad = resident_id(9)[:-1] + ("1" if resident_id(9)[-1] != "1" else "2")
    response = cast.client(cast.enterprise_admin).post(
        reverse("workforce:employee_create"), {**FORM, "mobile": mobile(1), "document_number": bad}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "check digit" in " ".join(form.errors["document_number"])

    duplicate = cast.client(cast.enterprise_admin).post(
        reverse("workforce:employee_create"), {**FORM, "mobile": mobile(1)}
    )
    assert "mobile number is on the roster" in " ".join(duplicate.context["form"].errors["mobile"])
    assert Employee.objects.count() == 1


def test_it_refuses_another_enterprises_site_and_a_city_outside_the_province(cast: Cast) -> None:
    response = cast.client(cast.enterprise_admin).post(
        reverse("workforce:employee_create"),
        {**FORM, "site": cast.other_site.pk, "home_province": "110000", "home_city": "440300"},
    )
    form = response.context["form"]
    assert set(form.errors) == {"site", "home_city"}
    assert not Employee.objects.exists()


def test_it_refreshes_region_lists_without_javascript(cast: Cast) -> None:
    response = cast.client(cast.enterprise_admin).post(
        reverse("workforce:employee_create"), {**FORM, "home_province": "440000", "_refresh": "1"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert '<option value="440300">Shenzhen</option>' in body  # English names in English
    assert "errorlist" not in body
    assert not Employee.objects.exists()


def test_it_serves_region_options_for_htmx(cast: Cast) -> None:
    client = cast.client(cast.association_officer)
    cities = client.get(reverse("workforce:regions"), {"home_province": "440000"})
    assert '<option value="440300">深圳市</option>' in cities.content.decode()
    assert 'id="id_home_county" hx-swap-oob' in cities.content.decode()
    counties = client.get(reverse("workforce:regions"), {"home_city": "440300"})
    assert '<option value="440303">罗湖区</option>' in counties.content.decode()
    junk = client.get(reverse("workforce:regions"), {"home_city": "x" * 10_000})
    assert junk.status_code == 200


def test_it_edits_with_optimistic_locking(cast: Cast) -> None:
    employee = add_employee(cast.enterprise_admin, cast.enterprise, 1)
    client = cast.client(cast.enterprise_admin)
    url = reverse("workforce:employee_edit", args=[employee.pk])
    page = client.get(url)
    assert mobile(1) not in page.content.decode()
    assert resident_id(1) not in page.content.decode()
    assert "139****0001" in page.content.decode()

    data = {**FORM, "name": "员工一", "mobile": "", "document_number": "", "version": 1}
    assert client.post(url, data).status_code == 302
    employee.refresh_from_db()
    assert (employee.name, employee.version, employee.mobile_masked) == ("员工一", 2, "139****0001")

    stale = client.post(url, {**data, "name": "员工壹"})
    assert stale.status_code == 200
    assert "Someone else changed this employee" in stale.content.decode()
    employee.refresh_from_db()
    assert employee.name == "员工一"


def test_it_deletes_by_post_only(cast: Cast) -> None:
    employee = add_employee(cast.enterprise_admin, cast.enterprise, 1)
    client = cast.client(cast.enterprise_admin)
    url = reverse("workforce:employee_delete", args=[employee.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert not Employee.objects.exists()


@pytest.mark.parametrize(
    "hostile",
    ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "=cmd|' /C calc'!A0"],
)
def test_it_escapes_hostile_text(cast: Cast, hostile: str) -> None:
    client = cast.client(cast.enterprise_admin)
    client.post(
        reverse("workforce:employee_create"),
        {**FORM, "name": hostile[:50], "position": hostile[:50]},
    )
    employee = Employee.objects.get()
    detail = client.get(reverse("workforce:employee_detail", args=[employee.pk])).content.decode()
    listing = client.get(reverse("workforce:employee_list")).content.decode()
    for body in (detail, listing):
        assert "<script>alert" not in body
        assert "<img src=x" not in body


def test_it_refuses_a_ten_megabyte_name_with_a_form_error(cast: Cast) -> None:
    response = cast.client(cast.enterprise_admin).post(
        reverse("workforce:employee_create"), {**FORM, "name": "名" * (10 * 1024 * 1024 // 3)}
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not Employee.objects.exists()


def test_it_refuses_junk_in_every_field_without_a_server_error(cast: Cast) -> None:
    junk = dict.fromkeys(
        [
            "name",
            "mobile",
            "document_type",
            "document_number",
            "position",
            "site",
            "home_province",
            "home_city",
            "home_county",
            "status",
            "version",
        ],
        "<>'\"" + "９" * 70,
    )
    client = cast.client(cast.enterprise_admin)
    response = client.post(reverse("workforce:employee_create"), junk)
    assert response.status_code == 200
    # NUL is refused with a 400 before the view (lib.nul), never a server error.
    with_nul = {key: "\x00" + value for key, value in junk.items()}
    assert client.post(reverse("workforce:employee_create"), with_nul).status_code == 400
    assert not Employee.objects.exists()


def test_it_answers_garbled_region_parameters_without_an_error(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    for value in ["\x00", "440000\x00", "' OR 1=1 --"]:
        expected = 400 if "\x00" in value else 200  # NUL is refused before any view
        response = client.get(reverse("workforce:regions"), {"home_province": value})
        assert response.status_code == expected
        response = client.post(
            reverse("workforce:employee_create"), {**FORM, "home_province": value, "_refresh": "1"}
        )
        assert response.status_code == expected
