"""The employee's pages under their personal link: consent, check-in, quick, history, home."""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from health import services
from health.models import CheckIn, CheckInRevision, Consent
from health.services import RATE_LIMIT, full_form_today
from health.tests.checkin_helpers import _fresh_cache, employee_of  # noqa: F401
from workforce.links import link_revoke, link_token
from workforce.models import Employee, EmploymentStatus

FORM = {
    "temperature": "36.6",
    "symptoms": ["none"],
    "health_status": "healthy",
    "location": "440304",
    "travel": "none",
    "contact": ["none"],
    "isolation": "none",
    "health_code": "green",
    "remarks": "",
    "pledge": "on",
}


def url(name: str, employee: Employee) -> str:
    return reverse(name, kwargs={"token": link_token(employee)})


def post_form(client: Client, employee: Employee, **changes: Any) -> Any:
    data = {**FORM, "day": timezone.localdate().isoformat(), **changes}
    return client.post(
        url("checkin:form", employee), {k: v for k, v in data.items() if v is not None}
    )


@pytest.mark.django_db
def test_it_asks_for_consent_before_the_first_check_in(cast: Cast, client: Client) -> None:
    employee = employee_of(cast, consent="")
    response = client.get(url("checkin:form", employee))
    assert response.status_code == 302
    assert response["Location"].endswith("/consent/")
    page = client.get(url("checkin:consent", employee)).content.decode()
    assert "What is collected" in page
    assert cast.enterprise.name in page
    assert "see counts only" in page
    assert "deleted within" not in page or "days" in page
    assert 'name="health"' in page
    assert 'name="travel"' in page
    response = client.post(url("checkin:consent", employee), {"health": "on"})
    assert response["Location"].endswith("/checkin/")
    assert set(Consent.objects.filter(employee=employee).values_list("kind", flat=True)) == {
        "health"
    }
    form = client.get(url("checkin:form", employee)).content.decode()
    assert 'name="travel"' not in form
    assert "not consented to travel data" in form


@pytest.mark.django_db
def test_it_states_the_retention_period(cast: Cast, client: Client) -> None:
    from tongzhou.tests.test_url_access import _emergency

    emergency = _emergency()
    emergency.retention_days = 45
    emergency.save()
    employee = employee_of(cast, consent="")
    page = client.get(url("checkin:consent", employee)).content.decode()
    assert "deleted within 45 days" in page


