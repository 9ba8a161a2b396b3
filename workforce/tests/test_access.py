"""Every roster URL probed with the whole cast: personal data stays inside the enterprise."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import Cast
from workforce.models import ImportJob
from workforce.tests.roster import add_employee

# (url name, takes the employee/job pk, method, writes)
ROUTES = [
    ("employee_list", None, "get", False),
    ("employee_create", None, "get", True),
    ("employee_create", None, "post", True),
    ("employee_detail", "employee", "get", False),
    ("employee_edit", "employee", "get", True),
    ("employee_edit", "employee", "post", True),
    ("employee_delete", "employee", "post", True),
    ("employee_reveal", "employee", "post", True),
    ("import", None, "get", True),
    ("import", None, "post", True),
    ("import_template", None, "get", False),
    ("import_status", "job", "get", False),
    ("export", None, "get", True),
    ("export", None, "post", True),
]


def url_of(cast: Cast, name: str, kind: str | None) -> str:
    if kind is None:
        return reverse(f"workforce:{name}")
    employee = add_employee(cast.enterprise_admin, cast.enterprise, 1)
    job = ImportJob.objects.create(
        enterprise=cast.enterprise, created_by=cast.enterprise_admin, filename="r.csv"
    )
    return reverse(f"workforce:{name}", args=[employee.pk if kind == "employee" else job.pk])


@pytest.mark.parametrize(("name", "kind", "method", "writes"), ROUTES)
def test_it_hides_the_roster_from_associations_and_the_federation(
    cast: Cast, name: str, kind: str | None, method: str, writes: bool
) -> None:
    url = url_of(cast, name, kind)
    for user in (cast.association_officer, cast.federation_officer):
        response = getattr(cast.client(user), method)(url)
        assert response.status_code == 404, (user, url)


@pytest.mark.parametrize(("name", "kind", "method", "writes"), [r for r in ROUTES if r[1]])
def test_it_hides_another_enterprises_employees(
    cast: Cast, name: str, kind: str | None, method: str, writes: bool
) -> None:
    url = url_of(cast, name, kind)
    response = getattr(cast.client(cast.other_admin), method)(
        url, {"field": "mobile", "purpose": "x"}
    )
    assert response.status_code == 404


def test_it_shows_another_enterprise_only_its_own_roster(cast: Cast) -> None:
    add_employee(cast.enterprise_admin, cast.enterprise, 1, name="甲企员工")
    client = cast.client(cast.other_admin)
    assert "甲企员工" not in client.get(reverse("workforce:employee_list")).content.decode()
    export = client.post(reverse("workforce:export"), {})
    assert "甲企员工".encode() not in export.content


@pytest.mark.parametrize(("name", "kind", "method", "writes"), ROUTES)
def test_it_lets_a_viewer_read_but_not_write(
    cast: Cast, name: str, kind: str | None, method: str, writes: bool
) -> None:
    url = url_of(cast, name, kind)
    response = getattr(cast.client(cast.enterprise_viewer), method)(url)
    assert response.status_code == (403 if writes else 200)


@pytest.mark.parametrize(("name", "kind", "method", "writes"), ROUTES)
def test_it_sends_anonymous_visitors_to_sign_in(
    cast: Cast, name: str, kind: str | None, method: str, writes: bool
) -> None:
    url = url_of(cast, name, kind)
    response = getattr(cast.client(None), method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_declares_an_access_rule_on_every_roster_view() -> None:
    from django.urls import get_resolver

    patterns = get_resolver("workforce.urls").url_patterns
    assert patterns
    for pattern in patterns:
        assert hasattr(pattern.callback, "access_rule"), pattern
