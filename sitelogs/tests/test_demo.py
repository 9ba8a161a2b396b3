"""The demo writes two weeks of site logs with gaps for enterprises that have recorders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import RoleGrant
from conftest import Cast, make_site
from sitelogs import selectors
from sitelogs.demo import write_sitelogs
from sitelogs.models import LogEntry, SiteSchedule

pytestmark = pytest.mark.django_db


def test_it_writes_two_weeks_of_logs_with_gaps(cast: Cast) -> None:
    for n in range(6):
        make_site(cast.enterprise, f"分店{n}")
    written = write_sitelogs(seed=7, days=14)
    assert written == LogEntry.objects.count() > 0
    # every enterprise with a recorder got the three default kinds at each site
    assert SiteSchedule.objects.filter(site=cast.site).count() == 3
    assert SiteSchedule.objects.filter(site=cast.other_site).count() == 3
    today = timezone.localdate()
    assert LogEntry.objects.filter(slot_date__gt=today).count() == 0
    assert LogEntry.objects.filter(done_at__gt=timezone.now()).count() == 0
    grant = RoleGrant.objects.get(user=cast.enterprise_admin)
    week = selectors.overdue_days(viewer=grant, until=today - dt.timedelta(days=1), days=13)
    assert sum(c.done for _, c in week) > 0
    assert sum(c.overdue for _, c in week) > 0  # some rounds were missed
    # running it again leaves sites that have schedules alone
    assert write_sitelogs(seed=7, days=1) == 0
    assert SiteSchedule.objects.filter(site=cast.site).count() == 3
    assert LogEntry.objects.count() == written
