"""HTTP for providers and robots: short timeouts, a deadline, small answers, no redirects.

A webhook that hangs, trickles its answer or sends megabytes must not hold a worker: the
connection gets `NOTIFY_HTTP_CONNECT_TIMEOUT` seconds, each read `NOTIFY_HTTP_READ_TIMEOUT`,
the whole exchange twice their sum, and the answer at most 64 KiB. A timeout, a broken
connection and a 5xx or 429 answer are worth retrying; other 4xx answers are not.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from notify.backends import SendError

MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> dict[str, Any] | None:
        """The answer as a JSON object, or None when it is not one."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def _timeouts() -> tuple[float, float]:
    return (
        float(getattr(settings, "NOTIFY_HTTP_CONNECT_TIMEOUT", 3.0)),
        float(getattr(settings, "NOTIFY_HTTP_READ_TIMEOUT", 5.0)),
    )


def client() -> httpx.Client:
    """A client for one batch: pooled connections, short timeouts, redirects refused."""
    connect, read = _timeouts()
    return httpx.Client(
        timeout=httpx.Timeout(read, connect=connect, pool=connect),
        follow_redirects=False,
        headers={"User-Agent": "tongzhou-notify/1"},
        trust_env=False,  # no proxy from the environment: the allowed hosts are the point
    )


def post(http: httpx.Client, url: str, **kwargs: Any) -> Answer:
    """POST and read the answer within the deadline; transport problems are retryable.

    Any status comes back as an `Answer`; `refuse_status` judges it.
    """
    connect, read = _timeouts()
    deadline = time.monotonic() + 2 * (connect + read)
    try:
        with http.stream("POST", url, **kwargs) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise SendError(_("The answer was too large."), retryable=False)
                if time.monotonic() > deadline:
                    raise SendError(_("The answer took too long."), retryable=True)
            status = response.status_code
    except httpx.TimeoutException as exc:
        raise SendError(
            _("No answer within %(seconds)s s.") % {"seconds": f"{connect + read:g}"},
            retryable=True,
        ) from exc
    except httpx.TransportError as exc:
        # The class name, not the message: messages of some errors quote the URL.
        raise SendError(
            _("Connection failed (%(error)s).") % {"error": type(exc).__name__}, retryable=True
        ) from exc
    return Answer(status, bytes(body))


def refuse_status(answer: Answer) -> None:
    """Raise for an answer that is not a success: 5xx and 429 retryable, others not."""
    if answer.status >= 500 or answer.status == 429:
        raise SendError(
            _("The server answered HTTP %(status)s.") % {"status": answer.status}, retryable=True
        )
    if answer.status >= 300:
        raise SendError(
            _("The server refused the request: HTTP %(status)s.") % {"status": answer.status},
            retryable=False,
        )
