"""Site-log pages: one-tap recording, history and corrections, schedules, the roll-ups."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from sitelogs.models import LogEntry, SiteSchedule
from sitelogs.services import entry_record
from sitelogs.tests.helpers import PNG, schedule, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]


def _tap(cast: Cast, user: object, sched: SiteSchedule, **extra: str) -> object:
    data = {
        "schedule": str(sched.pk),
        "slot_date": timezone.localdate().isoformat(),
        "slot_time": "09:00",
        "area": "大堂",
        "agent": "含氯消毒剂 500 mg/L",
    }
    data.update(extra)
    return cast.client(user).post(reverse("sitelogs:record", kwargs={"pk": cast.site.pk}), data)  # type: ignore[arg-type]


def test_it_records_a_round_with_one_tap(cast: Cast) -> None:
    sched = schedule(cast)
    staff = staff_of(cast)
    page = cast.client(staff).get(reverse("sitelogs:site", kwargs={"pk": cast.site.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="slot_time" value="09:00"' in body
    assert "含氯消毒剂 500 mg/L" in body
    response = _tap(cast, staff, sched)
    assert response.status_code == 302  # type: ignore[attr-defined]
    entry = LogEntry.objects.get()
    assert entry.who == staff
    assert entry.area == "大堂"
    # the next time the area and agent come from the last entry
    entry_area = "电梯"
    _tap(cast, staff, sched, slot_time="15:00", area=entry_area)
    page = cast.client(staff).get(reverse("sitelogs:site", kwargs={"pk": cast.site.pk}))
    assert page.content.decode().count("bi-check2") == 0  # both rounds done: no button left


def test_it_refuses_a_viewer_write(cast: Cast) -> None:
    sched = schedule(cast)
    response = _tap(cast, cast.enterprise_viewer, sched)
    assert response.status_code == 403  # type: ignore[attr-defined]
    page = cast.client(cast.enterprise_viewer).get(
        reverse("sitelogs:site", kwargs={"pk": cast.site.pk})
    )
    assert page.status_code == 200
    assert "bi-check2" not in page.content.decode()
    assert not LogEntry.objects.exists()


def test_it_hides_another_enterprises_site_and_schedule(cast: Cast) -> None:
    sched = schedule(cast)
    other = cast.client(cast.other_admin)
    assert other.get(reverse("sitelogs:site", kwargs={"pk": cast.site.pk})).status_code == 404
    # B1's admin posts A1's schedule to B1's own site: not one of that site's schedules
    response = other.post(
        reverse("sitelogs:record", kwargs={"pk": cast.other_site.pk}),
        {"schedule": sched.pk, "slot_date": timezone.localdate().isoformat(), "slot_time": "09:00"},
    )
    assert response.status_code == 422
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize(
    "extra",
    [
        {"slot_date": "2999-01-01"},
        {"slot_time": "03:33"},
        {"done_at": "2999-01-01T09:00"},
        {"slot_date": "not-a-date"},
        {"schedule": "999999999999999999999"},
        {"area": "x" * 5000},
    ],
)
def test_it_refuses_hostile_posts(cast: Cast, extra: dict[str, str]) -> None:
    sched = schedule(cast)
    response = _tap(cast, staff_of(cast), sched, **extra)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert not LogEntry.objects.exists()


def test_it_refuses_a_fake_photo_in_the_form(cast: Cast) -> None:
    sched = schedule(cast)
    fake = SimpleUploadedFile("p.jpg", b"#!/bin/sh\nrm -rf /", content_type="image/jpeg")
    response = _tap(cast, staff_of(cast), sched, photo=fake)  # type: ignore[arg-type]
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert not LogEntry.objects.exists()


def test_it_shows_history_and_records_a_correction(cast: Cast) -> None:
    sched = schedule(cast)
    staff = staff_of(cast)
    entry = entry_record(
        actor=staff,
        site=cast.site,
        schedule=sched,
        slot_date=timezone.localdate(),
        slot_time=dt.time(9),
        area="<script>alert(1)</script>",
        photo=SimpleUploadedFile("现场.png", PNG),
    )
    client = cast.client(staff)
    url = reverse("sitelogs:correct", kwargs={"pk": entry.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, {"note": "区域填错", "area": "电梯", "slot_time": "09:00"})
    assert response.status_code == 302
    history = client.get(reverse("sitelogs:history", kwargs={"pk": cast.site.pk}))
    body = history.content.decode()
    assert "Corrected" in body
    assert "Correction" in body
    assert "区域填错" in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    again = client.post(url, {"note": "再改"})
    assert again.status_code == 422
    assert LogEntry.objects.count() == 2
    photo = client.get(reverse("sitelogs:photo", kwargs={"pk": entry.pk}))
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/png"
    assert "attachment" in photo["Content-Disposition"]


def test_it_lets_the_administrator_edit_schedules(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    url = reverse("sitelogs:schedules", kwargs={"pk": cast.site.pk})
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "defaults"}).status_code == 302
    assert SiteSchedule.objects.filter(site=cast.site).count() == 3
    response = client.post(
        url,
        {
            "action": "set",
            "kind": "disinfection",
            "slots": "08:00，12:00、 16:00",
            "duration_minutes": "20",
            "areas": "大堂\n电梯\n",
            "agent": "75%酒精",
        },
    )
    assert response.status_code == 302
    made = SiteSchedule.objects.get(site=cast.site, kind="disinfection", valid_until__isnull=True)
    assert made.slots == ["08:00", "12:00", "16:00"]
    assert made.areas == ["大堂", "电梯"]
    bad = client.post(
        url, {"action": "set", "kind": "disinfection", "slots": "99:99", "duration_minutes": "0"}
    )
    assert bad.status_code == 422
    other = client.post(url, {"action": "end", "schedule": "12345678901234567890"})
    assert other.status_code == 404
    staff = cast.client(staff_of(cast))
    assert staff.post(url, {"action": "defaults"}).status_code == 403


def test_it_shows_counts_only_to_the_association_and_federation(cast: Cast) -> None:
    sched = schedule(cast)
    entry_record(
        actor=staff_of(cast),
        site=cast.site,
        schedule=sched,
        slot_date=timezone.localdate(),
        slot_time=dt.time(9),
        area="机密区域",
    )
    for user, name in (
        (cast.association_officer, "sitelogs:association"),
        (cast.federation_officer, "sitelogs:federation"),
    ):
        response = cast.client(user).get(reverse(name))
        assert response.status_code == 200
        body = response.content.decode()
        assert "机密区域" not in body
        assert "保洁主管" not in body
    body = (
        cast.client(cast.association_officer).get(reverse("sitelogs:association")).content.decode()
    )
    assert cast.enterprise.name in body


def test_it_shows_the_enterprise_overview(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    schedule(cast)
    client = cast.client(cast.enterprise_admin)
    response = client.get(reverse("sitelogs:index"))
    assert response.status_code == 200
    assert cast.site.name in response.content.decode()
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        client.get(reverse("sitelogs:index"))


def test_it_prefills_the_schedule_form_to_change_one(cast: Cast) -> None:
    made = schedule(cast)
    client = cast.client(cast.enterprise_admin)
    url = reverse("sitelogs:schedules", kwargs={"pk": cast.site.pk})
    body = client.get(f"{url}?edit={made.pk}").content.decode()
    assert 'value="09:00, 15:00"' in body
    other = cast.client(cast.other_admin)
    assert other.get(f"{url}?edit={made.pk}").status_code == 404
    other_url = reverse("sitelogs:schedules", kwargs={"pk": cast.other_site.pk})
    assert other.get(f"{other_url}?edit={made.pk}").status_code == 404
