"""Read uploaded .xlsx and .csv tables defensively, and write spreadsheets that are safe to open.

Uploads (UX-01): only ``.xlsx`` and ``.csv``; the content must match the name; the caller sets
``max_bytes``, ``max_rows`` and ``max_columns``; a workbook may hold at most
``MAX_ZIP_ENTRIES`` parts and unpack to at most ``MAX_UNPACKED_BYTES``. Anything else is
refused with a ``SpreadsheetError`` whose message tells the person how to fix the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import itertools
import math
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal
from xml.parsers import expat

import charset_normalizer
import python_calamine
import xlsxwriter  # type: ignore[import-untyped, unused-ignore]
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise
    from xlsxwriter.format import Format  # type: ignore[import-untyped, unused-ignore]
    from xlsxwriter.worksheet import Worksheet  # type: ignore[import-untyped, unused-ignore]

ErrorCode = Literal[
    "empty", "too_large", "wrong_type", "malformed", "encoding", "headers", "too_many_rows"
]

ACCEPTED_EXTENSIONS = (".xlsx", ".csv")
MAX_ZIP_ENTRIES = 1000
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# Real worksheets compress 10-25x; a zeros bomb compresses about 1000x.
MAX_COMPRESSION_RATIO = 200
# A sheet may reach a little past max_rows/max_columns (blank rows, a blank first column)
# before we refuse it without parsing: calamine allocates every cell of the used range,
# so one stray cell at XFD1048576 in a 5 kB file would abort the process.
BLANK_ROW_ALLOWANCE = 1000
BLANK_COLUMN_ALLOWANCE = 10

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXE_MAGIC = b"MZ"
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
_DELIMITERS = (",", ";", "\t")
_INFLATE_INPUT = 256 * 1024
_INFLATE_OUTPUT = 1024 * 1024
_MAX_CARRY = 1024 * 1024
_CELL_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
_CANONICAL_REF = re.compile(rb'\s?r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_PREFIXED_CELL = re.compile(rb":(?:c|row)[\s/>]")
_FIRST_ELEMENT = re.compile(rb"<([^\s?!/>][^\s/>]*)")
_EXCEL_MAX_ROWS = 1_048_576


class SpreadsheetError(Exception):
    """An upload that cannot be used, with a translatable message for the person who sent it."""

    def __init__(self, message: _StrOrPromise, *, code: ErrorCode, row: int | None = None) -> None:
        # Exception args stay plain so that logging never forces a translation.
        super().__init__(code)
        self.message = message
        self.code: ErrorCode = code
        self.row = row

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class Sheet:
    """A table read from an upload: headers, then (Excel row number, {header: text}) per row."""

    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]


# Reading -------------------------------------------------------------------------------------


def read_sheet(
    data: bytes, *, filename: str, max_bytes: int, max_rows: int, max_columns: int = 60
) -> Sheet:
    """Read the first sheet of an .xlsx or a .csv upload into text cells, or refuse it."""
    if not data:
        raise SpreadsheetError(_("The file is empty."), code="empty")
    if len(data) > max_bytes:
        raise SpreadsheetError(
            format_lazy(_("The file is larger than {limit} MB."), limit=_megabytes(max_bytes)),
            code="too_large",
        )
    if _detect_kind(data, filename) == "xlsx":
        grid = _xlsx_grid(data, max_rows=max_rows, max_columns=max_columns)
    else:
        grid = _csv_grid(data)
    return _build_sheet(grid, max_rows=max_rows, max_columns=max_columns)


def require_headers(
    sheet: Sheet, *, required: Iterable[str], aliases: Mapping[str, str] | None = None
) -> Sheet:
    """Rename alias headers to their canonical names and refuse a sheet missing any required one."""
    wanted = list(required)
    lookup = {_header_key(name): name for name in wanted}
    for alias, canonical in (aliases or {}).items():
        lookup[_header_key(alias)] = canonical
    renamed = [lookup.get(_header_key(header), header) for header in sheet.headers]
    duplicates = _duplicates(renamed)
    if duplicates:
        raise SpreadsheetError(
            format_lazy(
                _("These columns appear more than once (perhaps under another name): {columns}."),
                columns=", ".join(duplicates),
            ),
            code="headers",
        )
    missing = [name for name in wanted if name not in renamed]
    if missing:
        raise SpreadsheetError(
            format_lazy(
                _("These required columns are missing: {columns}."), columns=", ".join(missing)
            ),
            code="headers",
        )
    if renamed == sheet.headers:
        return sheet
    pairs = list(zip(sheet.headers, renamed, strict=True))
    rows = [(number, {new: row[old] for old, new in pairs}) for number, row in sheet.rows]
    return Sheet(headers=renamed, rows=rows)


def _detect_kind(data: bytes, filename: str) -> Literal["xlsx", "csv"]:
    extension = _extension(filename)
    if data.startswith(_OLE_MAGIC) or extension == ".xls":
        raise SpreadsheetError(
            _(
                "This is an old-format Excel file (.xls) or a password-protected workbook. "
                "Open it in Excel, remove any password and save it as .xlsx."
            ),
            code="wrong_type",
        )
    if extension == ".xlsx":
        if not data.startswith(_ZIP_MAGIC):
            raise SpreadsheetError(
                _("This file is named .xlsx but is not an Excel workbook."), code="wrong_type"
            )
        return "xlsx"
    if extension == ".csv":
        is_utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if data.startswith((_ZIP_MAGIC, _EXE_MAGIC)) or (b"\x00" in data and not is_utf16):
            raise SpreadsheetError(
                _("This file is named .csv but is not a text file."), code="wrong_type"
            )
        return "csv"
    raise SpreadsheetError(
        format_lazy(
            _("Only these kinds of file are accepted: {kinds}."),
            kinds=", ".join(ACCEPTED_EXTENSIONS),
        ),
        code="wrong_type",
    )


def _build_sheet(
    grid: Iterable[tuple[int, list[str]]], *, max_rows: int, max_columns: int
) -> Sheet:
    filled = ((number, cells) for number, cells in grid if any(cells))
    leading = list(itertools.islice(filled, 4))
    if not leading:
        raise SpreadsheetError(_("The file contains no data."), code="empty")
    # Chinese rosters often carry a one-cell title row (our exports a note) above the headers.
    start = 0
    while (
        start < len(leading) - 1
        and _count_filled(leading[start][1]) == 1
        and any(_count_filled(cells) > 1 for _number, cells in leading[start + 1 :])
    ):
        start += 1

    names = [_clean_header(cell) for cell in leading[start][1]]
    while names and not names[-1]:
        names.pop()
    named = [(index, name) for index, name in enumerate(names) if name]
    if len(named) > max_columns:
        raise SpreadsheetError(
            format_lazy(_("The file has more than {limit} columns."), limit=max_columns),
            code="malformed",
        )
    headers = [name for _index, name in named]
    duplicates = _duplicates(headers)
    if duplicates:
        raise SpreadsheetError(
            format_lazy(
                _("These column headers appear more than once: {headers}."),
                headers=", ".join(duplicates),
            ),
            code="headers",
        )
    unnamed = [index for index, name in enumerate(names) if not name]
    width = len(names)
    indexes = [index for index, _name in named]
    contiguous = indexes == list(range(len(indexes)))

    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in itertools.chain(leading[start + 1 :], filled):
        if len(rows) == max_rows:
            raise SpreadsheetError(
                format_lazy(
                    _("The file has more than {limit} data rows; split it into smaller files."),
                    limit=max_rows,
                ),
                code="too_many_rows",
                row=number,
            )
        if unnamed or len(cells) > width:
            _refuse_stray_values(number, cells, unnamed, width)
        if contiguous:
            values = cells[: len(indexes)]
            if len(values) < len(indexes):
                values += [""] * (len(indexes) - len(values))
        else:
            values = [cells[index] if index < len(cells) else "" for index in indexes]
        # One scan per row instead of one call per cell: most rows have no apostrophe.
        joined = "\n".join(values)
        if joined.startswith("'") or "\n'" in joined:
            values = [_unneutralise(value) for value in values]
        rows.append((number, dict(zip(headers, values, strict=True))))
    return Sheet(headers=headers, rows=rows)


def _refuse_stray_values(number: int, cells: list[str], unnamed: list[int], width: int) -> None:
    stray = [index for index in unnamed if index < len(cells) and cells[index]]
    stray += [index for index in range(width, len(cells)) if cells[index]]
    if stray:
        raise SpreadsheetError(
            format_lazy(
                _("Row {row}, column {column} has a value but no column header."),
                row=number,
                column=_column_letters(min(stray) + 1),
            ),
            code="malformed",
            row=number,
        )


# .xlsx ---------------------------------------------------------------------------------------


def _xlsx_grid(data: bytes, *, max_rows: int, max_columns: int) -> Iterator[tuple[int, list[str]]]:
    _inspect_workbook(
        data,
        last_row=max_rows + 1 + BLANK_ROW_ALLOWANCE,
        last_column=max_columns + BLANK_COLUMN_ALLOWANCE,
        max_rows=max_rows,
        max_columns=max_columns,
    )
    try:
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            index = next(
                (
                    position
                    for position, meta in enumerate(workbook.sheets_metadata)
                    if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
                    and meta.visible == python_calamine.SheetVisibleEnum.Visible
                ),
                0,
            )
            values = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
    except Exception as error:  # calamine raises its own errors, ValueError and OverflowError
        raise _unreadable_workbook() from error
    except BaseException as error:
        # A Rust panic arrives as pyo3's PanicException, which is not an Exception.
        if type(error).__name__ != "PanicException":
            raise
        raise _unreadable_workbook() from error
    # skip_empty_area=False keeps leading blank rows, so list position + 1 is the Excel row.
    return (
        (number, [v.strip() if type(v) is str else _cell_text(v) for v in row])
        for number, row in enumerate(values, 1)
    )


def _inspect_workbook(
    data: bytes, *, last_row: int, last_column: int, max_rows: int, max_columns: int
) -> None:
    """Check the archive's structure and unpacked size, and every sheet's extent, before parsing."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as error:
        raise _unreadable_workbook() from error
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise SpreadsheetError(
            _("This file is a ZIP archive but not an Excel workbook."), code="wrong_type"
        )
    if (
        len(entries) > MAX_ZIP_ENTRIES
        or len(names) != len(entries)
        or sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES
        or any(
            entry.file_size > _INFLATE_OUTPUT
            and entry.file_size > MAX_COMPRESSION_RATIO * max(entry.compress_size, 1)
            for entry in entries
        )
    ):
        raise _workbook_too_big()
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise _unreadable_workbook()
    limits = _ExtentLimits(last_row, last_column, max_rows, max_columns)
    for entry in entries:
        if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml"):
            if not _sheet_fits_quickly(data, entry, limits):
                _sheet_fits_exactly(data, entry, limits)
        else:
            _part_is_plain(data, entry)


