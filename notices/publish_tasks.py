"""Background work of the publishing side: telling a large audience about a notice."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from notices import services
from notices.models import Notice


@task()
def notify_delivery(notice_pk: int, delivered_at: str) -> int:
    """Tell the recipients of the receipts delivered at `delivered_at` (ISO 8601); safe to
    run twice, and a no-op for a notice that is gone or withdrawn."""
    notice = Notice.objects.select_related("publisher").filter(pk=notice_pk).first()
    if notice is None:
        return 0
    return services.notice_notify(
        notice=notice, delivered_at=dt.datetime.fromisoformat(delivered_at)
    )
