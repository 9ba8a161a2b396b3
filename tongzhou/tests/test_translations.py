"""The three catalogues are complete and compiled, and each language reaches the pages."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import opencc
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGUES = {"zh_Hans": 1, "zh_Hant": 1, "en": 2}  # catalogue → nplurals
LINE = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+"(.*)"$')
CONTINUATION = re.compile(r'^"(.*)"$')
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
CJK = re.compile(r"[\u4e00-\u9fff]")
MISSING = "\x00missing from the .mo\x00"


@dataclass
class Entry:
    """One message of a .po file, with the line it starts on."""

    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def msgctxt(self) -> str | None:
        return self.fields.get("msgctxt")

    @property
    def msgid_plural(self) -> str | None:
        return self.fields.get("msgid_plural")

    @property
    def msgstrs(self) -> list[str]:
        """msgstr, or msgstr[0], msgstr[1], … in order."""
        if "msgstr" in self.fields:
            return [self.fields["msgstr"]]
        forms = sorted(
            (int(key[7:-1]), value)
            for key, value in self.fields.items()
            if key.startswith("msgstr[")
        )
        return [value for _, value in forms]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), text)


def read_po(path: Path) -> tuple[Entry, list[Entry]]:
    """Return the header and the messages of a .po file (obsolete `#~` entries are skipped)."""
    entries: list[Entry] = []
    entry, key = Entry(line=1), ""
    for number, raw in enumerate([*path.read_text(encoding="utf-8").splitlines(), ""], 1):
        line = raw.strip()
        if not line:
            if entry.fields:
                entries.append(entry)
            entry, key = Entry(line=number + 1), ""
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith("#"):
            continue
        elif match := LINE.match(line):
            key = match.group(1)
            assert key not in entry.fields, f"{path}:{number}: {key} given twice"
            entry.fields[key] = _unescape(match.group(2))
        elif (match := CONTINUATION.match(line)) and key:
            entry.fields[key] += _unescape(match.group(1))
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    header = entries[0]
    assert header.msgid == "", f"{path}: the header comes first"
    assert header.msgctxt is None, f"{path}: the header has no context"
    return header, entries[1:]


def header_field(header: Entry, name: str) -> str:
    match = re.search(rf"^{name}: (.*)$", header.msgstrs[0], re.MULTILINE)
    assert match, f"the header has no {name}"
    return match.group(1).strip()


def po_path(catalogue: str) -> Path:
    return LOCALE / catalogue / "LC_MESSAGES" / "django.po"


def where(catalogue: str, entry: Entry) -> str:
    return f"{po_path(catalogue).relative_to(LOCALE.parent)}:{entry.line} {entry.msgid[:60]!r}"


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_it_translates_every_entry_and_leaves_none_fuzzy(catalogue: str) -> None:
    header, entries = read_po(po_path(catalogue))
    nplurals = CATALOGUES[catalogue]
    assert "fuzzy" not in header.flags
    assert header_field(header, "Language") == catalogue
    assert header_field(header, "Plural-Forms").startswith(f"nplurals={nplurals};")
    assert len(entries) > 100
    problems = []
    for entry in entries:
        forms = entry.msgstrs
        if "fuzzy" in entry.flags:
            problems.append(f"{where(catalogue, entry)} is fuzzy")
        if not forms or not all(forms):
            problems.append(f"{where(catalogue, entry)} has an empty msgstr")
        if entry.msgid_plural is not None and len(forms) != nplurals:
            problems.append(f"{where(catalogue, entry)} has {len(forms)} plural forms")
    assert not problems, "\n".join(problems)


def test_it_keeps_the_three_catalogues_on_the_same_messages() -> None:
    """zh_Hant and en are made from zh_Hans by scripts/fill_catalogues.py after makemessages."""
    keys = {
        catalogue: [(e.msgctxt, e.msgid, e.msgid_plural) for e in read_po(po_path(catalogue))[1]]
        for catalogue in CATALOGUES
    }
    assert keys["zh_Hant"] == keys["zh_Hans"]
    assert keys["en"] == keys["zh_Hans"]
    to_traditional = opencc.OpenCC("s2t")
    simplified = read_po(po_path("zh_Hans"))[1]
    traditional = read_po(po_path("zh_Hant"))[1]
    for hans, hant in zip(simplified, traditional, strict=True):
        assert hant.msgstrs == [to_traditional.convert(s) for s in hans.msgstrs], hans.msgid
    for entry in read_po(po_path("en"))[1]:
        plural = entry.msgid_plural
        assert entry.msgstrs == ([entry.msgid] if plural is None else [entry.msgid, plural])


class _Missing(gettext.NullTranslations):
    """The fallback behind a compiled catalogue: says so when a message is not in the .mo."""

    def gettext(self, message: str) -> str:
        return MISSING

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return MISSING

    def pgettext(self, context: str, message: str) -> str:
        return MISSING

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return MISSING


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_it_has_compiled_every_message_as_it_stands_in_the_po(catalogue: str) -> None:
    """A stale .mo (compilemessages not re-run) misses or misstates messages of the .po."""
    header, entries = read_po(po_path(catalogue))
    with po_path(catalogue).with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    compiled.add_fallback(_Missing())
    plural = gettext.c2py(header_field(header, "Plural-Forms").split("plural=", 1)[1].rstrip(";"))
    samples = {plural(n): n for n in reversed(range(200))}  # the smallest n for each form
    stale = []
    for entry in entries:
        ctx, msgid, msgid_plural = entry.msgctxt, entry.msgid, entry.msgid_plural
        for index, expected in enumerate(entry.msgstrs):
            if msgid_plural is None:
                found = compiled.gettext(msgid) if ctx is None else compiled.pgettext(ctx, msgid)
            elif ctx is None:
                found = compiled.ngettext(msgid, msgid_plural, samples[index])
            else:
                found = compiled.npgettext(ctx, msgid, msgid_plural, samples[index])
            if found != expected:
                stale.append(f"{where(catalogue, entry)}: .mo has {found[:40]!r}")
    assert not stale, "run `manage.py compilemessages`:\n" + "\n".join(stale)


def page(path: str, language: str) -> str:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [("zh-hans", ["登录"]), ("zh-hant", ["登入", "登錄"]), ("en", ["Sign in"])],
)
def test_it_shows_the_sign_in_page_in_the_chosen_language(language: str, words: list[str]) -> None:
    html = page(reverse("accounts:login"), language)
    assert any(word in html for word in words)


# Chinese that an English page may show: the language switcher's own names for the Chinese
# languages, the 同舟 logo mark beside the translated name, and Shenzhen street and town
# names (9-digit division codes) that orgs/data/divisions.csv has no English names for yet.
ALLOWED_IN_ENGLISH = [
    *(re.escape(name) for code, name in settings.LANGUAGES if code != "en"),
    r'<span class="tz-mark">同舟</span>',
    r'<option value="\d{9}"[^>]*>[^<]*</option>',
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["accounts:login", "orgs:register"])
def test_it_shows_no_chinese_on_english_pages(name: str) -> None:
    html = page(reverse(name), "en")
    for allowed in ALLOWED_IN_ENGLISH:
        html = re.sub(allowed, "", html)
    leftovers = [html[max(m.start() - 60, 0) : m.end() + 20] for m in CJK.finditer(html)]
    assert not leftovers, "untranslated text on the English page:\n" + "\n".join(leftovers)
