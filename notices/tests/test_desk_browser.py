"""The desk in headless Chromium on a phone-sized screen: an enterprise answers a relayed
directive (acknowledge, attest with a photo), the federation follows it. Screenshots land
in var/screenshots/ for people to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD, Cast
from notices.models import Receipt
from notices.receipts import notice_relay
from notices.tests.desk_helpers import PDF, directive

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


def _fits(page: Any) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= 390


def test_it_answers_and_follows_a_directive_on_a_phone(
    browser: Any, live_server: Any, cast: Cast, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    d = directive(cast)
    relay = notice_relay(
        actor=cast.association_officer,
        receipt=Receipt.objects.get(notice=d, organization=cast.association),
        added_md="本会会员请于周五前完成**自查**。",
    )
    receipt = Receipt.objects.get(notice=relay, organization=cast.enterprise)
    evidence = tmp_path / "消毒记录.pdf"
    evidence.write_bytes(PDF)

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, live_server.url, cast.enterprise_admin.mobile)
    page.goto(f"{live_server.url}/desk/")
    assert page.locator("table").get_by_text(d.title).is_visible()
    assert _fits(page)
    _shot(page, "desk-inbox-phone")
    page.locator("table").get_by_text(d.title).click()
    page.wait_for_url(f"{live_server.url}/desk/receipts/{receipt.pk}/")
    assert _fits(page)
    _shot(page, "desk-receipt-phone")
    page.locator(f"form[action='/desk/receipts/{receipt.pk}/acknowledge/'] button").click()
    page.wait_for_url(f"{live_server.url}/desk/receipts/{receipt.pk}/")
    page.fill("textarea[name=note]", "已完成员工健康登记和门店消毒。")
    page.set_input_files("input[name=evidence]", str(evidence))
    page.locator(f"form[action='/desk/receipts/{receipt.pk}/attest/'] button").click()
    page.wait_for_url(f"{live_server.url}/desk/receipts/{receipt.pk}/")
    assert page.get_by_text("消毒记录.pdf").is_visible()
    receipt.refresh_from_db()
    assert receipt.acknowledged_at is not None
    assert receipt.attested_at is not None
    context.close()

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, live_server.url, cast.federation_officer.mobile)
    page.goto(f"{live_server.url}/desk/sent/{d.pk}/")
    assert page.get_by_role("heading", name=d.title).is_visible()
    assert _fits(page)
    _shot(page, "desk-progress-phone")
    context.close()
