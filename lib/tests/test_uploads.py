"""Uploads are checked by content, named honestly, bounded; downloads are never rendered."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import SimpleUploadedFile

from lib.tests import sample_files as samples
from lib.uploads import (
    ATTACHMENT_KINDS,
    CheckedUpload,
    accept_attribute,
    clean_filename,
    content_disposition,
    file_response,
    kinds_label,
    upload_check,
)

MB = 1024 * 1024


def _check(
    name: str,
    data: bytes,
    *,
    allowed: frozenset[str] = ATTACHMENT_KINDS,
    max_bytes: int = MB,
    content_type: str = "application/octet-stream",
) -> CheckedUpload:
    return upload_check(
        SimpleUploadedFile(name, data, content_type=content_type),
        allowed=allowed,
        max_bytes=max_bytes,
    )


def _code(name: str, data: bytes, **kwargs: object) -> str | None:
    with pytest.raises(ValidationError) as caught:
        _check(name, data, **kwargs)  # type: ignore[arg-type]
    return caught.value.code


GOOD: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("政策.pdf", lambda: samples.PDF, "pdf", "application/pdf"),
    ("photo.png", samples.png, "png", "image/png"),
    ("photo.JPG", lambda: samples.JPEG, "jpeg", "image/jpeg"),
    ("photo.jpeg", lambda: samples.JPEG, "jpeg", "image/jpeg"),
    ("anim.gif", lambda: samples.GIF, "gif", "image/gif"),
    ("pic.webp", lambda: samples.WEBP, "webp", "image/webp"),
    (
        "通知.docx",
        samples.docx,
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "名单.xlsx",
        samples.xlsx,
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("old.doc", lambda: samples.ole("WordDocument", "1Table"), "doc", "application/msword"),
    ("old.xls", lambda: samples.ole("Workbook"), "xls", "application/vnd.ms-excel"),
    ("older.xls", lambda: samples.ole("Book"), "xls", "application/vnd.ms-excel"),
]


@pytest.mark.parametrize(("name", "make", "kind", "content_type"), GOOD)
def test_it_accepts_each_kind_by_its_content(
    name: str, make: Callable[[], bytes], kind: str, content_type: str
) -> None:
    data = make()
    checked = _check(name, data, content_type="text/html")  # what the browser says is ignored
    assert checked.kind == kind
    assert checked.content_type == content_type
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.name == name


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.pdf", samples.PE_EXECUTABLE),
        ("report.docx", samples.PE_EXECUTABLE),
        ("photo.png", samples.ELF_EXECUTABLE),
        ("report.pdf", samples.SHELL_SCRIPT),
        ("report.pdf", samples.HTML_PAGE),
        ("report.pdf", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 40),  # Mach-O 64
    ],
)
def test_it_refuses_a_disguised_program(name: str, data: bytes) -> None:
    assert _code(name, data) == "executable"


def test_it_refuses_a_pdf_that_is_really_a_zip() -> None:
    assert _code("report.pdf", samples.plain_zip()) == "wrong_type"


def test_it_refuses_a_zip_even_named_as_a_zip() -> None:
    assert _code("archive.zip", samples.plain_zip()) == "wrong_type"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.pdf", samples.docx()),
        ("photo.jpg", samples.png()),
        ("sheet.docx", samples.xlsx()),
        ("sheet.xlsx", samples.ole("WordDocument")),
        ("report", samples.PDF),
        ("report.pdf.exe", samples.PDF),
    ],
)
def test_it_refuses_a_name_that_does_not_match_the_content(name: str, data: bytes) -> None:
    assert _code(name, data) == "mismatch"


def test_it_refuses_unknown_compound_files_and_plain_text() -> None:
    assert _code("setup.doc", samples.ole("\x05SummaryInformation")) == "wrong_type"
    assert _code("notes.pdf", b"just some text") == "wrong_type"


def test_it_refuses_kinds_the_caller_does_not_allow() -> None:
    with pytest.raises(ValidationError) as caught:
        _check("名单.xlsx", samples.xlsx(), allowed=frozenset({"pdf", "png"}))
    assert caught.value.code == "wrong_type"
    assert "PDF, PNG" in caught.value.messages[0]


def test_it_refuses_an_empty_file() -> None:
    with pytest.raises(ValidationError) as caught:
        _check("empty.pdf", b"")
    assert caught.value.code == "empty"
    assert "empty.pdf" in caught.value.messages[0]


def test_it_refuses_an_oversized_file_with_the_limit_in_the_message() -> None:
    data = samples.PDF + b"%" * (2 * MB)
    with pytest.raises(ValidationError) as caught:
        _check("big.pdf", data, max_bytes=MB)
    assert caught.value.code == "too_large"
    assert "1.0" in caught.value.messages[0]
    assert _check("big.pdf", data, max_bytes=3 * MB).size == len(data)


def test_it_leaves_the_upload_at_the_start_for_saving() -> None:
    upload = SimpleUploadedFile("a.pdf", samples.PDF)
    upload_check(upload, allowed=ATTACHMENT_KINDS, max_bytes=MB)
    assert upload.read() == samples.PDF


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\通知.pdf", "通知.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # a right-to-left override is dropped
        ("a\x00b\x07c.pdf", "abc.pdf"),
        ('say "hi" <b>.pdf', "say _hi_ _b_.pdf"),
        ("...hidden.pdf", "hidden.pdf"),
        ("", "file"),
        ("   ", "file"),
        ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
    ],
)
def test_it_cleans_file_names(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_it_names_the_kinds_for_people_and_for_the_file_picker() -> None:
    assert kinds_label(frozenset({"png", "pdf"})) == "PDF, PNG"
    assert accept_attribute(frozenset({"jpeg", "pdf"})) == ".jpeg,.jpg,.pdf"


def test_it_writes_an_rfc6266_content_disposition() -> None:
    header = content_disposition('2024年 防控/通知 "final".pdf')
    assert header.startswith('attachment; filename="final.pdf"; ')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii()
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert not set(encoded) & {" ", '"', ";"}
    assert unquote(encoded) == "通知 _final_.pdf"
    assert content_disposition("通知.pdf").startswith('attachment; filename="download.pdf"')


def test_it_serves_a_stored_file_as_a_download(tmp_path: Path) -> None:
    path = tmp_path / "stored"
    path.write_bytes(samples.HTML_PAGE)
    with path.open("rb") as handle:
        response = file_response(File(handle, name=str(path)), "页面.pdf", "application/pdf")
        body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert body == samples.HTML_PAGE
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E9%A1%B5%E9%9D%A2.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Length"] == str(len(samples.HTML_PAGE))


def test_it_serves_an_in_memory_file() -> None:
    response = file_response(ContentFile(samples.PDF, name="x"), "a.pdf", "application/pdf")
    assert b"".join(response.streaming_content) == samples.PDF  # type: ignore[arg-type]
