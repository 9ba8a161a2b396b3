"""The clearance pass: what it shows, and what scanning it tells site staff."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from health.models import Observation, Via
from health.passes import PASS_MAX_AGE, pass_token, pass_verify
from health.services import CheckInResult, checkin_submit
from health.tests.checkin_helpers import _fresh_cache, employee_of, good_answers  # noqa: F401
from workforce.links import link_revoke, link_token
from workforce.models import Employee, EmploymentStatus

QR_URL = re.compile(r"http://testserver/pass/([^/\"]+)/")


def check_in(employee: Employee, **changes: Any) -> CheckInResult:
    return checkin_submit(
        employee=employee, answers=good_answers(**changes), via=Via.SELF, actor=None
    )


@pytest.mark.django_db
def test_it_shows_a_cleared_pass_with_a_live_clock_and_a_qr_code(
    cast: Cast, client: Client
) -> None:
    employee = employee_of(cast, name="张三丰")
    check_in(employee)
    response = client.get(reverse("checkin:pass", kwargs={"token": link_token(employee)}))
    page = response.content.decode()
    assert "Cleared to work" in page
    assert "张**" in page
    assert "张三丰" not in page
    assert cast.enterprise.name in page
    assert timezone.localtime().strftime("%Y-%m-%d") in page
    assert 'id="clock"' in page
    assert "setInterval" in page  # the clock runs; with JS off the server's time stands
    assert "<svg" in page
    assert '<meta http-equiv="refresh"' in page
    assert len(response.content) < 15_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setup", "says"),
    [
        ("no_consent", "Consent to health data has not been given."),
        ("no_checkin", "No health check-in for this day."),
        ("abnormal", "The check-in for this day is abnormal."),
        ("observation", "In home isolation since"),
    ],
)
def test_it_says_why_the_pass_is_not_cleared(
    cast: Cast, client: Client, setup: str, says: str
) -> None:
    employee = employee_of(cast, consent="" if setup == "no_consent" else "health,travel")
    if setup == "abnormal":
        check_in(employee, temperature="38.6")
    if setup == "observation":
        check_in(employee)
        Observation.objects.create(
            employee=employee,
            enterprise=cast.enterprise,
            kind="home_isolation",
            reason="arrival",
            starts_on=timezone.localdate(),
            planned_end_on=timezone.localdate() + dt.timedelta(days=13),
        )
    page = client.get(
        reverse("checkin:pass", kwargs={"token": link_token(employee)})
    ).content.decode()
    assert "Not cleared to work" in page
    assert says in page
    if setup == "abnormal":
        assert "What to do next:" in page


@pytest.mark.django_db
def test_it_verifies_a_fresh_pass_without_showing_answers(cast: Cast, client: Client) -> None:
    employee = employee_of(cast, name="李四")
    check_in(employee, temperature="36.8", remarks="秘密备注")
    page = client.get(
        reverse("checkin:pass", kwargs={"token": link_token(employee)})
    ).content.decode()
    token = QR_URL.search(page)
    assert token is not None  # the QR code's address, also given for screen readers
    response = Client().get(reverse("clearance:verify", kwargs={"pass_token": token.group(1)}))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Valid · cleared to work" in text
    assert "李*" in text
    assert cast.enterprise.name in text
    for secret in ("李四", "36.8", "秘密备注", employee.mobile_masked, employee.document_masked):
        assert secret not in text
    # The scanner never receives the employee's personal link.
    assert link_token(employee).split(":")[0] not in text


@pytest.mark.django_db
def test_it_verifies_clearance_at_scan_time(cast: Cast) -> None:
    employee = employee_of(cast)
    check_in(employee)
    token = pass_token(employee)
    assert pass_verify(token).clearance.cleared  # type: ignore[union-attr]
    check_in(employee, symptoms=["fever"])
    check = pass_verify(token)
    assert check.valid
    assert check.clearance is not None
    assert not check.clearance.cleared


@pytest.mark.django_db
def test_it_refuses_an_old_screenshot(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    check_in(employee)
    now = timezone.now()
    token = pass_token(employee, now=now)
    assert pass_verify(token, now=now + dt.timedelta(seconds=PASS_MAX_AGE - 5)).state == "valid"
    assert pass_verify(token, now=now + dt.timedelta(seconds=PASS_MAX_AGE + 5)).state == "expired"
    yesterday = pass_token(employee, now=now - dt.timedelta(days=1))
    assert pass_verify(yesterday, now=now).state == "other_day"
    response = client.get(reverse("clearance:verify", kwargs={"pass_token": yesterday}))
    assert response.status_code == 200
    assert "This pass is from another day." in response.content.decode()
    assert "cleared to work" not in response.content.decode()
    stale = pass_token(employee, now=now - dt.timedelta(minutes=30))
    page = client.get(reverse("clearance:verify", kwargs={"pass_token": stale})).content.decode()
    assert "Expired pass" in page
    assert (
        pass_verify(pass_token(employee, now=now + dt.timedelta(hours=1)), now=now).state
        == "invalid"
    )


@pytest.mark.django_db
def test_it_refuses_forged_and_withdrawn_passes(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    check_in(employee)
    token = pass_token(employee)
    payload, _sep, signature = token.rpartition(":")
    for forged in (payload + ":" + signature[::-1], "abc", "W1s5OTk5XQ:x", "", token + "x"):
        if not forged:
            continue
        assert pass_verify(forged).state == "invalid"
        response = client.get(reverse("clearance:verify", kwargs={"pass_token": forged}))
        assert response.status_code == 404
        assert "Not a valid pass" in response.content.decode()
    link_revoke(actor=cast.enterprise_admin, employee=employee)
    assert pass_verify(token).state == "revoked"
    employee.refresh_from_db()
    fresh = pass_token(employee)
    employee.status = EmploymentStatus.LEFT
    employee.save()
    page = client.get(reverse("clearance:verify", kwargs={"pass_token": fresh})).content.decode()
    assert "Pass withdrawn" in page
