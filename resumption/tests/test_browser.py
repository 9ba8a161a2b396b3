"""The employee's return page and the manager's plan page in headless Chromium on a 390 px
phone (the personal page without JavaScript).

Set TONGZHOU_SCREENSHOTS=<dir> to keep a screenshot of each page for a look.
Skipped when /usr/bin/chromium is absent, unless TONGZHOU_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD, Cast
from resumption import planning
from resumption.models import ReturnDeclaration
from resumption.tests.helpers import application, employee, in_shenzhen
from workforce.links import link_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _open_gate(monkeypatch: Any) -> None:
    monkeypatch.setattr("resumption.services.prevention_plan_approved", lambda e: None)


def shoot(page: Any, name: str) -> None:
    folder = os.environ.get("TONGZHOU_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_it_takes_a_declaration_on_a_phone_without_javascript(
    browser: Any, live_server: Any, cast: Cast
) -> None:
    person = employee(cast, 1)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/me/{link_token(person)}/return/")
    assert fits_the_screen(page)
    shoot(page, "return-empty")
    page.check("input[name=in_shenzhen][value='0']")
    page.select_option("select[name=province]", "420000")
    page.select_option("select[name=city]", "420100")
    page.select_option("select[name=travel_mode]", "train")
    page.check("input[name=needs_isolation]")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Your declaration is saved")
    assert fits_the_screen(page)
    shoot(page, "return-declared")
    assert ReturnDeclaration.objects.get(employee=person).risk_level == "high"
    context.close()


def test_it_shows_the_plan_on_a_phone(browser: Any, live_server: Any, cast: Cast) -> None:
    for n in range(6):
        in_shenzhen(cast, employee(cast, n))
    app = application(cast)
    planning.plan_compute(actor=cast.enterprise_admin, application=app)
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cast.enterprise_admin.mobile)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/resumption/applications/{app.pk}/plan/")
    assert page.locator("text=Load per site").count() == 1
    shoot(page, "plan")
    page.goto(f"{live_server.url}/resumption/applications/{app.pk}/")
    shoot(page, "application")
    page.goto(f"{live_server.url}/resumption/")
    shoot(page, "home")
    context.close()


def test_it_shows_the_overview_and_wave_plan_on_a_phone(
    browser: Any, live_server: Any, cast: Cast
) -> None:
    from django.utils import timezone

    from resumption import services, waves
    from resumption.tests.helpers import approve, from_hubei

    for n in range(4):
        in_shenzhen(cast, employee(cast, n))
    for n in range(4, 8):
        from_hubei(cast, employee(cast, n), travel_on=timezone.localdate())
    app = approve(cast, application(cast))
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    planning.plan_publish(actor=cast.enterprise_admin, plan=plan)
    services.attendance_materialise(day=timezone.localdate())
    waves.wave_compute(actor=cast.federation_officer, scope=cast.federation)
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cast.federation_officer.mobile)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/home/")
    for name, url in (("overview", "/resumption/overview/"), ("waves", "/resumption/waves/")):
        page.goto(f"{live_server.url}{url}")
        assert "员工" not in page.content()
        shoot(page, name)
    context.close()
