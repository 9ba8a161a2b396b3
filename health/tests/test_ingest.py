"""The check-in ingest service (health/ingest): who may call it, hostile input answered as
the Django endpoint answers it, concurrency, the deferred rollup, the officers' alert.

The API tests in test_api.py run against both implementations; these are the ingest
service's own. PostgreSQL only (the service's statement uses data-modifying CTEs), and
transactional: the service reads and writes on its own connections.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke
from conftest import Cast
from health.ingest.app import PATH, Ingest, create_app
from health.models import CheckIn, CheckInRevision, DailyRollup, RollupDelta
from health.rollups import rollup_rebuild
from health.tests.checkin_helpers import _fresh_cache, employee_of, good_answers  # noqa: F401
from notify.models import Delivery
from workforce.models import EmploymentStatus

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the ingest service runs on PostgreSQL only"
    ),
]


def secret_of(cast: Cast, *, can_write: bool = True, organization: Any = None) -> str:
    _key, secret = api_key_create(
        actor=cast.enterprise_admin,
        organization=organization or cast.enterprise,
        name="HR",
        can_write=can_write,
    )
    return secret


def send(service: Any, body: Any, secret: str | None, **headers: str) -> httpx.Response:
    sent = {"content-type": "application/json", **headers}
    if secret is not None:
        sent["authorization"] = f"Bearer {secret}"
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response: httpx.Response = service.post(PATH, content=content, headers=sent)
    return response


def test_it_answers_each_member_of_the_cast(cast: Cast, ingest_service: Any) -> None:
    employee = employee_of(cast)
    body = {"employee": employee.pk, "answers": good_answers()}
    # Anonymous, and a signed-in browser session: the service takes API keys only (nginx
    # sends requests without a bearer key to Django, which answers sessions).
    assert send(ingest_service, body, None).status_code == 401
    session = cast.client(cast.enterprise_admin)
    ingest_service.cookies.set("sessionid", session.cookies["sessionid"].value)
    assert ingest_service.post(PATH, json=body).status_code == 401
    ingest_service.cookies.clear()
    assert send(ingest_service, body, "tz_forged-" + "x" * 30).status_code == 401
    assert send(ingest_service, body, "not-even-a-key").status_code == 401
    # The viewer's read-only key may not write; another enterprise's key does not see the
    # employee; keys of an association or the federation are refused as out of scope.
    assert send(ingest_service, body, secret_of(cast, can_write=False)).status_code == 403
    other = secret_of(cast, organization=cast.other_enterprise)
    assert send(ingest_service, body, other).json()["error"]["code"] == "not_found"
    for organization in (cast.association, cast.federation):
        key = ApiKey.objects.create(
            organization=organization,
            name="not an enterprise",
            prefix=f"p{organization.pk}",
            key_hash=f"{organization.pk:064d}",
            created_by=cast.association_officer,
        )
        secret = f"tz_{organization.pk}"
        ApiKey.objects.filter(pk=key.pk).update(
            key_hash=__import__("accounts.services").services.api_key_hash(secret)
        )
        assert send(ingest_service, body, secret).status_code == 404
    assert not CheckIn.objects.exists()
    # The enterprise's own key records it; once revoked, the key is refused.
    key, secret = api_key_create(
        actor=cast.enterprise_admin, organization=cast.enterprise, name="HR"
    )
    created = send(ingest_service, body, secret)
    assert created.status_code == 201, created.content
    assert set(created.json()) == {
        "id", "employee", "day", "status", "reasons", "next_steps", "revision", "created"
    }  # fmt: skip
    api_key_revoke(actor=cast.enterprise_admin, key=key)
    assert send(ingest_service, body, secret).status_code == 401
    assert CheckIn.objects.count() == 1


HOSTILE: list[tuple[str, Any]] = [
    ("not json", b"{employee: 1"),
    ("empty body", b""),
    ("a list", [1, 2]),
    ("no answers", {"employee": "EMP"}),
    ("employee as text", {"employee": "x", "answers": {}}),
    ("nobody", {"employee": 999_999_999, "answers": "GOOD"}),
    ("3.7 °C", {"employee": "EMP", "answers": {"temperature": "3.7"}}),
    ("98.6 °F", {"employee": "EMP", "answers": {"temperature": "98.6"}}),
    ("370", {"employee": "EMP", "answers": {"temperature": "370"}}),
    ("a word", {"employee": "EMP", "answers": {"temperature": "hot"}}),
    ("a list for a temperature", {"employee": "EMP", "answers": {"temperature": [37]}}),
    ("tomorrow", {"employee": "EMP", "day": "TOMORROW", "answers": "GOOD"}),
    ("not a day", {"employee": "EMP", "day": "2026-02-30", "answers": "GOOD"}),
    ("an unknown question", {"employee": "EMP", "answers": {"x-question": "1"}}),
    ("an unknown code", {"employee": "EMP", "answers": {"health_code": "blue"}}),
    ("no pledge", {"employee": "EMP", "answers": {"pledge": False}}),
    ("a NUL in a code", {"employee": "EMP", "answers": {"health_code": "gr\u0000een"}}),
    ("a remark too long", {"employee": "EMP", "answers": {"remarks": "长" * 5000}}),
    ("a district that is not", {"employee": "EMP", "answers": {"location": "999999"}}),
    ("answers as a list", {"employee": "EMP", "answers": ["36.5"]}),
]


def _materialise(body: Any, employee: int) -> Any:
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if body.get("employee") == "EMP":
        body["employee"] = employee
    if body.get("answers") == "GOOD":
        body["answers"] = good_answers()
    elif isinstance(body.get("answers"), dict):
        body["answers"] = {**good_answers(), **body["answers"]}
    if body.get("day") == "TOMORROW":
        body["day"] = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    return body


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_it_answers_hostile_input_as_the_django_endpoint_does(
    cast: Cast, ingest_service: Any, language: str
) -> None:
    employee = employee_of(cast)
    secret = secret_of(cast)
    django = Client(headers={"authorization": f"Bearer {secret}"})
    for name, template in HOSTILE:
        body = _materialise(template, employee.pk)
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        expected = django.post(
            PATH, data=content, content_type="application/json", headers={
                "accept-language": language
            },
        )  # fmt: skip
        got = send(ingest_service, content, secret, **{"accept-language": language})
        assert got.status_code == expected.status_code, (name, got.content, expected.content)
        assert got.json() == expected.json(), name
        assert got.status_code in {400, 404, 422}, name
        assert got.headers["content-language"] == language
    assert not CheckIn.objects.exists()
    assert not DailyRollup.objects.filter(submitted__gt=0).exists()


def test_it_refuses_what_the_django_endpoint_refuses_before_reading(
    cast: Cast, ingest_service: Any, settings: Any
) -> None:
    employee = employee_of(cast)
    secret = secret_of(cast)
    body = {"employee": employee.pk, "answers": good_answers()}
    too_long = send(ingest_service, body, secret, **{"Idempotency-Key": "k" * 101})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["code"] == "bad_idempotency_key"
    blank = send(ingest_service, body, secret, **{"Idempotency-Key": "  "})
    assert blank.status_code == 400
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = {**body, "answers": {**good_answers(), "remarks": "x" * 2000}}
    assert send(ingest_service, big, secret).json()["error"]["code"] == "too_large"
    assert ingest_service.get(PATH).status_code == 405
    forged_host = ingest_service.post(
        PATH, json=body, headers={"host": "evil.example", "authorization": f"Bearer {secret}"}
    )
    assert forged_host.status_code == 400
    assert not CheckIn.objects.exists()


def test_it_refuses_an_employee_who_has_left(cast: Cast, ingest_service: Any) -> None:
    employee = employee_of(cast)
    employee.status = EmploymentStatus.LEFT
    employee.save(update_fields=["status"])
    response = send(
        ingest_service, {"employee": employee.pk, "answers": good_answers()}, secret_of(cast)
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "left"
    assert not CheckIn.objects.exists()


def test_it_asks_travel_questions_only_with_travel_consent(cast: Cast, ingest_service: Any) -> None:
    employee = employee_of(cast, consent="health")
    secret = secret_of(cast)
    refused = send(ingest_service, {"employee": employee.pk, "answers": good_answers()}, secret)
    assert refused.status_code == 422
    assert "consent" in refused.json()["error"]["fields"]["travel"][0]
    answers = good_answers(travel=None, contact=None, location=None)
    accepted = send(ingest_service, {"employee": employee.pk, "answers": answers}, secret)
    assert accepted.status_code == 201, accepted.content
    assert "travel" not in CheckIn.objects.get().answers


def test_it_takes_yesterday_and_alerts_the_officers_once(cast: Cast, ingest_service: Any) -> None:
    employee = employee_of(cast)
    secret = secret_of(cast)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    late = send(
        ingest_service,
        {"employee": employee.pk, "day": yesterday, "answers": good_answers()},
        secret,
    )
    assert (late.status_code, late.json()["day"]) == (201, yesterday)
    fever = {"employee": employee.pk, "answers": good_answers(temperature="38.6")}
    first = send(ingest_service, fever, secret)
    assert (first.status_code, first.json()["status"]) == (201, "abnormal")
    assert "Do not work today" in first.json()["next_steps"][0]
    key = f"health:abnormal:{first.json()['id']}:1"
    deliveries = Delivery.objects.filter(key=key)
    assert set(deliveries.values_list("user", flat=True)) == {cast.enterprise_admin.pk}
    # The same answers again (a retry without Idempotency-Key): nothing written or sent.
    again = send(ingest_service, fever, secret)
    assert (again.status_code, again.json()["revision"], again.json()["created"]) == (
        200,
        1,
        False,
    )
    assert Delivery.objects.filter(key__startswith="health:abnormal:").count() == len(deliveries)
    assert CheckInRevision.objects.filter(checkin_id=first.json()["id"]).count() == 1
    rollup = DailyRollup.objects.get(enterprise=cast.enterprise, day=timezone.localdate())
    assert (rollup.submitted, rollup.abnormal) == (1, 1)


def test_it_never_makes_two_rows_for_concurrent_submissions(cast: Cast) -> None:
    employee = employee_of(cast)
    secret = secret_of(cast)
    temperatures = [f"36.{n}" for n in range(1, 9)] + ["36.1"] * 8
    app = create_app(pool_size=8)
    ingest: Ingest = app.state.ingest

    async def burst() -> list[httpx.Response]:
        await ingest.start()
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await asyncio.gather(
                    *(
                        c.post(
                            PATH,
                            json={
                                "employee": employee.pk,
                                "answers": good_answers(temperature=t),
                            },
                            headers={"authorization": f"Bearer {secret}"},
                        )
                        for t in temperatures
                    )
                )
        finally:
            await ingest.stop()

    # In a thread of its own: a browser test earlier in this process may have left an
    # event loop running in the main thread.
    results: list[list[httpx.Response]] = []
    runner = threading.Thread(target=lambda: results.append(asyncio.run(burst())))
    runner.start()
    runner.join(timeout=60)
    responses = results[0]
    # 429 once the employee's check-in was written RATE_LIMIT times this minute.
    assert {r.status_code for r in responses} <= {200, 201, 429}
    assert sum(r.status_code == 201 for r in responses) == 1
    responses = [r for r in responses if r.status_code != 429]
    checkin = CheckIn.objects.get()
    revisions = CheckInRevision.objects.filter(checkin=checkin)
    assert checkin.revision == revisions.count() == max(r.json()["revision"] for r in responses)
    assert sorted(revisions.values_list("number", flat=True)) == list(
        range(1, checkin.revision + 1)
    )
    rollup = DailyRollup.objects.get(enterprise=cast.enterprise, day=checkin.day)
    assert (rollup.submitted, rollup.normal) == (1, 1)
    assert not RollupDelta.objects.exists()


@pytest.fixture
def rollup_held(cast: Cast) -> Iterator[psycopg.Connection[Any]]:
    """Another transaction holding the enterprise's rollup row for today."""
    rollup_rebuild(day=timezone.localdate(), enterprise_ids=[cast.enterprise.pk])
    conn = psycopg.connect(Ingest.django_conninfo())
    conn.execute(
        "SELECT id FROM health_dailyrollup WHERE enterprise_id = %s AND day = %s FOR UPDATE",
        [cast.enterprise.pk, timezone.localdate()],
    )
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def test_it_does_not_wait_for_a_held_rollup_row_and_folds_it_later(
    cast: Cast, ingest_service: Any, rollup_held: psycopg.Connection[Any]
) -> None:
    employee = employee_of(cast)
    secret = secret_of(cast)
    answered: list[httpx.Response] = []
    body = {"employee": employee.pk, "answers": good_answers(temperature="38.0")}
    thread = threading.Thread(target=lambda: answered.append(send(ingest_service, body, secret)))
    thread.start()
    thread.join(timeout=20)
    assert answered, "the check-in waited for the rollup row"
    assert answered[0].status_code == 201
    delta = RollupDelta.objects.get()
    assert (delta.submitted, delta.abnormal, delta.normal) == (1, 1, 0)
    rollup = DailyRollup.objects.get(enterprise=cast.enterprise, day=timezone.localdate())
    assert rollup.submitted == 0  # not yet: the row is held
    rollup_held.rollback()  # the other transaction ends; the service folds the delta
    deadline = time.monotonic() + 10
    while RollupDelta.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    rollup.refresh_from_db()
    assert (rollup.submitted, rollup.abnormal) == (1, 1)
    assert not RollupDelta.objects.exists()


