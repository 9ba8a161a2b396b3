"""Revealing one full number: a stated purpose, shown once, logged as personal-data access."""

from __future__ import annotations

from django.urls import reverse

from audit.models import AuditEvent
from conftest import Cast
from workforce.tests.roster import add_employee, mobile, resident_id


def test_it_shows_masked_numbers_on_the_detail_page(cast: Cast) -> None:
    employee = add_employee(cast.enterprise_admin, cast.enterprise, 1)
    response = cast.client(cast.enterprise_viewer).get(
        reverse("workforce:employee_detail", args=[employee.pk])
    )
    body = response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "139****0001" in body
    assert mobile(1) not in body
    assert resident_id(1) not in body
    assert "Show full number" not in body  # viewers cannot reveal


def test_it_reveals_a_number_into_the_page_with_htmx_and_logs_it(cast: Cast) -> None:
    employee = add_employee(cast.enterprise_admin, cast.enterprise, 1)
    response = cast.client(cast.enterprise_admin).post(
        reverse("workforce:employee_reveal", args=[employee.pk]),
        {"field": "document_number", "purpose": "核对健康申报"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert resident_id(1) in body
    assert "<html" not in body
    event = AuditEvent.objects.get(action="employee.reveal")
    assert event.personal_data
    assert event.changes == {"field": "document_number", "purpose": "核对健康申报"}
    assert event.actor == cast.enterprise_admin


def test_it_reveals_without_javascript_by_rendering_the_page_once(cast: Cast) -> None:
    employee = add_employee(cast.enterprise_admin, cast.enterprise, 1)
    client = cast.client(cast.enterprise_admin)
    response = client.post(
        reverse("workforce:employee_reveal", args=[employee.pk]),
        {"field": "mobile", "purpose": "联系返岗"},
    )
    assert response.status_code == 200
    assert mobile(1) in response.content.decode()
    again = client.get(reverse("workforce:employee_detail", args=[employee.pk]))
    assert mobile(1) not in again.content.decode()


def test_it_requires_a_purpose(cast: Cast) -> None:
    employee = add_employee(cast.enterprise_admin, cast.enterprise, 1)
    client = cast.client(cast.enterprise_admin)
    url = reverse("workforce:employee_reveal", args=[employee.pk])
    partial = client.post(url, {"field": "mobile", "purpose": "  "}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "Say why" in partial.content.decode()
    assert mobile(1) not in partial.content.decode()
    page = client.post(url, {"field": "mobile", "purpose": ""})
    assert page.status_code == 400
    assert "Say why" in page.content.decode()
    huge = client.post(url, {"field": "mobile", "purpose": "x" * 1_000_000})
    assert huge.status_code == 400
    unknown = client.post(
        url, {"field": "mobile_enc", "purpose": "x"}, headers={"HX-Request": "true"}
    )
    assert unknown.status_code == 400
    assert not AuditEvent.objects.filter(action="employee.reveal").exists()


def test_it_refuses_reveals_by_viewers_and_by_get(cast: Cast) -> None:
    employee = add_employee(cast.enterprise_admin, cast.enterprise, 1)
    url = reverse("workforce:employee_reveal", args=[employee.pk])
    body = {"field": "mobile", "purpose": "好奇"}
    assert cast.client(cast.enterprise_viewer).post(url, body).status_code == 403
    assert cast.client(cast.enterprise_admin).get(url).status_code == 405
    assert not AuditEvent.objects.filter(action="employee.reveal").exists()
