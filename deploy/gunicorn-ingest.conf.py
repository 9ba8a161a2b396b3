"""Gunicorn settings for the check-in ingest service (health/ingest, ADR 0012).

Start with `gunicorn --config deploy/gunicorn-ingest.conf.py` in the same environment as
the web processes (docs/deploy.md §4b). Variables: INGEST_CONCURRENCY (workers),
INGEST_BIND (listen address), INGEST_POOL_SIZE (PostgreSQL connections per worker).
"""

from __future__ import annotations

import os


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


wsgi_app = "health.ingest.app:app"
bind = [os.environ.get("INGEST_BIND", "127.0.0.1:8001")]

# One event loop more than there are cores: each worker serves many requests at once, and
# the extra one keeps the cores busy while another waits on a lock or a flush. On 2 cores
# 3 workers took 1,320-1,566 check-ins/s where 2 took 1,131-1,394 (bench/health_ingest.py).
worker_class = "uvicorn_worker.UvicornWorker"
workers = int(os.environ.get("INGEST_CONCURRENCY", max(2, _cores() + 1)))

# As for the web processes: below nginx's proxy_read_timeout (35 s), above PostgreSQL's
# statement_timeout (15 s).
timeout = 30
graceful_timeout = 30
max_requests = 20000
max_requests_jitter = 2000

# Bound to loopback (or a private address): nginx is the only client.
accesslog = None
errorlog = "-"
loglevel = "info"
control_socket_disable = True
proc_name = "tongzhou-ingest"
