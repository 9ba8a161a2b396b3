import pytest
from django.db.models import Count

from resumption.demo import write_resumption
from resumption.models import AttendanceRecord, ResumptionApplication, ReturnDeclaration, ReturnPlan
from resumption.tests.helpers import employee

pytestmark = pytest.mark.django_db


def test_it_writes_applications_plans_and_attendance(cast):
    for n in range(6):
        employee(cast, n, critical=n == 0)
    made = write_resumption(federation=cast.federation, associations=[cast.association], seed=7)
    assert made == 1
    app = ResumptionApplication.objects.get()
    assert app.status == "approved"
    assert ReturnDeclaration.objects.count() == 6
    assert ReturnPlan.objects.filter(published_at__isnull=False).count() == 1
    days = AttendanceRecord.objects.values("day").annotate(n=Count("pk")).count()
    assert days >= 10


def test_it_publishes_a_wave_plan_within_the_caps(cast):
    import datetime as dt

    from emergencies.models import Emergency
    from resumption.models import WavePlan, WaveQuota

    Emergency.objects.create(
        name="新冠", kind="epidemic", started_on=dt.date(2020, 1, 23), is_current=True
    )
    for n in range(12):
        employee(cast, n)
    write_resumption(federation=cast.federation, associations=[cast.association], seed=3)
    wave = WavePlan.objects.get(status="published")
    per_day: dict[tuple[str | None, dt.date], int] = {}
    for q in WaveQuota.objects.filter(wave=wave):
        per_day[(q.district_id, q.day)] = per_day.get((q.district_id, q.day), 0) + q.arrivals
    assert all(n <= 5 for n in per_day.values())
