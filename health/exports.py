"""Check-in export: a day or a range as .xlsx or .csv, mobile numbers masked by default.

Full numbers need an administrator and a stated purpose. Every export is audited as access
to personal data (the file holds names and health answers), with whether it was masked.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import RoleGrant, User
from audit.services import audit_record
from health.models import CheckIn
from health.rules import Question, text_for
from health.selectors import checkin_list
from health.services import FormSpec, answer_text, checkin_form_of, reason_texts
from lib import crypto
from lib.spreadsheets import write_csv, write_xlsx

EXPORT_MAX_ROWS = 100_000
FIXED_HEADERS = (
    "日期",
    "姓名",
    "手机号码",
    "所在场所",
    "状态",
    "体温",
    "异常原因",
    "填报方式",
    "代填人",
    "提交时间",
)


@dataclass(frozen=True)
class CheckInExport:
    filename: str
    content: bytes
    content_type: str
    rows: int


def _specs(checkins: list[CheckIn]) -> dict[str, FormSpec]:
    """The form of each version among the check-ins (one lookup per version)."""
    specs: dict[str, FormSpec] = {}
    for checkin in checkins:
        if checkin.form_version not in specs:
            specs[checkin.form_version] = checkin_form_of(checkin)
    return specs


def _questions(specs: dict[str, FormSpec]) -> list[Question]:
    """Every question of those forms, in the order they first appear (no temperature: it
    has its own column)."""
    seen: dict[str, Question] = {}
    for spec in specs.values():
        for question in spec.questions:
            if question.kind != "temperature":
                seen.setdefault(question.key, question)
    return list(seen.values())


@transaction.atomic
def checkin_export(
    *,
    actor: User,
    viewer: RoleGrant,
    start: dt.date,
    end: dt.date,
    unmasked: bool,
    purpose: str,
    file_format: str = "xlsx",
) -> CheckInExport:
    """Write the enterprise's check-ins from start to end and audit the export."""
    purpose = " ".join(purpose.split())
    if unmasked and not viewer.is_admin:
        raise PermissionDenied
    if unmasked and not purpose:
        raise ValidationError({"purpose": _("Say why you need the full numbers.")})
    if end < start:
        raise ValidationError({"end": _("The end must not be before the start.")})
    checkins_qs = checkin_list(viewer=viewer, start=start, end=end)
    count = checkins_qs.count()
    if count > EXPORT_MAX_ROWS:
        raise ValidationError(
            _("At most %(limit)d check-ins per export; choose fewer days.")
            % {"limit": EXPORT_MAX_ROWS},
            code="too_many_rows",
        )
    checkins = list(checkins_qs)
    specs = _specs(checkins)
    questions = _questions(specs)
    headers = [*FIXED_HEADERS, *(text_for(q.label, "zh-hans") for q in questions)]
    rows = _rows(checkins, specs, questions, unmasked=unmasked)
    now = timezone.localtime()
    if file_format == "csv":
        content = write_csv(headers, rows)
        content_type = "text/csv; charset=utf-8"
    else:
        note = _("Exported by {who} at {when} · {kind} · {enterprise}").format(
            who=actor.display_label,
            when=now.strftime("%Y-%m-%d %H:%M"),
            kind=_("full numbers") if unmasked else _("masked"),
            enterprise=viewer.organization.name,
        )
        content = write_xlsx(sheets=[(_("Check-ins"), headers, rows)], header_note=note)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    audit_record(
        actor=actor,
        action="health.checkin_export",
        scope=viewer.organization,
        changes={
            "start": start.isoformat(),
            "end": end.isoformat(),
            "rows": count,
            "masked": not unmasked,
            "format": file_format,
            "purpose": purpose[:200],
        },
        personal_data=True,
    )
    suffix = "full" if unmasked else "masked"
    extension = "csv" if file_format == "csv" else "xlsx"
    span = start.strftime("%Y%m%d") + ("" if start == end else "-" + end.strftime("%Y%m%d"))
    return CheckInExport(
        filename=f"checkins-{span}-{suffix}.{extension}",
        content=content,
        content_type=content_type,
        rows=count,
    )


def _rows(
    checkins: list[CheckIn],
    specs: dict[str, FormSpec],
    questions: list[Question],
    *,
    unmasked: bool,
) -> Iterator[list[object]]:
    texts: dict[tuple[str, str], str] = {}

    def answer(question: Question, value: object) -> str:
        # Answers repeat (and a region's name is a query): each distinct one is read once.
        key = (question.key, json.dumps(value, sort_keys=True, ensure_ascii=False))
        if key not in texts:
            texts[key] = answer_text(question, value)
        return texts[key]

    for checkin in checkins:
        employee = checkin.employee
        spec = specs[checkin.form_version]
        mobile = crypto.decrypt(employee.mobile_enc) if unmasked else employee.mobile_masked
        yield [
            checkin.day,
            employee.name,
            mobile,
            checkin.site.name if checkin.site else "",
            checkin.get_status_display(),
            checkin.temperature,
            "；".join(reason_texts(spec=spec, reasons=checkin.reasons, answers=checkin.answers)),
            checkin.get_via_display(),
            checkin.recorded_by.display_label
            if checkin.recorded_by and checkin.via != "self"
            else "",
            checkin.submitted_at,
            *(
                answer(q, checkin.answers[q.key]) if q.key in checkin.answers else ""
                for q in questions
            ),
        ]
