"""Demo site logs: the rule table's default rounds at the demo enterprises' sites, and two
weeks of entries with some gaps (a few sites are patchy) and a few corrections.

Only enterprises with a demo account that may record (administrator or staff) get logs:
every entry names who recorded it. Entries are inserted with `bulk_create` (they are
append-only, so this is the same as the service minus the audit rows, one per batch).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, RoleGrant, User
from audit.services import audit_record
from orgs.models import Site
from sitelogs.models import LogEntry, SiteSchedule
from sitelogs.rules import DEFAULT, DEFAULT_SOURCE


@transaction.atomic
def write_sitelogs(*, seed: int, days: int = 14) -> int:
    """Write schedules and `days` days of entries (today's up to now); returns the entry count."""
    rng = random.Random(seed)  # noqa: S311 - a seeded PRNG on purpose: the same demo everywhere
    today = timezone.localdate()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    first = today - dt.timedelta(days=days - 1)
    writers: dict[int, list[User]] = defaultdict(list)
    for grant in RoleGrant.objects.filter(
        role__in=[Role.ADMIN, Role.STAFF], organization__kind="enterprise"
    ).select_related("user"):
        writers[grant.organization_id].append(grant.user)
    sites = list(
        Site.objects.filter(enterprise_id__in=list(writers)).order_by("enterprise_id", "pk")
    )
    schedules = []
    for site in sites:
        for default in DEFAULT.kinds:
            if SiteSchedule.objects.filter(
                site=site, kind=default.kind, valid_until__isnull=True
            ).exists():
                continue
            schedules.append(
                SiteSchedule(
                    enterprise_id=site.enterprise_id,
                    site=site,
                    kind=default.kind,
                    slots=default.slot_times(),
                    duration_minutes=default.duration_minutes,
                    areas=list(default.areas),
                    agent=default.agent,
                    valid_from=first,
                    source=DEFAULT_SOURCE[:200],
                )
            )
    SiteSchedule.objects.bulk_create(schedules)
    patchy = {site.pk for site in sites if rng.random() < 0.3}
    entries: list[LogEntry] = []
    wrong: list[LogEntry] = []
    for schedule in schedules:
        people = writers[schedule.enterprise_id]
        miss = 0.22 if schedule.site_id in patchy else 0.04
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            for text in schedule.slots:
                slot = dt.time.fromisoformat(text)
                due = dt.datetime.combine(day, slot, tzinfo=tz)
                done_at = due + dt.timedelta(minutes=rng.randint(-10, 45))
                if done_at > now or rng.random() < miss:
                    continue
                entry = LogEntry(
                    enterprise_id=schedule.enterprise_id,
                    site_id=schedule.site_id,
                    schedule=schedule,
                    kind=schedule.kind,
                    slot_date=day,
                    slot_time=slot,
                    done_at=done_at,
                    area=rng.choice(schedule.areas) if schedule.areas else "",
                    agent=schedule.agent,
                    who=rng.choice(people),
                )
                (wrong if rng.random() < 0.01 else entries).append(entry)
    LogEntry.objects.bulk_create(entries, batch_size=2000)
    # A few rounds were first recorded with the wrong area, then corrected.
    for entry in wrong:
        entry.area = "（误填）"
    LogEntry.objects.bulk_create(wrong, batch_size=2000)
    corrections = [
        LogEntry(
            enterprise_id=entry.enterprise_id,
            site_id=entry.site_id,
            schedule=entry.schedule,
            kind=entry.kind,
            slot_date=entry.slot_date,
            slot_time=entry.slot_time,
            done_at=entry.done_at,
            area=rng.choice(entry.schedule.areas)
            if entry.schedule and entry.schedule.areas
            else "",
            agent=entry.agent,
            note="区域填错，更正",
            who=entry.who,
            corrects=entry,
        )
        for entry in wrong
    ]
    LogEntry.objects.bulk_create(corrections, batch_size=2000)
    total = len(entries) + len(wrong) + len(corrections)
    audit_record(
        actor=None,
        action="sitelogs.demo",
        scope=None,
        changes={"sites": len(sites), "schedules": len(schedules), "entries": total},
    )
    return total
