"""Periodic jobs: each app registers what must run every minute; `manage.py tick` runs them.

In development `scripts/run.sh` calls `tick` once a minute; in production a systemd timer
does (`deploy/systemd/tongzhou-tick.timer`). A job must be idempotent and cheap when there
is nothing to do, because it runs every minute whether or not anything is due, and two
ticks may overlap on a slow day. Heavy work is enqueued as a background task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], int]  # returns how many things it did, for the log


JOBS: dict[str, Job] = {}


def periodic(name: str) -> Callable[[Callable[[], int]], Callable[[], int]]:
    """Register a function as a periodic job (call from the app's `ready`)."""

    def decorator(func: Callable[[], int]) -> Callable[[], int]:
        JOBS[name] = Job(name, func)
        return func

    return decorator


def run_all(only: set[str] | None = None) -> dict[str, int | str]:
    """Run every registered job; one failing job is logged and does not stop the others."""
    results: dict[str, int | str] = {}
    for name, job in sorted(JOBS.items()):
        if only and name not in only:
            continue
        try:
            results[name] = job.run()
        except Exception as exc:  # reported, and the next tick tries again
            logger.exception("periodic job %s failed", name)
            results[name] = f"failed: {exc}"
    return results
