"""Check-in import: a spreadsheet of check-ins (one row per employee and day), for staff
without a phone whose answers were collected on paper or by another system.

Columns: 日期 (day), 姓名 (name), 手机号码 (mobile: identifies the employee on the roster,
and the name must match), then one column per question of the enterprise's check-in form,
headed by its Chinese label (the key, or the Traditional Chinese or English label, work
too). Choice answers are written as their labels; several answers are separated by commas.

Every row goes through the same validation as a check-in on the phone
(`health.services.checkin_submit`, recorded "via import"); the whole file is written in
one transaction and rolled back when any row has a problem, and every problem of every
row is listed. An upload is stored as a `CheckInImport` and checked by the task worker
(`checkin_import_create` → task `health.tasks.checkin_import_task` → `checkin_import_run`),
so a file of a large enterprise's whole day (up to `IMPORT_MAX_ROWS`) never holds a web
process; the page polls the job until it has finished, and the file's bytes are dropped
once it has.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from health.models import CheckIn, CheckInImport, Via
from health.rules import LANGUAGES, Question, text_for
from health.services import FormSpec, checkin_form_for, checkin_submit
from lib import crypto
from lib.ids import normalize_mobile
from lib.spreadsheets import SpreadsheetError, read_sheet, require_headers, write_xlsx
from lib.uploads import clean_filename
from orgs.models import Division, Organization
from workforce.models import Employee, EmploymentStatus

IMPORT_MAX_ROWS = 20_000
IMPORT_MAX_PER_HOUR = 20
# A job still "waiting" or "checking" after this long is taken to have died with its worker.
IMPORT_STALE_AFTER = dt.timedelta(minutes=30)
# Problems kept on the job (the rest are counted: the file needs fixing either way).
PROBLEMS_KEPT = 500
# How far back a day may be imported (older check-ins are history, not today's work).
MAX_AGE_DAYS = 30
DAY, NAME, MOBILE = "日期", "姓名", "手机号码"
BASE_ALIASES = {
    "day": DAY,
    "date": DAY,
    "日期（年-月-日）": DAY,
    "打卡日期": DAY,
    "填报日期": DAY,
    "name": NAME,
    "full name": NAME,
    "mobile": MOBILE,
    "mobile number": MOBILE,
    "手机": MOBILE,
    "手机号": MOBILE,
    "联系电话": MOBILE,
}
EXAMPLE_MOBILE = "13800138000"
logger = logging.getLogger(__name__)
_SHENZHEN = "440300"
_SEPARATORS = re.compile(r"[,，;；/|\n]+")
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "对", "是的", "已承诺", "同意"}
_FALSE = {"否", "n", "no", "false", "0", "×", "不是", "无"}


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def question_header(question: Question) -> str:
    return text_for(question.label, "zh-hans")


def _columns(spec: FormSpec) -> list[Question]:
    return list(spec.questions)


def _aliases(spec: FormSpec) -> dict[str, str]:
    aliases = dict(BASE_ALIASES)
    for question in _columns(spec):
        header = question_header(question)
        aliases[question.key] = header
        for language in LANGUAGES:
            label = question.label.get(language)
            if label:
                aliases[label] = header
    return aliases


class _Answers:
    """Turns the text of a row's cells into the answers a check-in takes."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        self.choices: dict[str, dict[str, str]] = {}
        for question in spec.questions:
            table: dict[str, str] = {}
            for choice in question.choices:
                table[_key(choice.code)] = choice.code
                for label in choice.label.values():
                    table[_key(label)] = choice.code
            self.choices[question.key] = table
        shenzhen = Division.objects.filter(
            parent_id=_SHENZHEN,
            level__in=[Division.Level.COUNTY, Division.Level.FUNCTIONAL_AREA],
        ).only("code", "name")
        self.districts = {_key(d.name): d.code for d in shenzhen}
        self.provinces = [
            (_key(p.name), p.code)
            for p in Division.objects.filter(level=Division.Level.PROVINCE).only("code", "name")
        ]

    def parse(self, question: Question, text: str) -> Any:
        """The answer, or ValidationError with a message saying what to write."""
        kind = question.kind
        if kind == "choice":
            code = self.choices[question.key].get(_key(text))
            if code is None:
                raise ValidationError(self._expected(question))
            return code
        if kind == "multi":
            return self._multi(question, text)
        if kind == "bool":
            folded = _key(text)
            if folded in _TRUE:
                return True
            if folded in _FALSE:
                return False
            raise ValidationError(_("Write 是 (yes) or 否 (no)."))
        if kind == "region":
            return self._region(text)
        return text  # numbers, temperatures and texts are checked by the check-in itself

    def _expected(self, question: Question) -> str:
        labels = "、".join(text_for(c.label, "zh-hans") for c in question.choices)
        return _("Write one of: %(answers)s.") % {"answers": labels}

    def _multi(self, question: Question, text: str) -> list[str]:
        table = self.choices[question.key]
        codes: list[str] = []
        for token in _SEPARATORS.split(text):
            if not token.strip():
                continue
            found = table.get(_key(token))
            if found is not None:
                codes.append(found)
                continue
            # "、" separates answers too, but some labels contain it: join back greedily.
            current = ""
            for part in token.split("、"):
                current = f"{current}、{part}" if current else part
                found = table.get(_key(current))
                if found is not None:
                    codes.append(found)
                    current = ""
            if current:
                raise ValidationError(
                    _("“%(value)s” is not an answer to this question. %(expected)s")
                    % {"value": current[:30], "expected": self._expected(question)}
                )
        return list(dict.fromkeys(codes))

    def _region(self, text: str) -> dict[str, str]:
        folded = _key(text)
        for prefix in ("广东省深圳市", "深圳市", "深圳"):
            if folded.startswith(prefix) and len(folded) > len(prefix):
                folded = folded[len(prefix) :]
                break
        if folded in self.districts:
            return {"district": self.districts[folded]}
        for name, code in self.provinces:
            for candidate in (name, name.rstrip("省市")):
                if len(candidate) >= 2 and folded.startswith(candidate):
                    return {"province": code, "city": folded[len(candidate) :][:40]}
        raise ValidationError(
            _(
                "Write a district of Shenzhen (e.g. 南山区) or a province and city "
                "(e.g. 湖北省武汉市)."
            )
        )


