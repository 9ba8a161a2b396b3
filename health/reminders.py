"""Reminders to check in: by SMS with the employee's personal link, only to those who have
not submitted, and never twice for the same reminder.

Reminder 0 of a day is the automatic one at the time the enterprise sets
(`CheckInSettings.reminder_time`, sent by the periodic job `health.daily_reminder`); an
officer may send up to `MANUAL_PER_DAY` more from the day page (numbers 1, 2, 3). Each
SMS goes out under the notify key `health:remind:<day>:<employee>:<number>`, so a repeated
request or a task run twice sends nothing new. Employees who withdrew their consent to
health data are not reminded; those who have not answered yet are (the link asks them).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import RoleGrant, User
from audit.selectors import audit_event_list
from audit.services import audit_record
from health.models import CheckInSettings
from health.selectors import not_submitted_list, withdrawn_consent_ids
from lib import crypto
from notify.models import Channel
from notify.services import Message, Recipient, notify_send
from orgs.models import Organization
from workforce.links import link_path
from workforce.models import Employee

MANUAL_PER_DAY = 3
ACTION = "health.remind"


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def reminders_sent(*, viewer: RoleGrant, day: dt.date) -> int:
    """How many manual reminders the viewer's enterprise has sent on a day."""
    return (
        audit_event_list(viewer=viewer, action=ACTION)
        .filter(at__gte=_start_of(day), at__lt=_start_of(day + dt.timedelta(days=1)))
        .count()
    )


def remind_recipients(*, enterprise: Organization, day: dt.date) -> list[Employee]:
    """Active employees with no check-in for the day, except those who withdrew consent."""
    viewer = RoleGrant(organization=enterprise)
    return list(
        not_submitted_list(viewer=viewer, day=day)
        .exclude(pk__in=withdrawn_consent_ids(enterprise=enterprise))
        .select_related(None)
        .only("pk", "name", "mobile_enc", "language", "link_generation", "enterprise_id")
    )


@transaction.atomic
def remind_now(*, actor: User, viewer: RoleGrant, number: int) -> int:
    """Queue reminder `number` of today for everyone who has not checked in; returns how
    many will be reminded. A number already sent (a double click, two officers at once) or
    past the daily limit is refused."""
    enterprise = viewer.organization
    today = timezone.localdate()
    # One reminder at a time per enterprise: the settings row is the lock.
    CheckInSettings.objects.get_or_create(enterprise=enterprise)
    CheckInSettings.objects.select_for_update().filter(enterprise=enterprise).first()
    sent = reminders_sent(viewer=viewer, day=today)
    if number != sent + 1:
        raise ValidationError(
            _("This reminder has already been sent; reload the page to see who is still missing."),
            code="sent",
        )
    if number > MANUAL_PER_DAY:
        raise ValidationError(
            _("At most %(limit)d reminders a day can be sent from here.")
            % {"limit": MANUAL_PER_DAY},
            code="limit",
        )
    count = len(remind_recipients(enterprise=enterprise, day=today))
    if not count:
        raise ValidationError(_("Everyone has checked in today; nobody to remind."), code="none")
    audit_record(
        actor=actor,
        action=ACTION,
        scope=enterprise,
        changes={"day": today.isoformat(), "number": number, "recipients": count},
    )
    transaction.on_commit(partial(_enqueue, enterprise.pk, today, number))
    return count


def _enqueue(enterprise_id: int, day: dt.date, number: int) -> None:
    from health.tasks import send_reminders

    send_reminders.enqueue(enterprise_id, day.isoformat(), number)


def _absolute(path: str) -> str:
    base = getattr(settings, "SITE_URL", "") or ""
    return base.rstrip("/") + path


def remind_send(*, enterprise_id: int, day: dt.date, number: int) -> int:
    """Send reminder `number` of a day to those still missing then; returns the SMS queued.
    Safe to run twice: the keys make a repeat send nothing."""
    enterprise = Organization.objects.filter(pk=enterprise_id).first()
    if enterprise is None or day != timezone.localdate():
        return 0  # a stale task: yesterday's reminder is no use today
    queued = 0
    for employee in remind_recipients(enterprise=enterprise, day=day):
        language = employee.language or settings.LANGUAGE_CODE
        path = link_path(employee)
        with translation.override(language):
            # An SMS carries the subject and the link (notify makes it absolute on SITE_URL).
            subject = _("%(enterprise)s: please fill in today's health check-in") % {
                "enterprise": enterprise.short_name or enterprise.name
            }
            message = Message(
                subject=subject[:200],
                body=_("Open your personal link to check in: %(link)s") % {"link": _absolute(path)},
                url=path,
            )
        queued += notify_send(
            key=f"health:remind:{day.isoformat()}:{employee.pk}:{number}",
            message=message,
            recipients=[Recipient(mobile=crypto.decrypt(employee.mobile_enc))],
            channels=[Channel.SMS],
            scope=enterprise,
        )
    return queued


def daily_reminders_due(*, now: dt.datetime | None = None) -> int:
    """Claim today's automatic reminder of every enterprise whose time has come, and queue
    it; each enterprise is claimed once a day (the job may overlap itself)."""
    local = timezone.localtime(now)
    today = local.date()
    not_yet = Q(last_reminder_on__isnull=True) | Q(last_reminder_on__lt=today)
    due = CheckInSettings.objects.filter(
        not_yet, reminder_time__isnull=False, reminder_time__lte=local.time()
    ).values_list("pk", "enterprise_id")
    claimed = 0
    for pk, enterprise_id in list(due):
        if CheckInSettings.objects.filter(not_yet, pk=pk).update(last_reminder_on=today):
            claimed += 1
            transaction.on_commit(partial(_enqueue, enterprise_id, today, 0))
    return claimed


@transaction.atomic
def settings_save(
    *,
    actor: User,
    enterprise: Organization,
    reminder_time: dt.time | None,
    officers: list[User],
) -> CheckInSettings:
    """Save when the daily reminder goes out and who the prevention officers are. A time
    that has already passed today starts tomorrow (no SMS in the evening because the
    settings were saved then)."""
    allowed = set(User.objects.filter(grants__organization=enterprise).values_list("pk", flat=True))
    if any(user.pk not in allowed for user in officers):
        raise ValidationError({"officers": _("Choose people of your own enterprise.")})
    row, _created = CheckInSettings.objects.select_for_update().get_or_create(enterprise=enterprise)
    before = {
        "reminder_time": row.reminder_time.strftime("%H:%M") if row.reminder_time else "",
        "officers": sorted(row.officers.values_list("pk", flat=True)),
    }
    now = timezone.localtime()
    if reminder_time is not None:
        reminder_time = reminder_time.replace(second=0, microsecond=0)
        if reminder_time != row.reminder_time and reminder_time <= now.time():
            row.last_reminder_on = now.date()
    row.reminder_time = reminder_time
    row.save(update_fields=["reminder_time", "last_reminder_on", "updated_at"])
    row.officers.set(officers)
    after = {
        "reminder_time": reminder_time.strftime("%H:%M") if reminder_time else "",
        "officers": sorted(user.pk for user in officers),
    }
    audit_record(
        actor=actor,
        action="health.settings",
        scope=enterprise,
        obj=row,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    return row
