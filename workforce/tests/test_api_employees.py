"""/api/v1/employees: the roster over the API, personal numbers masked, bulk all-or-nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.services import api_key_create
from conftest import Cast
from lib.ids import resident_id_check_char
from workforce.models import Employee
from workforce.services import EmployeeInput, employee_create


def resident_id(n: int) -> str:
    """A valid resident ID number of someone born in Luohu on 1 January 1990."""
    body = f"44030319900101{n:03d}"
    return body + resident_id_check_char(body)


def row(n: int, **changes: Any) -> dict[str, Any]:
    """The JSON body of one valid employee, distinct for each n."""
    return {
        "name": f"员工{n}",
        "mobile": f"139{n:08d}",
        "document_type": "resident_id",
        "document_number": resident_id(n),
        "position": "前台",
        **changes,
    }


@pytest.fixture
def client(cast: Cast) -> Client:
    """A client with an API key of enterprise A1."""
    _key, secret = api_key_create(
        actor=cast.enterprise_admin, organization=cast.enterprise, name="HR"
    )
    return Client(headers={"authorization": f"Bearer {secret}"})


@pytest.fixture
def employee(cast: Cast) -> Employee:
    return employee_create(
        actor=cast.enterprise_admin,
        enterprise=cast.enterprise,
        data=EmployeeInput(
            name="张三",
            mobile="13812345678",
            document_type="resident_id",
            document_number=resident_id(900),
            position="店长",
            site=cast.site,
            is_critical=True,
        ),
    )


def post(client: Client, body: Any, path: str = "/api/v1/employees") -> Any:
    return client.post(path, body, content_type="application/json")


def fields_of(response: Any) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = response.json()["error"]["fields"]
    return fields


def test_it_creates_an_employee_and_answers_with_masked_numbers(cast: Cast, client: Client) -> None:
    body = row(1, site=cast.site.pk, is_critical=True)

    response = post(client, body)

    assert response.status_code == 201
    data = response.json()
    assert data["name"] == "员工1"
    assert data["mobile_masked"] == "139****0001"
    assert data["document_masked"] == "440303********" + body["document_number"][-4:]
    assert data["site"] == cast.site.pk
    assert data["is_critical"] is True
    assert data["version"] == 1
    assert body["mobile"] not in response.content.decode()
    assert body["document_number"] not in response.content.decode()
    assert "birth_date" not in data
    assert Employee.objects.get(pk=data["id"]).enterprise == cast.enterprise


def test_it_fills_in_the_city_and_province_of_a_county(cast: Cast, client: Client) -> None:
    response = post(client, row(1, home_county="440303"))

    assert response.status_code == 201
    data = response.json()
    assert (data["home_province"], data["home_city"], data["home_county"]) == (
        "440000",
        "440300",
        "440303",
    )


def test_it_refuses_a_county_outside_the_chosen_province(cast: Cast, client: Client) -> None:
    response = post(client, row(1, home_province="110000", home_county="440303"))

    assert response.status_code == 422
    assert "home_region" in fields_of(response)


def test_it_names_an_unknown_division_code_with_every_other_problem(
    cast: Cast, client: Client
) -> None:
    response = post(client, row(1, home_county="999999", mobile="12345"))

    assert response.status_code == 422
    assert {"home_county", "mobile"} <= set(fields_of(response))
    assert not Employee.objects.exists()


def test_it_refuses_another_enterprises_site_and_writes_nothing(cast: Cast, client: Client) -> None:
    response = post(client, row(1, site=cast.other_site.pk))

    assert response.status_code == 422
    assert set(fields_of(response)) == {"site"}
    assert not Employee.objects.exists()


def test_it_reports_every_invalid_field_at_once(cast: Cast, client: Client) -> None:
    response = post(client, row(1, name=" ", mobile="110", document_number="440303199001011230"))

    assert response.status_code == 422
    assert {"name", "mobile", "document_number"} <= set(fields_of(response))


def test_it_refuses_someone_already_on_the_roster(
    cast: Cast, client: Client, employee: Employee
) -> None:
    response = post(client, row(1, document_number=resident_id(900)))

    assert response.status_code == 422
    assert "document_number" in fields_of(response)
    assert Employee.objects.count() == 1


def test_it_lists_the_roster_masked_and_paginated(
    cast: Cast, client: Client, employee: Employee
) -> None:
    response = client.get("/api/v1/employees")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [item] = body["items"]
    assert item["mobile_masked"] == "138****5678"
    assert "13812345678" not in response.content.decode()
    assert resident_id(900) not in response.content.decode()


def test_it_filters_the_roster(cast: Cast, client: Client, employee: Employee) -> None:
    assert post(client, row(1, position="保洁", status="left")).status_code == 201

    def names(query: str) -> list[str]:
        return [e["name"] for e in client.get(f"/api/v1/employees?{query}").json()["items"]]

    assert names("search=店长") == ["张三"]
    assert names(f"site={cast.site.pk}") == ["张三"]
    assert names("status=left") == ["员工1"]
    assert sorted(names("")) == ["员工1", "张三"]
    assert client.get("/api/v1/employees?status=fired").status_code == 422
    assert client.get("/api/v1/employees?search=%00").status_code == 422


def test_it_shows_nobody_else_s_employees(cast: Cast, employee: Employee) -> None:
    _key, secret = api_key_create(
        actor=cast.other_admin, organization=cast.other_enterprise, name="HR"
    )
    other = Client(headers={"authorization": f"Bearer {secret}"})

    assert other.get("/api/v1/employees").json()["count"] == 0
    assert other.get(f"/api/v1/employees/{employee.pk}").status_code == 404


def test_it_shows_one_employee(cast: Cast, client: Client, employee: Employee) -> None:
    response = client.get(f"/api/v1/employees/{employee.pk}")

    assert response.status_code == 200
    assert response.json()["name"] == "张三"
    assert response.json()["document_masked"].startswith("440303********")


def test_it_updates_an_employee_with_the_current_version(
    cast: Cast, client: Client, employee: Employee
) -> None:
    body = row(900, name="张三丰", mobile="13812345678", version=1)

    response = client.put(f"/api/v1/employees/{employee.pk}", body, content_type="application/json")

    assert response.status_code == 200
    assert response.json()["name"] == "张三丰"
    assert response.json()["version"] == 2


def test_it_refuses_a_stale_employee_version(
    cast: Cast, client: Client, employee: Employee
) -> None:
    path = f"/api/v1/employees/{employee.pk}"
    body = row(900, mobile="13812345678", version=1)
    assert client.put(path, body, content_type="application/json").status_code == 200

    response = client.put(path, {**body, "name": "迟到"}, content_type="application/json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale"


def test_it_requires_the_employee_version(cast: Cast, client: Client, employee: Employee) -> None:
    response = client.put(
        f"/api/v1/employees/{employee.pk}", row(900), content_type="application/json"
    )

    assert response.status_code == 428
    employee.refresh_from_db()
    assert employee.name == "张三"


def test_it_deletes_an_employee(cast: Cast, client: Client, employee: Employee) -> None:
    response = client.delete(f"/api/v1/employees/{employee.pk}")

    assert response.status_code == 204
    assert not Employee.objects.exists()


def test_it_stores_and_returns_markup_as_plain_text(cast: Cast, client: Client) -> None:
    response = post(client, row(1, name="<b>x</b>", position="<script>alert(1)</script>"))

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["position"] == "<script>alert(1)</script>"
    assert Employee.objects.get().name == "<b>x</b>"


def test_it_refuses_a_ten_megabyte_name(cast: Cast, client: Client) -> None:
    response = post(client, row(1, name="x" * (10 * 1024 * 1024)))

    assert response.status_code == 422
    assert "name" in fields_of(response)
    assert not Employee.objects.exists()


def test_it_names_fields_of_the_wrong_type(cast: Cast, client: Client) -> None:
    response = post(client, row(1, name=["a"], site="north", is_critical="perhaps"))

    assert response.status_code == 422
    assert {"name", "site", "is_critical"} <= set(fields_of(response))


def test_it_refuses_a_read_only_key(cast: Cast) -> None:
    _key, secret = api_key_create(
        actor=cast.enterprise_admin, organization=cast.enterprise, name="BI", can_write=False
    )
    client = Client(headers={"authorization": f"Bearer {secret}"})

    assert post(client, row(1)).status_code == 403
    assert post(client, [row(1)], "/api/v1/employees/bulk").status_code == 403
    assert not Employee.objects.exists()


# --- bulk ------------------------------------------------------------------------------


def test_it_creates_a_batch_in_one_go(cast: Cast, client: Client) -> None:
    rows = [row(n, site=cast.site.pk) for n in range(3)]

    response = post(client, rows, "/api/v1/employees/bulk")

    assert response.status_code == 201
    assert response.json() == {"received": 3, "created": 3}
    assert Employee.objects.filter(enterprise=cast.enterprise).count() == 3


def test_it_writes_nothing_when_one_row_fails(cast: Cast, client: Client) -> None:
    rows = [row(n) for n in range(5)]
    rows[3]["document_number"] = "440303199001011230"

    response = post(client, rows, "/api/v1/employees/bulk")

    assert response.status_code == 422
    assert set(fields_of(response)) == {"3.document_number"}
    assert not Employee.objects.exists()


def test_it_keys_schema_errors_by_row(cast: Cast, client: Client) -> None:
    rows = [row(n) for n in range(5)]
    rows[2]["name"] = 42

    response = post(client, rows, "/api/v1/employees/bulk")

    assert response.status_code == 422
    assert set(fields_of(response)) == {"2.name"}


def test_it_finds_duplicates_within_the_batch(cast: Cast, client: Client) -> None:
    rows = [row(0), row(1), row(2, document_number=resident_id(0)), row(3, mobile="13900000001")]

    response = post(client, rows, "/api/v1/employees/bulk")

    assert response.status_code == 422
    assert set(fields_of(response)) == {"2.document_number", "3.mobile"}
    assert not Employee.objects.exists()


def test_it_finds_duplicates_against_the_roster(
    cast: Cast, client: Client, employee: Employee
) -> None:
    rows = [row(0), row(1, mobile="13812345678")]

    response = post(client, rows, "/api/v1/employees/bulk")

    assert response.status_code == 422
    assert set(fields_of(response)) == {"1.mobile"}
    assert Employee.objects.count() == 1


def test_it_refuses_another_enterprises_site_in_a_batch(cast: Cast, client: Client) -> None:
    rows = [row(0, site=cast.site.pk), row(1, site=cast.other_site.pk)]

    response = post(client, rows, "/api/v1/employees/bulk")

    assert response.status_code == 422
    assert set(fields_of(response)) == {"1.site"}
    assert not Employee.objects.exists()


@pytest.mark.parametrize("size", [0, 1001])
def test_it_refuses_an_empty_or_oversized_batch(cast: Cast, client: Client, size: int) -> None:
    response = post(client, [row(n % 1000) for n in range(size)], "/api/v1/employees/bulk")

    assert response.status_code == 422
    assert not Employee.objects.exists()


def test_it_refuses_a_batch_that_is_not_a_list(cast: Cast, client: Client) -> None:
    response = post(client, row(0), "/api/v1/employees/bulk")

    assert response.status_code == 422


def test_it_takes_a_thousand_rows(cast: Cast, client: Client) -> None:
    rows = [row(n, home_county="440303") for n in range(1000)]

    response = post(client, rows, "/api/v1/employees/bulk")

    assert response.status_code == 201
    assert response.json() == {"received": 1000, "created": 1000}
    assert Employee.objects.filter(enterprise=cast.enterprise).count() == 1000
