"""/api/v1/health: check-ins from HR systems (single, batch, idempotent) and the day summary."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import api_key_create
from conftest import Cast
from health.models import CheckIn, CheckInRevision, DailyRollup
from health.tests.checkin_helpers import _fresh_cache, employee_of, good_answers  # noqa: F401
from health.tests.ingest_client import TRANSPORTS, ApiClient
from workforce.tests.roster import add_employee


def key_client(
    cast: Cast, *, can_write: bool = True, enterprise: Any = None, service: Any = None
) -> Any:
    """A client with a new API key; with `service` (the ingest app's test client) the
    check-in path goes there and every other path to Django."""
    _key, secret = api_key_create(
        actor=cast.enterprise_admin if enterprise is None else cast.other_admin,
        organization=enterprise or cast.enterprise,
        name="HR",
        can_write=can_write,
    )
    headers = {"authorization": f"Bearer {secret}"}
    if service is not None:
        return ApiClient(service, headers)
    return Client(headers=headers)


def post(client: Client, path: str, body: Any, **headers: str) -> Any:
    return client.post(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json", headers=headers
    )


@pytest.fixture
def client(cast: Cast) -> Any:
    return key_client(cast)


@pytest.fixture(params=TRANSPORTS)
def service(request: pytest.FixtureRequest) -> Any:
    """None for the Django endpoint, else the ingest service's test client: the tests
    that take it run once against each implementation of the check-in path."""
    if request.param == "django":
        return None
    return request.getfixturevalue("ingest_service")


@pytest.fixture
def checkin_client(cast: Cast, service: Any) -> Any:
    return key_client(cast, service=service)


def test_it_records_one_check_in_through_the_api(cast: Cast, checkin_client: Any) -> None:
    client = checkin_client
    employee = employee_of(cast)
    response = post(
        client,
        "/health/checkins",
        {"employee": employee.pk, "answers": good_answers(temperature="38.2")},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["employee"], body["status"], body["created"], body["revision"]) == (
        employee.pk,
        "abnormal",
        True,
        1,
    )
    assert any("38.2" in reason for reason in body["reasons"])
    assert body["next_steps"]
    checkin = CheckIn.objects.get(pk=body["id"])
    assert (checkin.via, checkin.recorded_by) == ("api", cast.enterprise_admin)
    # A resubmission for the day replaces it (200, a new revision).
    again = post(client, "/health/checkins", {"employee": employee.pk, "answers": good_answers()})
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["revision"]) == ("normal", 2)
    rollup = DailyRollup.objects.get(enterprise=cast.enterprise, day=timezone.localdate())
    assert (rollup.submitted, rollup.normal, rollup.abnormal) == (1, 1, 0)


def test_it_answers_404_for_another_enterprises_employee(cast: Cast, checkin_client: Any) -> None:
    client = checkin_client
    other = add_employee(cast.other_admin, cast.other_enterprise, 300)
    response = post(client, "/health/checkins", {"employee": other.pk, "answers": good_answers()})
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not found.", "fields": {}}
    }
    missing = post(client, "/health/checkins", {"employee": 999999, "answers": good_answers()})
    assert missing.status_code == 404
    assert not CheckIn.objects.exists()


def test_it_explains_bad_answers(cast: Cast, checkin_client: Any) -> None:
    client = checkin_client
    employee = employee_of(cast)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = post(
        client,
        "/health/checkins",
        {"employee": employee.pk, "answers": good_answers(temperature="98.6", health_code="blue")},
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert "Fahrenheit" in fields["temperature"][0]
    assert "health_code" in fields
    future = post(
        client,
        "/health/checkins",
        {"employee": employee.pk, "day": tomorrow, "answers": good_answers()},
    )
    assert future.status_code == 422
    assert "day" in future.json()["error"]["fields"]
    schema = post(client, "/health/checkins", {"employee": "x", "answers": []})
    assert schema.status_code == 422
    assert schema.json()["error"]["code"] == "invalid"
    assert not CheckIn.objects.exists()


def test_it_replays_a_retry_with_the_same_idempotency_key(cast: Cast, checkin_client: Any) -> None:
    client = checkin_client
    employee = employee_of(cast)
    body = {"employee": employee.pk, "answers": good_answers()}
    first = post(client, "/health/checkins", body, **{"Idempotency-Key": "hr-2026-1"})
    second = post(client, "/health/checkins", body, **{"Idempotency-Key": "hr-2026-1"})
    assert first.status_code == second.status_code == 201
    assert second["Idempotency-Replayed"] == "true"
    assert second.json() == first.json()
    assert CheckInRevision.objects.count() == 1
    changed = post(
        client,
        "/health/checkins",
        {**body, "answers": good_answers(temperature="37.1")},
        **{"Idempotency-Key": "hr-2026-1"},
    )
    assert changed.status_code == 422
    assert changed.json()["error"]["code"] == "idempotency_key_reused"


def test_it_records_a_batch_all_or_nothing(cast: Cast, client: Client) -> None:
    staff = [employee_of(cast, n) for n in range(1, 5)]
    other = add_employee(cast.other_admin, cast.other_enterprise, 300)
    items = [{"employee": e.pk, "answers": good_answers()} for e in staff]
    bad = [
        *items[:2],
        {"employee": staff[2].pk, "answers": good_answers(temperature="370")},
        {"employee": other.pk, "answers": good_answers()},
        {"employee": staff[0].pk, "answers": good_answers()},
    ]
    response = post(client, "/health/checkins/batch", bad)
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert "decimal point" in fields["2.temperature"][0]
    assert fields["3.employee"] == ["No employee on your roster has this id."]
    assert "Item 0 has the same employee and day." in fields["4.employee"]
    assert not CheckIn.objects.exists()
    assert not DailyRollup.objects.filter(submitted__gt=0).exists()
    ok = post(client, "/health/checkins/batch", items, **{"Idempotency-Key": "batch-1"})
    assert ok.status_code == 200, ok.content
    assert (ok.json()["received"], ok.json()["created"], ok.json()["updated"]) == (4, 4, 0)
    replay = post(client, "/health/checkins/batch", items, **{"Idempotency-Key": "batch-1"})
    assert replay["Idempotency-Replayed"] == "true"
    assert CheckIn.objects.count() == 4
    assert CheckInRevision.objects.count() == 4
    too_many = post(client, "/health/checkins/batch", [items[0]] * 501)
    assert too_many.status_code == 422
    empty = post(client, "/health/checkins/batch", [])
    assert empty.status_code == 422


def test_it_sums_up_a_day_without_a_person(cast: Cast, client: Client) -> None:
    staff = [employee_of(cast, n) for n in range(1, 4)]
    post(client, "/health/checkins", {"employee": staff[0].pk, "answers": good_answers()})
    post(
        client,
        "/health/checkins",
        {"employee": staff[1].pk, "answers": good_answers(temperature="39")},
    )
    response = client.get("/api/v1/health/summary")
    assert response.status_code == 200
    body = response.json()
    assert {
        k: body[k] for k in ("roster", "submitted", "not_submitted", "abnormal", "coverage")
    } == {
        "roster": 3,
        "submitted": 2,
        "not_submitted": 1,
        "abnormal": 1,
        "coverage": 67,
    }
    assert body["sites"] == [
        {
            "site": cast.site.pk,
            "name": "罗湖店",
            "roster": 3,
            "submitted": 2,
            "not_submitted": 1,
            "coverage": 67,
            "normal": 1,
            "attention": 0,
            "abnormal": 1,
            "in_observation": 0,
        }
    ]
    text = response.content.decode()
    assert staff[0].name not in text
    assert staff[0].mobile_masked not in text
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert client.get("/api/v1/health/summary", {"day": yesterday}).json()["submitted"] == 0
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert client.get("/api/v1/health/summary", {"day": tomorrow}).status_code == 422
    assert client.get("/api/v1/health/summary", {"day": "yesterday"}).status_code == 422


def test_it_lists_the_form_for_hr_systems(cast: Cast, client: Client) -> None:
    response = client.get("/api/v1/health/form")
    assert response.status_code == 200
    questions = {q["key"]: q for q in response.json()["questions"]}
    assert questions["temperature"]["kind"] == "temperature"
    assert "green" in [c["code"] for c in questions["health_code"]["choices"]]


def test_it_refuses_writes_with_a_read_only_key(cast: Cast, service: Any) -> None:
    employee = employee_of(cast)
    reader = key_client(cast, can_write=False, service=service)
    response = post(
        reader, "/health/checkins", {"employee": employee.pk, "answers": good_answers()}
    )
    assert response.status_code == 403
    assert reader.get("/api/v1/health/summary").status_code == 200
    assert not CheckIn.objects.exists()


def test_it_keeps_the_summary_to_the_keys_enterprise(cast: Cast, service: Any) -> None:
    employee = employee_of(cast)
    post(
        key_client(cast, service=service),
        "/health/checkins",
        {"employee": employee.pk, "answers": good_answers()},
    )
    other = key_client(cast, enterprise=cast.other_enterprise)
    assert other.get("/api/v1/health/summary").json()["submitted"] == 0
    session = cast.client(cast.association_officer)
    assert session.get("/api/v1/health/summary").status_code == 404


def test_it_limits_one_employees_check_ins_a_minute(cast: Cast, checkin_client: Any) -> None:
    """An HR system resending one person in a loop: RATE_LIMIT writes a minute, then 429;
    the rows stay one a day and nothing beyond the limit is written."""
    from health.services import RATE_LIMIT

    employee = employee_of(cast)
    temperatures = [f"36.{n}" for n in range(RATE_LIMIT)]
    for temperature in temperatures:
        response = post(
            checkin_client,
            "/health/checkins",
            {"employee": employee.pk, "answers": good_answers(temperature=temperature)},
        )
        assert response.status_code in {200, 201}, response.content
    refused = post(
        checkin_client,
        "/health/checkins",
        {"employee": employee.pk, "answers": good_answers(temperature="37.0")},
    )
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert str(RATE_LIMIT) in refused.json()["error"]["message"]
    assert CheckIn.objects.get().revision == RATE_LIMIT
    assert CheckInRevision.objects.count() == RATE_LIMIT
    # Another employee is not held back.
    other = employee_of(cast, 2)
    fine = post(
        checkin_client, "/health/checkins", {"employee": other.pk, "answers": good_answers()}
    )
    assert fine.status_code == 201
