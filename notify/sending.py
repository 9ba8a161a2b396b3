"""Sending queued deliveries: claim them, send each, record the outcome, plan retries.

Two workers may be handed the same deliveries (a task run twice, the retry sweep racing a
scheduled retry). A worker claims a group of rows with one conditional UPDATE that writes
its own random token (only rows still queued or retrying and due), then reads back the
rows that carry its token: whichever worker's UPDATE comes first gets a row, the other
finds it already leased. The claim sets a lease long enough to send the group; if the
worker dies meanwhile, the rows are due again when the lease ends. Each outcome is written
as soon as the row is sent, so a crash re-sends at most the message in flight.

After a failure the row waits `BACKOFF[attempt - 1]` and is tried again, up to
`MAX_ATTEMPTS` in all; then, or at once for an error that cannot get better (a bad token,
a refused number), it is FAILED with the last error in the log. Never dropped silently.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from notify.backends import Backend, SendError, backend_for
from notify.models import Channel, Delivery

logger = logging.getLogger(__name__)

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# Rows claimed at once; the lease covers sending all of them at the slowest (a webhook at
# its connect and read timeouts, doubled as a deadline; an SMTP server at its timeout).
CLAIM_GROUP = 20
LEASE = CLAIM_GROUP * timedelta(seconds=30)
# The sweep leaves a due row alone this long, so that the retry task scheduled for it
# runs first; a row it does pick up gets this long again before it is picked up twice.
SWEEP_GRACE = timedelta(minutes=5)
SWEEP_LIMIT = 20_000
SENDABLE = (Delivery.Status.QUEUED, Delivery.Status.RETRYING)


@dataclass
class Report:
    """What one batch did: sent and failed pks, and when each retrying pk is due again."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: dict[int, datetime] = field(default_factory=dict)


def _due(now: datetime) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def deliveries_claim(pks: Sequence[int]) -> list[Delivery]:
    """Take the rows among `pks` that are due and unsent for this worker; returns them."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimable = (
        Delivery.objects.filter(pk__in=list(pks), status__in=SENDABLE)
        .filter(_due(now))
        .exclude(channel=Channel.INBOX)
    )
    if not claimable.update(claim=token, attempts=F("attempts") + 1, next_attempt_at=now + LEASE):
        return []
    return list(
        Delivery.objects.filter(pk__in=list(pks), claim=token)
        .select_related("robot")
        .order_by("pk")
    )


def _succeeded(row: Delivery, provider_id: str) -> None:
    # Not conditional: a message that went out is SENT even if our lease ran out meanwhile.
    Delivery.objects.filter(pk=row.pk).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        provider_id=provider_id[:100],
        next_attempt_at=None,
        last_error="",
        claim="",
    )


def _failed(row: Delivery, error: SendError) -> datetime | None:
    """Record a failure; returns when to try again, or None when the row has FAILED."""
    now = timezone.now()
    again = error.retryable and row.attempts < MAX_ATTEMPTS
    when = now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1] if again else None
    # Only while the row is still ours: after a lost lease another worker owns the outcome.
    Delivery.objects.filter(pk=row.pk, claim=row.claim).exclude(status=Delivery.Status.SENT).update(
        status=Delivery.Status.RETRYING if again else Delivery.Status.FAILED,
        next_attempt_at=when,
        last_error=error.message[:500],
        claim="",
    )
    logger.warning(
        "delivery %s (%s) attempt %s failed%s: %s",
        row.pk,
        row.channel,
        row.attempts,
        ", will retry" if again else "",
        error.message,
    )
    return when


def _send_one(row: Delivery, backends: dict[str, Backend], report: Report) -> None:
    try:
        if row.channel not in backends:
            backends[row.channel] = backend_for(row.channel)
        provider_id = backends[row.channel].send(row)
    except SendError as exc:
        when = _failed(row, exc)
    except Exception as exc:  # a bug or a misconfiguration must not lose the row
        logger.exception("delivery %s: unexpected error", row.pk)
        error = _("Unexpected error (%(error)s).") % {"error": type(exc).__name__}
        when = _failed(row, SendError(error, retryable=True))
    else:
        _succeeded(row, provider_id)
        report.sent.append(row.pk)
        return
    if when is None:
        report.failed.append(row.pk)
    else:
        report.retry[row.pk] = when


def deliveries_send(*, pks: Sequence[int]) -> Report:
    """Send the given deliveries that are due and not yet sent; safe to run twice."""
    report = Report()
    backends: dict[str, Backend] = {}
    ordered = sorted(set(pks))
    try:
        for start in range(0, len(ordered), CLAIM_GROUP):
            for row in deliveries_claim(ordered[start : start + CLAIM_GROUP]):
                _send_one(row, backends, report)
    finally:
        for backend in backends.values():
            backend.close()
    return report


def deliveries_due(*, now: datetime | None = None) -> list[int]:
    """Deliveries whose time came more than `SWEEP_GRACE` ago and that nobody sent: a
    retry whose task was lost, a batch whose worker died. Each is marked as just picked
    up, so the next sweeps leave it to the task they get for `SWEEP_GRACE`."""
    moment = now or timezone.now()
    overdue = Delivery.objects.filter(
        status__in=SENDABLE, next_attempt_at__lte=moment - SWEEP_GRACE
    ).exclude(channel=Channel.INBOX)
    pks = list(overdue.order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_LIMIT])
    if pks:
        # Conditional again: a row a worker claimed meanwhile has a lease in the future.
        Delivery.objects.filter(
            pk__in=pks, status__in=SENDABLE, next_attempt_at__lte=moment - SWEEP_GRACE
        ).update(next_attempt_at=moment)
    return pks
