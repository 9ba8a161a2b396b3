"""checkin_submit and friends: one row a day, history, rules, consent, quick path, alerts."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from audit.models import AuditEvent
from conftest import Cast
from emergencies.models import Emergency
from emergencies.services import rule_publish
from health.models import CheckIn, CheckInRevision, CheckInSettings, DailyRollup, Observation, Via
from health.rules import FORM_KEY, default_checkin_form
from health.services import (
    NOTICE_VERSION,
    RATE_LIMIT,
    checkin_alert,
    checkin_patterns,
    checkin_quick_offer,
    checkin_submit,
    checkin_throttled,
    clearance_check,
    clearance_for,
    consent_give,
    consent_state,
    consent_states,
    consent_withdraw,
    full_form_today,
)
from health.tests.checkin_helpers import _fresh_cache, at, employee_of, good_answers  # noqa: F401
from notify.models import Delivery
from workforce.models import EmploymentStatus

TODAY = dt.date(2026, 3, 2)
NOW = at(TODAY, 9)


def submit(employee: Any, answers: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    kwargs.setdefault("via", Via.SELF)
    kwargs.setdefault("actor", None)
    kwargs.setdefault("now", NOW)
    return checkin_submit(employee=employee, answers=answers or good_answers(), **kwargs)


def messages_of(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict


@pytest.mark.django_db
def test_it_records_one_row_per_day_and_keeps_the_history(cast: Cast) -> None:
    employee = employee_of(cast)
    first = submit(employee)
    assert first.created
    assert first.status == "normal"
    assert first.reasons == []
    second = submit(employee, good_answers(temperature="37,1"), now=at(TODAY, 12))
    assert not second.created
    assert second.checkin.pk == first.checkin.pk
    assert second.status == "attention"
    assert second.reasons == ["Today's temperature (°C): 37.1 °C"]
    assert CheckIn.objects.filter(employee=employee).count() == 1
    row = CheckIn.objects.get(employee=employee)
    assert row.revision == 2
    assert row.temperature == Decimal("37.1")
    assert row.day == TODAY
    assert row.enterprise == cast.enterprise
    assert row.site == cast.site
    history = list(CheckInRevision.objects.filter(checkin=row).values_list("number", "status"))
    assert history == [(1, "normal"), (2, "attention")]
    rollup = DailyRollup.objects.get(enterprise=cast.enterprise, day=TODAY)
    assert (rollup.submitted, rollup.normal, rollup.attention) == (1, 0, 1)
    events = AuditEvent.objects.filter(action="health.checkin_submit")
    assert events.count() == 2
    assert "37" not in str(list(events.values_list("changes", flat=True)))


@pytest.mark.django_db
def test_it_ignores_a_double_tap(cast: Cast) -> None:
    employee = employee_of(cast)
    submit(employee)
    again = submit(employee, now=at(TODAY, 9, 1))
    assert not again.created
    assert CheckInRevision.objects.count() == 1
    assert CheckIn.objects.get().revision == 1


@pytest.mark.django_db
def test_it_refuses_a_future_day(cast: Cast) -> None:
    employee = employee_of(cast)
    for via in (Via.SELF, Via.MANAGER):
        with pytest.raises(ValidationError) as caught:
            submit(employee, via=via, actor=cast.enterprise_admin, day=TODAY + dt.timedelta(1))
        assert "has not begun" in messages_of(caught.value)["day"][0]
    assert not CheckIn.objects.exists()


@pytest.mark.django_db
def test_it_takes_yesterdays_form_until_two_and_then_refuses_it(cast: Cast) -> None:
    employee = employee_of(cast)
    yesterday = TODAY - dt.timedelta(days=1)
    late = submit(employee, day=yesterday, now=at(TODAY, 1, 59))
    assert late.checkin.day == yesterday
    with pytest.raises(ValidationError) as caught:
        submit(employee, day=yesterday, now=at(TODAY, 2, 0))
    assert caught.value.error_dict["day"][0].code == "day_closed"
    assert (
        "closed at 02:00. Please fill in today's check-in." in messages_of(caught.value)["day"][0]
    )
    with pytest.raises(ValidationError):
        submit(employee, day=yesterday - dt.timedelta(1), now=at(TODAY, 0, 30))
    # A manager may record a past day on the employee's behalf.
    past = submit(
        employee,
        day=yesterday - dt.timedelta(1),
        via=Via.MANAGER,
        actor=cast.enterprise_admin,
        now=at(TODAY, 10),
    )
    assert past.checkin.via == "manager"
    assert past.checkin.recorded_by == cast.enterprise_admin


@pytest.mark.django_db
def test_it_refuses_someone_who_left(cast: Cast) -> None:
    employee = employee_of(cast)
    employee.status = EmploymentStatus.LEFT
    employee.save()
    with pytest.raises(ValidationError) as caught:
        submit(employee)
    assert caught.value.code == "left"


@pytest.mark.django_db
def test_it_needs_health_consent_from_the_employee_but_not_from_a_manager(cast: Cast) -> None:
    employee = employee_of(cast, consent="")
    with pytest.raises(ValidationError) as caught:
        submit(employee)
    assert caught.value.code == "no_consent"
    answers = good_answers(location=None, travel=None, contact=None)
    result = submit(employee, answers, via=Via.MANAGER, actor=cast.enterprise_admin)
    assert result.checkin.via == "manager"
    assert result.checkin.recorded_by == cast.enterprise_admin


@pytest.mark.django_db
def test_it_asks_no_travel_questions_without_travel_consent(cast: Cast) -> None:
    employee = employee_of(cast, consent="health")
    with pytest.raises(ValidationError) as caught:
        submit(employee)
    errors = messages_of(caught.value)
    assert set(errors) == {"location", "travel", "contact"}
    assert "without consent to travel data" in errors["travel"][0]
    result = submit(employee, good_answers(location=None, travel=None, contact=None))
    assert set(result.checkin.answers) == {
        "temperature",
        "symptoms",
        "health_status",
        "isolation",
        "health_code",
        "pledge",
    }


@pytest.mark.django_db
def test_it_reports_every_bad_answer_at_once(cast: Cast) -> None:
    employee = employee_of(cast)
    answers = good_answers(
        temperature="98.6",
        symptoms=["none", "fever"],
        health_status="great",
        location={"district": "110101"},
        travel=None,
        pledge=False,
        remarks="x" * 501,
        shoe_size="42",
    )
    with pytest.raises(ValidationError) as caught:
        submit(employee, answers)
    errors = messages_of(caught.value)
    assert set(errors) == {
        "temperature",
        "symptoms",
        "health_status",
        "location",
        "travel",
        "pledge",
        "remarks",
        "shoe_size",
    }
    assert "Did you mean 37.0 °C" in errors["temperature"][0]
    assert "cannot be combined" in errors["symptoms"][0]
    assert errors["travel"] == ["Answer this question."]
    assert errors["pledge"] == ["Tick this box to confirm."]
    assert not CheckIn.objects.exists()


@pytest.mark.django_db
def test_it_refuses_answers_of_the_wrong_shape(cast: Cast) -> None:
    employee = employee_of(cast)
    answers = good_answers(
        temperature={"value": 36.5},
        symptoms=[{"code": "none"}],
        health_status=["healthy"],
        location={"district": ["440303"]},
        isolation=7,
        health_code=None,
        remarks=["x"],
        pledge=[True],
    )
    answers["health_code"] = "green\x00"
    with pytest.raises(ValidationError) as caught:
        submit(employee, answers)
    assert set(messages_of(caught.value)) == {
        "temperature",
        "symptoms",
        "health_status",
        "location",
        "isolation",
        "health_code",
        "remarks",
        "pledge",
    }
    result = submit(employee, good_answers(temperature=36.5, remarks="ok\x00\x07 fine"))
    assert result.checkin.answers["temperature"] == "36.5"
    assert result.checkin.answers["remarks"] == "ok fine"


@pytest.mark.django_db
def test_it_takes_places_in_and_outside_shenzhen(cast: Cast) -> None:
    employee = employee_of(cast)
    result = submit(employee, good_answers(location={"province": "420000", "city": "武汉市"}))
    assert result.checkin.answers["location"] == {"province": "420000", "city": "武汉市"}
    for bad in ({"province": "440303"}, {"district": "outside"}, {"city": "武汉"}, "x", ["440303"]):
        with pytest.raises(ValidationError) as caught:
            submit(employee, good_answers(location=bad), now=at(TODAY, 10))
        assert "location" in messages_of(caught.value)


@pytest.mark.django_db
def test_it_copies_a_normal_yesterday_with_one_tap(cast: Cast) -> None:
    employee = employee_of(cast)
    yesterday = TODAY - dt.timedelta(days=1)
    assert checkin_quick_offer(employee=employee, on=TODAY).code in {"no_yesterday", "random_full"}
    submit(employee, good_answers(temperature="36.4"), day=yesterday, now=at(yesterday, 9))
    day = _a_quick_day(employee, TODAY)
    offer = checkin_quick_offer(employee=employee, on=day)
    assert offer.available, offer
    result = submit(employee, {}, quick=True, now=at(day, 8), day=day)
    assert result.checkin.quick
    assert result.checkin.answers == CheckIn.objects.get(day=yesterday).answers
    assert result.checkin.temperature == Decimal("36.4")


def _a_quick_day(employee: Any, start: dt.date) -> dt.date:
    """The first day from `start` that is not a random full-form day for the employee."""
    for offset in range(30):
        day = start + dt.timedelta(days=offset)
        if not full_form_today(employee_id=employee.pk, day=day, one_in=7):
            if offset:
                CheckIn.objects.filter(employee=employee).update(day=day - dt.timedelta(days=1))
            return day
    raise AssertionError("no quick day in 30")


@pytest.mark.django_db
def test_it_asks_for_the_full_form_when_yesterday_was_not_normal(cast: Cast) -> None:
    employee = employee_of(cast)
    yesterday = TODAY - dt.timedelta(days=1)
    submit(employee, good_answers(health_code="yellow"), day=yesterday, now=at(yesterday, 9))
    with pytest.raises(ValidationError) as caught:
        submit(employee, {}, quick=True)
    assert caught.value.error_dict["quick"][0].code == "full_form_required"
    assert not CheckIn.objects.filter(day=TODAY).exists()


@pytest.mark.django_db
def test_it_asks_for_the_full_form_when_the_form_changed(cast: Cast) -> None:
    employee = employee_of(cast)
    yesterday = TODAY - dt.timedelta(days=1)
    submit(employee, day=yesterday, now=at(yesterday, 9))
    current = Emergency.objects.create(
        name="演练", kind="epidemic", started_on=dt.date(2026, 1, 1), is_current=True
    )
    rule_publish(
        actor=None,
        scope=None,
        emergency=current,
        key=FORM_KEY,
        data=default_checkin_form(),
        effective_from=TODAY,
        source_title="新版",
    )
    assert checkin_quick_offer(employee=employee, on=TODAY).code in {"form_changed", "random_full"}


def test_it_picks_random_full_form_days_deterministically() -> None:
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(1400)]
    first = [full_form_today(employee_id=7, day=day, one_in=7) for day in days]
    assert first == [full_form_today(employee_id=7, day=day, one_in=7) for day in days]
    assert 120 < sum(first) < 280  # about one day in seven
    assert first != [full_form_today(employee_id=8, day=day, one_in=7) for day in days]
    assert not any(full_form_today(employee_id=7, day=day, one_in=0) for day in days[:50])
    assert all(full_form_today(employee_id=7, day=day, one_in=1) for day in days[:50])


@pytest.mark.django_db
def test_it_requires_the_full_form_on_a_random_day(cast: Cast) -> None:
    employee = employee_of(cast)
    current = Emergency.objects.create(
        name="演练", kind="epidemic", started_on=dt.date(2026, 1, 1), is_current=True
    )
    data = default_checkin_form()
    data["quick"]["full_form_one_in"] = 1
    rule_publish(
        actor=None,
        scope=None,
        emergency=current,
        key=FORM_KEY,
        data=data,
        effective_from=dt.date(2026, 1, 1),
        source_title="每天都填完整表",
    )
    yesterday = TODAY - dt.timedelta(days=1)
    submit(employee, day=yesterday, now=at(yesterday, 9))
    offer = checkin_quick_offer(employee=employee, on=TODAY)
    assert offer.code == "random_full"
    with pytest.raises(ValidationError) as caught:
        submit(employee, {}, quick=True)
    assert "random check" in messages_of(caught.value)["quick"][0]


@pytest.mark.django_db
def test_it_alerts_the_officers_once_per_abnormal_revision(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    employee = employee_of(cast)
    with django_capture_on_commit_callbacks(execute=True):
        submit(employee)
    assert not Delivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        result = submit(employee, good_answers(temperature="38.2"), now=at(TODAY, 10))
    assert result.next_steps
    assert "Do not work today" in result.next_steps[0]
    deliveries = Delivery.objects.filter(key=f"health:abnormal:{result.checkin.pk}:2")
    assert set(deliveries.values_list("user", flat=True)) == {cast.enterprise_admin.pk}
    assert set(deliveries.values_list("channel", flat=True)) == {"inbox", "sms"}
    delivery = deliveries.first()
    assert delivery is not None
    assert "张" not in delivery.subject
    assert "员*" in delivery.subject
    assert "38.2" in delivery.body
    assert "Do not work today" in delivery.body
    # The same alert again sends nothing; a still-abnormal resubmission does not alert.
    assert checkin_alert(checkin_id=result.checkin.pk, revision=2) == 0
    with django_capture_on_commit_callbacks(execute=True):
        submit(employee, good_answers(temperature="38.4"), now=at(TODAY, 11))
    assert Delivery.objects.count() == 2
    # A new abnormal reason alerts again, under the new revision.
    with django_capture_on_commit_callbacks(execute=True):
        fourth = submit(
            employee, good_answers(temperature="38.4", health_code="red"), now=at(TODAY, 12)
        )
    assert Delivery.objects.filter(key=f"health:abnormal:{fourth.checkin.pk}:4").count() == 2


@pytest.mark.django_db
def test_it_alerts_the_named_prevention_officers(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    employee = employee_of(cast)
    settings_row = CheckInSettings.objects.create(enterprise=cast.enterprise)
    settings_row.officers.add(
        cast.enterprise_viewer, cast.other_admin
    )  # B1's admin: no grant at A1
    with django_capture_on_commit_callbacks(execute=True):
        submit(employee, good_answers(symptoms=["fever"]))
    assert set(Delivery.objects.values_list("user", flat=True)) == {cast.enterprise_viewer.pk}


@pytest.mark.django_db
def test_it_manages_consent(cast: Cast) -> None:
    employee = employee_of(cast, consent="")
    assert consent_state(employee=employee) == {"health": False, "travel": False}
    consent_give(employee=employee, kinds={"health"}, notice_version=NOTICE_VERSION)
    consent_give(employee=employee, kinds={"health", "travel"}, notice_version=NOTICE_VERSION)
    assert consent_state(employee=employee) == {"health": True, "travel": True}
    assert employee.consents.count() == 2
    consent_withdraw(employee=employee, kind="travel")
    consent_withdraw(employee=employee, kind="travel")
    assert consent_state(employee=employee) == {"health": True, "travel": False}
    consent_give(employee=employee, kinds={"travel"}, notice_version=NOTICE_VERSION)
    assert employee.consents.filter(kind="travel").count() == 2  # the history is kept
    other = employee_of(cast, 2, consent="")
    assert consent_states(employee_ids=[employee.pk, other.pk]) == {
        employee.pk: {"health": True, "travel": True},
        other.pk: {"health": False, "travel": False},
    }
    for bad in (set(), {"everything"}):
        with pytest.raises(ValidationError):
            consent_give(employee=employee, kinds=bad, notice_version=NOTICE_VERSION)
    with pytest.raises(ValidationError):
        consent_withdraw(employee=employee, kind="everything")
    assert AuditEvent.objects.filter(action="health.consent_withdraw").count() == 1


@pytest.mark.django_db
def test_it_says_why_someone_is_not_cleared(cast: Cast) -> None:
    employee = employee_of(cast, consent="")

    def codes() -> list[str]:
        return [code for code, _text in clearance_for(employee=employee, on=TODAY).reasons]

    assert codes() == ["no_consent", "no_checkin"]
    consent_give(employee=employee, kinds={"health"}, notice_version=NOTICE_VERSION)
    assert codes() == ["no_checkin"]
    submit(employee, good_answers(location=None, travel=None, contact=None))
    clearance = clearance_for(employee=employee, on=TODAY)
    assert clearance.cleared
    assert clearance.reasons == []
    submit(
        employee,
        good_answers(location=None, travel=None, contact=None, temperature="37.1"),
        now=at(TODAY, 10),
    )
    clearance = clearance_for(employee=employee, on=TODAY)
    assert clearance.cleared
    assert clearance.notes
    submit(
        employee,
        good_answers(location=None, travel=None, contact=None, temperature="39"),
        now=at(TODAY, 11),
    )
    assert codes() == ["abnormal"]
    Observation.objects.create(
        employee=employee,
        enterprise=cast.enterprise,
        kind="home_isolation",
        reason="symptoms",
        starts_on=TODAY - dt.timedelta(days=3),
        planned_end_on=TODAY - dt.timedelta(days=1),  # past its planned end, not released
    )
    assert codes() == ["abnormal", "in_observation"]
    Observation.objects.update(released_on=TODAY)
    assert codes() == ["abnormal"]
    employee.status = EmploymentStatus.SUSPENDED
    assert codes()[0] == "not_employed"


@pytest.mark.django_db
def test_it_lets_later_capabilities_add_reasons(cast: Cast) -> None:
    from health import services

    employee = employee_of(cast)
    submit(employee)
    before = list(services.CLEARANCE_CHECKS)
    try:
        clearance_check("training", order=60)(lambda facts: "Training not done.")
        assert clearance_for(employee=employee, on=TODAY).reasons == [
            ("training", "Training not done.")
        ]
    finally:
        services.CLEARANCE_CHECKS[:] = before


@pytest.mark.django_db
def test_it_rate_limits_per_employee(cast: Cast) -> None:
    allowed = [not checkin_throttled(employee_id=1, now=NOW) for _ in range(10_000)]
    assert allowed[:RATE_LIMIT] == [True] * RATE_LIMIT
    assert sum(allowed) == RATE_LIMIT  # 10,000 attempts in a minute: 10 get through
    assert not checkin_throttled(employee_id=2, now=NOW)
    assert not checkin_throttled(employee_id=1, now=NOW + dt.timedelta(minutes=1))


@pytest.mark.django_db
def test_it_flags_identical_and_always_normal_patterns(cast: Cast) -> None:
    employees = [employee_of(cast, n) for n in range(1, 13)]
    start = TODAY - dt.timedelta(days=9)
    for offset in range(10):
        day = start + dt.timedelta(days=offset)
        for index, employee in enumerate(employees):
            submit(
                employee,
                day=day,
                via=Via.MANAGER,
                actor=cast.enterprise_admin,
                now=at(day, 9) + dt.timedelta(seconds=index),
            )
    codes = {flag.code for flag in checkin_patterns(enterprise=cast.enterprise, today=TODAY)}
    assert codes == {"same_temperature", "constant_temperatures", "always_normal"}
    # All of them send identical answers by themselves within seconds (one tap, mostly).
    day = TODAY + dt.timedelta(days=1)
    for index, employee in enumerate(employees):
        quick = not full_form_today(employee_id=employee.pk, day=day, one_in=7)
        submit(
            employee,
            {} if quick else None,
            quick=quick,
            day=day,
            now=at(day, 8) + dt.timedelta(seconds=index),
        )
    flags = {
        f.code: f
        for f in checkin_patterns(enterprise=cast.enterprise, today=TODAY + dt.timedelta(1))
    }
    assert "bulk_identical" in flags
    assert flags["bulk_identical"].count == 12


@pytest.mark.django_db
def test_it_flags_an_enterprise_that_only_taps_same_as_yesterday(cast: Cast) -> None:
    employees = [employee_of(cast, n) for n in range(1, 4)]
    rows = [
        CheckIn(
            employee=employee,
            enterprise=cast.enterprise,
            day=TODAY - dt.timedelta(days=offset),
            status="normal",
            via=Via.SELF,
            quick=offset > 0,
            temperature=Decimal("36.0") + Decimal(offset) / 10,
            answers_digest=f"{employee.pk}-{offset}",
            submitted_at=at(TODAY - dt.timedelta(days=offset), 8 + index),
        )
        for offset in range(10)
        for index, employee in enumerate(employees)
    ]
    CheckIn.objects.bulk_create(rows)
    flags = {f.code: f for f in checkin_patterns(enterprise=cast.enterprise, today=TODAY)}
    assert set(flags) == {"quick_copies"}
    assert flags["quick_copies"].count == 27
    assert "27 of 30" in flags["quick_copies"].detail


@pytest.mark.django_db
def test_it_does_not_flag_varied_check_ins(cast: Cast) -> None:
    employees = [employee_of(cast, n) for n in range(1, 6)]
    temperatures = ["36.1", "36.4", "36.6", "36.8", "37.0", "36.3", "36.5"]
    for offset in range(7):
        day = TODAY - dt.timedelta(days=offset)
        for index, employee in enumerate(employees):
            value = temperatures[(offset + index) % len(temperatures)]
            submit(
                employee,
                good_answers(temperature=value),
                day=day,
                via=Via.MANAGER,
                actor=cast.enterprise_admin,
                now=at(TODAY, 9 + index, offset),
            )
    assert checkin_patterns(enterprise=cast.enterprise, today=TODAY) == []


@pytest.mark.django_db(transaction=True)
def test_it_never_makes_two_rows_under_concurrency(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with one database lock; the race needs PostgreSQL.")
    employee = employee_of(cast)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []
    temperatures = ["36.1", "36.2", "36.3", "36.4", "36.5", "36.6", "36.7", "36.8"]

    def worker(index: int) -> None:
        try:
            barrier.wait()
            checkin_submit(
                employee=employee,
                answers=good_answers(temperature=temperatures[index]),
                via=Via.SELF,
                actor=None,
                now=timezone.now(),
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    row = CheckIn.objects.get(employee=employee)
    assert row.revision == 8
    assert sorted(row.revisions.values_list("number", flat=True)) == list(range(1, 9))
    rollup = DailyRollup.objects.get(enterprise=cast.enterprise, day=row.day)
    assert (rollup.submitted, rollup.normal) == (1, 1)
