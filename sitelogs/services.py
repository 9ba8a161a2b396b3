"""Writes of the site logs: schedules (administrators) and log entries (staff and administrators).

- `schedule_set(*, actor, site, kind, slots, …)`: slots are explicit times ("08:00") or a
  number of rounds a day spread over the day as the rule table says; a change on a later day
  closes the open schedule and opens a new one, so earlier days keep their slots.
- `schedule_apply_defaults(*, actor, site)`: the schedules of the rule table "sitelogs.defaults"
  for the kinds the site has none of.
- `entry_record(*, actor, site, schedule, slot_date, slot_time, …)`: one round done; never
  changed afterwards.
- `entry_correct(*, actor, entry, note, …)`: a new entry pointing at the one it corrects.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, RoleGrant, User
from audit.services import audit_record
from lib.uploads import IMAGE_KINDS, save_with_file, upload_check
from orgs.models import Site
from sitelogs.models import Kind, LogEntry, SiteSchedule
from sitelogs.rules import LATE_DAYS, MAX_SLOTS, defaults_in_force, parse_time, spread

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

WRITER_ROLES = (Role.ADMIN, Role.STAFF)
MAX_AREAS = 50
# A clock a few minutes fast on the phone is not a lie.
CLOCK_SKEW = dt.timedelta(minutes=5)
# A number of rounds a day is spread over the working day.
DAY_FIRST, DAY_LAST = dt.time(8), dt.time(18)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_line(value: str, *, limit: int) -> str:
    """One line of text: NFC, controls and bidi overrides removed, spaces collapsed, cut."""
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", value or ""))
    return " ".join(text.split())[:limit]


def photo_max_bytes() -> int:
    """The size limit of a photo (setting SITELOG_PHOTO_MAX_BYTES, 10 MB)."""
    return int(getattr(settings, "SITELOG_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


def _require(actor: User | None, site: Site, roles: Sequence[str]) -> None:
    """The actor holds one of the roles on the site's enterprise (None = the system)."""
    if actor is None:
        return
    if not RoleGrant.objects.filter(
        user=actor, organization_id=site.enterprise_id, role__in=roles
    ).exists():
        raise PermissionDenied


def _slot_list(slots: Sequence[str] | int) -> list[str]:
    if isinstance(slots, int):
        if not 1 <= slots <= MAX_SLOTS:
            raise ValidationError(
                {"slots": _("Between 1 and %(max)d rounds a day.") % {"max": MAX_SLOTS}}
            )
        return spread(slots, DAY_FIRST, DAY_LAST)
    times: set[str] = set()
    for value in slots:
        try:
            times.add(parse_time(str(value)).strftime("%H:%M"))
        except ValueError:
            raise ValidationError(
                {
                    "slots": _("“%(value)s” is not a time of day (HH:MM).")
                    % {"value": str(value)[:20]}
                }
            ) from None
    if not times:
        raise ValidationError({"slots": _("Give at least one time.")})
    if len(times) > MAX_SLOTS:
        raise ValidationError({"slots": _("At most %(max)d times a day.") % {"max": MAX_SLOTS}})
    return sorted(times)


