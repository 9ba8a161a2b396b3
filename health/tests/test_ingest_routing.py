"""nginx sends `POST /api/v1/health/checkins` with an API key to the ingest service and
everything else to Django (deploy/nginx/tongzhou.conf, ADR 0012).

The test runs a real nginx with the `map` and the `location` block copied verbatim from
the deployment file, in front of two stub upstreams that say who answered.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "tongzhou.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = pytest.mark.skipif(
    NGINX is None and not os.environ.get("TONGZHOU_REQUIRE_TOOLS"),
    reason="nginx is not installed (apt-get install nginx)",
)


def _block(text: str, opening: str) -> str:
    start = text.index(opening)
    end = text.index("}", start)
    return text[start : end + 1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Stub(http.server.BaseHTTPRequestHandler):
    name = "stub"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        body = self.name.encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def _serve(name: str) -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = type(f"Stub_{name}", (_Stub,), {"name": name})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[int]:
    assert NGINX is not None, "TONGZHOU_REQUIRE_TOOLS is set but nginx is missing"
    web, web_port = _serve("django")
    ingest, ingest_port = _serve("ingest")
    text = CONF.read_text()
    routing = _block(text, 'map "$request_method $http_authorization" $tongzhou_checkins')
    location = _block(text, "location = /api/v1/health/checkins")
    port = _free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"""
{user}
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    upstream tongzhou_web {{ server 127.0.0.1:{web_port}; }}
    upstream tongzhou_ingest {{ server 127.0.0.1:{ingest_port}; keepalive 4; }}
    {routing}
    server {{
        listen 127.0.0.1:{port};
        {location}
        location / {{ proxy_pass http://tongzhou_web; }}
    }}
}}
"""
    )
    process = subprocess.Popen(  # noqa: S603 - nginx found by shutil.which, our own config
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "")
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        web.shutdown()
        ingest.shutdown()


def _who(port: int, path: str, method: str = "POST", **headers: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=b"{}" if method == "POST" else None,
        method=method,
        headers=headers,
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return str(response.read().decode())


def test_nginx_sends_only_keyed_check_in_posts_to_the_ingest_service(nginx: int) -> None:
    path = "/api/v1/health/checkins"
    assert _who(nginx, path, Authorization="Bearer tz_abc") == "ingest"
    assert _who(nginx, path, Authorization="bearer tz_abc") == "ingest"
    # A browser session, a GET, the batch and any other path stay with Django.
    assert _who(nginx, path, Cookie="sessionid=abc") == "django"
    assert _who(nginx, path) == "django"
    assert _who(nginx, path, method="GET", Authorization="Bearer tz_abc") == "django"
    assert _who(nginx, f"{path}/batch", Authorization="Bearer tz_abc") == "django"
    assert _who(nginx, f"{path}/", Authorization="Bearer tz_abc") == "django"
    assert _who(nginx, "/api/v1/health/summary", Authorization="Bearer tz_abc") == "django"
    assert _who(nginx, path, Authorization="Basic dXNlcjpwYXNz") == "django"


def test_the_deployment_file_routes_to_the_ingest_port_of_its_gunicorn_config() -> None:
    text = CONF.read_text()
    upstream = _block(text, "upstream tongzhou_ingest")
    conf = (CONF.parents[1] / "gunicorn-ingest.conf.py").read_text()
    default_bind = re.search(r'"INGEST_BIND", "([^"]+)"', conf)
    assert default_bind is not None
    assert f"server {default_bind.group(1)} " in upstream
