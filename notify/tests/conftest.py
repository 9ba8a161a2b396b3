"""A real HTTP server on 127.0.0.1 standing in for WeCom, DingTalk and Alibaba Cloud SMS.

Each test tells it how to answer: a status and a body, a function of the request (to check
a signature), or to hang longer than the client's timeout. Nothing of httpx is mocked.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import User
from notify.models import ChannelConfig
from notify.services import RobotData, robot_create
from orgs.models import Organization

TIMEOUT = 0.5  # the client's connect and read timeouts in these tests, seconds


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Answer:
    status: int = 200
    body: Any = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})


class Webhook:
    """The server's state: what to answer and what it has seen."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.answer = Answer()
        self.hang = 0.0
        self.respond: Callable[[Seen], Answer] | None = None
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wecom_url(self, key: str = "wecomkey0001") -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def dingtalk_url(self, access: str = "dingtoken0001") -> str:
        return f"{self.base}/robot/send?access_token={access}"

    def reply(self, status: int = 200, body: Any = None) -> None:
        self.answer = Answer(status, {"errcode": 0, "errmsg": "ok"} if body is None else body)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        hook = self.server.hook
        length = int(self.headers.get("Content-Length", "0"))
        parts = urlsplit(self.path)
        seen = Seen(
            method="POST",
            path=parts.path,
            query={k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length),
        )
        with hook.lock:
            hook.seen.append(seen)
        if hook.hang:
            time.sleep(hook.hang)
        answer = hook.respond(seen) if hook.respond else hook.answer
        payload = (
            answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
        )
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hook: Webhook


@pytest.fixture
def webhook(settings: Any) -> Iterator[Webhook]:
    """A local webhook server; the settings allow it and shorten the timeouts."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.hook = Webhook(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings.NOTIFY_WEBHOOK_ALLOWED_HOSTS = [f"127.0.0.1:{server.hook.port}"]
    settings.NOTIFY_HTTP_CONNECT_TIMEOUT = TIMEOUT
    settings.NOTIFY_HTTP_READ_TIMEOUT = TIMEOUT
    try:
        yield server.hook
    finally:
        server.shutdown()
        server.server_close()


def make_robot(
    organization: Organization,
    actor: User,
    url: str,
    *,
    channel: str = "wecom",
    name: str = "防控群",
    secret: str = "",
) -> ChannelConfig:
    return robot_create(
        actor=actor,
        organization=organization,
        data=RobotData(name=name, channel=channel, webhook=url, secret=secret),
    )
