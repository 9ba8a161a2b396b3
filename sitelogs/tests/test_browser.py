"""Site logs in headless Chromium at 1280 and 390 px: the day page, one tap on "Done", the
history, the schedules and the association's counts. Screenshots: var/screenshots/sitelogs-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD, Cast
from sitelogs.demo import write_sitelogs
from sitelogs.models import LogEntry
from sitelogs.services import schedule_set
from sitelogs.tests.helpers import staff_of

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Any, base: str, mobile: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", mobile)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/home/")


def _look(page: Any, url: str, name: str, *, phone: bool) -> str:
    page.goto(url)
    if phone:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"{name} scrolls sideways on a phone ({width} px)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SHOTS / f"sitelogs-{name}-{'phone' if phone else 'desktop'}.png"), full_page=True
    )
    return str(page.content())


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_it_records_a_round_with_one_tap_and_shows_the_counts(
    browser: Any, live_server: Any, cast: Cast, phone: bool
) -> None:
    staff = staff_of(cast)
    write_sitelogs(seed=3, days=14)
    # one round every hour today, so that some are still open whatever the time
    schedule_set(
        actor=cast.enterprise_admin,
        site=cast.site,
        kind="other",
        label="电梯按钮擦拭",
        slots=[f"{h:02d}:00" for h in range(24)],
        areas=["1号电梯", "2号电梯"],
        agent="75%酒精",
    )
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    base = live_server.url
    context = browser.new_context(viewport=viewport, is_mobile=phone, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, base, staff.mobile, "correct-horse")
    _look(page, f"{base}/sitelogs/", "index", phone=phone)
    _look(page, f"{base}/sitelogs/site/{cast.site.pk}/", "site-day", phone=phone)
    before = LogEntry.objects.count()
    page.locator("form button.btn-success").first.click()
    page.wait_for_load_state()
    assert LogEntry.objects.count() == before + 1
    _look(page, f"{base}/sitelogs/site/{cast.site.pk}/history/", "history", phone=phone)
    entry = LogEntry.objects.filter(site=cast.site).order_by("-pk").first()
    assert entry is not None
    _look(page, f"{base}/sitelogs/entry/{entry.pk}/correct/", "correct", phone=phone)
    _look(page, f"{base}/sitelogs/site/{cast.site.pk}/record/", "record", phone=phone)
    context.close()
    context = browser.new_context(viewport=viewport, is_mobile=phone, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, base, cast.enterprise_admin.mobile)
    _look(page, f"{base}/sitelogs/site/{cast.site.pk}/schedules/", "schedules", phone=phone)
    context.close()
    context = browser.new_context(viewport=viewport, is_mobile=phone, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, base, cast.association_officer.mobile)
    html = _look(page, f"{base}/sitelogs/association/", "association", phone=phone)
    assert cast.enterprise.name in html
    assert "保洁主管" not in html
    context.close()
