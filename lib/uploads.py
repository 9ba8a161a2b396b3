"""Check uploaded files by their content, and serve stored files as downloads.

`upload_check` accepts a file only when its content is one of the allowed kinds (PDF,
Word, Excel, common images), its name says the same kind, it is not empty and not larger
than the caller's limit. Executables (Windows PE, ELF, Mach-O) and scripts are refused
whatever their name. The content type recorded is the one the content proves, never the
one the browser sent.

`save_with_file` stores an upload on a model's file field and saves the row, deleting the
stored file again when the row (or the caller's audit record) cannot be saved.

`file_response` serves a stored file as an attachment (never inline), with `nosniff`, a
sandboxing CSP and an RFC 6266 `Content-Disposition` that carries the original name.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

import filetype  # type: ignore[import-untyped]
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.core.files.base import File
    from django.core.files.uploadedfile import UploadedFile

# Kind → (extensions that name it, the content type we record and serve).
KINDS: dict[str, tuple[frozenset[str], str]] = {
    "pdf": (frozenset({"pdf"}), "application/pdf"),
    "doc": (frozenset({"doc"}), "application/msword"),
    "docx": (
        frozenset({"docx"}),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xls": (frozenset({"xls"}), "application/vnd.ms-excel"),
    "xlsx": (
        frozenset({"xlsx"}),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "png": (frozenset({"png"}), "image/png"),
    "jpeg": (frozenset({"jpg", "jpeg"}), "image/jpeg"),
    "gif": (frozenset({"gif"}), "image/gif"),
    "webp": (frozenset({"webp"}), "image/webp"),
}

# What a notice may carry: documents and images.
ATTACHMENT_KINDS: frozenset[str] = frozenset(KINDS)
IMAGE_KINDS: frozenset[str] = frozenset({"png", "jpeg", "gif", "webp"})

MAX_NAME_LENGTH = 150
_HEAD_BYTES = 8192
_CHUNK = 64 * 1024

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
# Windows PE/DOS ("MZ"), ELF, Mach-O (32/64 bit, both byte orders, fat), shebang scripts.
_EXECUTABLE_MAGIC = (
    b"MZ",
    b"ZM",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
# Text that a browser or a shell would run: refused even when named like a document.
_SCRIPT_START = re.compile(
    rb"^\s*(?:<\?php|<script|<html|<!doctype|<svg|<\?xml|@echo|powershell)", re.IGNORECASE
)
_UNSAFE_NAME_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


@dataclass(frozen=True)
class CheckedUpload:
    """What `upload_check` learnt about an accepted file."""

    name: str  # the original name, sanitised (no path, no control or bidi characters)
    content_type: str  # proven by the content
    size: int
    sha256: str
    kind: str = ""


def upload_check(upload: UploadedFile, *, allowed: frozenset[str], max_bytes: int) -> CheckedUpload:
    """Accept the upload or raise `ValidationError` saying what is wrong with it."""
    name = clean_filename(upload.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    size = upload.size or 0
    if size <= 0:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": name}, code="empty")
    if size > max_bytes:
        raise ValidationError(
            _("The file “%(name)s” is larger than %(limit)s.")
            % {"name": name, "limit": filesizeformat(max_bytes)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(_HEAD_BYTES)
    if _is_executable(head):
        raise ValidationError(
            _("The file “%(name)s” is a program or a script, which cannot be uploaded.")
            % {"name": name},
            code="executable",
        )
    kind = _detect(upload, head)
    if kind is None or kind not in allowed:
        raise ValidationError(
            _("The file “%(name)s” is not one of the accepted kinds: %(kinds)s.")
            % {"name": name, "kinds": kinds_label(allowed)},
            code="wrong_type",
        )
    extensions, content_type = KINDS[kind]
    if extension not in extensions:
        raise ValidationError(
            _(
                "The name of “%(name)s” does not match its content (%(kind)s). "
                "Rename the file or upload the right one."
            )
            % {"name": name, "kind": kind.upper()},
            code="mismatch",
        )
    digest, counted = _hash(upload, max_bytes)
    if counted > max_bytes:
        raise ValidationError(
            _("The file “%(name)s” is larger than %(limit)s.")
            % {"name": name, "limit": filesizeformat(max_bytes)},
            code="too_large",
        )
    upload.seek(0)
    return CheckedUpload(
        name=name, content_type=content_type, size=counted, sha256=digest, kind=kind
    )


def kinds_label(allowed: frozenset[str]) -> str:
    """The accepted kinds as people know them: "PDF, DOCX, PNG"."""
    order = list(KINDS)
    return ", ".join(k.upper() for k in sorted(allowed, key=order.index))


def accept_attribute(allowed: frozenset[str]) -> str:
    """An `accept` attribute for a file input (a hint only; the server checks the content)."""
    exts = sorted({f".{e}" for k in allowed for e in KINDS[k][0]})
    return ",".join(exts)


def clean_filename(raw: str, *, default: str = "file") -> str:
    """The last path component, without control, format (bidi) or reserved characters."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf"})
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip().lstrip(".").strip()
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH]
    return name or default


