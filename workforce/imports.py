"""Roster import: read an upload, check every row, then write all rows or none.

The file is an .xlsx or .csv with the Chinese headers of `HEADERS` (English aliases are
accepted). A row whose document number is already on the roster updates that employee,
so importing the same file twice changes nothing the second time. Problems are collected
for every row as {row, column, message}, with the column named as the file names it;
when there is any problem nothing is written. The uploaded bytes are cleared afterwards.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from audit.services import audit_record
from lib import crypto
from lib.ids import normalize_mobile, resident_id_check_char, validate_document
from lib.spreadsheets import Sheet, SpreadsheetError, read_sheet, require_headers, write_xlsx
from orgs.models import Division, Organization, Site
from workforce.models import DocumentType, Employee, EmploymentStatus, ImportJob
from workforce.services import EmployeeInput, document_hash, employee_clean, today_local

logger = logging.getLogger(__name__)

# Field -> the header the template uses (the canonical name after require_headers).
HEADERS: dict[str, str] = {
    "name": "姓名",
    "mobile": "手机号码",
    "document_type": "证件类型",
    "document_number": "证件号码",
    "position": "岗位",
    "site": "所在场所",
    "is_critical": "关键岗位",
    "home_province": "户籍省份",
    "home_city": "户籍城市",
    "home_county": "户籍区县",
    "status": "在职状态",
}
REQUIRED_FIELDS = ("name", "mobile", "document_number")

# Other spellings people use for the same columns (matched ignoring case and spaces).
_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "employee name", "employee"),
    "mobile": ("mobile", "mobile number", "mobile phone", "phone", "手机", "手机号", "联系电话"),
    "document_type": ("document type", "id type", "证件种类"),
    "document_number": (
        "document number",
        "id number",
        "id no",
        "id no.",
        "身份证号",
        "身份证号码",
        "证件号",
    ),
    "position": ("position", "job", "job title", "职位", "岗位名称"),
    "site": ("site", "workplace", "场所", "门店", "工作场所"),
    "is_critical": ("critical", "critical role", "key role", "是否关键岗位"),
    "home_province": ("home province", "province", "籍贯省份", "户籍省"),
    "home_city": ("home city", "city", "籍贯城市", "户籍市"),
    "home_county": ("home county", "county", "district", "籍贯区县", "户籍区/县"),
    "status": ("status", "employment status", "状态", "在职情况"),
}
ALIASES: dict[str, str] = {
    alias: HEADERS[key] for key, aliases in _ALIASES.items() for alias in aliases
}

# Chinese names of document types as they appear on the documents (and the template).
DOCUMENT_TYPE_LABELS: dict[str, str] = {
    DocumentType.RESIDENT_ID: "居民身份证",
    DocumentType.RESIDENCE_PERMIT: "港澳台居民居住证",
    DocumentType.HK_MACAU_PERMIT: "港澳居民来往内地通行证",
    DocumentType.TAIWAN_PERMIT: "台湾居民来往大陆通行证",
    DocumentType.PASSPORT: "护照",
    DocumentType.OTHER: "其他",
}
_DOCUMENT_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    DocumentType.RESIDENT_ID: ("身份证", "二代身份证", "居民身份證", "身份證", "id card"),
    DocumentType.RESIDENCE_PERMIT: ("居住证", "港澳台居民居住證"),
    DocumentType.HK_MACAU_PERMIT: ("回乡证", "港澳居民來往內地通行證", "回鄉證"),
    DocumentType.TAIWAN_PERMIT: ("台胞证", "台灣居民來往大陸通行證", "臺灣居民來往大陸通行證"),
    DocumentType.PASSPORT: ("護照",),
    DocumentType.OTHER: ("其他证件", "其他證件", "其它"),
}
STATUS_LABELS: dict[str, str] = {
    EmploymentStatus.ACTIVE: "在职",
    EmploymentStatus.SUSPENDED: "停工",
    EmploymentStatus.LEFT: "离职",
}
_STATUS_WORDS: dict[str, tuple[str, ...]] = {
    EmploymentStatus.ACTIVE: ("在岗", "正常", "在職", "employed"),
    EmploymentStatus.SUSPENDED: ("停职", "暂停", "待岗", "停工中", "停職"),
    EmploymentStatus.LEFT: ("已离职", "離職"),
}
_TRUE_WORDS = frozenset({"是", "y", "yes", "1", "1.0", "true", "t", "√", "✓", "关键", "是的"})
_FALSE_WORDS = frozenset({"否", "n", "no", "0", "0.0", "false", "f", "×", "非关键", "不是"})

# The example row of the template: refused if it comes back in an upload.
EXAMPLE_DOCUMENT_NUMBER = "11010519491231002" + resident_id_check_char("11010519491231002")
EXAMPLE_MOBILE = "13800138000"

# Problems kept per job; past this the file is wholesale wrong and more rows add nothing.
MAX_ERRORS = 5000
WRITE_BATCH = 1000

# What decides whether a re-imported row changes anything (encrypted values differ each time).
_COMPARED = (
    "name",
    "mobile_hash",
    "position",
    "site_id",
    "is_critical",
    "home_province_id",
    "home_city_id",
    "home_county_id",
    "status",
)


def _key(text: str) -> str:
    """Fold a word for lookup: NFKC, no spaces, case-insensitive."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _lookup(
    labels: Mapping[str, str], words: Mapping[str, tuple[str, ...]], choices: Iterable[Any]
) -> dict[str, str]:
    """Map folded Chinese labels, extra words, codes and English labels to codes."""
    table: dict[str, str] = {}
    with override("en"):
        for choice in choices:
            table[_key(choice.value)] = choice.value
            table[_key(str(choice.label))] = choice.value
    for code, label in labels.items():
        table[_key(label)] = code
    for code, extra in words.items():
        for word in extra:
            table[_key(word)] = code
    return table