def _parse_day(text: str, today: dt.date) -> dt.date:
    cleaned = unicodedata.normalize("NFKC", text).strip()
    cleaned = re.sub(r"[年月/.]", "-", cleaned).rstrip("日").split(" ")[0]
    try:
        parts = [int(p) for p in cleaned.split("-")]
        day = dt.date(parts[0], parts[1], parts[2]) if len(parts) == 3 else None
    except (ValueError, IndexError):
        day = None
    if day is None:
        raise ValidationError(_("Write the day as YYYY-MM-DD, e.g. %(today)s.") % {"today": today})
    if day > today:
        raise ValidationError(
            _("%(day)s has not begun yet: a check-in cannot be for a future day.") % {"day": day}
        )
    if day < today - dt.timedelta(days=MAX_AGE_DAYS):
        raise ValidationError(
            _("Only the last %(days)d days can be imported.") % {"days": MAX_AGE_DAYS}
        )
    return day


@dataclass
class _Row:
    number: int
    employee_id: int
    day: dt.date
    answers: dict[str, Any]
    # Questions whose cell could not be read (already reported; the check-in's own
    # complaint about the missing answer would only repeat it).
    unread: set[str]


class _Rollback(Exception):
    """Raised inside the transaction to undo every row written."""


def checkin_import(
    *, actor: User, enterprise: Organization, filename: str, content: bytes
) -> ImportResult:
    """Check every row of an uploaded file and record all its check-ins, or none."""
    result = ImportResult()
    first = (
        Employee.objects.filter(enterprise=enterprise, status=EmploymentStatus.ACTIVE)
        .order_by("pk")
        .first()
    )
    if first is None:
        result.problems.append(Problem(0, "", _("Your roster is empty: add your employees first.")))
        return result
    today = timezone.localdate()
    spec = checkin_form_for(employee=first, on=today)
    try:
        raw = read_sheet(
            content,
            filename=filename,
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_rows=IMPORT_MAX_ROWS,
            max_columns=len(spec.questions) + 23,
        )
        sheet = require_headers(raw, required=[DAY, NAME, MOBILE], aliases=_aliases(spec))
    except SpreadsheetError as exc:
        result.problems.append(Problem(exc.row or 0, "", str(exc)))
        return result
    used = dict(zip(sheet.headers, raw.headers, strict=True))  # canonical → as written

    def column(header: str) -> str:
        return used.get(header, header)

    result.rows = len(sheet.rows)
    if not sheet.rows:
        result.problems.append(Problem(0, "", _("The file has headers but no check-ins.")))
        return result
    roster = {
        mobile_hash: (pk, name, status)
        for pk, name, status, mobile_hash in Employee.objects.filter(
            enterprise=enterprise
        ).values_list("pk", "name", "status", "mobile_hash")
    }
    parser = _Answers(spec)
    questions = [q for q in _columns(spec) if question_header(q) in sheet.headers]
    rows: list[_Row] = []
    seen: dict[tuple[int, dt.date], list[int]] = defaultdict(list)
    employee_ids: set[int] = set()
    for number, values in sheet.rows:
        problems: list[Problem] = []
        day = None
        try:
            day = _parse_day(values.get(DAY, ""), today)
        except ValidationError as exc:
            problems.append(Problem(number, column(DAY), " ".join(exc.messages)))
        employee_id = _identify(values, roster, number, column, problems)
        answers: dict[str, Any] = {}
        unread: set[str] = set()
        for question in questions:
            text = values.get(question_header(question), "").strip()
            if not text:
                continue
            try:
                answers[question.key] = parser.parse(question, text)
            except ValidationError as exc:
                unread.add(question.key)
                problems.append(
                    Problem(number, column(question_header(question)), " ".join(exc.messages))
                )
        result.problems.extend(problems)
        if employee_id is not None and day is not None:
            seen[(employee_id, day)].append(number)
            employee_ids.add(employee_id)
            # Checked as a check-in too, so that every problem of the row is listed at once.
            rows.append(_Row(number, employee_id, day, answers, unread))
    for numbers in seen.values():
        if len(numbers) > 1:
            for number in numbers:
                others = ", ".join(str(n) for n in numbers if n != number)
                result.problems.append(
                    Problem(
                        number,
                        column(MOBILE),
                        _("The same employee and day are also in row %(rows)s.") % {"rows": others},
                    )
                )
    duplicated = {n for numbers in seen.values() if len(numbers) > 1 for n in numbers}
    rows = [row for row in rows if row.number not in duplicated]
    employees = {
        e.pk: e
        for e in Employee.objects.filter(pk__in=employee_ids, enterprise=enterprise).select_related(
            "enterprise"
        )
    }
    headers_by_key = {q.key: column(question_header(q)) for q in spec.questions}
    headers_by_key["day"] = column(DAY)
    revisions = {
        (employee_id, day): revision
        for employee_id, day, revision in CheckIn.objects.filter(
            employee_id__in=employee_ids, day__in={row.day for row in rows}
        ).values_list("employee_id", "day", "revision")
    }
    try:
        with transaction.atomic():
            for row in rows:
                try:
                    outcome = checkin_submit(
                        employee=employees[row.employee_id],
                        answers=row.answers,
                        via=Via.IMPORT,
                        actor=actor,
                        day=row.day,
                    )
                except ValidationError as exc:
                    result.problems.extend(_problems(row, exc, headers_by_key))
                    continue
                if outcome.created:
                    result.created += 1
                elif outcome.checkin.revision != revisions.get((row.employee_id, row.day)):
                    result.updated += 1
                else:
                    result.unchanged += 1
            if result.problems:
                raise _Rollback
            audit_record(
                actor=actor,
                action="health.checkin_import",
                scope=enterprise,
                changes={
                    "file": filename[-100:],
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                },
            )
    except _Rollback:
        result.created = result.updated = result.unchanged = 0
    order = {h: i for i, h in enumerate([column(DAY), column(NAME), column(MOBILE)])}
    result.problems.sort(key=lambda p: (p.row, order.get(p.column, 99), p.column))
    return result