def _areas(areas: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for area in areas:
        text = clean_line(area, limit=100)
        if text and text not in cleaned:
            cleaned.append(text)
    if len(cleaned) > MAX_AREAS:
        raise ValidationError({"areas": _("At most %(max)d areas.") % {"max": MAX_AREAS}})
    return cleaned


@transaction.atomic
def schedule_set(
    *,
    actor: User | None,
    site: Site,
    kind: str,
    slots: Sequence[str] | int,
    duration_minutes: int = 0,
    areas: Sequence[str] = (),
    agent: str = "",
    label: str = "",
    source: str = "",
) -> SiteSchedule:
    """Set the schedule of one kind for a site from today on (administrators)."""
    _require(actor, site, (Role.ADMIN,))
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Choose a kind of round.")})
    if not 0 <= duration_minutes <= 600:
        raise ValidationError({"duration_minutes": _("Between 0 and 600 minutes.")})
    today = timezone.localdate()
    times = _slot_list(slots)
    fields = {
        "slots": times,
        "duration_minutes": duration_minutes,
        "areas": _areas(areas),
        "agent": clean_line(agent, limit=100),
        "label": clean_line(label, limit=60),
        "source": clean_line(source, limit=200),
    }
    current = (
        SiteSchedule.objects.select_for_update(of=("self",))
        .filter(site=site, kind=kind, valid_until__isnull=True)
        .first()
    )
    if current is not None and current.valid_from >= today:
        before = {name: getattr(current, name) for name in fields}
        for name, value in fields.items():
            setattr(current, name, value)
        current.version += 1
        current.save()
        schedule = current
        changes: dict[str, Any] = {"before": before, "after": fields}
    else:
        if current is not None:
            current.valid_until = today - dt.timedelta(days=1)
            current.save(update_fields=["valid_until"])
        schedule = SiteSchedule.objects.create(
            enterprise_id=site.enterprise_id,
            site=site,
            kind=kind,
            valid_from=today,
            created_by=actor,
            **fields,
        )
        changes = {"after": fields, "replaces": current.pk if current else None}
    audit_record(
        actor=actor,
        action="sitelogs.schedule_set",
        scope=site.enterprise,
        obj=schedule,
        changes=changes,
    )
    return schedule


@transaction.atomic
def schedule_end(*, actor: User | None, schedule: SiteSchedule) -> None:
    """Stop a schedule: no more rounds fall due from tomorrow (from today if it began today)."""
    _require(actor, schedule.site, (Role.ADMIN,))
    locked = SiteSchedule.objects.select_for_update(of=("self",)).get(pk=schedule.pk)
    if locked.valid_until is not None:
        return
    today = timezone.localdate()
    if locked.valid_from >= today and not locked.entries.exists():
        audit_record(
            actor=actor,
            action="sitelogs.schedule_end",
            scope=locked.site.enterprise,
            obj=locked,
            changes={"deleted": True},
        )
        locked.delete()
        return
    locked.valid_until = max(locked.valid_from, today - dt.timedelta(days=1))
    locked.save(update_fields=["valid_until"])
    audit_record(
        actor=actor,
        action="sitelogs.schedule_end",
        scope=locked.site.enterprise,
        obj=locked,
        changes={"valid_until": locked.valid_until.isoformat()},
    )


@transaction.atomic
def schedule_apply_defaults(*, actor: User | None, site: Site) -> list[SiteSchedule]:
    """Schedules from the rule table for each kind the site has no open schedule of."""
    _require(actor, site, (Role.ADMIN,))
    rules, version = defaults_in_force(timezone.localdate())
    source = f"{version.key} v{version.version}" if version else "sitelogs.defaults (default)"
    have = set(
        SiteSchedule.objects.filter(site=site, valid_until__isnull=True).values_list(
            "kind", flat=True
        )
    )
    created = []
    for default in rules.kinds:
        if default.kind in have:
            continue
        created.append(
            schedule_set(
                actor=actor,
                site=site,
                kind=default.kind,
                slots=default.slot_times(),
                duration_minutes=default.duration_minutes,
                areas=default.areas,
                agent=default.agent,
                source=source,
            )
        )
    return created


def _check_slot(schedule: SiteSchedule, slot_date: dt.date, slot_time: dt.time | None) -> None:
    if schedule.valid_from > slot_date or (
        schedule.valid_until is not None and schedule.valid_until < slot_date
    ):
        raise ValidationError({"slot_date": _("The schedule does not cover this day.")})
    if slot_time is not None and slot_time.strftime("%H:%M") not in schedule.slots:
        raise ValidationError({"slot_time": _("This time is not in the schedule.")})


def _check_times(slot_date: dt.date, done_at: dt.datetime) -> None:
    now = timezone.now()
    today = timezone.localdate()
    if slot_date > today:
        raise ValidationError({"slot_date": _("A round cannot be recorded for a future day.")})
    if slot_date < today - dt.timedelta(days=LATE_DAYS):
        raise ValidationError(
            {
                "slot_date": _("Rounds older than %(days)d days cannot be recorded.")
                % {"days": LATE_DAYS}
            }
        )
    if done_at > now + CLOCK_SKEW:
        raise ValidationError({"done_at": _("The time done cannot be in the future.")})
    if timezone.localtime(done_at).date() < slot_date:
        raise ValidationError({"done_at": _("The time done is before the day of the round.")})


def _save_with_photo(entry: LogEntry, photo: UploadedFile | None) -> None:
    """Save the entry, with its photo checked by content when there is one."""
    if photo is None:
        entry.save()
        return
    checked = upload_check(photo, allowed=IMAGE_KINDS, max_bytes=photo_max_bytes())
    entry.photo_name = checked.name
    entry.photo_content_type = checked.content_type
    entry.photo_sha256 = checked.sha256
    save_with_file(entry, field="photo", upload=photo, name=checked.name)


@transaction.atomic
def entry_record(
    *,
    actor: User,
    site: Site,
    schedule: SiteSchedule,
    slot_date: dt.date,
    slot_time: dt.time | None,
    done_at: dt.datetime | None = None,
    area: str = "",
    agent: str = "",
    note: str = "",
    photo: UploadedFile | None = None,
) -> LogEntry:
    """Record one round as done (staff and administrators of the site's enterprise)."""
    _require(actor, site, WRITER_ROLES)
    if schedule.site_id != site.pk:
        raise ValidationError({"schedule": _("This schedule belongs to another site.")})
    done_at = done_at or timezone.now()
    if timezone.is_naive(done_at):
        done_at = timezone.make_aware(done_at)
    _check_times(slot_date, done_at)
    _check_slot(schedule, slot_date, slot_time)
    # Lock the schedule so two taps on the same slot cannot both pass the check below.
    SiteSchedule.objects.select_for_update(of=("self",)).filter(pk=schedule.pk).first()
    if (
        slot_time is not None
        and LogEntry.objects.filter(
            site=site,
            kind=schedule.kind,
            slot_date=slot_date,
            slot_time=slot_time,
            correction__isnull=True,
        ).exists()
    ):
        raise ValidationError(
            _("This round is already recorded; correct that entry if it is wrong."),
            code="duplicate",
        )
    entry = LogEntry(
        enterprise_id=site.enterprise_id,
        site=site,
        schedule=schedule,
        kind=schedule.kind,
        slot_date=slot_date,
        slot_time=slot_time,
        done_at=done_at,
        area=clean_line(area, limit=100),
        agent=clean_line(agent, limit=100),
        note=clean_line(note, limit=300),
        who=actor,
    )
    _save_with_photo(entry, photo)
    audit_record(
        actor=actor,
        action="sitelogs.entry_record",
        scope=site.enterprise,
        obj=entry,
        changes={
            "kind": entry.kind,
            "slot": f"{slot_date.isoformat()} {slot_time.strftime('%H:%M') if slot_time else '-'}",
            "photo": bool(entry.photo_sha256),
        },
    )
    return entry


@transaction.atomic
def entry_correct(
    *,
    actor: User,
    entry: LogEntry,
    note: str,
    slot_time: dt.time | None = None,
    done_at: dt.datetime | None = None,
    area: str | None = None,
    agent: str | None = None,
    photo: UploadedFile | None = None,
) -> LogEntry:
    """Record a correction: a new entry for the same day that replaces `entry` for its slot.

    Only the latest entry of a chain can be corrected; the reason (`note`) is required.
    """
    _require(actor, entry.site, WRITER_ROLES)
    original = (
        LogEntry.objects.select_for_update(of=("self",))
        .select_related("schedule", "site")
        .get(pk=entry.pk)
    )
    if LogEntry.objects.filter(corrects=original).exists():
        raise ValidationError(
            _("This entry has already been corrected; correct the latest entry instead."),
            code="corrected",
        )
    reason = clean_line(note, limit=300)
    if not reason:
        raise ValidationError({"note": _("Say what was wrong.")})
    new_time = original.slot_time if slot_time is None else slot_time
    new_done = done_at or original.done_at
    if timezone.is_naive(new_done):
        new_done = timezone.make_aware(new_done)
    if new_done > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"done_at": _("The time done cannot be in the future.")})
    if timezone.localtime(new_done).date() < original.slot_date:
        raise ValidationError({"done_at": _("The time done is before the day of the round.")})
    # The slot may move within the day's schedule, not to a slot already recorded.
    if original.schedule is not None and new_time != original.slot_time:
        _check_slot(original.schedule, original.slot_date, new_time)
        if LogEntry.objects.filter(
            site=original.site,
            kind=original.kind,
            slot_date=original.slot_date,
            slot_time=new_time,
            correction__isnull=True,
        ).exists():
            raise ValidationError({"slot_time": _("That round is already recorded.")})
    correction = LogEntry(
        enterprise_id=original.enterprise_id,
        site=original.site,
        schedule=original.schedule,
        kind=original.kind,
        slot_date=original.slot_date,
        slot_time=new_time,
        done_at=new_done,
        area=original.area if area is None else clean_line(area, limit=100),
        agent=original.agent if agent is None else clean_line(agent, limit=100),
        note=reason,
        who=actor,
        corrects=original,
    )
    if photo is None and original.photo:
        correction.photo = original.photo.name
        correction.photo_name = original.photo_name
        correction.photo_content_type = original.photo_content_type
        correction.photo_sha256 = original.photo_sha256
        correction.save()
    else:
        _save_with_photo(correction, photo)
    audit_record(
        actor=actor,
        action="sitelogs.entry_correct",
        scope=original.site.enterprise,
        obj=correction,
        changes={"corrects": original.pk},
    )
    return correction
