"""The roster's htmx parts in headless Chromium: region pickers, reveals, import polling.

Skipped when /usr/bin/chromium is absent, unless TONGZHOU_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audit.models import AuditEvent
from conftest import PASSWORD, Cast
from workforce import imports
from workforce.models import Employee, ImportJob
from workforce.tests.roster import add_employee, mobile, resident_id, row, xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in_page(browser: Any, base: str, user_mobile: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user_mobile)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/home/")
    return page


def option_values(page: Any, selector: str) -> list[str]:
    return list(page.eval_on_selector_all(f"{selector} option", "els => els.map(e => e.value)"))


def test_it_narrows_cities_and_counties_as_regions_are_chosen(
    browser: Any, live_server: Any, cast: Cast
) -> None:
    page = signed_in_page(browser, live_server.url, cast.enterprise_admin.mobile)
    page.goto(f"{live_server.url}/roster/new/")
    page.select_option("#id_home_province", "440000")
    page.wait_for_selector("#id_home_city option[value='440300']", state="attached")
    page.select_option("#id_home_city", "440300")
    page.wait_for_selector("#id_home_county option[value='440303']", state="attached")

    page.select_option("#id_home_province", "110000")
    page.wait_for_selector("#id_home_city option[value='110100']", state="attached")
    assert "440300" not in option_values(page, "#id_home_city")
    assert option_values(page, "#id_home_county") == [""]

    page.select_option("#id_home_city", "110100")
    page.wait_for_selector("#id_home_county option[value='110105']", state="attached")
    page.select_option("#id_home_county", "110105")
    page.fill("input[name=name]", "北京来的同事")
    page.fill("input[name=mobile]", mobile(5))
    page.fill("input[name=document_number]", resident_id(5))
    page.click("main form button[type=submit]:not([name])")
    page.wait_for_url(f"{live_server.url}/roster/*/")
    employee = Employee.objects.get(name="北京来的同事")
    assert (employee.home_province_id, employee.home_city_id, employee.home_county_id) == (
        "110000",
        "110100",
        "110105",
    )
    page.close()


def test_it_swaps_a_revealed_number_into_the_page(
    browser: Any, live_server: Any, cast: Cast
) -> None:
    employee = add_employee(cast.enterprise_admin, cast.enterprise, 1)
    page = signed_in_page(browser, live_server.url, cast.enterprise_admin.mobile)
    url = f"{live_server.url}/roster/{employee.pk}/"
    page.goto(url)
    assert mobile(1) not in page.content()
    page.click("#reveal-mobile summary")
    page.fill("#purpose-mobile", "通知返岗")
    page.click("#reveal-mobile button[type=submit]")
    page.wait_for_selector(f"#reveal-mobile >> text={mobile(1)}")
    assert page.url == url
    assert resident_id(1) not in page.content()
    assert AuditEvent.objects.filter(action="employee.reveal", personal_data=True).count() == 1
    page.close()


def test_it_polls_an_import_until_it_has_finished(
    browser: Any, live_server: Any, cast: Cast
) -> None:
    job = ImportJob.objects.create(
        enterprise=cast.enterprise,
        created_by=cast.enterprise_admin,
        filename="roster.xlsx",
        content=xlsx([row(1), row(2)]),
    )
    page = signed_in_page(browser, live_server.url, cast.enterprise_admin.mobile)
    page.goto(f"{live_server.url}/roster/import/{job.pk}/")
    page.wait_for_selector("#import-status[hx-trigger]")
    imports.roster_import_run(job.pk)
    page.wait_for_selector("#import-status .alert-success", timeout=10_000)
    assert page.locator("#import-status[hx-trigger]").count() == 0
    assert Employee.objects.filter(enterprise=cast.enterprise).count() == 2
    page.close()


def test_it_uploads_a_file_and_shows_every_problem(
    browser: Any, live_server: Any, cast: Cast, tmp_path: Path
) -> None:
    upload = tmp_path / "花名册.xlsx"
    upload.write_bytes(
        xlsx([row(1), row(2, 证件号码=resident_id(1)), row(3, 所在场所="不存在的店")])
    )
    page = signed_in_page(browser, live_server.url, cast.enterprise_admin.mobile)
    page.goto(f"{live_server.url}/roster/import/")
    page.set_input_files("input[type=file]", str(upload))
    page.click("main form button[type=submit]")
    page.wait_for_selector("#import-status .alert-danger", timeout=10_000)
    cells = page.locator("#import-status tbody tr").all_inner_texts()
    assert len(cells) == 3
    assert not Employee.objects.filter(enterprise=cast.enterprise).exists()
    page.close()
