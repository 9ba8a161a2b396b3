"""The enterprise's check-in page, and checking in on behalf of an employee."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from health.models import CheckIn, CheckInRevision, Observation
from health.rollups import rollup_roster_refresh
from health.services import checkin_submit
from health.tests.checkin_helpers import _fresh_cache, employee_of, good_answers  # noqa: F401
from workforce.tests.roster import add_employee


def fill(cast: Cast, count: int, *, start: int = 1) -> None:
    """`count` employees: every third abnormal, every fifth not checked in, one observed."""
    today = timezone.localdate()
    for n in range(start, start + count):
        employee = employee_of(cast, n)
        if n % 5 == 0:
            continue
        answers = good_answers(temperature="38.4") if n % 3 == 0 else good_answers()
        checkin_submit(employee=employee, answers=answers, via="self", actor=None)
        if n == start:
            Observation.objects.create(
                employee=employee,
                enterprise=cast.enterprise,
                kind="home_isolation",
                reason="contact",
                starts_on=today,
                planned_end_on=today + dt.timedelta(days=14),
            )
    # Yesterday's rollup, for the trend.
    yesterday = today - dt.timedelta(days=1)
    checkin_submit(
        employee=employee_of(cast, start + count),
        answers=good_answers(),
        via="manager",
        actor=cast.enterprise_admin,
        day=yesterday,
    )


def test_it_shows_the_day_by_site_with_what_to_do_next(cast: Cast) -> None:
    fill(cast, 10)
    client = cast.client(cast.enterprise_admin)
    response = client.get(reverse("health:today"))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    page = response.context["page"]
    # 11 employees (one added for yesterday); 2 of the first 10 did not check in today.
    assert (page.totals.roster, page.totals.submitted, page.totals.abnormal) == (11, 8, 3)
    assert page.totals.in_observation == 1
    assert [s.name for s in page.sites] == ["罗湖店"]
    html = response.content.decode()
    assert "Today&#x27;s temperature (°C): 38.4 °C" in html
    assert "Do not work today" in html  # the next steps of the rule table
    assert "Record an isolation or observation" in html
    assert "Remind them (3)" in html
    missing = {e.name for e in response.context["page_obj"].object_list}
    assert missing == {"员工5", "员工10", "员工11"}
    trend = response.context["trend"]
    assert len(trend["bars"]) == 14
    assert trend["bars"][-2]["counts"].submitted == 1  # yesterday
    # The alert's link: abnormal only.
    only = client.get(reverse("health:today") + "?status=abnormal")
    assert {f["checkin"].status for f in only.context["flagged"]} == {"abnormal"}


def test_it_shows_an_empty_roster_what_to_do(cast: Cast) -> None:
    response = cast.client(cast.enterprise_viewer).get(reverse("health:today"))
    assert response.status_code == 200
    assert "Nobody is on the roster yet" in response.content.decode()
    assert "Remind them" not in response.content.decode()


def test_it_shows_another_day_and_ignores_a_bad_one(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert (
        client.get(reverse("health:today"), {"day": yesterday.isoformat()}).context["day"]
        == yesterday
    )
    for bad in ["2099-01-01", "1900-01-01", "tomorrow", "2020-02-30"]:
        response = client.get(reverse("health:today"), {"day": bad})
        assert response.context["day"] == timezone.localdate()


def _queries(client: Any) -> int:
    cache.clear()  # the same cache state for each count (the not-consented count is kept)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("health:today")).status_code == 200
    return len(captured.captured_queries)


def test_it_reads_a_constant_number_of_queries(cast: Cast) -> None:
    fill(cast, 10)
    client = cast.client(cast.enterprise_admin)
    _queries(client)  # the first request of a session saves it
    small = _queries(client)
    fill(cast, 90, start=20)
    large = _queries(client)
    assert large == small
    assert small <= 25


def test_it_records_a_check_in_on_behalf_as_such(cast: Cast) -> None:
    employee = employee_of(cast, consent="")  # no phone, no consent given through the link
    client = cast.client(cast.enterprise_admin)
    url = reverse("health:checkin_on_behalf", args=[employee.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="temperature"' in html
    assert 'name="travel"' not in html  # travel questions need the employee's consent
    data = {
        "day": timezone.localdate().isoformat(),
        "temperature": "37,1",
        "symptoms": ["none"],
        "health_status": "healthy",
        "isolation": "none",
        "health_code": "green",
        "pledge": "on",
    }
    bad = client.post(url, {**data, "temperature": "98.6"})
    assert bad.status_code == 200
    assert "looks like Fahrenheit" in bad.content.decode()
    assert not CheckIn.objects.exists()
    response = client.post(url, data)
    assert response.status_code == 302
    checkin = CheckIn.objects.get(employee=employee)
    assert (checkin.via, checkin.recorded_by, str(checkin.temperature)) == (
        "manager",
        cast.enterprise_admin,
        "37.1",
    )
    assert checkin.status == "attention"
    revision = CheckInRevision.objects.get(checkin=checkin)
    assert (revision.via, revision.recorded_by) == ("manager", cast.enterprise_admin)
    # The day page says so.
    html = client.get(reverse("health:today")).content.decode()
    assert "By a manager on their behalf" in html


def test_it_refuses_someone_elses_employee_and_a_viewer(cast: Cast) -> None:
    other = add_employee(cast.other_admin, cast.other_enterprise, 500)
    client = cast.client(cast.enterprise_admin)
    assert client.get(reverse("health:checkin_on_behalf", args=[other.pk])).status_code == 404
    mine = employee_of(cast)
    viewer = cast.client(cast.enterprise_viewer)
    assert viewer.get(reverse("health:checkin_on_behalf", args=[mine.pk])).status_code == 403
    assert viewer.post(reverse("health:checkin_on_behalf", args=[mine.pk]), {}).status_code == 403
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("member", ["association_officer", "federation_officer", "other_admin"])
def test_it_keeps_the_day_page_to_the_enterprise(cast: Cast, member: str) -> None:
    fill(cast, 3)
    response = cast.client(getattr(cast, member)).get(reverse("health:today"))
    if member == "other_admin":
        assert response.status_code == 200
        assert response.context["page"].totals.roster == 0  # B1 sees its own, empty day
        assert "员工" not in response.content.decode()
    else:
        assert response.status_code == 404


def test_it_puts_a_card_on_each_home_page(cast: Cast) -> None:
    fill(cast, 5)
    home = cast.client(cast.enterprise_admin).get(reverse("dashboards:home")).content.decode()
    assert "Today's health check-ins" in home
    assert "checked in: 4 of 6" in home
    assert reverse("health:today") in home
    rollup_roster_refresh()  # the rollups count the roster every quarter of an hour
    for member, page in [
        ("association_officer", "health:association"),
        ("federation_officer", "health:federation"),
    ]:
        html = cast.client(getattr(cast, member)).get(reverse("dashboards:home")).content.decode()
        assert "checked in: 4 of 6" in html
        assert reverse(page) in html
        assert "员工1" not in html