def _inflate(data: bytes, entry: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield an entry's bytes, refusing it as soon as it unpacks past its declared size."""
    header = data[entry.header_offset : entry.header_offset + 30]
    if len(header) < 30 or not header.startswith(_ZIP_MAGIC):
        raise _unreadable_workbook()
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = entry.header_offset + 30 + name_length + extra_length
    packed = memoryview(data)[start : start + entry.compress_size]
    if len(packed) != entry.compress_size:
        raise _unreadable_workbook()
    produced = 0
    crc = 0
    if entry.compress_type == zipfile.ZIP_STORED:
        produced, crc = len(packed), zlib.crc32(packed)
        yield bytes(packed)
    elif entry.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            for offset in range(0, len(packed), _INFLATE_INPUT):
                pending = bytes(packed[offset : offset + _INFLATE_INPUT])
                while not inflater.eof:
                    chunk = inflater.decompress(pending, _INFLATE_OUTPUT)
                    pending = inflater.unconsumed_tail
                    if not chunk:
                        if pending:
                            raise _unreadable_workbook()
                        break
                    produced += len(chunk)
                    # The central directory may lie about sizes; the parser would not care.
                    if produced > entry.file_size:
                        raise _unreadable_workbook()
                    crc = zlib.crc32(chunk, crc)
                    yield chunk
        except zlib.error as error:
            raise _unreadable_workbook() from error
        if not inflater.eof:
            raise _unreadable_workbook()
    else:
        raise _unreadable_workbook()
    if produced != entry.file_size or crc != entry.CRC:
        raise _unreadable_workbook()


def _part_is_plain(data: bytes, entry: zipfile.ZipInfo) -> None:
    # Media (an SVG logo may carry a DOCTYPE) is only checked for its size and checksum.
    is_xml = entry.filename.endswith((".xml", ".rels"))
    carry = b""
    for chunk in _inflate(data, entry):
        window = carry + chunk
        # OOXML forbids DTDs; refusing them rules out entity expansion in any parser.
        if is_xml and (b"<!DOCTYPE" in window or b"<!ENTITY" in window):
            raise _unreadable_workbook()
        carry = window[-16:]


@dataclass(frozen=True)
class _ExtentLimits:
    last_row: int
    last_column: int
    max_rows: int
    max_columns: int

    def check(self, row: int, column: int) -> None:
        if row > self.last_row:
            raise SpreadsheetError(
                format_lazy(
                    _(
                        "The sheet has values down to row {row}; at most {limit} data rows are "
                        "accepted. Delete unused rows below your data or split the file."
                    ),
                    row=row,
                    limit=self.max_rows,
                ),
                code="too_many_rows",
                row=row,
            )
        if column > self.last_column:
            raise SpreadsheetError(
                format_lazy(
                    _(
                        "The sheet has values up to column {column}; at most {limit} columns are "
                        "accepted. Delete unused columns to the right of your data."
                    ),
                    column=_column_letters(column),
                    limit=self.max_columns,
                ),
                code="malformed",
                row=row,
            )


def _sheet_fits_quickly(data: bytes, entry: zipfile.ZipInfo, limits: _ExtentLimits) -> bool:
    """Scan a worksheet as Excel writes it (every cell starts `<c r="A1"`) for far-away values.

    Returns False, to ask for the exact scan, as soon as the XML takes any other shape.
    """
    within = (
        _at_most_pattern(_column_letters(limits.last_column), "A", "Z", "A")
        + _at_most_pattern(str(limits.last_row), "0", "9", "1")
    ).encode()
    # Every cell element whose first attribute is not an in-limit reference.
    suspicious = re.compile(rb'<c(?=[\s/>])(?! r="' + within + rb'")')
    carry = b""
    first = True
    for chunk in _inflate(data, entry):
        window = carry + chunk
        if first:
            element = _FIRST_ELEMENT.search(window)
            if element is None or element.group(1) != b"worksheet":
                return False
            first = False
        if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
            raise _unreadable_workbook()
        # Cut before the last tag so that no tag is split between two windows.
        cut = window.rfind(b"<")
        if cut <= 0:
            cut = len(window)
        if _PREFIXED_CELL.search(window, 0, cut):
            return False
        for match in suspicious.finditer(window, 0, cut):
            reference = _CANONICAL_REF.match(window, match.end())
            if reference is None:
                return False
            if _cell_has_value(window, reference.end()):
                limits.check(int(reference.group(2)), _column_number(reference.group(1)))
        carry = window[cut:]
        if len(carry) > _MAX_CARRY:
            raise _unreadable_workbook()
    return True


def _cell_has_value(window: bytes, position: int) -> bool:
    end = window.find(b">", position)
    if end == -1:
        return True
    if window[end - 1 : end] == b"/":
        return False
    return window[end + 1 : end + 3] != b"</"


def _sheet_fits_exactly(data: bytes, entry: zipfile.ZipInfo, limits: _ExtentLimits) -> None:
    """Walk a worksheet with expat, placing cells the way calamine does, and check the extent."""
    state = {"row": 0, "column": 0, "cell_row": 0, "cell_column": 0, "open": 0}

    def start(name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            given = attributes.get("r")
            state["row"] = _positive_int(given) if given is not None else state["row"] + 1
            state["column"] = 0
        elif local == "c":
            given = attributes.get("r")
            if given is None:
                row, column = max(state["row"], 1), state["column"] + 1
            else:
                match = _CELL_REF.fullmatch(given.strip())
                if match is None:
                    raise _unreadable_workbook()
                row = _positive_int(match.group(2))
                column = _column_number(match.group(1).upper().encode())
            state["cell_row"], state["cell_column"], state["column"] = row, column, column
            state["open"] = 1
        elif local in {"v", "is"} and state["open"]:
            limits.check(state["cell_row"], state["cell_column"])

    def end(name: str) -> None:
        if name.rpartition(":")[2] == "c":
            state["open"] = 0

    def refuse(*_args: object) -> None:
        raise _unreadable_workbook()

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        for chunk in _inflate(data, entry):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise _unreadable_workbook() from error


def _at_most_pattern(limit: str, low: str, high: str, first_low: str) -> str:
    """Regex matching the strings over [low-high] (no leading `low`) that sort at most `limit`."""
    size = len(limit)
    any_char = f"[{low}-{high}]"
    options = [f"[{first_low}-{high}]{any_char}{{0,{size - 2}}}"] if size > 1 else []
    for position, char in enumerate(limit):
        floor = first_low if position == 0 else low
        if char > floor:
            rest = size - position - 1
            options.append(
                limit[:position]
                + f"[{floor}-{chr(ord(char) - 1)}]"
                + (f"{any_char}{{{rest}}}" if rest else "")
            )
    options.append(limit)
    return "(?:" + "|".join(options) + ")"


def _cell_text(value: object) -> str:
    if type(value) is str:
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="seconds")
    return str(value).strip()


def _number_text(value: float) -> str:
    """Write a number as Excel shows it, so that an ID Excel rounded still looks rounded."""
    if not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        if abs(value) < 10**15:
            return str(int(value))
        # Past 15 digits Excel has already dropped digits; keep its display, e.g. 4.40303E+17.
        return f"{value:.6G}"
    return f"{value:.15G}"


# .csv ----------------------------------------------------------------------------------------


def _csv_grid(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    number = 0
    try:
        for number, record in enumerate(reader, 1):
            yield number, list(map(str.strip, record))
    except csv.Error as error:
        raise SpreadsheetError(
            format_lazy(
                _("Row {row} could not be read; check its quotation marks."), row=number + 1
            ),
            code="malformed",
            row=number + 1,
        ) from error


def _decode(data: bytes) -> str:
    encodings: tuple[str, ...]
    if data.startswith(codecs.BOM_UTF8):
        body, encodings = data[len(codecs.BOM_UTF8) :], ("utf-8",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        body, encodings = data, ("utf-16",)
    else:
        body, encodings = data, ("utf-8", "gb18030")
    failures: list[tuple[int, str]] = []
    for encoding in encodings:
        try:
            return body.decode(encoding)
        except UnicodeDecodeError as error:
            failures.append((error.start, encoding))
    # The encoding that read furthest is most likely the one the file was written in.
    offset, encoding = max(failures)
    raise _encoding_error(body, offset, encoding)


def _encoding_error(body: bytes, offset: int, encoding: str) -> SpreadsheetError:
    readable = body[:offset].decode(encoding, errors="replace")
    records = list(csv.reader(io.StringIO(readable, newline=""), delimiter=_delimiter(readable)))
    if not records or readable.endswith(("\n", "\r")):
        row, column = len(records) + 1, 1
    else:
        row, column = len(records), max(len(records[-1]), 1)
    message = format_lazy(
        _(
            "The file is not in UTF-8 or GB18030 encoding: row {row}, column {column} contains "
            "text that cannot be read. Save it again as “CSV UTF-8” and upload it again."
        ),
        row=row,
        column=_column_letters(column),
    )
    guess = _guess_encoding(body)
    if guess:
        message = format_lazy(
            "{} {}", message, format_lazy(_("(It looks like {encoding}.)"), encoding=guess)
        )
    return SpreadsheetError(message, code="encoding", row=row)


def _guess_encoding(body: bytes) -> str | None:
    best = charset_normalizer.from_bytes(body[: 512 * 1024]).best()
    return None if best is None else str(best.encoding)


def _delimiter(text: str) -> str:
    first_line = next((line for line in text[:65536].splitlines() if line.strip()), "")
    counts = {delimiter: first_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


# Writing -------------------------------------------------------------------------------------


def neutralise_formula(value: object) -> object:
    """Prefix a string Excel would run as a formula with an apostrophe; leave other values alone."""
    if isinstance(value, str):
        return _neutralised(value)
    return value


def write_xlsx(
    *,
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]],
    header_note: str | None = None,
) -> bytes:
    """Write sheets of (name, headers, rows) to .xlsx bytes with every text cell kept as text."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1}),
        "note": workbook.add_format({"italic": True, "font_color": "#595959"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "time": workbook.add_format({"num_format": "hh:mm"}),
    }
    used_names: set[str] = set()
    for position, (name, headers, rows) in enumerate(sheets, 1):
        worksheet = workbook.add_worksheet(_sheet_name(name, position, used_names))
        _write_worksheet(worksheet, formats, headers, rows, header_note)
    workbook.close()
    return output.getvalue()


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Write a UTF-8 CSV with BOM (so Excel reads Chinese), every cell quoted and neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([_neutralised(str(header)) for header in headers])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def _write_worksheet(
    worksheet: Worksheet,
    formats: Mapping[str, Format],
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    header_note: str | None,
) -> None:
    # constant_memory writes rows in order, so widths come from the first rows, read ahead.
    rows_iter = iter(rows)
    sample = [row for _index, row in zip(range(200), rows_iter, strict=False)]
    columns = max([len(headers), *(len(row) for row in sample)], default=0)
    for column in range(columns):
        texts = [headers[column] if column < len(headers) else ""]
        texts += [_csv_text(row[column]) for row in sample if column < len(row)]
        width = max(_display_width(text) for text in texts) + 2
        worksheet.set_column(column, column, min(max(width, 8), 50))

    header_row = 0
    if header_note is not None:
        note = _neutralised(header_note)
        if columns > 1:
            worksheet.merge_range(0, 0, 0, columns - 1, "", formats["note"])
        worksheet.write_string(0, 0, note, formats["note"])
        header_row = 1
    for column, header in enumerate(headers):
        worksheet.write_string(header_row, column, _neutralised(str(header)), formats["header"])
    worksheet.freeze_panes(header_row + 1, 0)

    row_number = header_row
    for row in itertools.chain(sample, rows_iter):
        row_number += 1
        if row_number >= _EXCEL_MAX_ROWS:
            raise ValueError("Too many rows for one worksheet; cap exports before writing.")
        for column, value in enumerate(row):
            _write_cell(worksheet, formats, row_number, column, value)


def _write_cell(
    worksheet: Worksheet, formats: Mapping[str, Format], row: int, column: int, value: object
) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        worksheet.write_boolean(row, column, value)
    elif isinstance(value, int | float | Decimal) and _is_safe_number(value):
        worksheet.write_number(row, column, float(value) if isinstance(value, Decimal) else value)
    elif isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        worksheet.write_datetime(row, column, local.replace(tzinfo=None), formats["datetime"])
    elif isinstance(value, datetime.date):
        worksheet.write_datetime(row, column, value, formats["date"])
    elif isinstance(value, datetime.time) and value.tzinfo is None:
        worksheet.write_datetime(row, column, value, formats["time"])
    else:
        worksheet.write_string(row, column, _neutralised(_csv_text(value)))


def _is_safe_number(value: float | Decimal) -> bool:
    """Excel keeps 15 significant digits: longer integers (IDs) must be written as text."""
    if isinstance(value, Decimal):
        return value.is_finite() and abs(value) < 10**15
    return math.isfinite(value) and abs(value) < 10**15


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _neutralised(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return _neutralised(str(value)) if not isinstance(value, int | float | Decimal) else str(value)


def _sheet_name(name: str, position: int, used: set[str]) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'").strip()[:31] or f"Sheet{position}"
    candidate, suffix = cleaned, 2
    while candidate.casefold() in used:
        tail = f" ({suffix})"
        candidate, suffix = cleaned[: 31 - len(tail)] + tail, suffix + 1
    used.add(candidate.casefold())
    return candidate


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text[:60])


# Small pieces --------------------------------------------------------------------------------


def _neutralised(text: str) -> str:
    if text.startswith(_FORMULA_TRIGGERS) or text.lstrip().startswith(_FORMULA_TRIGGERS):
        return "'" + text
    return text


def _unneutralise(text: str) -> str:
    """Undo our own export escaping, so that an exported roster can be imported again."""
    if text.startswith("'") and _neutralised(text[1:]) != text[1:]:
        return text[1:]
    return text


def _count_filled(cells: Sequence[str]) -> int:
    return sum(1 for cell in cells if cell)


def _clean_header(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().strip("\ufeff\u200b").strip()


def _header_key(text: str) -> str:
    return "".join(_clean_header(text).split()).casefold()


def _duplicates(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated


def _extension(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    return "." + base.rsplit(".", 1)[1] if "." in base else ""


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _positive_int(text: str) -> int:
    if not text.strip().isdigit():
        raise _unreadable_workbook()
    return int(text)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g}"


def _unreadable_workbook() -> SpreadsheetError:
    return SpreadsheetError(
        _("The workbook could not be read; save it again from Excel and upload the new file."),
        code="malformed",
    )


def _workbook_too_big() -> SpreadsheetError:
    return SpreadsheetError(
        format_lazy(
            _(
                "The workbook unpacks to more than {limit} MB or has too many parts, so it "
                "cannot be read safely."
            ),
            limit=_megabytes(MAX_UNPACKED_BYTES),
        ),
        code="malformed",
    )
