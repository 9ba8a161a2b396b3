"""Background and periodic work of health check-ins.

Periodic jobs (registered at import; `health.apps` imports this module):
- `health.daily_reminder`: the automatic reminder at each enterprise's set time, once a day.
- `health.rollup_roster`: every quarter of an hour, today's roster and observation counts in
  the rollups (and a row for every enterprise, from the first tick after midnight).
- `health.rollup_fold`: every tick, the rollup deltas the ingest service left behind.
- `health.rollup_nightly`: after 01:00, yesterday's rollups rebuilt from the check-ins once.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

# Registers the rule table "health.observation" (this module is imported at start-up).
from health import rules_observation  # noqa: F401
from health.models import DailyRollup
from health.reminders import daily_reminders_due, remind_send
from health.rollups import rollup_fold, rollup_rebuild, rollup_roster_refresh
from lib.periodic import periodic
from orgs.models import Organization, OrganizationKind

ROSTER_EVERY_MINUTES = 15
NIGHTLY_AFTER = dt.time(1, 0)


@task()
def checkin_import_task(job_id: int) -> None:
    """Check and record one uploaded file of check-ins (health.imports)."""
    from health.imports import checkin_import_run

    checkin_import_run(job_id)


@task()
def send_reminders(enterprise_id: int, day: str, number: int) -> int:
    """Send one reminder of an enterprise to those who have not checked in."""
    return remind_send(enterprise_id=enterprise_id, day=dt.date.fromisoformat(day), number=number)


@task()
def rebuild_rollups(day: str, enterprise_ids: list[int] | None = None) -> int:
    """Recompute the rollups of a day (all enterprises, or those given)."""
    return rollup_rebuild(day=dt.date.fromisoformat(day), enterprise_ids=enterprise_ids)


@periodic("health.daily_reminder")
def daily_reminder() -> int:
    return daily_reminders_due()


@periodic("health.rollup_roster")
def rollup_roster() -> int:
    """Refresh today's rows every quarter of an hour, and at once when one is missing."""
    now = timezone.localtime()
    enterprises = Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).count()
    rows = DailyRollup.objects.filter(day=now.date()).count()
    if now.minute % ROSTER_EVERY_MINUTES and rows >= enterprises:
        return 0
    return rollup_roster_refresh(day=now.date())


@periodic("health.rollup_fold")
def rollup_fold_pending() -> int:
    """Fold the rollup deltas the ingest service left behind (it folds its own within a
    fraction of a second; this catches those of a worker that stopped before it could)."""
    return rollup_fold()


@periodic("health.rollup_nightly")
def rollup_nightly() -> int:
    """Rebuild yesterday once, on the first tick after 01:00 (its rows then carry a later
    `updated_at` than 01:00 today, which is how the next ticks know it is done)."""
    now = timezone.localtime()
    if now.time() < NIGHTLY_AFTER:
        return 0
    yesterday = now.date() - dt.timedelta(days=1)
    since = timezone.make_aware(dt.datetime.combine(now.date(), NIGHTLY_AFTER))
    rows = DailyRollup.objects.filter(day=yesterday)
    if rows.exists() and not rows.filter(updated_at__lt=since).exists():
        return 0
    return rollup_rebuild(day=yesterday)