def _is_executable(head: bytes) -> bool:
    return head.startswith(_EXECUTABLE_MAGIC) or bool(_SCRIPT_START.match(head[:512]))


def _detect(upload: UploadedFile, head: bytes) -> str | None:
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(upload)
    if head.startswith(_OLE_MAGIC):
        return _ole_kind(upload)
    guess = filetype.guess(head)
    if guess is None:
        return None
    by_mime = {ct: kind for kind, (_exts, ct) in KINDS.items()}
    return by_mime.get(guess.mime)


def _zip_kind(upload: UploadedFile) -> str | None:
    """DOCX or XLSX by the parts the package holds; any other zip is no document."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:  # reads the central directory only
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _ole_kind(upload: UploadedFile) -> str | None:
    """DOC or XLS by the stream names in the compound file's directory."""
    upload.seek(0)
    names = _ole_stream_names(upload)
    if "WordDocument" in names:
        return "doc"
    if "Workbook" in names or "Book" in names:
        return "xls"
    return None


def _ole_stream_names(stream: IO[bytes] | UploadedFile, *, max_sectors: int = 64) -> set[str]:
    """Names in a compound file binary (MS-CFB) directory, following at most a few sectors."""
    header = stream.read(512)
    if len(header) < 512 or not header.startswith(_OLE_MAGIC):
        return set()
    sector_shift = struct.unpack_from("<H", header, 30)[0]
    if sector_shift not in (9, 12):
        return set()
    sector_size = 1 << sector_shift
    first_dir = struct.unpack_from("<I", header, 48)[0]
    fat_sectors = [s for s in struct.unpack_from("<109I", header, 76) if s < 0xFFFFFFFA]
    per_fat = sector_size // 4

    def read_sector(index: int) -> bytes:
        stream.seek(sector_size + index * sector_size)
        return stream.read(sector_size)

    def next_sector(index: int) -> int:
        fat_index, offset = divmod(index, per_fat)
        if fat_index >= len(fat_sectors):
            return 0xFFFFFFFE
        data = read_sector(fat_sectors[fat_index])
        if len(data) < (offset + 1) * 4:
            return 0xFFFFFFFE
        return int(struct.unpack_from("<I", data, offset * 4)[0])

    names: set[str] = set()
    sector, seen = first_dir, 0
    while sector < 0xFFFFFFFA and seen < max_sectors:
        data = read_sector(sector)
        if len(data) < sector_size:
            break
        for entry in range(0, sector_size, 128):
            length = struct.unpack_from("<H", data, entry + 64)[0]
            if 2 <= length <= 64:
                raw = data[entry : entry + length - 2]
                names.add(raw.decode("utf-16-le", errors="replace"))
        sector = next_sector(sector)
        seen += 1
    return names


def _hash(upload: UploadedFile, max_bytes: int) -> tuple[str, int]:
    upload.seek(0)
    digest = hashlib.sha256()
    counted = 0
    for chunk in upload.chunks(_CHUNK):
        counted += len(chunk)
        if counted > max_bytes:
            break
        digest.update(chunk)
    return digest.hexdigest(), counted


def content_disposition(name: str, *, inline: bool = False) -> str:
    """An RFC 6266 header: an ASCII fallback plus the UTF-8 name (RFC 5987)."""
    name = clean_filename(name, default="download")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""

    def ascii_only(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        return re.sub(r"[^A-Za-z0-9._ -]", "_", text).strip(" ._")

    fallback = ascii_only(stem) or "download"
    if ext_ascii := re.sub(r"[^A-Za-z0-9]", "", ext):
        fallback += "." + ext_ascii
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(stored_file: File[bytes], name: str, content_type: str) -> FileResponse:
    """Serve a stored file as a download that the browser will neither sniff nor render."""
    stored_file.open("rb")
    response = FileResponse(stored_file, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


def save_with_file(
    row: Any,
    *,
    field: str,
    upload: UploadedFile,
    name: str,
    then: Callable[[], object] = lambda: None,
) -> None:
    """Store `upload` as `row.<field>` under `name`, save the row and run `then` (the
    audit record); if any of that fails, delete the stored file and re-raise, so a failed
    write leaves no orphan file behind."""
    stored_field = getattr(row, field)
    stored_field.save(name, upload, save=False)
    stored = stored_field.name
    try:
        row.save()
        then()
    except Exception:
        default_storage.delete(stored)
        raise
