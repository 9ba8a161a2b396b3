"""The filing packet renders as PDF and .docx: structure, content, masking, hostile text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from io import BytesIO

import docx
import pytest
from django.utils import translation
from django.utils.translation import gettext

from plans.packet.data import (
    SHANGHAI,
    ChecklistItem,
    Commitment,
    EmergencyContact,
    PacketData,
    PlanSection,
    RosterRow,
    SupplyRow,
    TeamMember,
)
from plans.packet.docx import render_docx
from plans.packet.pdf import render_pdf
from plans.packet.sample import sample_packet

FULL_MOBILE = "13912345678"
FULL_ID = "440303199001011237"
PDFTOTEXT = shutil.which("pdftotext")
# Locally the text checks skip without poppler-utils; CI installs it and sets this, so there
# they fail instead of skipping.
NO_PDFTOTEXT = PDFTOTEXT is None and not os.environ.get("TONGZHOU_REQUIRE_TOOLS")


@pytest.fixture(autouse=True)
def _chinese() -> object:
    with translation.override("zh-hans"):
        yield


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page(?!s)", pdf))


def _pdf_text(pdf: bytes) -> str:
    assert PDFTOTEXT
    done = subprocess.run(  # noqa: S603 - fixed binary, bytes on stdin
        [PDFTOTEXT, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode()


def _docx_xml(data: bytes) -> str:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return "".join(
            archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml")
        )


def _docx_text(data: bytes) -> str:
    document = docx.Document(BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def _minimal(**changes: object) -> PacketData:
    base = PacketData(
        enterprise_name="空白企业",
        uscc="",
        legal_rep="",
        address="",
        district="",
        street="",
        sector="",
        contact_name="",
        contact_mobile="",
        responsible_person="",
        commitment=Commitment(text=""),
        generated_at=datetime(2020, 2, 8, 2, 0),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _with_real_numbers() -> PacketData:
    packet = sample_packet(roster=30)
    roster = (
        RosterRow("张三丰", "厨师", "福田店", FULL_MOBILE, FULL_ID, "在岗"),
        *packet.roster,
    )
    team = (TeamMember("李四", "组长", f"+86 {FULL_MOBILE}", True),)
    contacts = (
        EmergencyContact("街道", "值班", "0755-83331234"),
        EmergencyContact("联络员", "王五", FULL_MOBILE),
    )
    return replace(
        packet, roster=roster, team=team, emergency_contacts=contacts, contact_mobile=FULL_MOBILE
    )


def test_it_keeps_only_masked_values_in_the_dataclass() -> None:
    packet = _with_real_numbers()
    assert packet.roster[0].name == "张**"
    assert packet.roster[0].mobile == "139****5678"
    assert packet.roster[0].document == "440303********1237"
    assert packet.team[0].mobile == "139****5678"
    assert packet.contact_mobile == "139****5678"
    assert packet.emergency_contacts[0].phone == "0755-83331234"  # a landline is an institution's
    assert FULL_MOBILE not in repr(packet)
    assert FULL_ID not in repr(packet)
    # masking twice changes nothing
    again = replace(packet.roster[0])
    assert again == packet.roster[0]


def test_it_converts_generated_at_to_shanghai() -> None:
    packet = _minimal(generated_at=datetime(2020, 2, 8, 2, 0, tzinfo=SHANGHAI).astimezone(SHANGHAI))
    assert packet.generated_at.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


def test_it_computes_days_of_cover() -> None:
    assert SupplyRow("口罩", "个", Decimal(1200), Decimal(260)).days_of_cover == 4
    assert SupplyRow("测温仪", "台", Decimal(4), Decimal(0)).days_of_cover is None


def test_it_renders_a_pdf_with_a_page_per_document() -> None:
    pdf = render_pdf(_minimal())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert _pages(pdf) == 7  # cover + six documents, each on its own page


def test_it_splits_long_tables_across_pages() -> None:
    short = render_pdf(sample_packet(roster=10))
    long = render_pdf(sample_packet(roster=400))
    assert _pages(long) >= _pages(short) + 8  # ~45 rows a page


@pytest.mark.skipif(NO_PDFTOTEXT, reason="pdftotext (poppler-utils) is not installed")
def test_it_writes_chinese_text_page_numbers_and_repeated_headers_into_the_pdf() -> None:
    pdf = render_pdf(sample_packet(roster=400))
    text = _pdf_text(pdf)
    assert "深圳市同舟示范酒店有限公司" in text
    assert "EF-01" in text
    assert "M8" in text
    total = _pages(pdf)
    assert f"{total}" in text.split("\f")[total - 1]
    roster_pages = [page for page in text.split("\f") if "440303****" in page]
    assert len(roster_pages) >= 8
    # every page of the roster table starts with its header row again
    for page in roster_pages:
        assert gettext("Position") in page
        assert gettext("Status") in page


@pytest.mark.skipif(NO_PDFTOTEXT, reason="pdftotext (poppler-utils) is not installed")
def test_it_never_prints_a_full_mobile_or_id_number_in_the_pdf() -> None:
    text = _pdf_text(render_pdf(_with_real_numbers())).replace(" ", "")
    assert "139****5678" in text
    assert "440303********1237" in text
    assert FULL_MOBILE not in text
    assert FULL_ID not in text
    assert "19900101" not in text


def test_it_never_writes_a_full_mobile_or_id_number_into_the_docx() -> None:
    data = render_docx(_with_real_numbers())
    xml = _docx_xml(data)
    assert FULL_MOBILE not in xml
    assert FULL_ID not in xml
    assert "19900101" not in xml
    text = _docx_text(data)
    assert "张**" in text
    assert "139****5678" in text
    assert "440303********1237" in text


def test_it_writes_every_checklist_code_and_the_roster_into_the_docx() -> None:
    packet = sample_packet(checklist=30, roster=50)
    data = render_docx(packet)
    document = docx.Document(BytesIO(data))
    text = _docx_text(data)
    assert "深圳市同舟示范酒店有限公司" in text
    for item in packet.checklist:
        assert item.code in text
    for row in packet.roster:
        assert f"{row.name}" in text
        assert row.document in text
    roster_table = next(t for t in document.tables if len(t.rows) == 51)
    properties = roster_table.rows[0]._tr.trPr
    assert properties is not None
    assert properties.xml.count("tblHeader") == 1  # header repeats on each page
    # the East Asian font is set on the runs
    assert 'w:eastAsia="宋体"' in _docx_xml(data)


def test_it_marks_low_supplies_and_required_checklist_items_answered_no() -> None:
    packet = _minimal(
        supplies=(SupplyRow("口罩", "个", Decimal(100), Decimal(50)),),
        checklist=(ChecklistItem("EF-03", "物资", True, "no"),),
    )
    xml = _docx_xml(render_docx(packet))
    assert xml.count("FDE2E1") == 5 + 6  # the supply row (5 cells) and checklist row (6)


HOSTILE = [
    "<script>alert(1)</script>",
    "&amp; <b>not bold</b> <para> ]]> <![CDATA[",
    "W" * 3000,
    "超长" * 2000,
    "😷🦠👨‍👩‍👧 口罩",
    "控制\x00字符\x01\x07\x0b\x1b\x7f\u2028\ufeff\ud800",
    "\u202eRTL override",
    "line\r\nbreak\rcr",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_it_renders_hostile_text_without_crashing(hostile: str) -> None:
    packet = replace(
        sample_packet(checklist=3, roster=3),
        enterprise_name=hostile,
        address=hostile,
        plan_sections=(PlanSection(hostile, hostile),),
        checklist=(
            ChecklistItem(hostile[:20], hostile, True, hostile, hostile, None, hostile, (hostile,)),
        ),
        roster=(RosterRow(hostile, hostile, hostile, hostile, hostile, hostile),),
        supplies=(SupplyRow(hostile, hostile, Decimal(1), Decimal(3)),),
        commitment=Commitment(hostile, hostile, None, hostile),
        emergency_steps=(hostile,),
    )
    pdf = render_pdf(packet)
    assert pdf.startswith(b"%PDF-")
    data = render_docx(packet)
    document = docx.Document(BytesIO(data))
    assert document.tables
    if "<script>" in hostile:
        assert "<script>" in _docx_text(data)  # shown as text, not interpreted
        assert "<script>" not in _docx_xml(data)  # escaped in the XML


def test_it_numbers_plan_sections_as_each_language_writes_them() -> None:
    from plans.packet.text import chinese_number, heading

    assert [chinese_number(n) for n in (1, 10, 12, 20, 99, 100)] == [
        "一",
        "十",
        "十二",
        "二十",
        "九十九",
        "100",
    ]
    assert heading(3, "消毒") == "三、消毒"
    with translation.override("en"):
        assert heading(3, "Disinfection") == "3. Disinfection"