# Built on first use: translations cannot be switched while the app registry is loading.
@cache
def _document_types() -> dict[str, str]:
    return _lookup(DOCUMENT_TYPE_LABELS, _DOCUMENT_TYPE_WORDS, DocumentType)


@cache
def _statuses() -> dict[str, str]:
    return _lookup(STATUS_LABELS, _STATUS_WORDS, EmploymentStatus)


@dataclass
class Problem:
    """One problem found in an upload, as the results table shows it."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class _Regions:
    """Provinces, cities and counties by parent, matched by full or shortened name."""

    def __init__(self) -> None:
        self.children: dict[str | None, list[Division]] = defaultdict(list)
        levels = [Division.Level.PROVINCE, Division.Level.CITY, Division.Level.COUNTY]
        for division in Division.objects.filter(level__in=levels).only(
            "code", "name", "level", "parent_id"
        ):
            parent = None if division.level == Division.Level.PROVINCE else division.parent_id
            self.children[parent].append(division)
        # A roster repeats the same few places thousands of times.
        self._found: dict[tuple[str, str], Division | None] = {}

    def province(self, text: str) -> Division | None:
        return self._match("", self.children[None], text)

    def city(self, province: Division, text: str) -> Division | None:
        return self._match(province.code, self.children[province.code], text)

    def county(self, city: Division, text: str) -> Division | None:
        return self._match(city.code, self.children[city.code], text)

    def county_in_province(self, province: Division, text: str) -> Division | None:
        """A county found directly under the province's cities (when no city is given)."""
        counties = [c for city in self.children[province.code] for c in self.children[city.code]]
        return self._match(f"{province.code}/*", counties, text)

    def names_province(self, province: Division, text: str) -> bool:
        """Whether text is the province's own name, as people write Beijing's 'city'."""
        return self._match(f"={province.code}", [province], text) is not None

    def _match(self, scope: str, candidates: list[Division], text: str) -> Division | None:
        """The one candidate named text, or whose name starts with it ('广东' → 广东省)."""
        if (scope, text) in self._found:
            return self._found[(scope, text)]
        wanted = _key(text)
        exact = [d for d in candidates if _key(d.name) == wanted or d.code == wanted]
        prefixed = [d for d in candidates if len(wanted) >= 2 and _key(d.name).startswith(wanted)]
        found = exact[0] if len(exact) == 1 else prefixed[0] if len(prefixed) == 1 else None
        self._found[(scope, text)] = found
        return found


