"""The filing packet as an editable Word document (python-docx), East Asian font on every run."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from plans.packet.data import PacketData
from plans.packet.text import (
    answer_label,
    clean,
    document_titles,
    heading,
    note_text,
    number_text,
    required_label,
    when,
)

EAST_ASIAN_FONT = "宋体"
LATIN_FONT = "SimSun"
_WARN_FILL = "FDE2E1"
_HEAD_FILL = "3D5A80"

# XML 1.0 allows tab, newline, CR and everything from U+0020 except surrogates and U+FFFE/F.
_XML_BAD = {c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)} | {0xFFFE, 0xFFFF}


def _xml_safe(value: object) -> str:
    text = clean(value)
    return "".join(ch for ch in text if ord(ch) not in _XML_BAD and not 0xD800 <= ord(ch) <= 0xDFFF)


def _font(run: Run, *, size: float | None = None, bold: bool = False, color: str = "") -> Run:
    """Set the Latin and East Asian fonts of a run (w:rFonts w:eastAsia) so Word uses 宋体."""
    run.font.name = LATIN_FONT
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    if size:
        run.font.size = Pt(size)
    if bold:
        run.bold = True
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    return run


def _write(paragraph: Paragraph, value: object, **style: Any) -> Paragraph:
    """Add text to a paragraph; newlines become line breaks within it."""
    lines = _xml_safe(value).split("\n")
    for n, line in enumerate(lines):
        run = _font(paragraph.add_run(line), **style)
        if n < len(lines) - 1:
            run.add_break(WD_BREAK.LINE)
    return paragraph


def _para(doc: Any, value: object, *, indent: bool = False, **style: Any) -> Paragraph:
    paragraph = doc.add_paragraph()
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(21)
    return _write(paragraph, value, **style)


def _title(doc: Any, value: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(12)
    _write(paragraph, value, size=18, bold=True)


def _heading(doc: Any, value: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(10)
    paragraph.paragraph_format.keep_with_next = True
    _write(paragraph, value, size=12.5, bold=True)


def _shade(cell: Any, fill: str) -> None:
    props = cell._element.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    props.append(shading)


def _repeat_header(table: Table) -> None:
    """Mark the first row as a header row Word repeats on each page (w:tblHeader)."""
    props = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    props.append(header)


def _table(
    doc: Any,
    header: list[str],
    rows: list[list[object]],
    widths: list[float],
    *,
    warn_rows: set[int] | None = None,
    empty: str = "",
) -> None:
    if not rows:
        _para(doc, empty or _("None."))
        return
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    total = sum(widths)
    cm_widths = [Cm(17 * w / total) for w in widths]
    cells = table._cells  # one pass over the cells: much faster than table.cell(r, c)
    ncols = len(header)
    for c, text in enumerate(header):
        cell = cells[c]
        cell.width = cm_widths[c]
        _shade(cell, _HEAD_FILL)
        _write(cell.paragraphs[0], text, size=9, bold=True, color="FFFFFF")
    warn = warn_rows or set()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = cells[(r + 1) * ncols + c]
            cell.width = cm_widths[c]
            _write(cell.paragraphs[0], value, size=9)
            if r in warn:
                _shade(cell, _WARN_FILL)
    _repeat_header(table)


def _fields(doc: Any, pairs: list[tuple[str, object]]) -> None:
    table = doc.add_table(rows=len(pairs), cols=2)
    table.style = "Table Grid"
    cells = table._cells
    for r, (label, value) in enumerate(pairs):
        cells[2 * r].width = Cm(5)
        cells[2 * r + 1].width = Cm(12)
        _shade(cells[2 * r], "F2F4F7")
        _write(cells[2 * r].paragraphs[0], label, size=10)
        _write(cells[2 * r + 1].paragraphs[0], value, size=10)


def _staff_pairs(data: PacketData) -> list[tuple[str, object]]:
    s = data.staff
    return [
        (_("Total staff"), s.total),
        (_("On site"), s.on_site),
        (_("In Shenzhen"), s.in_shenzhen),
        (_("Returned from outside Shenzhen"), s.from_outside_shenzhen),
        (_("From or through risk areas"), s.from_risk_areas),
        (_("To be isolated"), s.to_isolate),
        (_("In isolation or observation"), s.in_observation),
        (_("Completed observation"), s.completed_observation),
        (_("Not yet returned"), s.not_returned),
    ]


def _new_page(doc: Any) -> None:
    doc.add_section(WD_SECTION.NEW_PAGE)


def _add_page_number_footer(doc: Any, header_text: str) -> None:
    """Footer "第 PAGE 页" as a Word field, header with the enterprise name (all sections link)."""
    section = doc.sections[0]
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, _sep, after = _("Page %(page)s of %(total)s").partition("%(page)s")
    middle, _sep2, end = after.partition("%(total)s")
    _write(paragraph, before, size=8)
    _field(paragraph, "PAGE")
    _write(paragraph, middle, size=8)
    _field(paragraph, "NUMPAGES")
    _write(paragraph, end, size=8)
    _write(section.header.paragraphs[0], header_text, size=8, color="5F6B7A")


def _field(paragraph: Paragraph, code: str) -> None:
    run = _font(paragraph.add_run(), size=8)
    for kind, text in (("begin", None), ("instr", code), ("separate", None), ("end", None)):
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {text} "
            run._element.append(instr)
            continue
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        run._element.append(char)
        if kind == "separate":
            placeholder = OxmlElement("w:t")
            placeholder.text = "1"
            run._element.append(placeholder)


def render_docx(data: PacketData) -> bytes:
    """Render the six documents of the filing packet as one editable .docx, a section each."""
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    doc.core_properties.title = _xml_safe(data.enterprise_name)[:200]
    doc.core_properties.author = "tongzhou"
    _add_page_number_footer(
        doc,
        f"{_xml_safe(data.enterprise_name)[:60]}　｜　"
        f"{_('Filing for resuming work and production')}",
    )
    titles = document_titles()

    # Cover
    for _i in range(4):
        doc.add_paragraph()
    cover = doc.add_paragraph()
    cover.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _write(cover, _("Filing for resuming work and production"), size=24, bold=True)
    _title(doc, data.enterprise_name)
    cover_pairs: list[tuple[str, object]] = [
        (_("Unified social credit code"), data.uscc),
        (_("Sector"), data.sector),
    ]
    if data.association:
        cover_pairs.append((_("Association"), data.association))
    if data.reference:
        cover_pairs.append((_("Filing number"), data.reference))
    cover_pairs.append((_("Generated at"), when(data.generated_at)))
    _fields(doc, cover_pairs)
    _heading(doc, _("Contents"))
    for number, title in enumerate(titles, start=1):
        _para(doc, f"{number}. {title}")

    # 1. Application form
    _new_page(doc)
    _title(doc, titles[0])
    _fields(
        doc,
        [
            (_("Enterprise name"), data.enterprise_name),
            (_("Unified social credit code"), data.uscc),
            (_("Legal representative"), data.legal_rep),
            (_("Person responsible for prevention"), data.responsible_person),
            (_("Business address"), data.address),
            (_("District / street"), " ".join(x for x in (data.district, data.street) if x)),
            (_("Sector"), data.sector),
            (_("Association"), data.association),
            (_("Prevention contact"), f"{data.contact_name} {data.contact_mobile}".strip()),
            (_("Planned date of resumption"), when(data.planned_date)),
            (_("Mode of resumption"), data.resumption_mode),
        ],
    )
    _heading(doc, _("Staff"))
    _fields(doc, _staff_pairs(data))

    # 2. Commitment letter
    _new_page(doc)
    _title(doc, titles[1])
    for block in clean(data.commitment.text).split("\n\n"):
        if block.strip():
            _para(doc, block.strip(), indent=True)
    doc.add_paragraph()
    c = data.commitment
    signature = [
        _("Enterprise: %(name)s") % {"name": data.enterprise_name},
        _("Confirmed by: %(name)s") % {"name": c.confirmed_by or "—"},
        _("Confirmed at: %(when)s") % {"when": when(c.confirmed_at) or "—"},
    ]
    if c.confirmed_from:
        signature.append(_("Confirmed from: %(where)s") % {"where": c.confirmed_from})
    for line in signature:
        paragraph = _para(doc, line)
        paragraph.paragraph_format.left_indent = Cm(9)

    # 3. Prevention plan
    _new_page(doc)
    _title(doc, titles[2])
    for number, plan_section in enumerate(data.plan_sections, start=1):
        _heading(doc, heading(number, plan_section.title))
        for block in clean(plan_section.body).split("\n\n"):
            if block.strip():
                _para(doc, block.strip(), indent=True)
    _heading(doc, _("Prevention team"))
    _table(
        doc,
        [_("Name"), _("Role"), _("Mobile"), _("Trained")],
        [[m.name, m.role, m.mobile, _("Yes") if m.trained else _("No")] for m in data.team],
        [2, 3, 2.5, 1.2],
        empty=_("No prevention team recorded."),
    )
    _heading(doc, _("Checklist"))
    _table(
        doc,
        [_("Code"), _("Item"), _("Required"), _("Answer"), _("Note"), _("Evidence")],
        [
            [
                i.code,
                i.text,
                required_label(i),
                answer_label(i),
                note_text(i),
                "\n".join(i.evidence),
            ]
            for i in data.checklist
        ],
        [1.3, 5, 1.3, 1.3, 2.8, 2.6],
        warn_rows={n for n, i in enumerate(data.checklist) if i.required and i.answer == "no"},
        empty=_("No checklist answers."),
    )

    # 4. Emergency plan
    _new_page(doc)
    _title(doc, titles[3])
    _heading(doc, _("Emergency contacts"))
    _table(
        doc,
        [_("Role"), _("Name"), _("Telephone")],
        [[x.role, x.name, x.phone] for x in data.emergency_contacts],
        [3, 2, 2.5],
        empty=_("No emergency contacts recorded."),
    )
    _heading(doc, _("Steps"))
    if not data.emergency_steps:
        _para(doc, _("None."))
    for number, step in enumerate(data.emergency_steps, start=1):
        _para(doc, f"{number}. {clean(step)}")
    _heading(doc, _("Isolation arrangements"))
    _table(
        doc,
        [_("Arrangement"), _("Place"), _("Rooms"), _("Capacity"), _("Note")],
        [
            [i.kind, i.place, number_text(i.rooms), number_text(i.capacity), i.note]
            for i in data.isolation
        ],
        [2.2, 3, 1, 1, 3],
        empty=_("No isolation arrangements recorded."),
    )

    # 5. Staff roster summary
    _new_page(doc)
    _title(doc, titles[4])
    _fields(doc, _staff_pairs(data))
    _heading(doc, _("Roster (masked)"))
    _table(
        doc,
        [_("No."), _("Name"), _("Position"), _("Site"), _("Mobile"), _("ID number"), _("Status")],
        [
            [n, r.name, r.position, r.site, r.mobile, r.document, r.status]
            for n, r in enumerate(data.roster, start=1)
        ],
        [0.9, 1.3, 1.8, 2, 2.1, 3.3, 1.6],
        empty=_("No employees on the roster."),
    )

    # 6. Supplies
    _new_page(doc)
    _title(doc, titles[5])
    low: set[int] = set()
    rows: list[list[object]] = []
    for n, row in enumerate(data.supplies):
        days = row.days_of_cover
        if days is not None and days < data.min_days_of_cover:
            low.add(n)
        rows.append(
            [
                row.item,
                row.unit,
                number_text(row.on_hand),
                number_text(row.daily_use),
                "—" if days is None else number_text(days),
            ]
        )
    _table(
        doc,
        [_("Item"), _("Unit"), _("On hand"), _("Daily use"), _("Days of cover")],
        rows,
        [3, 1.2, 1.5, 1.5, 1.5],
        warn_rows=low,
        empty=_("No supplies recorded."),
    )
    if low:
        _para(
            doc,
            _("Highlighted rows cover fewer than %(days)s days.")
            % {"days": data.min_days_of_cover},
        )

    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
