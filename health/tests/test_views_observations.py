"""The observation pages: record with the computed end, release or extend, list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import Cast
from health.models import Observation
from health.tests.checkin_helpers import _fresh_cache, employee_of  # noqa: F401
from workforce.tests.roster import add_employee


def record(client: Any, employee: Any, **changes: Any) -> Any:
    today = timezone.localdate()
    data = {
        "employee": employee.pk,
        "kind": "home_isolation",
        "reason": "arrival",
        "origin": "420100",
        "arrived_on": (today - dt.timedelta(days=1)).isoformat(),
        "starts_on": today.isoformat(),
        "place": "家中",
    }
    data.update(changes)
    return client.post(reverse("health:observation_new"), data)


def test_it_records_an_observation_with_the_computed_end(cast: Cast) -> None:
    employee = employee_of(cast)
    client = cast.client(cast.enterprise_admin)
    page = client.get(reverse("health:observation_new"), {"employee": employee.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<option value="{employee.pk}" selected>' in html
    assert "武汉市" in html
    response = record(client, employee)
    assert response.status_code == 302
    observation = Observation.objects.get()
    assert observation.planned_end_on == timezone.localdate() - dt.timedelta(days=1) + dt.timedelta(
        days=14
    )
    listing = client.get(reverse("health:observations")).content.decode()
    assert employee.name in listing
    assert observation.planned_end_on.isoformat() in listing
    # The day page lists them with their end.
    assert (
        observation.planned_end_on.isoformat()
        in client.get(reverse("health:today")).content.decode()
    )


def test_it_explains_what_is_missing(cast: Cast) -> None:
    employee = employee_of(cast)
    client = cast.client(cast.enterprise_admin)
    response = record(client, employee, origin="", arrived_on="")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Say which region the employee arrived from." in html
    assert "Give the date of arrival." in html
    other = add_employee(cast.other_admin, cast.other_enterprise, 400)
    foreign = record(client, other)
    assert foreign.status_code == 200
    assert "Select a valid choice" in foreign.content.decode()
    assert not Observation.objects.exists()


def test_it_releases_and_extends_from_the_page(cast: Cast) -> None:
    employee = employee_of(cast)
    client = cast.client(cast.enterprise_admin)
    record(client, employee)
    observation = Observation.objects.get()
    url = reverse("health:observation_release", args=[observation.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "14 days after arrival" in page.content.decode()
    end = observation.planned_end_on + dt.timedelta(days=3)
    extended = client.post(
        url, {"extend": "1", "planned_end_on": end.isoformat(), "note": "复查", "version": 1}
    )
    assert extended.status_code == 302
    stale = client.post(
        url,
        {
            "release": "1",
            "released_on": timezone.localdate().isoformat(),
            "note": "x",
            "version": 1,
        },
    )
    assert stale.status_code == 200
    assert "Someone changed this observation" in stale.content.decode()
    early = client.post(
        url, {"release": "1", "released_on": timezone.localdate().isoformat(), "version": 2}
    )
    assert "Say why the observation ends before its planned end." in early.content.decode()
    done = client.post(
        url,
        {
            "release": "1",
            "released_on": timezone.localdate().isoformat(),
            "note": "社区通知解除",
            "version": 2,
        },
    )
    assert done.status_code == 302
    observation.refresh_from_db()
    assert (observation.released_on, observation.release_note) == (
        timezone.localdate(),
        "社区通知解除",
    )
    assert list(
        AuditEvent.objects.filter(action__startswith="observation.").values_list(
            "action", flat=True
        )
    ) == [
        "observation.release",
        "observation.extend",
        "observation.create",
    ]
    released = client.get(reverse("health:observations"), {"state": "released"}).content.decode()
    assert employee.name in released


def test_it_lets_a_viewer_read_but_not_release(cast: Cast) -> None:
    employee = employee_of(cast)
    record(cast.client(cast.enterprise_admin), employee)
    observation = Observation.objects.get()
    viewer = cast.client(cast.enterprise_viewer)
    url = reverse("health:observation_release", args=[observation.pk])
    page = viewer.get(url)
    assert page.status_code == 200
    assert 'name="release"' not in page.content.decode()
    assert (
        viewer.post(
            url, {"release": "1", "released_on": "2026-01-01", "note": "x", "version": 1}
        ).status_code
        == 403
    )
    assert viewer.get(reverse("health:observation_new")).status_code == 403
    assert cast.client(cast.other_admin).get(url).status_code == 404
    observation.refresh_from_db()
    assert observation.released_on is None
