"""Reading uploads defensively and writing spreadsheets that are safe to open (lib.spreadsheets)."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import struct
import zipfile
from collections.abc import Callable, Sequence

import pytest
import xlsxwriter  # type: ignore[import-untyped, unused-ignore]
from django.conf import settings

import lib.spreadsheets
from lib.spreadsheets import (
    Sheet,
    SpreadsheetError,
    neutralise_formula,
    read_sheet,
    require_headers,
    write_csv,
    write_xlsx,
)

if not settings.configured:
    # Run without pytest-django: messages are lazy and need settings only to become text.
    settings.configure(USE_I18N=False)

MB = 1024 * 1024
ID = "440303199001011234"


def _read(data: bytes, filename: str = "roster.xlsx", **limits: int) -> Sheet:
    return read_sheet(
        data,
        filename=filename,
        max_bytes=limits.get("max_bytes", 10 * MB),
        max_rows=limits.get("max_rows", 1000),
        max_columns=limits.get("max_columns", 60),
    )


def _refusal(data: bytes, filename: str = "roster.xlsx", **limits: int) -> SpreadsheetError:
    with pytest.raises(SpreadsheetError) as caught:
        _read(data, filename, **limits)
    message = str(caught.value.message)
    assert message.strip()
    assert str(caught.value) == message
    return caught.value


def _workbook(fill: Callable[[xlsxwriter.worksheet.Worksheet], None]) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output)
    fill(workbook.add_worksheet())
    workbook.close()
    return output.getvalue()


def _table(rows: Sequence[Sequence[object]]) -> Callable[[xlsxwriter.worksheet.Worksheet], None]:
    def fill(worksheet: xlsxwriter.worksheet.Worksheet) -> None:
        for number, row in enumerate(rows):
            for column, value in enumerate(row):
                if isinstance(value, str):
                    worksheet.write_string(number, column, value)
                elif value is not None:
                    worksheet.write(number, column, value)

    return fill


def _cells(*cells: tuple[int, int, object]) -> Callable[[xlsxwriter.worksheet.Worksheet], None]:
    def fill(worksheet: xlsxwriter.worksheet.Worksheet) -> None:
        for row, column, value in cells:
            if isinstance(value, str):
                worksheet.write_string(row, column, value)
            else:
                worksheet.write_number(row, column, value)

    return fill


def _with_sheet_xml(data: bytes, rewrite: Callable[[str], str]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                content = rewrite(content.decode()).encode()
            target.writestr(name, content)
    return output.getvalue()


def _csv(rows: Sequence[Sequence[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


# Reading .xlsx -------------------------------------------------------------------------------


def test_it_round_trips_an_xlsx_it_wrote() -> None:
    rows = [
        ["张三", ID, 13800138000, datetime.date(2020, 2, 9), True, 36.6, None],
        ["李四", "44030319900101123X", 13900139000, datetime.date(2020, 2, 10), False, 37, "备注"],
    ]
    data = write_xlsx(
        sheets=[
            ("花名册", ["姓名", "身份证号", "手机", "返岗日期", "已返岗", "体温", "备注"], rows)
        ]
    )

    sheet = _read(data)

    assert sheet.headers == ["姓名", "身份证号", "手机", "返岗日期", "已返岗", "体温", "备注"]
    assert sheet.rows == [
        (
            2,
            {
                "姓名": "张三",
                "身份证号": ID,
                "手机": "13800138000",
                "返岗日期": "2020-02-09",
                "已返岗": "TRUE",
                "体温": "36.6",
                "备注": "",
            },
        ),
        (
            3,
            {
                "姓名": "李四",
                "身份证号": "44030319900101123X",
                "手机": "13900139000",
                "返岗日期": "2020-02-10",
                "已返岗": "FALSE",
                "体温": "37",
                "备注": "备注",
            },
        ),
    ]


def test_it_keeps_an_id_written_as_text_identical() -> None:
    data = _workbook(_table([["身份证号"], [ID]]))

    assert _read(data).rows == [(2, {"身份证号": ID})]


def test_it_writes_an_id_given_as_an_integer_as_text() -> None:
    data = write_xlsx(sheets=[("s", ["身份证号"], [[int(ID)]])])

    assert _read(data).rows == [(2, {"身份证号": ID})]


def test_it_shows_an_id_excel_stored_as_a_number_the_way_excel_rounded_it() -> None:
    data = _workbook(_cells((0, 0, "身份证号"), (1, 0, int(ID))))

    value = _read(data).rows[0][1]["身份证号"]

    assert value != ID
    assert "E+" in value


def test_it_reads_the_first_visible_sheet() -> None:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output)
    hidden = workbook.add_worksheet("选项")
    hidden.write_string(0, 0, "区")
    hidden.hide()
    visible = workbook.add_worksheet("花名册")
    visible.write_string(0, 0, "姓名")
    visible.write_string(1, 0, "张三")
    visible.activate()
    workbook.close()

    assert _read(output.getvalue()).rows == [(2, {"姓名": "张三"})]


def test_it_skips_blank_rows_and_keeps_excel_row_numbers() -> None:
    data = _workbook(_table([[], ["姓名", "手机"], ["张三", "1"], [], ["", ""], ["李四", "2"]]))

    sheet = _read(data)

    assert sheet.headers == ["姓名", "手机"]
    assert [number for number, _row in sheet.rows] == [3, 6]


def test_it_skips_a_title_row_above_the_headers() -> None:
    data = _workbook(_table([["某某酒店员工花名册"], ["姓名", "手机"], ["张三", "1"]]))

    sheet = _read(data)

    assert sheet.headers == ["姓名", "手机"]
    assert sheet.rows == [(3, {"姓名": "张三", "手机": "1"})]


def test_it_refuses_a_truncated_workbook() -> None:
    data = write_xlsx(sheets=[("s", ["a"], [["x"]] * 100)])

    assert _refusal(data[: len(data) // 2]).code == "malformed"


def test_it_refuses_a_workbook_calamine_cannot_parse() -> None:
    data = _with_sheet_xml(_workbook(_table([["a"], ["b"]])), lambda xml: xml[: len(xml) // 2])

    assert _refusal(data).code == "malformed"


def test_it_refuses_an_exe_named_xlsx() -> None:
    error = _refusal(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "roster.xlsx")

    assert error.code == "wrong_type"


def test_it_refuses_a_legacy_xls_whatever_its_name() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504

    for filename in ("roster.xls", "roster.xlsx", "roster.csv"):
        error = _refusal(ole, filename)
        assert error.code == "wrong_type"
        assert ".xlsx" in str(error.message)


def test_it_refuses_a_zip_that_is_not_a_workbook() -> None:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")

    assert _refusal(output.getvalue()).code == "wrong_type"


def _bomb(size: int) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as entry:
            for _chunk in range(size // MB):
                entry.write(bytes(MB))
    return output.getvalue()


def test_it_refuses_a_zip_bomb_without_inflating_it(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _bomb(200 * MB)

    def inflate(*_args: object) -> None:
        raise AssertionError("the bomb was inflated")

    monkeypatch.setattr(lib.spreadsheets, "_inflate", inflate)

    assert len(data) < MB
    assert _refusal(data).code == "malformed"


def test_it_refuses_an_entry_that_unpacks_past_its_declared_size() -> None:
    data = bytearray(_bomb(4 * MB))
    real_size = struct.pack("<I", 4 * MB)
    # Shrink the declared size in the local header and the central directory alike.
    for position in range(len(data) - 4):
        if data[position : position + 4] == real_size:
            data[position : position + 4] = struct.pack("<I", 1000)

    assert _refusal(bytes(data)).code == "malformed"


def test_it_refuses_a_value_far_below_the_table_without_parsing_it() -> None:
    data = _workbook(_cells((0, 0, "姓名"), (50_000, 0, "x")))

    error = _refusal(data, max_rows=100)

    assert error.code == "too_many_rows"
    assert "50001" in str(error.message)


def test_it_refuses_a_value_far_right_of_the_table_without_parsing_it() -> None:
    data = _workbook(_cells((0, 0, "姓名"), (1, 16_383, "x")))

    error = _refusal(data)

    assert error.code == "malformed"
    assert "XFD" in str(error.message)


def test_it_ignores_formatted_empty_cells_beyond_the_table() -> None:
    data = _with_sheet_xml(
        _workbook(_table([["姓名"], ["张三"]])),
        lambda xml: xml.replace(
            "</sheetData>", '<row r="60000"><c r="GS60000" s="0"/></row></sheetData>'
        ),
    )

    assert _read(data, max_rows=100).rows == [(2, {"姓名": "张三"})]


def test_it_checks_cells_without_references_exactly() -> None:
    far_row = '<row r="5000"><c t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    data = _with_sheet_xml(
        _workbook(_table([["姓名"], ["张三"]])), lambda xml: xml.replace("</sheetData>", far_row)
    )

    assert _refusal(data, max_rows=100).code == "too_many_rows"


PREFIXED_TAGS = "worksheet sheetData row c is t v dimension sheetViews sheetView sheetFormatPr"


def test_it_reads_a_sheet_with_prefixed_elements_after_the_exact_check() -> None:
    def prefix(xml: str) -> str:
        for tag in PREFIXED_TAGS.split():
            xml = xml.replace(f"<{tag}>", f"<x:{tag}>").replace(f"<{tag} ", f"<x:{tag} ")
            xml = xml.replace(f"</{tag}>", f"</x:{tag}>")
        return xml.replace('xmlns="', 'xmlns:x="', 1)

    data = _with_sheet_xml(_workbook(_table([["姓名"], ["张三"]])), prefix)

    assert _read(data).rows == [(2, {"姓名": "张三"})]


def test_it_refuses_a_workbook_with_a_doctype() -> None:
    doctype = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
    data = _with_sheet_xml(
        _workbook(_table([["a"], ["b"]])),
        lambda xml: xml.replace("<worksheet", doctype + "<worksheet", 1),
    )

    assert _refusal(data).code == "malformed"


# Reading .csv --------------------------------------------------------------------------------


def test_it_reads_a_gbk_csv_with_chinese_headers() -> None:
    data = _csv([["姓名", "身份证号", "现住区"], ["张三", ID, "福田区"]]).encode("gbk")

    sheet = _read(data, "花名册.csv")

    assert sheet.rows == [(2, {"姓名": "张三", "身份证号": ID, "现住区": "福田区"})]


def test_it_reads_a_utf8_csv_with_a_bom() -> None:
    data = codecs.BOM_UTF8 + _csv([["姓名", "手机"], ["张三", "13800138000"]]).encode()

    sheet = _read(data, "roster.CSV")

    assert sheet.headers == ["姓名", "手机"]
    assert sheet.rows == [(2, {"姓名": "张三", "手机": "13800138000"})]


def test_it_reads_characters_only_gb18030_has() -> None:
    data = _csv([["姓名", "备注"], ["𠀀㐀", "䶮"]]).encode("gb18030")

    assert _read(data, "roster.csv").rows == [(2, {"姓名": "𠀀㐀", "备注": "䶮"})]


def test_it_reads_a_utf16_unicode_text_export() -> None:
    data = _csv([["姓名", "手机"], ["张三", "1"]], delimiter="\t").encode("utf-16")

    assert _read(data, "roster.csv").rows == [(2, {"姓名": "张三", "手机": "1"})]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_it_detects_the_delimiter(delimiter: str) -> None:
    data = _csv([["姓名", "手机", "区"], ["张三", "1", "福田, 南山"]], delimiter).encode()

    assert _read(data, "roster.csv").rows[0][1] == {"姓名": "张三", "手机": "1", "区": "福田, 南山"}


def test_it_refuses_undecodable_bytes_naming_the_row() -> None:
    data = "姓名,手机\r\n张三,1\r\n".encode() + b"\xff\xfe\xff,2\r\n"

    error = _refusal(data, "roster.csv")

    assert error.code == "encoding"
    assert error.row == 3
    assert "row 3" in str(error.message)


def test_it_refuses_a_csv_that_is_a_binary() -> None:
    assert _refusal(b"a,b\r\n1,\x00\r\n", "roster.csv").code == "wrong_type"
    assert _refusal(b"MZ\x90", "roster.csv").code == "wrong_type"
    assert _refusal(write_xlsx(sheets=[("s", ["a"], [])]), "roster.csv").code == "wrong_type"


def test_it_refuses_a_row_with_more_cells_than_headers() -> None:
    data = _csv([["姓名", "手机"], ["张三", "1"], ["李四", "2", "多余"]]).encode()

    error = _refusal(data, "roster.csv")

    assert error.code == "malformed"
    assert error.row == 3
    assert "Row 3, column C" in str(error.message)


def test_it_accepts_trailing_empty_cells() -> None:
    data = "姓名,手机,,\r\n张三,1,,\r\n".encode()

    assert _read(data, "roster.csv").rows == [(2, {"姓名": "张三", "手机": "1"})]


def test_it_undoes_its_own_formula_escaping_on_import() -> None:
    data = write_csv(["手机", "公式"], [["+86 138", "=1+1"]])

    assert _read(data, "roster.csv").rows == [(2, {"手机": "+86 138", "公式": "=1+1"})]


# Refusals common to both kinds ---------------------------------------------------------------


def test_it_refuses_an_empty_file() -> None:
    assert _refusal(b"", "roster.csv").code == "empty"
    assert _refusal(b"\r\n,,\r\n", "roster.csv").code == "empty"


def test_it_refuses_a_file_over_max_bytes() -> None:
    error = _refusal(b"a,b\r\n" * 200_000, "roster.csv", max_bytes=MB // 2)

    assert error.code == "too_large"
    assert "0.5 MB" in str(error.message)
    assert _refusal(b"a" * (MB + 1), "roster.csv", max_bytes=MB).code == "too_large"


def test_it_refuses_other_kinds_of_file_listing_the_accepted_ones() -> None:
    for filename in ("roster.txt", "roster", "roster.xlsx.exe", "roster.et"):
        error = _refusal(b"a,b\r\n1,2\r\n", filename)
        assert error.code == "wrong_type"
        assert ".xlsx, .csv" in str(error.message)


def test_it_refuses_more_rows_than_allowed() -> None:
    rows = [["姓名"]] + [[f"员工{number}"] for number in range(11)]

    assert _refusal(_csv(rows).encode(), "roster.csv", max_rows=10).code == "too_many_rows"
    assert _refusal(_workbook(_table(rows)), max_rows=10).code == "too_many_rows"
    assert len(_read(_csv(rows).encode(), "roster.csv", max_rows=11).rows) == 11


def test_it_refuses_more_columns_than_allowed() -> None:
    data = _csv([[f"列{number}" for number in range(61)], ["x"] * 61]).encode()

    assert _refusal(data, "roster.csv").code == "malformed"


def test_it_refuses_duplicate_headers_listing_them() -> None:
    data = _csv([["姓名", "手机", " 姓名 ", "手机"], ["a", "b", "c", "d"]]).encode()

    error = _refusal(data, "roster.csv")

    assert error.code == "headers"
    assert "姓名, 手机" in str(error.message)


def test_it_normalises_headers() -> None:
    data = "\ufeff ＩＤ ,姓名\u3000\r\n1,张三\r\n".encode()

    assert _read(data, "roster.csv").headers == ["ID", "姓名"]


def test_it_refuses_a_value_under_an_empty_header() -> None:
    data = _csv([["姓名", "", "手机"], ["张三", "x", "1"]]).encode()

    error = _refusal(data, "roster.csv")

    assert error.code == "malformed"
    assert "column B" in str(error.message)


# Headers -------------------------------------------------------------------------------------


def test_it_lists_every_missing_required_header_at_once() -> None:
    sheet = Sheet(headers=["姓名"], rows=[(2, {"姓名": "张三"})])

    with pytest.raises(SpreadsheetError) as caught:
        require_headers(sheet, required=["姓名", "身份证号", "手机"])

    assert caught.value.code == "headers"
    assert "身份证号, 手机" in str(caught.value.message)


def test_it_maps_alias_headers_to_canonical_ones() -> None:
    row = {"Name": "张三", "身份證號": ID, "备注": ""}
    sheet = Sheet(headers=["Name", "身份證號", "备注"], rows=[(2, row)])

    mapped = require_headers(
        sheet, required=["姓名", "身份证号"], aliases={"name": "姓名", "身份證號": "身份证号"}
    )

    assert mapped.headers == ["姓名", "身份证号", "备注"]
    assert mapped.rows == [(2, {"姓名": "张三", "身份证号": ID, "备注": ""})]


def test_it_refuses_two_headers_that_mean_the_same_column() -> None:
    sheet = Sheet(headers=["姓名", "Name"], rows=[])

    with pytest.raises(SpreadsheetError) as caught:
        require_headers(sheet, required=["姓名"], aliases={"Name": "姓名"})

    assert caught.value.code == "headers"


# Writing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["=1+1", "+86 138", "-5", "@SUM(A1)", "\t=x", "\r=x", "\0x", "  =HYPERLINK()"]
)
def test_it_neutralises_formula_triggers(value: str) -> None:
    assert neutralise_formula(value) == "'" + value


@pytest.mark.parametrize("value", [5, -5, 1.5, None, True, "张三", "", "a=b", "'=already"])
def test_it_leaves_everything_else_alone(value: object) -> None:
    assert neutralise_formula(value) == value


def test_it_writes_a_csv_excel_reads_as_utf8_with_every_cell_quoted_and_escaped() -> None:
    data = write_csv(["姓名", "公式", "数"], [["张三", "=1+1", -5], [None, "@x", 1.5]])

    assert data.startswith(codecs.BOM_UTF8)
    assert data[3:].decode() == (
        '"姓名","公式","数"\r\n"张三","\'=1+1","-5"\r\n"","\'@x","1.5"\r\n'
    )


def test_it_writes_xlsx_text_cells_as_text_never_formulas() -> None:
    data = write_xlsx(sheets=[("s", ["公式", "数"], [["=1+1", -5], ["+86 138", 2]])])

    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()

    assert "<f>" not in xml
    assert "'=1+1" in xml
    assert "'+86 138" in xml
    assert "<v>-5</v>" in xml


def test_it_writes_a_note_above_a_bold_frozen_header() -> None:
    data = write_xlsx(
        sheets=[("花名册", ["姓名", "手机"], [["张三", "138****8000"]])],
        header_note="由 张三 于 2020-02-09 10:00 导出，已脱敏",
    )

    archive = zipfile.ZipFile(io.BytesIO(data))
    xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert '<mergeCell ref="A1:B1"/>' in xml
    assert 'ySplit="2"' in xml
    assert "<b/>" in archive.read("xl/styles.xml").decode()
    assert _read(data).rows == [(3, {"姓名": "张三", "手机": "138****8000"})]


def test_it_writes_several_sheets_with_safe_names() -> None:
    data = write_xlsx(sheets=[("a/b", ["x"], []), ("A_B", ["y"], []), ("", ["z"], [])])

    workbook = zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").decode()

    assert 'name="a_b"' in workbook
    assert 'name="A_B (2)"' in workbook
    assert 'name="Sheet3"' in workbook
