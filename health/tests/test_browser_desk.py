"""The check-in desk in headless Chromium at 1280 and 390 px, with two weeks of data.

Screenshots land in var/screenshots/ (health-*.png) for people to look at.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from conftest import PASSWORD, Cast, ensure_reference_data, make_site
from health.observations import ObservationInput, observation_create
from health.services import NOTICE_VERSION, checkin_submit, consent_give
from health.tests.checkin_helpers import good_answers
from orgs.models import Division
from workforce.tests.roster import add_employee

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = [
    "王芳",
    "李娜",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄丽",
    "周杰",
    "吴敏",
    "徐强",
    "孙悦",
    "马超",
    "朱琳",
    "胡军",
    "郭婷",
    "何平",
    "林峰",
]


def _fill(cast: Cast) -> None:
    ensure_reference_data()
    rng = random.Random(7)
    second_site = make_site(cast.enterprise, "福田分店")
    today = timezone.localdate()
    staff = []
    for n, name in enumerate(NAMES, 1):
        employee = add_employee(
            cast.enterprise_admin,
            cast.enterprise,
            n,
            name=name,
            site=cast.site if n % 3 else second_site,
        )
        consent_give(employee=employee, kinds={"health", "travel"}, notice_version=NOTICE_VERSION)
        staff.append(employee)
    for back in range(13, -1, -1):
        day = today - dt.timedelta(days=back)
        for employee in staff:
            if rng.random() < (0.15 if back else 0.3):
                continue
            roll = rng.random()
            answers = good_answers(
                temperature="38.3" if roll < 0.06 else "37.1" if roll < 0.14 else "36.5"
            )
            checkin_submit(
                employee=employee,
                answers=answers,
                via="manager",
                actor=cast.enterprise_admin,
                day=day,
            )
    observation_create(
        actor=cast.enterprise_admin,
        employee=staff[0],
        data=ObservationInput(
            kind="home_isolation",
            reason="arrival",
            starts_on=today - dt.timedelta(days=2),
            arrived_on=today - dt.timedelta(days=3),
            origin=Division.objects.get(code="420100"),
            place="宿舍 302",
        ),
    )
    other = add_employee(cast.other_admin, cast.other_enterprise, 90, name="钱多多")
    consent_give(employee=other, kinds={"health", "travel"}, notice_version=NOTICE_VERSION)
    checkin_submit(employee=other, answers=good_answers(), via="self", actor=None)


def _sign_in(page: Any, base: str, mobile: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", mobile)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/home/")


def _look(page: Any, url: str, name: str, *, phone: bool) -> str:
    page.goto(url)
    if phone:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"{name} scrolls sideways on a phone ({width} px)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SHOTS / f"health-{name}-{'phone' if phone else 'desktop'}.png"), full_page=True
    )
    return str(page.content())


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_it_shows_the_desk_and_the_overviews(
    browser: Any, live_server: Any, cast: Cast, phone: bool
) -> None:
    _fill(cast)
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    base = live_server.url
    context = browser.new_context(viewport=viewport, is_mobile=phone, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, base, cast.enterprise_admin.mobile)
    html = _look(page, f"{base}/health/", "today", phone=phone)
    assert "王芳" in html
    assert "tz-trend-col" in html
    _look(page, f"{base}/health/observations/new/", "observation-new", phone=phone)
    employee_id = page.evaluate(
        "document.querySelector('select[name=employee] option:nth-child(3)').value"
    )
    _look(page, f"{base}/health/checkin/{employee_id}/", "on-behalf", phone=phone)
    _look(page, f"{base}/health/observations/", "observations", phone=phone)
    _look(page, f"{base}/health/import/", "import", phone=phone)
    context.close()
    for officer, path, name in [
        (cast.association_officer, "/health/association/", "association"),
        (cast.federation_officer, "/health/federation/", "federation"),
    ]:
        context = browser.new_context(viewport=viewport, is_mobile=phone, locale="zh-CN")
        page = context.new_page()
        _sign_in(page, base, officer.mobile)
        html = _look(page, f"{base}{path}", name, phone=phone)
        assert "王芳" not in html
        assert "tz-trend-col" in html
        context.close()
