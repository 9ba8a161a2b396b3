import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notify.models import Delivery
from resumption import planning
from resumption.models import Assignment
from resumption.tests.helpers import application, approve, employee, from_hubei, in_shenzhen

pytestmark = pytest.mark.django_db


def test_it_plans_within_capacity_and_quarantine(cast):
    # 120 m² hotel site at 6 m²/person and 50 % → 10 a shift, two shifts.
    people = [employee(cast, n) for n in range(25)]
    for p in people[:20]:
        in_shenzhen(cast, p)
    today = timezone.localdate()
    for p in people[20:]:
        from_hubei(cast, p, travel_on=today)
    app = application(cast, share=50)
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    rows = list(plan.assignments.all())
    assert len(rows) == 25
    per_shift: dict[int, int] = {}
    for a in rows:
        if a.first_day is not None and a.shift is not None:
            per_shift[a.shift] = per_shift.get(a.shift, 0) + 1
    assert all(n <= 10 for n in per_shift.values())
    travellers = [a for a in rows if a.employee_id in {p.pk for p in people[20:]}]
    for a in travellers:
        if a.first_day is not None:
            assert a.first_day >= today + dt.timedelta(days=14)
    assert plan.bound is not None
    assert plan.objective is not None
    assert plan.objective <= plan.bound


def test_it_lists_the_undeclared_as_unscheduled(cast):
    p = employee(cast, 1)
    app = application(cast)
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    a = plan.assignments.get(employee=p)
    assert a.first_day is None
    assert a.reason == planning.NO_DECLARATION


def test_it_refuses_a_pin_before_quarantine_ends(cast):
    p = employee(cast, 1)
    from_hubei(cast, p, travel_on=timezone.localdate())
    app = application(cast)
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    a = plan.assignments.get(employee=p)
    with pytest.raises(ValidationError) as exc:
        planning.assignment_pin(
            actor=cast.enterprise_admin, assignment=a, first_day=timezone.localdate(), shift=0
        )
    assert "quarantine" in " ".join(exc.value.messages)
    a.refresh_from_db()
    assert not a.pinned


def test_it_refuses_a_pin_over_capacity(cast):
    # 120 m² at 6 m²/person and 5 % → floor(1.0) = 1 a shift.
    people = [employee(cast, n) for n in range(3)]
    for p in people:
        in_shenzhen(cast, p)
    app = application(cast, share=5)
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    started = plan.assignments.filter(first_day__isnull=False, shift=0).first()
    assert started is not None
    assert started.first_day is not None
    planning.assignment_pin(
        actor=cast.enterprise_admin, assignment=started, first_day=started.first_day, shift=0
    )
    other = plan.assignments.exclude(pk=started.pk).first()
    assert other is not None
    first_phase = app.phases.first()
    assert first_phase is not None
    # Pins come first: a second pin on the full shift is refused, the first one stays.
    with pytest.raises(ValidationError) as exc:
        planning.assignment_pin(
            actor=cast.enterprise_admin,
            assignment=other,
            first_day=first_phase.starts_on,
            shift=0,
        )
    assert "full" in " ".join(exc.value.messages)


def test_it_pins_and_replans_the_rest(cast):
    people = [employee(cast, n) for n in range(3)]
    for p in people:
        in_shenzhen(cast, p)
    app = application(cast, share=50)
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    a = plan.assignments.get(employee=people[0])
    first_phase = app.phases.first()
    assert first_phase is not None
    day = first_phase.starts_on + dt.timedelta(days=3)
    planning.assignment_pin(actor=cast.enterprise_admin, assignment=a, first_day=day, shift=1)
    a.refresh_from_db()
    assert a.pinned
    assert a.first_day == day
    assert a.shift == 1