@dataclass
class _Context:
    """What every row is checked against, loaded once per job."""

    enterprise: Organization
    sites: dict[str, list[Site]]
    regions: _Regions
    # document_hash -> (pk, version, compared values); mobile_hash -> pk
    by_document: dict[str, tuple[int, int, tuple[Any, ...]]]
    by_mobile: dict[str, int]
    columns: dict[str, str]
    today: dt.date
    example_hash: str

    def column(self, name: str) -> str:
        """The header the file used for a field (the template's header if it has none)."""
        return self.columns.get(name) or HEADERS.get(name, "")


def _load_context(enterprise: Organization, columns: dict[str, str]) -> _Context:
    sites: dict[str, list[Site]] = defaultdict(list)
    for site in Site.objects.filter(enterprise=enterprise).only("pk", "name", "enterprise_id"):
        sites[_key(site.name)].append(site)
    by_document: dict[str, tuple[int, int, tuple[Any, ...]]] = {}
    by_mobile: dict[str, int] = {}
    rows = Employee.objects.filter(enterprise=enterprise).values_list(
        "pk", "version", "document_hash", *_COMPARED
    )
    for pk, version, doc_hash, *compared in rows:
        by_document[doc_hash] = (pk, version, tuple(compared))
        by_mobile[compared[1]] = pk
    return _Context(
        enterprise=enterprise,
        sites=sites,
        regions=_Regions(),
        by_document=by_document,
        by_mobile=by_mobile,
        columns=columns,
        today=today_local(),
        example_hash=document_hash(DocumentType.RESIDENT_ID, EXAMPLE_DOCUMENT_NUMBER),
    )


def _parse_row(values: dict[str, str], ctx: _Context) -> tuple[EmployeeInput, dict[str, str]]:
    """Turn one row's text into an EmployeeInput, with problems found on the way by field."""
    problems: dict[str, str] = {}

    def text(name: str) -> str:
        return values.get(HEADERS[name], "").strip()

    for name in REQUIRED_FIELDS:
        if not text(name):
            problems[name] = _("This column must be filled in.")

    document_type = DocumentType.RESIDENT_ID.value
    if text("document_type"):
        found = _document_types().get(_key(text("document_type")))
        if found is None:
            # Kept as typed, so that the number is not judged by some other type's rules.
            document_type = text("document_type")
            problems["document_type"] = _("Unknown document type; use one of: {types}.").format(
                types="、".join(DOCUMENT_TYPE_LABELS.values())
            )
        else:
            document_type = found

    is_critical = False
    critical = _key(text("is_critical"))
    if critical in _TRUE_WORDS:
        is_critical = True
    elif critical and critical not in _FALSE_WORDS:
        problems["is_critical"] = _("Write 是 (yes) or 否 (no).")

    status = EmploymentStatus.ACTIVE.value
    if text("status"):
        found = _statuses().get(_key(text("status")))
        if found is None:
            problems["status"] = _("Unknown status; use one of: {statuses}.").format(
                statuses="、".join(STATUS_LABELS.values())
            )
        else:
            status = found

    site = None
    if text("site"):
        matches = ctx.sites.get(_key(text("site")), [])
        if len(matches) == 1:
            site = matches[0]
        elif matches:
            problems["site"] = _(
                "Several of your sites have this name; rename them so that each is unique."
            )
        else:
            problems["site"] = _(
                "None of your sites has this name; add the site first or correct the name."
            )

    province, city, county = _parse_region(
        text("home_province"), text("home_city"), text("home_county"), ctx.regions, problems
    )
    data = EmployeeInput(
        name=text("name"),
        mobile=text("mobile"),
        document_type=document_type,
        document_number=text("document_number"),
        position=text("position"),
        site=site,
        is_critical=is_critical,
        home_province=province,
        home_city=city,
        home_county=county,
        status=status,
    )
    return data, problems