@pytest.mark.django_db
def test_it_withdraws_consent_from_the_page(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    response = client.post(url("checkin:consent", employee), {"withdraw": "travel"})
    assert response.status_code == 302
    consent = Consent.objects.get(employee=employee, kind="travel")
    assert consent.withdrawn_at is not None
    home = client.get(url("personal:home", employee)).content.decode()
    assert "Travel and contact data: not consented" in home
    client.post(url("checkin:consent", employee), {"withdraw": "health"})
    home = client.get(url("personal:home", employee)).content.decode()
    assert "Consent to health data has not been given." in home
    assert "/consent/" in home


@pytest.mark.django_db
def test_it_records_a_check_in_and_shows_the_pass(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    response = post_form(client, employee)
    assert response.status_code == 302
    assert response["Location"].endswith("/pass/")
    checkin = CheckIn.objects.get(employee=employee)
    assert checkin.via == "self"
    assert checkin.answers["location"] == {"district": "440304"}
    page = client.get(response["Location"]).content.decode()
    assert "Thank you, your check-in is recorded." in page
    assert "Cleared to work" in page
    # The form opens again prefilled, to change today's answers.
    form = client.get(url("checkin:form", employee)).content.decode()
    assert 'value="36.6"' in form
    assert "Update my check-in" in form


@pytest.mark.django_db
def test_it_answers_bad_temperatures_clearly(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    cases = {
        "3.7": "decimal point (37.0 °C)",
        "370": "decimal point (37.0 °C)",
        "98.6": "Did you mean 37.0 °C?",
        "hot": "is not a temperature",
        "": "Answer this question.",
    }
    for typed, says in cases.items():
        response = post_form(client, employee, temperature=typed)
        assert response.status_code == 400, typed
        assert says in response.content.decode(), typed
    assert not CheckIn.objects.exists()
    response = post_form(client, employee, temperature="37,5")
    assert response.status_code == 302
    assert str(CheckIn.objects.get().temperature) == "37.5"


@pytest.mark.django_db
def test_it_converts_fahrenheit_when_confirmed(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    page = post_form(client, employee, temperature="98.6").content.decode()
    assert 'name="use_celsius" value="37.0"' in page
    response = post_form(client, employee, temperature="98.6", use_celsius="37.0")
    assert response.status_code == 302
    assert str(CheckIn.objects.get().temperature) == "37.0"
    # Corrected by hand and sent with Enter (which also sends the button): the hand wins.
    response = post_form(client, employee, temperature="36.9", use_celsius="37.0")
    assert str(CheckIn.objects.get().temperature) == "36.9"
    # A confirmation that does not belong to the typed value is ignored.
    response = post_form(client, employee, temperature="100.4", use_celsius="36.0")
    assert response.status_code == 400


@pytest.mark.django_db
def test_it_keeps_answers_and_marks_errors(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    response = post_form(
        client, employee, symptoms=["none", "fever"], pledge=None, location="outside"
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "cannot be combined" in page
    assert "Tick this box to confirm." in page
    assert "Outside Shenzhen: choose the province." in page
    assert 'value="fever" checked' in page
    assert "Some answers need another look" in page
    response = post_form(
        client, employee, location="outside", location_province="420000", location_city="武汉"
    )
    assert response.status_code == 302
    assert CheckIn.objects.get().answers["location"] == {"province": "420000", "city": "武汉"}


@pytest.mark.django_db
def test_it_refuses_yesterdays_form_after_the_grace_period(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    old = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    response = post_form(client, employee, day=old)
    assert response.status_code == 302
    assert response["Location"].endswith("/checkin/")
    page = client.get(response["Location"]).content.decode()
    assert "Please fill in today&#x27;s check-in." in page
    assert not CheckIn.objects.exists()
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = post_form(client, employee, day=future)
    assert response.status_code == 302
    assert not CheckIn.objects.exists()
    # A day that is not a date counts as today.
    assert post_form(client, employee, day="yesterday").status_code == 302
    assert CheckIn.objects.get().day == timezone.localdate()


@pytest.mark.django_db
def test_it_rate_limits_a_flood_without_duplicates(
    cast: Cast, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One fixed minute, so the flood cannot straddle two counting windows.
    monkeypatch.setattr(
        services, "checkin_throttled", partial(services.checkin_throttled, now=timezone.now())
    )
    employee = employee_of(cast)
    statuses = [
        post_form(client, employee, temperature=f"36.{n % 10}").status_code for n in range(40)
    ]
    assert statuses[:RATE_LIMIT] == [302] * RATE_LIMIT
    assert set(statuses[RATE_LIMIT:]) == {429}
    assert CheckIn.objects.filter(employee=employee).count() == 1
    assert CheckInRevision.objects.count() <= RATE_LIMIT
    page = post_form(client, employee).content.decode()
    assert "Too many attempts" in page
    # Another employee is not held back.
    other = employee_of(cast, 2)
    assert post_form(client, other).status_code == 302


@pytest.mark.django_db
def test_it_checks_in_with_one_tap_when_yesterday_was_normal(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    post_form(client, employee)
    CheckIn.objects.update(day=yesterday)
    home = client.get(url("personal:home", employee)).content.decode()
    form = client.get(url("checkin:form", employee)).content.decode()
    if full_form_today(employee_id=employee.pk, day=today, one_in=7):
        assert "Same as yesterday" not in home
        assert "random check" in form
        response = client.post(url("checkin:quick", employee))
        assert response["Location"].endswith("/checkin/")
        return
    assert "Same as yesterday: one tap" in home
    assert "Yes, same as yesterday" in form
    response = client.post(url("checkin:quick", employee))
    assert response["Location"].endswith("/pass/")
    today_row = CheckIn.objects.get(day=today)
    assert today_row.quick
    assert client.get(url("checkin:quick", employee)).status_code == 405


@pytest.mark.django_db
def test_it_sends_to_the_full_form_when_one_tap_is_not_possible(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    response = client.post(url("checkin:quick", employee))
    assert response["Location"].endswith("/checkin/")
    page = client.get(response["Location"]).content.decode()
    assert "no check-in from yesterday" in page or "random check" in page
    assert not CheckIn.objects.exists()


@pytest.mark.django_db
def test_it_lists_the_history(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    assert (
        "No check-ins in the last 30 days"
        in client.get(url("checkin:history", employee)).content.decode()
    )
    post_form(client, employee, temperature="38.1")
    page = client.get(url("checkin:history", employee)).content.decode()
    assert "Abnormal" in page
    assert "38.1 °C" in page
    assert "Today&#x27;s temperature (°C): 38.1 °C" in page


@pytest.mark.django_db
def test_it_shows_someone_elses_link_nothing(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    token = link_token(employee)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for name in (
        "personal:home",
        "checkin:form",
        "checkin:pass",
        "checkin:history",
        "checkin:consent",
    ):
        response = client.get(reverse(name, kwargs={"token": forged}))
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
    link_revoke(actor=cast.enterprise_admin, employee=employee)
    response = client.get(reverse("personal:home", kwargs={"token": token}))
    assert response.status_code == 404
    assert "issued you a new link" in response.content.decode()
    employee.refresh_from_db()
    fresh = link_token(employee)
    employee.status = EmploymentStatus.LEFT
    employee.save()
    response = client.get(reverse("personal:home", kwargs={"token": fresh}))
    assert response.status_code == 404
    assert "someone who has left" in response.content.decode()
    response = client.post(reverse("checkin:form", kwargs={"token": fresh}), FORM)
    assert response.status_code == 404
    assert not CheckIn.objects.exists()


@pytest.mark.django_db
def test_it_keeps_personal_pages_out_of_caches(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    response = client.get(url("personal:home", employee))
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]


@pytest.mark.django_db
def test_it_keeps_the_form_light(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    response = client.get(url("checkin:form", employee))
    html = response.content
    assert len(html) < 15_000, len(html)
    assert b"<link" not in html
    assert b"<script" not in html
    assert not re.search(rb"(src|href)=\"(https?:)?//", html)


@pytest.mark.django_db
def test_it_speaks_the_employees_language(cast: Cast) -> None:
    employee = employee_of(cast)
    browser_en = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = browser_en.get(url("checkin:form", employee))
    assert page["Content-Language"] == "en"
    assert "Today&#x27;s temperature (°C)" in page.content.decode()
    Employee.objects.filter(pk=employee.pk).update(language="zh-hant")
    page = browser_en.get(url("checkin:form", employee))
    assert page["Content-Language"] == "zh-hant"
    text = page.content.decode()
    assert '<html lang="zh-hant">' in text
    assert "今日體溫（℃）" in text
    assert "居家隔離" in text


@pytest.mark.django_db
def test_it_stores_the_language_chosen_on_the_home_page(cast: Cast, client: Client) -> None:
    employee = employee_of(cast)
    response = client.post(url("personal:home", employee), {"language": "zh-hant"})
    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.language == "zh-hant"
    assert client.get(url("personal:home", employee))["Content-Language"] == "zh-hant"
    client.post(url("personal:home", employee), {"language": "klingon"})
    employee.refresh_from_db()
    assert employee.language == "zh-hant"
    client.post(url("personal:home", employee), {"language": ""})
    employee.refresh_from_db()
    assert employee.language == ""


@pytest.mark.django_db
def test_it_greets_and_offers_the_next_step_at_home(cast: Cast, client: Client) -> None:
    employee = employee_of(cast, consent="")
    page = client.get(url("personal:home", employee)).content.decode()
    assert employee.name in page
    assert "Not cleared to work today" in page
    assert "Read how your data is used, and consent" in page
    Consent.objects.create(
        employee=employee, kind="health", notice_version="x", given_at=timezone.now()
    )
    page = client.get(url("personal:home", employee)).content.decode()
    assert "No health check-in for this day." in page
    assert "Check in now" in page
    post_form(client, employee, travel=None, contact=None, location=None)
    page = client.get(url("personal:home", employee)).content.decode()
    assert "Cleared to work today" in page
    assert "Show my pass" in page