def test_it_keeps_the_api_keys_last_use(cast: Cast, ingest_service: Any) -> None:
    employee = employee_of(cast)
    key, secret = api_key_create(
        actor=cast.enterprise_admin, organization=cast.enterprise, name="HR"
    )
    assert key.last_used_at is None
    send(ingest_service, {"employee": employee.pk, "answers": good_answers()}, secret)
    key.refresh_from_db()
    assert key.last_used_at is not None
    used = key.last_used_at
    send(ingest_service, {"employee": 0, "answers": good_answers()}, secret)  # 404
    key.refresh_from_db()
    assert key.last_used_at == used  # refreshed at most once a minute, as in Django


def test_it_is_served_by_gunicorn_with_the_deploy_configuration() -> None:
    """deploy/gunicorn-ingest.conf.py names an app and a worker class that exist."""
    import importlib
    import runpy
    from pathlib import Path

    conf = runpy.run_path(
        str(Path(__file__).resolve().parents[2] / "deploy/gunicorn-ingest.conf.py")
    )
    module, _, attribute = conf["wsgi_app"].partition(":")
    assert callable(getattr(importlib.import_module(module), attribute))
    worker_module, _, worker_class = conf["worker_class"].rpartition(".")
    assert hasattr(importlib.import_module(worker_module), worker_class)
    assert conf["workers"] >= 2