def _parse_region(
    province_text: str,
    city_text: str,
    county_text: str,
    regions: _Regions,
    problems: dict[str, str],
) -> tuple[Division | None, Division | None, Division | None]:
    """Find the home province, city and county by name, each within the one before."""
    if not province_text:
        if city_text or county_text:
            problems["home_province"] = _("Fill in the province as well.")
        return None, None, None
    province = regions.province(province_text)
    if province is None:
        problems["home_province"] = _(
            "There is no province of this name (write e.g. 广东省 or 广东)."
        )
        return None, None, None
    city = None
    # In Beijing, Shanghai, Tianjin and Chongqing people write the city as the province.
    if city_text and not regions.names_province(province, city_text):
        city = regions.city(province, city_text)
        if city is None:
            problems["home_city"] = _("There is no city of this name in the province.")
            return province, None, None
    if not county_text:
        return province, city, None
    if city is not None:
        county = regions.county(city, county_text)
        if county is None:
            problems["home_county"] = _("There is no county or district of this name in the city.")
            return province, city, None
        return province, city, county
    county = regions.county_in_province(province, county_text)
    if county is None:
        problems["home_county"] = _(
            "There is no county or district of this name in the province; fill in the city too."
        )
        return province, None, None
    city = next(c for c in regions.children[province.code] if c.code == county.parent_id)
    return province, city, county


# Fields of employee_clean's errors -> the import column they come from.
_ERROR_FIELDS = {
    "name": "name",
    "mobile": "mobile",
    "document_type": "document_type",
    "document_number": "document_number",
    "position": "position",
    "site": "site",
    "home_region": "home_province",
    "status": "status",
}


@dataclass
class _Checked:
    """The outcome of checking every row of a file."""

    problems: list[Problem] = field(default_factory=list)
    new: list[Employee] = field(default_factory=list)
    # (pk, version read, cleaned values) of employees the file changes
    changed: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0


def check_rows(sheet: Sheet, ctx: _Context) -> _Checked:
    """Validate every row and sort the valid ones into new, changed and unchanged employees."""
    result = _Checked()
    seen_documents: dict[str, list[int]] = defaultdict(list)
    seen_mobiles: dict[str, list[int]] = defaultdict(list)
    for number, values in sheet.rows:
        data, problems = _parse_row(values, ctx)
        cleaned: dict[str, Any] = {}
        try:
            cleaned = employee_clean(enterprise=ctx.enterprise, data=data, today=ctx.today)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                # A problem found while reading the cell (e.g. blank) says more than the
                # validator's message about what was put in its place.
                problems.setdefault(_ERROR_FIELDS.get(key, ""), " ".join(messages))
        doc_hash, mobile_hash = _hashes(data, cleaned, ctx.today)
        if doc_hash is not None:
            seen_documents[doc_hash].append(number)
            if doc_hash == ctx.example_hash:
                problems["document_number"] = _(
                    "This is the example row of the template; delete it before importing."
                )
        existing = ctx.by_document.get(doc_hash or "")
        if mobile_hash is not None:
            seen_mobiles[mobile_hash].append(number)
            owner = ctx.by_mobile.get(mobile_hash)
            if owner is not None and (existing is None or existing[0] != owner):
                problems.setdefault(
                    "mobile",
                    _("This mobile number belongs to another employee already on the roster."),
                )
        result.problems.extend(
            Problem(number, ctx.column(name), message) for name, message in problems.items()
        )
        if not problems:
            _sort_row(cleaned, existing, ctx, result)

    _add_duplicates(result, seen_documents, ctx.column("document_number"), document=True)
    _add_duplicates(result, seen_mobiles, ctx.column("mobile"), document=False)
    order = {ctx.column(name): position for position, name in enumerate(HEADERS)}
    result.problems.sort(key=lambda p: (p.row, order.get(p.column, len(order))))
    return result