def _identify(
    values: dict[str, str],
    roster: dict[str, tuple[int, str, str]],
    number: int,
    column: Any,
    problems: list[Problem],
) -> int | None:
    """The roster id of the row's employee (by mobile; the name must match), else None."""
    name = " ".join(values.get(NAME, "").split())
    mobile_text = values.get(MOBILE, "").strip()
    if not name:
        problems.append(Problem(number, column(NAME), _("This column must be filled in.")))
    if not mobile_text:
        problems.append(Problem(number, column(MOBILE), _("This column must be filled in.")))
        return None
    try:
        mobile = normalize_mobile(mobile_text)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if "*" in mobile_text:
            message = _("Write the full mobile number, not the masked one.")
        problems.append(Problem(number, column(MOBILE), message))
        return None
    if mobile == EXAMPLE_MOBILE:
        problems.append(
            Problem(
                number,
                column(MOBILE),
                _("This is the example row of the template; delete it before importing."),
            )
        )
        return None
    found = roster.get(crypto.keyed_hash(mobile))
    if found is None:
        problems.append(
            Problem(number, column(MOBILE), _("No employee on your roster has this mobile number."))
        )
        return None
    pk, roster_name, status = found
    if name and _key(name) != _key(roster_name):
        problems.append(
            Problem(
                number,
                column(NAME),
                _("The roster has another name for this mobile number; check the row."),
            )
        )
        return None
    if status == EmploymentStatus.LEFT:
        problems.append(Problem(number, column(NAME), _("This employee has left the company.")))
        return None
    return pk if name else None


