"""Gunicorn settings for tongzhou's web processes (docs/deploy.md).

Start with `gunicorn --config deploy/gunicorn.conf.py tongzhou.wsgi:application`.
Two variables of gunicorn's own tune it per machine: WEB_CONCURRENCY (workers) and
GUNICORN_BIND (listen address). Django settings come from the environment as usual.
"""

from __future__ import annotations

import os


def _cores() -> int:
    """Cores this process may run on (respects CPU affinity and cgroup pinning by systemd)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


wsgi_app = "tongzhou.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

# Sync workers: on 2 cores 2 and 4 workers measured the same and 5 was 15-30 % slower
# (reference/performance-baselines.md §2), so 1.5 per core, at least 2.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, _cores() * 3 // 2)))

# Below nginx's proxy_read_timeout (35 s) and above PostgreSQL's statement_timeout (15 s),
# so a slow query fails in the database first and a stuck worker is replaced before nginx
# gives up. Imports and exports run in the task worker, not here.
timeout = 30
graceful_timeout = 30

# Recycle workers now and then so a slow leak cannot grow for weeks; the jitter keeps them
# from restarting together.
max_requests = 2000
max_requests_jitter = 200

# Django trusts X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) from whoever reaches this
# port, so bind it where only nginx can: loopback, or a private address behind a firewall.

# nginx writes the access log (with tokens redacted); gunicorn's errors go to journald.
accesslog = None
errorlog = "-"
loglevel = "info"

# systemd supervises the process (HUP reloads, TERM stops); the control socket that
# gunicorn 27 opens under $HOME by default is not needed and the home may be read-only.
control_socket_disable = True

# Header limits stay at gunicorn's defaults; the body limit is nginx's client_max_body_size.
proc_name = "tongzhou-web"
