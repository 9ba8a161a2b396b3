"""Background work of the recipient side: sending a round of reminders."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from notices import receipts


@task()
def send_reminders(notice_pk: int, reminded_at: str) -> int:
    """Send the reminders stamped `reminded_at` (ISO 8601); safe to run twice."""
    return receipts.reminders_send(
        notice_pk=notice_pk, reminded_at=dt.datetime.fromisoformat(reminded_at)
    )
