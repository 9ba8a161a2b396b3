"""The notify pages on a 390 px phone in headless Chromium: nothing wider than the screen.

Skipped when /usr/bin/chromium is absent, unless TONGZHOU_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from conftest import PASSWORD, Cast
from lib import crypto
from notify.models import Channel, Delivery, InboxItem
from notify.tests.conftest import make_robot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_it_fits_the_notify_pages_on_a_phone(browser: Any, live_server: Any, cast: Cast) -> None:
    robot = make_robot(
        cast.enterprise,
        cast.enterprise_admin,
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
        name="会员单位疫情防控工作群",
    )
    Delivery.objects.create(
        key="notice:1",
        channel=Channel.WECOM,
        robot=robot,
        scope=cast.enterprise,
        address_hash="h1",
        address_masked=robot.webhook_masked,
        subject="关于做好复工复产疫情防控工作的紧急通知",
        status=Delivery.Status.FAILED,
        attempts=5,
        last_error="The robot refused the message: errcode 93000 invalid webhook url, hint: [1585]",
    )
    Delivery.objects.create(
        key="remind:1",
        channel=Channel.SMS,
        scope=cast.enterprise,
        address_hash="h2",
        address_enc=crypto.encrypt("13912345678"),
        address_masked="139****5678",
        subject="请完成今日健康打卡",
        status=Delivery.Status.SENT,
        attempts=1,
    )
    InboxItem.objects.create(
        user=cast.enterprise_admin, key="k", subject="关于做好复工复产疫情防控工作的紧急通知"
    )
    page = browser.new_page(viewport=PHONE)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", cast.enterprise_admin.mobile)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/home/")
    for path in ["/notify/", "/notify/robots/", f"/notify/robots/{robot.pk}/", "/notify/log/"]:
        page.goto(f"{base}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide"
        if os.environ.get("NOTIFY_SCREENSHOTS"):
            name = path.strip("/").replace("/", "_") or "inbox"
            page.screenshot(path=f"{os.environ['NOTIFY_SCREENSHOTS']}/{name}.png", full_page=True)
    page.close()