def _problems(row: _Row, exc: ValidationError, headers: dict[str, str]) -> list[Problem]:
    if not hasattr(exc, "error_dict"):
        return [Problem(row.number, "", " ".join(exc.messages))]
    return [
        Problem(row.number, headers.get(key, ""), " ".join(messages))
        for key, messages in exc.message_dict.items()
        if key not in row.unread
    ]


def template_xlsx(*, spec: FormSpec) -> bytes:
    """The import template: the columns, an example row, and the answers each question takes."""
    today = timezone.localdate()
    questions = _columns(spec)
    headers = [DAY, NAME, MOBILE, *(question_header(q) for q in questions)]
    example: list[object] = [today.isoformat(), "张三", EXAMPLE_MOBILE]
    notes: list[list[object]] = [
        [DAY, "必填 (required)", "YYYY-MM-DD；不能是将来的日期 (not a future day)"],
        [NAME, "必填 (required)", "与花名册一致 (as on the roster)"],
        [MOBILE, "必填 (required)", "完整的11位手机号，用于识别员工 (the full mobile number)"],
    ]
    for question in questions:
        example.append(_example(question))
        if question.kind in {"choice", "multi"}:
            answers = "、".join(text_for(c.label, "zh-hans") for c in question.choices)
            hint = answers + ("（可多选，用逗号分隔）" if question.kind == "multi" else "")
        elif question.kind == "temperature":
            hint = "摄氏度，例如 36.5 (°C, e.g. 36.5)"
        elif question.kind == "bool":
            hint = "是 / 否"
        elif question.kind == "region":
            hint = "深圳的区（如 南山区），或省份和城市（如 湖北省武汉市）"
        else:
            hint = ""
        notes.append(
            [question_header(question), "必填 (required)" if question.required else "选填", hint]
        )
    notes.append(["示例行 (example row)", "导入前请删除 (delete it before importing)", ""])
    return write_xlsx(
        sheets=[
            ("健康打卡", headers, [example]),
            ("填写说明", ["栏目 (column)", "是否必填", "可填写的内容 (answers)"], notes),
        ]
    )


