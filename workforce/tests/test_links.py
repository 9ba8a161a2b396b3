"""Managing personal links: QR sheets, one link, re-issue, sending by SMS."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from conftest import Cast
from notify.models import Delivery
from workforce.links import link_resolve, link_token
from workforce.models import Employee, EmploymentStatus
from workforce.tests.roster import add_employee, mobile


def staff(cast: Cast, n: int = 3) -> list[Employee]:
    return [
        add_employee(cast.enterprise_admin, cast.enterprise, i, site=cast.site)
        for i in range(1, n + 1)
    ]


@pytest.mark.django_db
def test_it_lists_employees_to_choose(cast: Cast) -> None:
    people = staff(cast)
    people[2].status = EmploymentStatus.LEFT
    people[2].save()
    page = cast.client(cast.enterprise_admin).get(reverse("workforce:links")).content.decode()
    assert people[0].name in page
    assert people[2].name not in page
    assert 'name="employee"' in page
    assert reverse("workforce:link_detail", args=[people[0].pk]) in page
    assert cast.client(cast.enterprise_viewer).get(reverse("workforce:links")).status_code == 403
    assert cast.client(cast.association_officer).get(reverse("workforce:links")).status_code == 404


@pytest.mark.django_db
def test_it_prints_a_sheet_of_qr_codes(cast: Cast) -> None:
    people = staff(cast)
    other = add_employee(cast.other_admin, cast.other_enterprise, 9)
    client = cast.client(cast.enterprise_admin)
    response = client.post(
        reverse("workforce:link_sheet"), {"employee": [people[0].pk, people[1].pk, other.pk]}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<svg") == 2
    assert people[0].name in page
    assert people[1].name in page
    assert people[2].name not in page
    assert other.name not in page
    event = AuditEvent.objects.get(action="employee.link_print")
    assert event.changes == {"count": 2}
    assert event.personal_data
    everyone = client.get(reverse("workforce:link_sheet"), {"all": "1"}).content.decode()
    assert everyone.count("<svg") == 3
    nobody = client.get(reverse("workforce:link_sheet")).content.decode()
    assert "No employee was chosen." in nobody


@pytest.mark.django_db
def test_it_shows_one_link_that_opens_the_employees_page(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://tz.example.org"
    employee = staff(cast, 1)[0]
    page = (
        cast.client(cast.enterprise_admin)
        .get(reverse("workforce:link_detail", args=[employee.pk]))
        .content.decode()
    )
    match = re.search(r"https://tz\.example\.org/me/([^/]+)/", page)
    assert match is not None
    assert link_resolve(match.group(1)) == employee
    assert "<svg" in page
    assert AuditEvent.objects.filter(
        action="employee.link_show", object_id=str(employee.pk)
    ).exists()
    other = add_employee(cast.other_admin, cast.other_enterprise, 9)
    response = cast.client(cast.enterprise_admin).get(
        reverse("workforce:link_detail", args=[other.pk])
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_it_reissues_a_link(cast: Cast) -> None:
    employee = staff(cast, 1)[0]
    old = link_token(employee)
    client = cast.client(cast.enterprise_admin)
    assert client.get(reverse("personal:home", kwargs={"token": old})).status_code == 200
    response = client.post(reverse("workforce:link_reissue", args=[employee.pk]))
    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.link_generation == 2
    assert client.get(reverse("personal:home", kwargs={"token": old})).status_code == 404
    assert (
        client.get(reverse("personal:home", kwargs={"token": link_token(employee)})).status_code
        == 200
    )
    viewer = cast.client(cast.enterprise_viewer)
    assert viewer.post(reverse("workforce:link_reissue", args=[employee.pk])).status_code == 403
    assert client.get(reverse("workforce:link_reissue", args=[employee.pk])).status_code == 405


@pytest.mark.django_db
def test_it_sends_each_link_once_by_sms(cast: Cast) -> None:
    people = staff(cast)
    client = cast.client(cast.enterprise_admin)
    response = client.post(reverse("workforce:link_send"), {"all": "1"}, follow=True)
    assert "3 links queued for sending by SMS." in response.content.decode()
    sms = Delivery.objects.filter(channel="sms")
    assert sms.count() == 3
    first = sms.get(key=f"workforce:link:{people[0].pk}:1")
    assert first.address_masked == mobile(1)[:3] + "****" + mobile(1)[-4:]
    assert first.url.startswith("/me/")
    assert link_resolve(first.url.split("/")[2]) == people[0]
    response = client.post(
        reverse("workforce:link_send"), {"employee": [people[0].pk]}, follow=True
    )
    assert "already sent" in response.content.decode()
    assert sms.count() == 3
    client.post(reverse("workforce:link_reissue", args=[people[0].pk]))
    client.post(reverse("workforce:link_send"), {"employee": [people[0].pk], "back": "1"})
    assert Delivery.objects.filter(key=f"workforce:link:{people[0].pk}:2").count() == 1
    event = AuditEvent.objects.filter(action="employee.link_send").first()
    assert event is not None
    assert "13" not in str(event.changes)  # counts, never numbers
    assert (
        cast.client(cast.enterprise_viewer)
        .post(reverse("workforce:link_send"), {"all": "1"})
        .status_code
        == 403
    )
    response = client.post(reverse("workforce:link_send"), {}, follow=True)
    assert "Choose at least one employee." in response.content.decode()