def _hashes(
    data: EmployeeInput, cleaned: dict[str, Any], today: dt.date
) -> tuple[str | None, str | None]:
    """The document and mobile hashes of a row, also when another of its cells is wrong."""
    if cleaned:
        return cleaned["document_hash"], cleaned["mobile_hash"]
    doc_hash = mobile_hash = None
    with contextlib.suppress(ValidationError):
        number = validate_document(data.document_type, data.document_number, today=today)
        doc_hash = document_hash(data.document_type, number)
    with contextlib.suppress(ValidationError):
        mobile_hash = crypto.keyed_hash(normalize_mobile(data.mobile))
    return doc_hash, mobile_hash


def _sort_row(
    cleaned: dict[str, Any],
    existing: tuple[int, int, tuple[Any, ...]] | None,
    ctx: _Context,
    result: _Checked,
) -> None:
    """Put a valid row among the new, the changed or the unchanged employees."""
    if existing is None:
        result.new.append(Employee(enterprise=ctx.enterprise, **cleaned))
        return
    pk, version, compared = existing
    incoming = (
        cleaned["name"],
        cleaned["mobile_hash"],
        cleaned["position"],
        *(_pk(cleaned[name]) for name in ("site",)),
        cleaned["is_critical"],
        *(_pk(cleaned[name]) for name in ("home_province", "home_city", "home_county")),
        cleaned["status"],
    )
    if incoming == compared:
        result.unchanged += 1
        return
    result.changed.append((pk, version, cleaned))


def _pk(obj: Site | Division | None) -> Any:
    return obj.pk if obj is not None else None


def _file_problem(message: str) -> Problem:
    """A problem with the file as a whole (row 0: no particular row)."""
    return Problem(0, "", message)


def _add_duplicates(
    result: _Checked, seen: dict[str, list[int]], column: str, *, document: bool
) -> None:
    """Report each row of a file that repeats a number, naming the other rows."""
    for rows in seen.values():
        if len(rows) < 2:
            continue
        for row in rows:
            others = ", ".join(str(other) for other in rows if other != row)
            message = (
                _("The same document number is also in row {rows}.")
                if document
                else _("The same mobile number is also in row {rows}.")
            )
            result.problems.append(Problem(row, column, message.format(rows=others)))