def test_its_statements_stay_short_enough_for_psycopgs_cache() -> None:
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH

    from health.ingest import statements

    for statement in (statements.READ, statements.WRITE_NEW, statements.WRITE_UPDATE):
        assert len(statement) <= MAX_CACHED_STATEMENT_LENGTH


def test_its_fast_path_checks_what_it_assumed(cast: Cast, ingest_service: Any) -> None:
    """After a key's first request the worker knows its enterprise and writes a first
    check-in in one statement; whatever that statement finds otherwise than assumed is
    answered by the slow path, as the Django endpoint would."""
    warm, no_travel, leaver = (employee_of(cast, n) for n in (1, 2, 3))
    no_travel.consents.filter(kind="travel").delete()
    key, secret = api_key_create(
        actor=cast.enterprise_admin, organization=cast.enterprise, name="HR"
    )
    assert (
        send(ingest_service, {"employee": warm.pk, "answers": good_answers()}, secret).status_code
        == 201
    )
    # The answers include travel questions, the employee gave no travel consent.
    guessed = send(ingest_service, {"employee": no_travel.pk, "answers": good_answers()}, secret)
    assert guessed.status_code == 422
    assert "travel" in guessed.json()["error"]["fields"]
    leaver.status = EmploymentStatus.LEFT
    leaver.save(update_fields=["status"])
    left = send(ingest_service, {"employee": leaver.pk, "answers": good_answers()}, secret)
    assert left.json()["error"]["code"] == "left"
    api_key_revoke(actor=cast.enterprise_admin, key=key)
    revoked = send(ingest_service, {"employee": leaver.pk, "answers": good_answers()}, secret)
    assert revoked.status_code == 401
    assert CheckIn.objects.count() == 1
