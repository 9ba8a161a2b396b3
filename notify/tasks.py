"""Background sending: a task per batch of deliveries, and a sweep for retries that are due.

`send_deliveries` sends what is due among the pks it is given (a repeat is harmless: each
row is claimed before it is sent) and schedules a task for each retry with `run_after`
when the task backend can defer (the database backend can). The periodic job
`notify.retry_due` is the safety net: it re-enqueues deliveries whose time came and went
(the worker was down, a scheduled task was lost).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django_tasks import task, task_backends

from lib.periodic import periodic
from notify.sending import deliveries_due, deliveries_send

logger = logging.getLogger(__name__)


@task()
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    """Send a batch of deliveries; returns counts for the task's result."""
    report = deliveries_send(pks=delivery_ids)
    _schedule(report.retry)
    return {
        "sent": len(report.sent),
        "retrying": len(report.retry),
        "failed": len(report.failed),
    }


def _schedule(retry: dict[int, datetime]) -> None:
    """One deferred task per retry time (rows of a batch failing together share one)."""
    if not retry:
        return
    backend = task_backends[send_deliveries.backend]
    if not backend.supports_defer:
        # The immediate backend (tests, development) would send again at once: leave the
        # rows to the sweep, which finds them when they are due.
        return
    by_second: dict[datetime, list[int]] = defaultdict(list)
    for pk, when in retry.items():
        # Rounded up: a task that ran before the row's time would find nothing due.
        by_second[when.replace(microsecond=0) + timedelta(seconds=1)].append(pk)
    for when, pks in sorted(by_second.items()):
        send_deliveries.using(run_after=when).enqueue(pks)


@periodic("notify.retry_due")
def retry_due() -> int:
    """Re-enqueue deliveries that are overdue; returns how many."""
    from notify.services import enqueue

    pks = deliveries_due()
    if pks:
        logger.info("re-enqueued %s overdue deliveries", len(pks))
        enqueue(pks)
    return len(pks)
