"""Reference data that ships with the code: sectors and administrative divisions."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

DIVISIONS_CSV = Path(__file__).resolve().parent / "data" / "divisions.csv"

# (code, Simplified, Traditional, English): the sectors of the 19 associations.
SECTORS: list[tuple[str, str, str, str]] = [
    ("home_goods", "家居文化用品", "家居文化用品", "Home and cultural goods"),
    ("pet_clinic", "宠物医疗", "寵物醫療", "Pet clinics"),
    ("education", "教育培训", "教育培訓", "Education and training"),
    ("housekeeping", "家政服务", "家政服務", "Housekeeping"),
    ("tourism", "旅游", "旅遊", "Tourism"),
    ("sports", "体育产业", "體育產業", "Sports"),
    ("counselling", "心理咨询", "心理諮詢", "Psychological counselling"),
    ("immigration", "移民留学服务", "移民留學服務", "Immigration and study-abroad services"),
    ("beauty", "美容美发", "美容美髮", "Beauty and hairdressing"),
    ("statistics", "统计服务", "統計服務", "Statistics services"),
    ("travel_agency", "旅行社", "旅行社", "Travel agencies"),
    ("hotel", "酒店住宿", "酒店住宿", "Hotels"),
    ("facade_cleaning", "高空清洗", "高空清洗", "High-rise cleaning"),
    ("call_centre", "呼叫中心", "呼叫中心", "Call centres"),
    ("services", "综合服务", "綜合服務", "General services"),
    ("auto_repair", "汽车维修", "汽車維修", "Auto repair"),
    ("rv", "房车露营", "房車露營", "RVs and caravanning"),
    ("wedding", "婚庆", "婚慶", "Weddings"),
    ("house_rental", "房屋租赁", "房屋租賃", "House rental"),
]

_LEVEL_ORDER = {"province": 0, "city": 1, "county": 2, "functional_area": 3, "street": 4}


def division_rows() -> list[dict[str, Any]]:
    """Rows of divisions.csv, parents before children."""
    with DIVISIONS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sorted(rows, key=lambda r: (_LEVEL_ORDER[r["level"]], r["code"]))


def load_reference_data(sector_model: Any, division_model: Any) -> None:
    """Insert or refresh sectors and divisions (used by a data migration and by tests)."""
    for code, name, name_hant, name_en in SECTORS:
        sector_model.objects.update_or_create(
            code=code, defaults={"name": name, "name_zh_hant": name_hant, "name_en": name_en}
        )
    existing = set(division_model.objects.values_list("code", flat=True))
    new = []
    for row in division_rows():
        if row["code"] in existing:
            continue
        new.append(
            division_model(
                code=row["code"],
                name=row["name"],
                name_en=row["name_en"],
                level=row["level"],
                parent_id=row["parent_code"] or None,
                managed_by_id=row["managed_by"] or None,
            )
        )
    # Parents come first in the list, so batches never point at a missing parent.
    division_model.objects.bulk_create(new, batch_size=500)
