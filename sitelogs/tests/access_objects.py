"""URL arguments for the cross-cutting access test (tongzhou/tests/test_url_access.py):
enterprise A1's site, and an entry of it with a photo (names of who recorded it are shown)."""

from __future__ import annotations

from typing import Any

# The history, correction and photo pages show who recorded a round: A1's own people only.
PERSONAL: set[str] = {"sitelogs:correct", "sitelogs:photo", "sitelogs:history"}

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _entry(cast: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from sitelogs.models import LogEntry
    from sitelogs.services import entry_record, schedule_set

    existing = LogEntry.objects.filter(site=cast.site).first()
    if existing is not None:
        return existing
    schedule = schedule_set(
        actor=cast.enterprise_admin, site=cast.site, kind="disinfection", slots=["00:00"]
    )
    return entry_record(
        actor=cast.enterprise_admin,
        site=cast.site,
        schedule=schedule,
        slot_date=timezone.localdate(),
        slot_time=schedule_slot(schedule),
        photo=SimpleUploadedFile("现场.png", PNG, content_type="image/png"),
    )


def schedule_slot(schedule: Any) -> Any:
    import datetime as dt

    return dt.time.fromisoformat(schedule.slots[0])


def objects(name: str, cast: Any) -> dict[str, Any] | None:
    if name in {"sitelogs:site", "sitelogs:record", "sitelogs:history", "sitelogs:schedules"}:
        return {"pk": cast.site.pk}
    if name in {"sitelogs:correct", "sitelogs:photo"}:
        return {"pk": _entry(cast).pk}
    return None