def test_it_tells_only_those_whose_date_changed(cast):
    people = [employee(cast, n) for n in range(3)]
    for p in people:
        in_shenzhen(cast, p)
    app = approve(cast, application(cast, share=50))
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    assert planning.plan_publish(actor=cast.enterprise_admin, plan=plan) == 3
    sms = Delivery.objects.filter(key__startswith="resumption:plan:").count()
    assert sms == 3
    a = plan.assignments.get(employee=people[0])
    assert a.first_day is not None
    assert a.shift is not None
    planning.assignment_pin(
        actor=cast.enterprise_admin,
        assignment=a,
        first_day=a.first_day + dt.timedelta(days=2),
        shift=a.shift,
    )
    plan.refresh_from_db()
    assert planning.plan_publish(actor=cast.enterprise_admin, plan=plan) == 1
    assert Delivery.objects.filter(key__startswith="resumption:plan:").count() == sms + 1


def test_it_refuses_to_publish_before_approval(cast):
    in_shenzhen(cast, employee(cast, 1))
    app = application(cast)
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    with pytest.raises(ValidationError):
        planning.plan_publish(actor=cast.enterprise_admin, plan=plan)


def test_it_clears_nobody_before_their_first_working_day(cast):
    p = employee(cast, 1)
    from_hubei(cast, p, travel_on=timezone.localdate())
    app = approve(cast, application(cast))
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    planning.plan_publish(actor=cast.enterprise_admin, plan=plan)
    a = Assignment.objects.get(employee=p)
    assert a.first_day is not None
    cleared, reason = planning.return_status(p, on=a.first_day - dt.timedelta(days=1))
    assert not cleared
    assert a.first_day.isoformat() in reason
    assert planning.return_status(p, on=a.first_day) == (True, "")
    assert planning.return_status(employee(cast, 2)) == (True, "")


def test_it_reports_quarantine_after_the_horizon(cast):
    p = employee(cast, 1)
    from_hubei(cast, p, travel_on=timezone.localdate() + dt.timedelta(days=25))
    app = application(cast)
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    a = plan.assignments.get(employee=p)
    assert a.first_day is None
    assert a.reason == "quarantine_after_horizon"
    assert "after the plan's last day" in planning.reason_text(a.reason)


def test_it_keeps_isolation_rooms_within_limit(cast):
    people = [employee(cast, n) for n in range(3)]
    for p in people:
        from_hubei(cast, p, travel_on=timezone.localdate(), isolation=True)
    app = application(cast, rooms=1)
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    rows = [a for a in plan.assignments.all() if a.arrival_on]
    for d in range(30):
        day = timezone.localdate() + dt.timedelta(days=d)
        in_room = sum(
            1 for a in rows if a.arrival_on and a.first_day and a.arrival_on <= day < a.first_day
        )
        assert in_room <= 1


def test_it_waits_for_the_end_of_an_observation(cast):
    from health.models import Observation

    p = employee(cast, 1)
    in_shenzhen(cast, p)
    today = timezone.localdate()
    Observation.objects.create(
        employee=p,
        enterprise=cast.enterprise,
        kind=Observation.Kind.HOME_ISOLATION,
        reason=Observation.Reason.CONTACT,
        starts_on=today - dt.timedelta(days=3),
        planned_end_on=today + dt.timedelta(days=4),
    )
    app = application(cast)
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    a = plan.assignments.get(employee=p)
    assert a.first_day == today + dt.timedelta(days=5)


def test_it_refuses_to_plan_phases_without_a_site(cast):
    in_shenzhen(cast, employee(cast, 1))
    app = application(cast)
    for phase in app.phases.all():
        phase.sites.clear()
    with pytest.raises(ValidationError, match="no site"):
        planning.plan_compute(actor=cast.enterprise_admin, application=app)


def test_it_lays_the_calendar_out_in_weeks():
    start = dt.date(2020, 2, 12)  # a Wednesday
    days = [{"day": start + dt.timedelta(days=n), "starts": 0, "arrivals": 0} for n in range(10)]
    weeks = planning.calendar_weeks(days)
    assert [len(w) for w in weeks] == [7, 7]
    assert weeks[0][:2] == [None, None]
    assert weeks[0][2] is not None
    assert weeks[0][2]["day"] == start
    assert weeks[1][-1] is None
