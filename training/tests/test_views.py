"""Organisation pages: writing courses, the manager's progress and reminders, roll-ups."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import RoleGrant
from conftest import Cast, has_mobile_number
from lib.ids import mask_name
from notify.models import Delivery
from training.models import Course, CourseFile
from training.services import (
    CourseInput,
    Video,
    attempt_submit,
    course_create,
    courses_seed,
    file_add,
    remind_missing,
)
from training.tests.helpers import FIVE, assign, course, employee, right_answers

pytestmark = pytest.mark.django_db


def test_it_creates_a_course_from_the_form(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    response = client.post(
        reverse("training:course_create"),
        {
            "title": "岗前培训",
            "body_md": "## 洗手\n\n七步洗手法",
            "videos": "示范 | https://example.org/v.mp4",
            "pass_mark": "80",
            "minutes": "10",
        },
    )
    assert response.status_code == 302
    c = Course.objects.get(title="岗前培训")
    assert c.publisher == cast.enterprise
    assert "<h2>" in c.body_html
    assert c.videos == [{"title": "示范", "url": "https://example.org/v.mp4"}]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "//evil.example/x",
        "ftp://x.org/v",
        "http://",
        "vbscript:x",
    ],
)
def test_it_refuses_a_video_link_that_is_not_http(cast: Cast, url: str) -> None:
    with pytest.raises(ValidationError) as info:
        course_create(
            actor=cast.enterprise_admin,
            publisher=cast.enterprise,
            data=CourseInput(title="课", videos=[Video(title="v", url=url)]),
        )
    assert "videos" in info.value.message_dict
    client = cast.client(cast.enterprise_admin)
    response = client.post(
        reverse("training:course_create"),
        {"title": "课", "videos": f"v | {url}", "pass_mark": "80", "minutes": "10"},
    )
    assert response.status_code == 422
    assert not Course.objects.exists()


def test_it_checks_files_by_content(cast: Cast) -> None:
    from notices.tests.desk_helpers import PDF

    c = course(cast, publisher=cast.enterprise, publish=False)
    with pytest.raises(ValidationError):
        file_add(
            actor=cast.enterprise_admin,
            course=c,
            upload=SimpleUploadedFile("讲义.pdf", b"MZ\x90\x00" + b"\x00" * 100),
        )
    with pytest.raises(ValidationError):
        file_add(
            actor=cast.enterprise_admin,
            course=c,
            upload=SimpleUploadedFile("讲义.docx", PDF),
        )
    row = file_add(
        actor=cast.enterprise_admin, course=c, upload=SimpleUploadedFile("讲义.pdf", PDF)
    )
    assert row.content_type == "application/pdf"
    assert CourseFile.objects.count() == 1


def test_it_lets_only_the_publisher_edit(cast: Cast) -> None:
    c = course(cast)  # association A's
    url = reverse("training:course_edit", kwargs={"pk": c.pk})
    assert cast.client(cast.association_officer).get(url).status_code == 200
    for user in (cast.enterprise_admin, cast.federation_officer, cast.other_admin):
        assert cast.client(user).get(url).status_code == 404
    assert cast.client(cast.enterprise_viewer).get(url).status_code == 403
    assert cast.client(None).get(url).status_code == 302
    stale = cast.client(cast.association_officer).post(
        url, {"title": "新标题", "pass_mark": "80", "minutes": "10", "version": "0"}
    )
    assert stale.status_code == 422
    c.refresh_from_db()
    assert c.title != "新标题"


def test_it_shows_the_manager_who_is_missing_only_to_the_enterprise(cast: Cast) -> None:
    c = course(cast, questions=FIVE)
    assign(cast.association, c)
    passed = employee(cast, name="欧阳明月")
    employee(cast, name="司马光华")
    attempt_submit(employee=passed, course=c, answers=right_answers(c))
    url = reverse("training:progress", kwargs={"pk": c.pk})
    html = cast.client(cast.enterprise_admin).get(url).content.decode()
    # The enterprise's own people, named as on its roster; mobiles masked.
    assert "欧阳明月" in html
    assert "司马光华" in html
    missing = cast.client(cast.enterprise_admin).get(url + "?status=missing").content.decode()
    assert "司马光华" in missing
    assert "欧阳明月" not in missing
    for user in (cast.association_officer, cast.federation_officer, cast.other_admin):
        assert cast.client(user).get(url).status_code == 404


def test_it_reminds_only_those_missing_and_at_most_once_an_hour(cast: Cast) -> None:
    c = course(cast, questions=FIVE)
    assign(cast.association, c)
    passed = employee(cast)
    failed = employee(cast)
    missing = employee(cast)
    employee(cast, enterprise=cast.other_enterprise)
    attempt_submit(employee=passed, course=c, answers=right_answers(c))
    attempt_submit(employee=failed, course=c, answers={})
    viewer = RoleGrant.objects.get(user=cast.enterprise_admin)
    now = timezone.now()
    assert remind_missing(actor=cast.enterprise_admin, viewer=viewer, course=c, now=now) == 1
    sms = Delivery.objects.filter(key__startswith="training:remind:")
    assert sms.count() == 1
    assert sms.get().address_masked == missing.mobile_masked
    with pytest.raises(ValidationError):
        remind_missing(
            actor=cast.enterprise_admin, viewer=viewer, course=c, now=now + dt.timedelta(minutes=59)
        )
    assert (
        remind_missing(
            actor=cast.enterprise_admin, viewer=viewer, course=c, now=now + dt.timedelta(minutes=61)
        )
        == 1
    )
    assert sms.count() == 2


def test_it_refuses_reminders_from_a_viewer_and_other_enterprises(cast: Cast) -> None:
    c = course(cast)
    assign(cast.association, c)
    employee(cast)
    url = reverse("training:remind", kwargs={"pk": c.pk})
    assert cast.client(cast.enterprise_viewer).post(url).status_code == 403
    assert cast.client(cast.other_admin).post(url).status_code == 404
    assert cast.client(cast.association_officer).post(url).status_code == 404
    assert not Delivery.objects.exists()
    response = cast.client(cast.enterprise_admin).post(url)
    assert response.status_code == 302
    assert Delivery.objects.count() == 1


def test_it_shows_stewards_counts_and_no_names(cast: Cast) -> None:
    c = course(cast, questions=FIVE)
    assign(cast.association, c)
    e = employee(cast, name="欧阳明月")
    attempt_submit(employee=e, course=c, answers=right_answers(c))
    employee(cast, name="司马光华", position="前台")
    for user in (cast.association_officer, cast.federation_officer):
        response = cast.client(user).get(reverse("training:rollup") + f"?course={c.pk}")
        html = response.content.decode()
        assert response.status_code == 200
        assert cast.enterprise.name in html
        assert "50%" in html
        for name in ("欧阳明月", "司马光华"):
            assert name not in html
            assert mask_name(name) not in html
        assert not has_mobile_number(html)
        assert "前台" not in html
    for user in (cast.enterprise_admin, cast.other_admin):
        assert cast.client(user).get(reverse("training:rollup")).status_code == 404


def test_it_keeps_the_other_association_out_of_a_course(cast: Cast) -> None:
    c = course(cast)
    url = reverse("training:course_detail", kwargs={"pk": c.pk})
    assert cast.client(cast.enterprise_admin).get(url).status_code == 200
    assert cast.client(cast.other_admin).get(url).status_code == 404
    draft = course(cast, title="草稿", publish=False)
    url = reverse("training:course_detail", kwargs={"pk": draft.pk})
    assert cast.client(cast.enterprise_admin).get(url).status_code == 404
    assert cast.client(cast.association_officer).get(url).status_code == 200


def test_it_seeds_three_published_courses_with_quizzes_once(cast: Cast) -> None:
    courses = courses_seed(federation=cast.federation, actor=cast.federation_officer)
    assert len(courses) == 3
    for c in courses:
        assert c.status == Course.Status.PUBLISHED
        assert c.pass_mark == 80
        assert c.questions.count() == 5
        assert c.sources
    assert "500 mg/L" in courses[0].body_md
    assert "第二十五条" in courses[2].body_md
    assert courses_seed(federation=cast.federation, actor=None) == courses
    assert Course.objects.count() == 3
    with pytest.raises(ValidationError):
        courses_seed(federation=cast.association, actor=None)


def test_it_writes_demo_training(cast: Cast) -> None:
    from training.demo import write_training

    for _ in range(20):
        employee(cast)
    written = write_training(federation=cast.federation, seed=7)
    assert 0 < written <= 60
    assert Course.objects.filter(publisher=cast.federation).count() == 3
    from training.models import Completion

    assert Completion.objects.filter(passed=True).exists()
    assert Completion.objects.count() == written < 60  # some have not taken them yet