def roster_import_run(job_id: int) -> None:
    """Check an uploaded roster and import it in one transaction; safe to call twice."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING
    )
    if not claimed:
        return  # already taken by another run, or finished
    job = ImportJob.objects.select_related("enterprise", "created_by").get(pk=job_id)
    try:
        _run(job)
    except Exception:
        logger.exception("roster import %s failed unexpectedly", job_id)
        _finish(
            job,
            status=ImportJob.Status.FAILED,
            problems=[_file_problem(_("The file could not be processed; please try again later."))],
        )
        raise


def _run(job: ImportJob) -> None:
    try:
        raw = read_sheet(
            bytes(job.content),
            filename=job.filename,
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_columns=len(HEADERS) + 20,
        )
        sheet = require_headers(
            raw, required=[HEADERS[name] for name in REQUIRED_FIELDS], aliases=ALIASES
        )
    except SpreadsheetError as exc:
        _finish(job, status=ImportJob.Status.FAILED, problems=[Problem(exc.row or 0, "", str(exc))])
        return
    # require_headers keeps the order of the columns, so the user's header is beside ours.
    columns = {
        name: used
        for name, header in HEADERS.items()
        for used, canonical in zip(raw.headers, sheet.headers, strict=True)
        if canonical == header
    }
    ctx = _load_context(job.enterprise, columns)
    checked = check_rows(sheet, ctx)
    row_count = len(sheet.rows)
    if not row_count:
        checked.problems.append(Problem(0, "", _("The file has headers but no employees.")))
    if checked.problems:
        _finish(job, status=ImportJob.Status.FAILED, problems=checked.problems, row_count=row_count)
        return
    try:
        with transaction.atomic():
            _write(job, ctx, checked, row_count)
    except (IntegrityError, _RosterChanged):
        # Someone added or edited the same person by hand while the file was being checked.
        _finish(
            job,
            status=ImportJob.Status.FAILED,
            problems=[
                _file_problem(
                    _("The roster changed while the file was being checked; upload it again.")
                )
            ],
            row_count=row_count,
        )


class _RosterChanged(Exception):
    """An employee was edited between checking the file and writing it."""


def _write(job: ImportJob, ctx: _Context, checked: _Checked, row_count: int) -> None:
    """Write every employee of a checked file, or raise and write nothing."""
    Employee.objects.bulk_create(checked.new, batch_size=WRITE_BATCH)
    now = timezone.now()
    # One UPDATE per changed employee, guarded by the version read while checking:
    # bulk_update's CASE expressions cost ~10 ms per row in Python (7x slower, measured).
    for pk, version, cleaned in checked.changed:
        updated = Employee.objects.filter(pk=pk, enterprise=ctx.enterprise, version=version).update(
            **cleaned, version=version + 1, updated_at=now
        )
        if not updated:
            raise _RosterChanged
    audit_record(
        actor=job.created_by,
        action="employee.import",
        scope=ctx.enterprise,
        obj=job,
        changes={
            "rows": row_count,
            "created": len(checked.new),
            "updated": len(checked.changed),
            "unchanged": checked.unchanged,
        },
    )
    _finish(
        job,
        status=ImportJob.Status.DONE,
        problems=[],
        row_count=row_count,
        created=len(checked.new),
        updated=len(checked.changed),
    )


def _finish(
    job: ImportJob,
    *,
    status: str,
    problems: list[Problem],
    row_count: int = 0,
    created: int = 0,
    updated: int = 0,
) -> None:
    """Record the outcome and drop the uploaded bytes, whatever the outcome."""
    job.status = status
    if len(problems) > MAX_ERRORS:
        more = len(problems) - MAX_ERRORS
        problems = [
            *problems[:MAX_ERRORS],
            Problem(0, "", _("… and {count} more problems not listed.").format(count=more)),
        ]
    job.errors = [problem.as_dict() for problem in problems]
    job.row_count = row_count
    job.created_count = created
    job.updated_count = updated
    job.finished_at = timezone.now()
    job.content = b""
    job.save(
        update_fields=[
            "status",
            "errors",
            "row_count",
            "created_count",
            "updated_count",
            "finished_at",
            "content",
        ]
    )


def template_xlsx(*, sites: Iterable[Site] = ()) -> bytes:
    """The import template: headers, an example row, and the valid document types."""
    site_name = next((site.name for site in sites), "")
    example = [
        "张三",
        EXAMPLE_MOBILE,
        DOCUMENT_TYPE_LABELS[DocumentType.RESIDENT_ID],
        EXAMPLE_DOCUMENT_NUMBER,
        "前台",
        site_name,
        "否",
        "广东省",
        "深圳市",
        "罗湖区",
        STATUS_LABELS[EmploymentStatus.ACTIVE],
    ]
    with override("en"):
        types = [
            (label, code, str(DocumentType(code).label))
            for code, label in DOCUMENT_TYPE_LABELS.items()
        ]
    notes = [
        ("姓名、手机号码、证件号码", "必填 (required)", ""),
        ("证件类型", "留空即为居民身份证 (blank means resident ID card)", ""),
        ("关键岗位", "是 / 否", ""),
        ("在职状态", "、".join(STATUS_LABELS.values()), ""),
        ("所在场所", "与本企业场所名称一致 (a site name of your enterprise)", ""),
        ("示例行 (example row)", "导入前请删除 (delete it before importing)", ""),
    ]
    return write_xlsx(
        sheets=[
            ("花名册", list(HEADERS.values()), [example]),
            ("证件类型", ["证件类型", "代码 (code)", "Document type"], types),
            ("说明", ["栏目 (column)", "说明 (note)", ""], notes),
        ]
    )
