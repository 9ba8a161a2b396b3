import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from emergencies.models import Emergency
from emergencies.services import rule_publish
from resumption import planning, rules, waves
from resumption.models import WavePlan, WaveQuota
from resumption.tests.helpers import application, employee, from_hubei, in_shenzhen

pytestmark = pytest.mark.django_db


def _caps(cast: Any, districts: dict[str, int]) -> None:
    emergency = Emergency.objects.create(
        name="新冠", kind="epidemic", started_on=dt.date(2020, 1, 23), is_current=True
    )
    rule_publish(
        actor=None,
        scope=cast.federation,
        emergency=emergency,
        key=rules.CAPS_KEY,
        data={"districts": districts},
        effective_from=dt.date(2020, 1, 1),
        source_title="测试",
    )


def _workforce(cast: Any, travellers: int = 6, local: int = 2) -> None:
    today = timezone.localdate()
    for n in range(travellers):
        from_hubei(cast, employee(cast, n), travel_on=today)
    for n in range(travellers, travellers + local):
        in_shenzhen(cast, employee(cast, n))


def test_it_plans_waves_within_the_district_cap(cast):
    _workforce(cast)
    _caps(cast, {"440303": 2})
    application(cast, share=100)
    wave = waves.wave_compute(actor=cast.federation_officer, scope=cast.federation)
    assert wave.people == 8
    assert wave.bound is not None
    assert wave.objective is not None
    assert wave.objective <= wave.bound + 1e-6
    per_day: dict[dt.date, int] = {}
    for q in WaveQuota.objects.filter(wave=wave):
        per_day[q.day] = per_day.get(q.day, 0) + q.arrivals
    assert per_day
    assert max(per_day.values()) <= 2
    # Nobody's name reaches the wave: quotas are counts.
    assert {f.name for f in WaveQuota._meta.get_fields()} >= {"arrivals", "starts"}


def test_it_reports_a_cap_of_zero_as_a_conflict(cast):
    _workforce(cast, travellers=3, local=0)
    _caps(cast, {"440303": 0})
    application(cast, share=100)
    wave = waves.wave_compute(actor=cast.federation_officer, scope=cast.federation)
    assert wave.scheduled == 0
    assert wave.conflicts
    page = cast.client(cast.federation_officer).get(reverse("resumption:waves"))
    assert page.status_code == 200
    assert "员工" not in page.content.decode()


def test_it_makes_the_enterprise_plan_respect_the_published_quota(cast):
    _workforce(cast, travellers=4, local=0)
    _caps(cast, {"440303": 1})
    app = application(cast, share=100)
    wave = waves.wave_compute(actor=cast.federation_officer, scope=cast.federation)
    waves.wave_publish(actor=cast.federation_officer, wave=wave)
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    arrivals: dict[dt.date, int] = {}
    for a in plan.assignments.exclude(arrival_on=None):
        assert a.arrival_on is not None
        arrivals[a.arrival_on] = arrivals.get(a.arrival_on, 0) + 1
    assert arrivals
    assert max(arrivals.values()) <= 1


def test_it_refuses_an_empty_wave_and_an_enterprise_scope(cast):
    with pytest.raises(ValidationError):
        waves.wave_compute(actor=cast.federation_officer, scope=cast.federation)
    with pytest.raises(ValidationError):
        waves.wave_compute(actor=cast.enterprise_admin, scope=cast.enterprise)


def test_it_lets_an_association_plan_its_members_only(cast):
    _workforce(cast, travellers=2, local=1)
    application(cast)
    wave = waves.wave_compute(actor=cast.association_officer, scope=cast.association)
    assert wave.people == 3
    with pytest.raises(ValidationError):
        waves.wave_compute(actor=cast.other_admin, scope=cast.other_association)
    other = cast.client(cast.other_admin)
    assert other.get(reverse("resumption:waves")).status_code == 404
    # The other association cannot publish this one.
    from accounts.models import RoleGrant
    from conftest import make_user

    user = make_user("13800000009", "美容协会")
    RoleGrant.objects.create(user=user, organization=cast.other_association, role="admin")
    response = cast.client(user).post(reverse("resumption:wave_publish", kwargs={"pk": wave.pk}))
    assert response.status_code == 404
    assert WavePlan.objects.get(pk=wave.pk).status == "draft"
