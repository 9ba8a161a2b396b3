"""End-to-end in headless Chromium (Debian's package, driven by Playwright).

Skipped when /usr/bin/chromium is absent, unless TONGZHOU_REQUIRE_BROWSER=1 (CI), where a
missing browser fails the run. Screenshots land in var/screenshots/ for people to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD, Cast

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page: Any, base: str, mobile: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", mobile)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/home/")


def test_it_signs_in_and_adds_an_employee(browser: Any, live_server: Any, cast: Cast) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server.url, cast.enterprise_admin.mobile)
    assert cast.enterprise.name in page.content()
    _shot(page, "enterprise-home-desktop")
    page.goto(f"{live_server.url}/roster/new/")
    page.fill("input[name=name]", "陈小明")
    page.fill("input[name=mobile]", "13700001111")
    page.select_option("select[name=document_type]", "resident_id")
    page.fill("input[name=document_number]", "11010519491231002X")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/roster/")
    text = page.content()
    assert "陈小明" in text
    assert "110105********002X" in text
    assert "11010519491231002X" not in text
    _shot(page, "roster-desktop")
    page.close()


def test_it_is_usable_on_a_phone_and_switches_language(
    browser: Any, live_server: Any, cast: Cast
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{live_server.url}/orgs/register/")
    assert page.locator("input[name=uscc]").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, "the register page scrolls sideways on a phone"
    _shot(page, "register-phone")
    page.click(".navbar-toggler")  # on a phone the switch sits in the collapsed menu
    with page.expect_navigation():
        page.select_option("#tz-language", "en")
    assert "Register" in page.content()
    _sign_in(page, live_server.url, cast.association_officer.mobile)
    _shot(page, "association-home-phone")
    page.close()
