"""The personal pages in headless Chromium on a 390 px phone, with and without JavaScript.

Set TONGZHOU_SCREENSHOTS=<dir> to keep a screenshot of each page for a look.
Skipped when /usr/bin/chromium is absent, unless TONGZHOU_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD, Cast
from health.models import CheckIn, Via
from health.services import checkin_submit
from health.tests.checkin_helpers import _fresh_cache, employee_of, good_answers  # noqa: F401
from workforce.links import link_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def shoot(page: Any, name: str) -> None:
    folder = os.environ.get("TONGZHOU_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def fits_the_screen(page: Any) -> bool:
    # A click on a link starts a navigation; on a busy machine the new document may not be
    # there yet when the next line runs.
    page.wait_for_load_state()
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_it_checks_in_on_a_phone_without_javascript(
    browser: Any, live_server: Any, cast: Cast
) -> None:
    employee = employee_of(cast, consent="", name="王小明")
    base = f"{live_server.url}/me/{link_token(employee)}"
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto(f"{base}/")
    assert fits_the_screen(page)
    shoot(page, "home-new")
    page.click("text=Read how your data is used, and consent")
    assert fits_the_screen(page)
    shoot(page, "consent")
    page.check("input[name=travel]")
    page.click("button:has-text('Save my consent')")
    page.wait_for_url(f"{base}/checkin/")
    page.fill("input[name=temperature]", "98.6")
    page.check("input[name=symptoms][value=none]")
    page.check("input[name=health_status][value=healthy]")
    page.select_option("select[name=location]", "440305")
    page.check("input[name=travel][value=none]")
    page.check("input[name=contact][value=none]")
    page.check("input[name=isolation][value=none]")
    page.check("input[name=health_code][value=green]")
    page.check("input[name=pledge]")
    page.click("button:has-text('Submit my check-in')")
    assert page.is_visible("text=Did you mean 37.0 °C?")
    assert fits_the_screen(page)
    shoot(page, "form-fahrenheit")
    page.click("button[name=use_celsius]")
    page.wait_for_url(f"{base}/pass/")
    assert page.is_visible("text=Cleared to work")
    assert fits_the_screen(page)
    shoot(page, "pass-nojs")
    assert str(CheckIn.objects.get(employee=employee).temperature) == "37.0"
    context.close()


def test_it_runs_the_pass_clock_and_reads_in_traditional_chinese(
    browser: Any, live_server: Any, cast: Cast
) -> None:
    employee = employee_of(cast, name="陳大文")
    employee.language = "zh-hant"
    employee.save()
    base = f"{live_server.url}/me/{link_token(employee)}"
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.goto(f"{base}/checkin/")
    assert page.get_attribute("html", "lang") == "zh-hant"
    assert page.is_visible("text=今日體溫（℃）")
    assert fits_the_screen(page)
    shoot(page, "form-zh-hant")
    page.goto(f"{base}/pass/")
    first = page.inner_text("#clock")
    page.wait_for_timeout(1300)
    assert page.inner_text("#clock") != first
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", page.inner_text("#clock"))
    shoot(page, "pass-zh-hant")
    verify = page.get_attribute("a[href*='/pass/']", "href")
    page.goto(verify)
    assert fits_the_screen(page)
    shoot(page, "verify")
    checkin_submit(
        employee=employee,
        answers=good_answers(temperature="37.6", symptoms=["dry_cough"]),
        via=Via.SELF,
        actor=None,
    )
    page.goto(f"{base}/history/")
    assert page.is_visible("text=37.6 °C")
    assert fits_the_screen(page)
    shoot(page, "history")
    page.goto(f"{base}/")
    assert fits_the_screen(page)
    shoot(page, "home-zh-hant")
    context.close()


def test_it_shows_the_link_pages_to_a_manager_on_a_phone(
    browser: Any, live_server: Any, cast: Cast
) -> None:
    employee = employee_of(cast, name="赵六")
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cast.enterprise_admin.mobile)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/home/")
    page.goto(f"{live_server.url}/roster/links/")
    assert page.is_visible("text=赵六")
    assert fits_the_screen(page)
    shoot(page, "manager-links")
    page.goto(f"{live_server.url}/roster/{employee.pk}/link/")
    assert page.is_visible("svg")
    assert fits_the_screen(page)
    shoot(page, "manager-link-detail")
    page.close()