def _example(question: Question) -> str:
    if question.kind == "temperature":
        return "36.5"
    if question.kind in {"choice", "multi"}:
        normal = next((c for c in question.choices if c.status == "normal"), question.choices[0])
        return text_for(normal.label, "zh-hans")
    if question.kind == "bool":
        return "是" if question.must_be_true or question.status_if_true == "normal" else "否"
    if question.kind == "region":
        return "罗湖区"
    return ""


# --- In the background --------------------------------------------------------------------


@transaction.atomic
def checkin_import_create(
    *, actor: User, enterprise: Organization, filename: str, content: bytes
) -> CheckInImport:
    """Store an uploaded file of check-ins and queue its check-and-record after commit.
    One at a time per enterprise, at most IMPORT_MAX_PER_HOUR an hour."""
    now = timezone.now()
    recent = CheckInImport.objects.filter(
        enterprise=enterprise, created_at__gte=now - dt.timedelta(hours=1)
    )
    if recent.filter(
        status__in=[CheckInImport.Status.PENDING, CheckInImport.Status.RUNNING],
        created_at__gte=now - IMPORT_STALE_AFTER,
    ).exists():
        raise ValidationError(
            _("A file of check-ins is still being checked; wait until it has finished."),
            code="busy",
        )
    if recent.count() >= IMPORT_MAX_PER_HOUR:
        raise ValidationError(
            _("At most %(limit)d check-in uploads per hour; please try again later.")
            % {"limit": IMPORT_MAX_PER_HOUR},
            code="rate_limited",
        )
    job = CheckInImport.objects.create(
        enterprise=enterprise,
        created_by=actor,
        filename=clean_filename(filename, default="upload"),
        content=content,
    )
    transaction.on_commit(partial(_enqueue, job.pk))
    return job


def _enqueue(job_id: int) -> None:
    # Imported here: health.tasks imports this module.
    from health.tasks import checkin_import_task

    checkin_import_task.enqueue(job_id)


def checkin_import_run(job_id: int) -> None:
    """Check and record one uploaded file (`checkin_import`); safe to call twice."""
    claimed = CheckInImport.objects.filter(pk=job_id, status=CheckInImport.Status.PENDING).update(
        status=CheckInImport.Status.RUNNING
    )
    if not claimed:
        return  # taken by another run, or finished
    job = CheckInImport.objects.select_related("enterprise", "created_by").get(pk=job_id)
    try:
        result = checkin_import(
            actor=job.created_by,
            enterprise=job.enterprise,
            filename=job.filename,
            content=bytes(job.content),
        )
    except Exception:
        logger.exception("check-in import %s failed unexpectedly", job_id)
        result = ImportResult(
            problems=[Problem(0, "", _("The file could not be processed; please try again later."))]
        )
        _finish(job, result)
        raise
    _finish(job, result)


def _finish(job: CheckInImport, result: ImportResult) -> None:
    """Record the outcome and drop the uploaded bytes, whatever the outcome."""
    problems = result.problems
    if len(problems) > PROBLEMS_KEPT:
        more = len(problems) - PROBLEMS_KEPT
        problems = [
            *problems[:PROBLEMS_KEPT],
            Problem(0, "", _("… and %(count)d more problems not listed.") % {"count": more}),
        ]
    job.status = CheckInImport.Status.DONE if result.ok else CheckInImport.Status.FAILED
    job.problems = [problem.as_dict() for problem in problems]
    job.row_count = result.rows
    job.created_count = result.created
    job.updated_count = result.updated
    job.unchanged_count = result.unchanged
    job.finished_at = timezone.now()
    job.content = b""
    job.save()
