"""Group-robot webhook addresses: which ones we accept, and how they are shown.

A webhook URL is a credential (whoever holds it can post to the group) and the server
fetches it, so it is checked twice: when it is saved and again before every send. Only
the providers' own endpoints are accepted, over HTTPS; `NOTIFY_WEBHOOK_ALLOWED_HOSTS`
adds hosts for a self-hosted gateway or the test server. Nothing else is ever requested
(no server-side request forgery towards the intranet), and redirects are not followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from notify.models import Channel

MAX_URL_LENGTH = 500
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,128}")
_SECRET = re.compile(r"[\x21-\x7e]{8,128}")  # printable ASCII, no spaces


@dataclass(frozen=True)
class Endpoint:
    """A provider's robot endpoint: its host, path and the query parameter with the token."""

    host: str
    path: str
    token_parameter: str
    example: str


ENDPOINTS = {
    Channel.WECOM: Endpoint(
        "qyapi.weixin.qq.com",
        "/cgi-bin/webhook/send",
        "key",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
    ),
    Channel.DINGTALK: Endpoint(
        "oapi.dingtalk.com",
        "/robot/send",
        "access_token",
        "https://oapi.dingtalk.com/robot/send?access_token=…",
    ),
}


def _extra_hosts() -> set[str]:
    return {host.lower() for host in getattr(settings, "NOTIFY_WEBHOOK_ALLOWED_HOSTS", [])}


def webhook_clean(channel: str, url: str) -> str:
    """The webhook URL if it is one of the provider's (or an allowed gateway's), else raise.

    Raises `ValidationError` with a message saying what the address should look like.
    """
    endpoint = ENDPOINTS.get(channel)  # type: ignore[call-overload]
    if endpoint is None:
        raise ValidationError(_("Choose WeCom or DingTalk."))
    value = url.strip()
    expected = _("Paste the robot's webhook address, like %(example)s") % {
        "example": endpoint.example
    }
    if not value or len(value) > MAX_URL_LENGTH or not value.isascii():
        raise ValidationError(expected)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(expected) from exc
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{port}" if port else host
    if parts.username or parts.password or parts.fragment:
        raise ValidationError(expected)
    gateway = netloc in _extra_hosts() or host in _extra_hosts()
    if gateway:
        if parts.scheme not in {"http", "https"}:
            raise ValidationError(expected)
    elif (
        parts.scheme != "https"
        or host != endpoint.host
        or port not in {None, 443}
        or parts.path != endpoint.path
    ):
        raise ValidationError(
            _("Only %(host)s addresses are accepted for this robot, like %(example)s")
            % {"host": endpoint.host, "example": endpoint.example}
        )
    tokens = parse_qs(parts.query, keep_blank_values=True).get(endpoint.token_parameter, [])
    if len(tokens) != 1 or not _TOKEN.fullmatch(tokens[0]):
        raise ValidationError(
            _("The address has no valid %(parameter)s; copy it again from the group's robot.")
            % {"parameter": endpoint.token_parameter}
        )
    return value


def secret_clean(secret: str) -> str:
    """A DingTalk signing secret (SEC…): printable ASCII without spaces, 8 to 128 long."""
    value = secret.strip()
    if not _SECRET.fullmatch(value):
        raise ValidationError(
            _("The signing secret is 8 to 128 letters, digits or symbols (it starts with SEC).")
        )
    return value


def webhook_mask(channel: str, url: str) -> str:
    """The address with its token hidden but for the first and last four characters."""
    endpoint = ENDPOINTS[channel]  # type: ignore[index]
    parts = urlsplit(url)
    token = parse_qs(parts.query).get(endpoint.token_parameter, [""])[0]
    shown = f"{token[:4]}…{token[-4:]}" if len(token) > 8 else "…"
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{endpoint.token_parameter}={shown}"[:120]
