"""Fill untranslated zh_Hans entries from JSON files of {msgid: Simplified Chinese}.

Used when several people add pages at once: each writes the translations of their new
strings to `.i18n/<name>.json` (not committed); after `makemessages`, this script puts
them into `locale/zh_Hans/LC_MESSAGES/django.po`, then `make messages` fills zh_Hant and
en. Entries that are already translated are left alone; what is still missing is listed.

Usage: .venv/bin/python scripts/merge_translations.py .i18n/*.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _unfuzzy(entry: polib.POEntry) -> None:
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
    entry.previous_msgid = None
    entry.previous_msgid_plural = None
    entry.previous_msgctxt = None


def main(paths: list[str]) -> int:
    table: dict[str, str] = {}
    for path in paths:
        table.update(json.loads(Path(path).read_text(encoding="utf-8")))
    catalogue = polib.pofile(str(PO), wrapwidth=79)
    filled, missing = 0, []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            if all(entry.msgstr_plural.values()) and "fuzzy" not in entry.flags:
                continue
            text = table.get(entry.msgid)
            if text:
                entry.msgstr_plural = {0: text}
                _unfuzzy(entry)
                filled += 1
            else:
                missing.append(entry.msgid)
            continue
        if entry.msgstr and "fuzzy" not in entry.flags:
            continue
        text = table.get(entry.msgid)
        if text:
            entry.msgstr = text
            _unfuzzy(entry)
            filled += 1
        else:
            missing.append(entry.msgid)
    catalogue.save()
    print(f"filled {filled}; still untranslated: {len(missing)}")
    for msgid in missing:
        print("  ", json.dumps(msgid, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
