"""Channel backends behind one interface: `send(delivery) -> provider_id`, or `SendError`.

A backend is made for one batch of deliveries (`backend_for`) and closed after it, so an
SMTP connection or an HTTP connection pool serves the whole batch. To add a provider,
subclass `Backend` (docs/notifications.md, "Adding a provider").
"""

from __future__ import annotations

from urllib.parse import urljoin

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from lib import crypto
from notify.models import Channel, Delivery


class SendError(Exception):
    """A failed send; `retryable` says whether trying again later may succeed.

    The message is shown in the delivery log: it never contains a credential (a webhook
    token, an access key) or the full address.
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class Backend:
    """One channel's way of sending; subclasses implement `send`."""

    def send(self, delivery: Delivery) -> str:
        """Send one delivery; return the provider's message id ("" if it gives none)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections at the end of a batch."""


def absolute_link(url: str) -> str:
    """The delivery's link as an absolute URL on SITE_URL ("" when there is none)."""
    if not url:
        return ""
    if url.startswith(("https://", "http://")):
        return url
    return urljoin(settings.SITE_URL.rstrip("/") + "/", url.lstrip("/"))


def address_of(delivery: Delivery) -> str:
    """The plaintext address (email or mobile) of a delivery, decrypted for sending only."""
    if not delivery.address_enc:
        raise SendError(_("There is no address to send to."), retryable=False)
    try:
        return crypto.decrypt(delivery.address_enc)
    except ValueError as exc:
        raise SendError(_("The address cannot be decrypted."), retryable=False) from exc


def backend_for(channel: str) -> Backend:
    """A fresh backend for `channel` (email, SMS, WeCom or DingTalk)."""
    from notify.backends.email import EmailBackend
    from notify.backends.robots import DingTalkBackend, WeComBackend

    if channel == Channel.EMAIL:
        return EmailBackend()
    if channel == Channel.SMS:
        backend: Backend = import_string(settings.SMS_BACKEND)()
        return backend
    if channel == Channel.WECOM:
        return WeComBackend()
    if channel == Channel.DINGTALK:
        return DingTalkBackend()
    raise ValueError(f"no backend sends {channel!r}")
