"""WeCom (企业微信) and DingTalk (钉钉) group robots: a markdown message POSTed to a webhook.

WeCom: https://developer.work.weixin.qq.com/document/path/91770 — `{"msgtype": "markdown",
"markdown": {"content": …}}`, content at most 4096 bytes, `errcode` 0 on success.
DingTalk: https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages —
`{"msgtype": "markdown", "markdown": {"title": …, "text": …}}`; in signed mode the URL
carries `timestamp` (ms) and `sign` = urlencode(base64(HMAC-SHA256(secret,
f"{timestamp}\\n{secret}"))), valid for an hour. Both robots accept about 20 messages a
minute: their rate-limit codes are retried with backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lib import crypto
from notify.backends import Backend, SendError, absolute_link
from notify.backends import http as web
from notify.models import ChannelConfig, Delivery
from notify.webhooks import webhook_clean

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 18_000  # DingTalk allows 20,000; room for the title and the link

# Codes worth retrying: the robot's rate limit and the provider's own trouble. Any other
# non-zero errcode (bad key or token, robot removed, failed signature, keyword missing,
# content refused) will not get better by itself and fails at once.
WECOM_RETRYABLE = {-1, 45009, 45033}  # system busy, API frequency, concurrency limit
DINGTALK_RETRYABLE = {-1, 130101, 130102, 410100}  # busy, sending too fast, flow control


def fit(text: str, max_bytes: int) -> str:
    """Cut text to at most `max_bytes` of UTF-8, on a character boundary, marking the cut."""
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max_bytes - 3].decode(errors="ignore") + "…"


def markdown(delivery: Delivery, max_bytes: int) -> str:
    """The message as robot markdown: the subject in bold, the body, a link into the app."""
    link = absolute_link(delivery.url)
    footer = f"\n\n[{_('Open in Tongzhou')}]({link})" if link else ""
    head = f"**{delivery.subject}**"
    body = delivery.body.strip()
    room = max_bytes - len(head.encode()) - len(footer.encode()) - 2
    text = f"{head}\n\n{fit(body, room)}" if body and room > 0 else head
    return fit(text + footer, max_bytes)


def _robot_url(delivery: Delivery) -> tuple[ChannelConfig, str]:
    robot = delivery.robot
    if robot is None:
        raise SendError(_("The group robot was removed."), retryable=False)
    if not robot.enabled:
        raise SendError(_("The group robot is switched off."), retryable=False)
    try:
        url = webhook_clean(robot.channel, crypto.decrypt(robot.webhook_enc))
    except (ValueError, ValidationError) as exc:
        raise SendError(_("The robot's webhook address is not allowed."), retryable=False) from exc
    return robot, url


def _errcode(answer: web.Answer, retryable: set[int]) -> None:
    """Raise unless the robot answered `errcode` 0."""
    web.refuse_status(answer)
    data = answer.json()
    if data is None or not isinstance(data.get("errcode"), int):
        raise SendError(_("The robot gave an answer that is not JSON."), retryable=True)
    code: int = data["errcode"]
    if code != 0:
        message = str(data.get("errmsg", ""))[:200]
        raise SendError(
            _("The robot refused the message: errcode %(code)s %(message)s")
            % {"code": code, "message": message},
            retryable=code in retryable,
        )


class WeComBackend(Backend):
    """Posts to a WeCom group robot."""

    def __init__(self) -> None:
        self.http = web.client()

    def send(self, delivery: Delivery) -> str:
        _robot, url = _robot_url(delivery)
        payload = {
            "msgtype": "markdown",
            "markdown": {"content": markdown(delivery, WECOM_MAX_BYTES)},
        }
        _errcode(web.post(self.http, url, json=payload), WECOM_RETRYABLE)
        return ""

    def close(self) -> None:
        self.http.close()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature of a timestamp, URL-encoded for the query string."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """The webhook with `timestamp` and `sign` appended (signed mode)."""
    stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return f"{url}&timestamp={stamp}&sign={dingtalk_sign(secret, stamp)}"


class DingTalkBackend(Backend):
    """Posts to a DingTalk group robot, signing the request when the robot has a secret."""

    def __init__(self) -> None:
        self.http = web.client()

    def send(self, delivery: Delivery) -> str:
        robot, url = _robot_url(delivery)
        if robot.secret_enc:
            try:
                secret = crypto.decrypt(robot.secret_enc)
            except ValueError as exc:
                raise SendError(
                    _("The robot's signing secret cannot be decrypted."), retryable=False
                ) from exc
            url = dingtalk_signed_url(url, secret)
        payload = {
            "msgtype": "markdown",
            "markdown": {
                "title": delivery.subject[:100],
                "text": markdown(delivery, DINGTALK_MAX_BYTES),
            },
        }
        _errcode(web.post(self.http, url, json=payload), DINGTALK_RETRYABLE)
        return ""

    def close(self) -> None:
        self.http.close()
