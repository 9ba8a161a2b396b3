"""Isolation and observation: the end from the rule table, explicit logged releases,
extensions, and check-ins that go on meanwhile."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from conftest import Cast
from emergencies.models import Emergency
from emergencies.services import rule_publish
from health.models import DailyRollup, Observation
from health.observations import (
    ObservationInput,
    observation_create,
    observation_extend,
    observation_release,
)
from health.rules_observation import KEY, ObservationRules, planned_end
from health.services import checkin_submit, clearance_for
from health.tests.checkin_helpers import _fresh_cache, employee_of, good_answers  # noqa: F401
from orgs.models import Division


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


def arrival(
    today: dt.date, *, origin: str = "420100", days_ago: int = 2, **changes: Any
) -> ObservationInput:
    data: dict[str, Any] = {
        "kind": "home_isolation",
        "reason": "arrival",
        "starts_on": today - dt.timedelta(days=days_ago - 1),
        "origin": Division.objects.get(code=origin),
        "arrived_on": today - dt.timedelta(days=days_ago),
        "place": "宿舍 302",
    }
    data.update(changes)
    return ObservationInput(**data)


def publish(cast: Cast, rules: dict[str, Any], effective_from: dt.date) -> Any:
    emergency = Emergency.objects.filter(is_current=True).first() or Emergency.objects.create(
        name="演练", kind="epidemic", started_on=dt.date(2020, 1, 23), is_current=True
    )
    return rule_publish(
        actor=cast.federation_officer,
        scope=cast.federation,
        emergency=emergency,
        key=KEY,
        data=rules,
        effective_from=effective_from,
        source_title="深圳市疫情防控指挥部通告（测试）",
    )


def test_it_ends_14_days_after_arrival_from_a_high_risk_region_by_default(
    cast: Cast, today: Any
) -> None:
    employee = employee_of(cast)
    data = arrival(today)  # Wuhan: a city of Hubei, listed as high-risk by the default table
    observation = observation_create(actor=cast.enterprise_admin, employee=employee, data=data)
    assert data.arrived_on is not None
    assert observation.planned_end_on == data.arrived_on + dt.timedelta(days=14)
    assert observation.rule_version is None
    assert "14 days after arrival on" in observation.computed_from
    assert "high-risk" in observation.computed_from
    assert "built-in default rules" in observation.computed_from
    # A low-risk origin gets the shorter line of the table; a contact counts from the start.
    other = employee_of(cast, 2)
    low = observation_create(
        actor=cast.enterprise_admin, employee=other, data=arrival(today, origin="440300")
    )
    assert low.planned_end_on == today - dt.timedelta(days=2) + dt.timedelta(days=7)
    third = employee_of(cast, 3)
    contact = observation_create(
        actor=cast.enterprise_admin,
        employee=third,
        data=ObservationInput(kind="medical_observation", reason="contact", starts_on=today),
    )
    assert contact.planned_end_on == today + dt.timedelta(days=14)
    assert "from the start on" in contact.computed_from


def test_it_follows_a_published_rule_from_its_effective_date(cast: Cast, today: Any) -> None:
    rules = {
        "rules": [
            {
                "reason": "arrival",
                "risk": "high",
                "kind": "central_isolation",
                "days": 7,
                "counted_from": "arrival",
            },
            {"reason": "arrival", "risk": "high", "days": 10, "counted_from": "arrival"},
            {"days": 5},
        ],
        "regions": {"420100": "high"},
    }
    version = publish(cast, rules, effective_from=today - dt.timedelta(days=1))
    first = employee_of(cast)
    observation = observation_create(
        actor=cast.enterprise_admin, employee=first, data=arrival(today)
    )
    assert observation.rule_version == version
    assert observation.planned_end_on == today - dt.timedelta(days=2) + dt.timedelta(days=10)
    assert f"v{version.version}" in observation.computed_from
    assert "深圳市疫情防控指挥部通告" in observation.computed_from
    # The kind matters when the table says so.
    second = employee_of(cast, 2)
    central = observation_create(
        actor=cast.enterprise_admin,
        employee=second,
        data=arrival(today, kind="central_isolation"),
    )
    assert central.planned_end_on == today - dt.timedelta(days=2) + dt.timedelta(days=7)
    # An observation that started before the version took effect follows the earlier rules.
    third = employee_of(cast, 3)
    earlier = observation_create(
        actor=cast.enterprise_admin, employee=third, data=arrival(today, days_ago=5)
    )
    assert earlier.rule_version is None
    assert earlier.planned_end_on == today - dt.timedelta(days=5) + dt.timedelta(days=14)
    # A newer version changes new observations only.
    newer = publish(cast, {**rules, "rules": [{"days": 3}]}, effective_from=today)
    fourth = employee_of(cast, 4)
    latest = observation_create(
        actor=cast.enterprise_admin,
        employee=fourth,
        data=ObservationInput(kind="self_monitoring", reason="other", starts_on=today),
    )
    assert latest.rule_version == newer
    assert latest.planned_end_on == today + dt.timedelta(days=3)
    observation.refresh_from_db()
    assert observation.planned_end_on == today - dt.timedelta(days=2) + dt.timedelta(days=10)


def test_it_refuses_a_table_without_a_catch_all_line(cast: Cast, today: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        publish(cast, {"rules": [{"reason": "arrival", "days": 14}]}, effective_from=today)
    assert "catch" in str(caught.value) or "every case" in str(caught.value)
    assert ObservationRules.model_validate({"rules": [{"days": 14}]}).rules[0].days == 14


def test_it_finds_the_risk_of_a_county_through_its_province(cast: Cast, today: Any) -> None:
    county = Division.objects.filter(level="county", parent__parent_id="420000").first()
    assert county is not None
    end = planned_end(
        kind="home_isolation",
        reason="arrival",
        starts_on=today,
        arrived_on=today,
        origin=county,
    )
    assert (end.risk, end.days) == ("high", 14)


def test_it_checks_what_the_officer_enters(cast: Cast, today: Any) -> None:
    employee = employee_of(cast)
    cases = [
        (
            ObservationInput(kind="x", reason="arrival", starts_on=today),
            {"kind", "origin", "arrived_on"},
        ),
        (arrival(today, arrived_on=today + dt.timedelta(days=1)), {"arrived_on"}),
        (arrival(today, starts_on=today + dt.timedelta(days=60)), {"starts_on"}),
        (arrival(today, arrived_on=today, starts_on=today - dt.timedelta(days=1)), {"arrived_on"}),
        # Arrived long ago: the 14 days after arrival are over, no observation is needed.
        (arrival(today, days_ago=40, starts_on=today), {"arrived_on"}),
    ]
    for data, fields in cases:
        with pytest.raises(ValidationError) as caught:
            observation_create(actor=cast.enterprise_admin, employee=employee, data=data)
        assert set(caught.value.message_dict) == fields, data
    assert not Observation.objects.exists()


def test_it_keeps_one_running_observation_per_employee(cast: Cast, today: Any) -> None:
    employee = employee_of(cast)
    observation_create(actor=cast.enterprise_admin, employee=employee, data=arrival(today))
    with pytest.raises(ValidationError, match="already in isolation"):
        observation_create(actor=cast.enterprise_admin, employee=employee, data=arrival(today))


def test_it_releases_explicitly_and_logs_it(cast: Cast, today: Any) -> None:
    employee = employee_of(cast)
    observation = observation_create(
        actor=cast.enterprise_admin, employee=employee, data=arrival(today)
    )
    assert DailyRollup.objects.get(enterprise=cast.enterprise, day=today).in_observation == 1
    with pytest.raises(ValidationError) as caught:  # early: a reason is required
        observation_release(
            actor=cast.enterprise_admin,
            observation=observation,
            released_on=today,
            note="",
            version=1,
        )
    assert "note" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        observation_release(
            actor=cast.enterprise_admin,
            observation=observation,
            released_on=today + dt.timedelta(days=1),
            note="x",
            version=1,
        )
    assert "released_on" in caught.value.message_dict
    released = observation_release(
        actor=cast.enterprise_admin,
        observation=observation,
        released_on=today,
        note="核酸检测阴性，社区解除",
        version=1,
    )
    assert (released.released_on, released.released_by, released.version) == (
        today,
        cast.enterprise_admin,
        2,
    )
    event = AuditEvent.objects.get(action="observation.release")
    assert event.scope == cast.enterprise
    assert event.changes["early"] is True
    assert "核酸" not in str(event.changes)  # the note stays on the record, not in the log
    assert DailyRollup.objects.get(enterprise=cast.enterprise, day=today).in_observation == 0
    with pytest.raises(ValidationError, match="already been released"):
        observation_release(
            actor=cast.enterprise_admin,
            observation=observation,
            released_on=today,
            note="x",
            version=2,
        )
    # A stale form (someone released or extended in between) is refused.
    again = observation_create(actor=cast.enterprise_admin, employee=employee, data=arrival(today))
    with pytest.raises(ValidationError) as stale:
        observation_release(
            actor=cast.enterprise_admin, observation=again, released_on=today, note="x", version=9
        )
    assert stale.value.code == "stale"


def test_it_extends_with_a_reason(cast: Cast, today: Any) -> None:
    employee = employee_of(cast)
    observation = observation_create(
        actor=cast.enterprise_admin, employee=employee, data=arrival(today)
    )
    end = observation.planned_end_on
    with pytest.raises(ValidationError) as caught:
        observation_extend(
            actor=cast.enterprise_admin,
            observation=observation,
            planned_end_on=end,
            note="",
            version=1,
        )
    assert set(caught.value.message_dict) == {"planned_end_on", "note"}
    extended = observation_extend(
        actor=cast.enterprise_admin,
        observation=observation,
        planned_end_on=end + dt.timedelta(days=7),
        note="复查发热",
        version=1,
    )
    assert extended.planned_end_on == end + dt.timedelta(days=7)
    assert extended.computed_from.startswith("Extended from")
    assert AuditEvent.objects.filter(action="observation.extend").count() == 1


def test_it_lets_check_ins_go_on_during_an_observation(cast: Cast, today: Any) -> None:
    employee = employee_of(cast)
    observation_create(actor=cast.enterprise_admin, employee=employee, data=arrival(today))
    result = checkin_submit(
        employee=employee,
        answers=good_answers(isolation="home_isolation"),
        via="self",
        actor=None,
    )
    assert result.created
    rollup = DailyRollup.objects.get(enterprise=cast.enterprise, day=today)
    assert (rollup.submitted, rollup.abnormal, rollup.in_observation) == (1, 1, 1)
    assert not clearance_for(employee=employee, on=today).cleared
