"""Objects of enterprise A1 behind notify's parameterised URLs, for the cross-cutting probes
(tongzhou/tests/test_url_access.py)."""

from __future__ import annotations

from typing import Any

from conftest import Cast

# Robots and the delivery log belong to one organisation alone: the robot's webhook is a
# credential and the log lists (masked) addresses, so only A1's own people may open them.
ROBOT_PAGES = {
    "notify:robot_edit",
    "notify:robot_toggle",
    "notify:robot_test",
    "notify:robot_delete",
}
PERSONAL: set[str] = {*ROBOT_PAGES, "notify:delivery_retry"}


def objects(name: str, cast: Cast) -> dict[str, Any] | None:
    """URL kwargs pointing at A1's object, or None (not ours, or not probed).

    `notify:inbox_open` is not probed here: an inbox item is one person's, so every other
    signed-in member gets 404, which the shared table cannot express for SIGNED_IN pages;
    notify/tests/test_views_inbox.py tests it with the whole cast.
    """
    if name in ROBOT_PAGES:
        return {"pk": _robot(cast).pk}
    if name == "notify:delivery_retry":
        return {"pk": _failed_delivery(cast).pk}
    return None


def _robot(cast: Cast) -> Any:
    from notify.models import ChannelConfig
    from notify.services import RobotData, robot_create

    return ChannelConfig.objects.filter(organization=cast.enterprise).first() or robot_create(
        actor=cast.enterprise_admin,
        organization=cast.enterprise,
        data=RobotData(
            name="防控群",
            channel="wecom",
            webhook="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=accesstest01",
        ),
    )


def _failed_delivery(cast: Cast) -> Any:
    from notify.models import Delivery

    return Delivery.objects.create(
        key="access:1",
        channel="sms",
        scope=cast.enterprise,
        address_hash="access",
        address_enc="",
        address_masked="139****0001",
        subject="通知",
        status=Delivery.Status.FAILED,
        attempts=5,
        last_error="HTTP 500",
    )
