"""The filing packet as PDF: reportlab with its built-in CJK CID font (no font files needed)."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)

from plans.packet.data import PacketData
from plans.packet.text import (
    answer_label,
    bmp_only,
    clean,
    document_titles,
    heading,
    note_text,
    number_text,
    required_label,
    when,
)

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BASE = ParagraphStyle(
    "packet-body",
    fontName=FONT,
    fontSize=10.5,
    leading=16,
    wordWrap="CJK",
    spaceAfter=4,
)
_STYLES = {
    "body": _BASE,
    "cell": ParagraphStyle("packet-cell", parent=_BASE, fontSize=9, leading=12.5, spaceAfter=0),
    "head": ParagraphStyle(
        "packet-head", parent=_BASE, fontSize=9, leading=12.5, spaceAfter=0, textColor=colors.white
    ),
    "title": ParagraphStyle(
        "packet-title", parent=_BASE, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=14
    ),
    "cover": ParagraphStyle(
        "packet-cover", parent=_BASE, fontSize=24, leading=34, alignment=TA_CENTER, spaceAfter=24
    ),
    "h2": ParagraphStyle(
        "packet-h2", parent=_BASE, fontSize=12.5, leading=18, spaceBefore=10, spaceAfter=6
    ),
    "center": ParagraphStyle("packet-center", parent=_BASE, alignment=TA_CENTER),
    "sign": ParagraphStyle("packet-sign", parent=_BASE, leftIndent=85 * mm),
    "indent": ParagraphStyle("packet-indent", parent=_BASE, firstLineIndent=21),
}
_HEAD_BG = colors.HexColor("#3d5a80")
_GRID = colors.HexColor("#9aa5b1")
_ZEBRA = colors.HexColor("#f2f4f7")
_WARN = colors.HexColor("#fde2e1")


def _markup(value: object) -> str:
    """Text → Paragraph markup: escaped, controls dropped, newlines as <br/>."""
    return escape(bmp_only(clean(value))).replace("\n", "<br/>")


def _p(value: object, style: str = "body") -> Paragraph:
    return Paragraph(_markup(value), _STYLES[style])


def _paragraphs(text: str, style: str = "indent") -> list[Flowable]:
    """Blank lines split paragraphs; single newlines stay line breaks."""
    blocks = [b.strip() for b in clean(text).split("\n\n")]
    return [_p(b, style) for b in blocks if b]


def _table(
    header: list[str],
    rows: list[list[object]],
    widths: list[float],
    *,
    warn_rows: set[int] | None = None,
    empty: str = "",
) -> list[Flowable]:
    """A table that splits across pages and repeats its header row; cells wrap."""
    if not rows:
        return [_p(empty or _("None."), "body")]
    data: list[list[Any]] = [[_p(h, "head") for h in header]]
    data += [[_p(c, "cell") for c in row] for row in rows]
    total = sum(widths)
    table = LongTable(
        data, colWidths=[w * _FRAME_WIDTH / total for w in widths], repeatRows=1, splitInRow=1
    )
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), _HEAD_BG),
        ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for i in range(2, len(data), 2):
        style.append(("BACKGROUND", (0, i), (-1, i), _ZEBRA))
    for i in warn_rows or set():
        style.append(("BACKGROUND", (0, i + 1), (-1, i + 1), _WARN))
    table.setStyle(TableStyle(style))
    return [table]


def _fields(pairs: list[tuple[str, object]]) -> list[Flowable]:
    """A two-column label/value form table (no header)."""
    data = [[_p(label, "cell"), _p(value, "cell")] for label, value in pairs]
    table = LongTable(data, colWidths=[0.3 * _FRAME_WIDTH, 0.7 * _FRAME_WIDTH], splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
                ("BACKGROUND", (0, 0), (0, -1), _ZEBRA),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return [table]


_MARGIN = 18 * mm
_FRAME_WIDTH = A4[0] - 2 * _MARGIN


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """Two-pass canvas: "page x of y" needs the page count, known only at the end."""

    header_text = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        width, height = A4
        self.setFont(FONT, 8)
        self.setFillColor(colors.HexColor("#5f6b7a"))
        if self._pageNumber > 1:
            self.drawString(_MARGIN, height - 11 * mm, self.header_text)
            self.setStrokeColor(_GRID)
            self.setLineWidth(0.4)
            self.line(_MARGIN, height - 12.5 * mm, width - _MARGIN, height - 12.5 * mm)
        footer = _("Page %(page)s of %(total)s") % {"page": self._pageNumber, "total": total}
        self.drawCentredString(width / 2, 10 * mm, footer)


def _cover(data: PacketData) -> list[Flowable]:
    story: list[Flowable] = [Spacer(1, 45 * mm)]
    story.append(_p(_("Filing for resuming work and production"), "cover"))
    story.append(_p(data.enterprise_name, "title"))
    story.append(Spacer(1, 10 * mm))
    pairs: list[tuple[str, object]] = [
        (_("Unified social credit code"), data.uscc),
        (_("Sector"), data.sector),
    ]
    if data.association:
        pairs.append((_("Association"), data.association))
    if data.reference:
        pairs.append((_("Filing number"), data.reference))
    pairs.append((_("Generated at"), when(data.generated_at)))
    story += _fields(pairs)
    story.append(Spacer(1, 10 * mm))
    story.append(_p(_("Contents"), "h2"))
    for number, title in enumerate(document_titles(), start=1):
        story.append(_p(f"{number}. {title}", "body"))
    return story


def _application(data: PacketData) -> list[Flowable]:
    story: list[Flowable] = [_p(document_titles()[0], "title")]
    story += _fields(
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
        ]
    )
    story.append(_p(_("Staff"), "h2"))
    story += _fields(_staff_pairs(data))
    return story


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


def _commitment(data: PacketData) -> list[Flowable]:
    c = data.commitment
    story: list[Flowable] = [_p(document_titles()[1], "title")]
    story += _paragraphs(c.text)
    story.append(Spacer(1, 12 * mm))
    signature = [
        _p(_("Enterprise: %(name)s") % {"name": data.enterprise_name}, "sign"),
        _p(_("Confirmed by: %(name)s") % {"name": c.confirmed_by or "—"}, "sign"),
        _p(_("Confirmed at: %(when)s") % {"when": when(c.confirmed_at) or "—"}, "sign"),
    ]
    if c.confirmed_from:
        signature.append(_p(_("Confirmed from: %(where)s") % {"where": c.confirmed_from}, "sign"))
    story.append(KeepTogether(signature))
    return story


def _plan(data: PacketData) -> list[Flowable]:
    story: list[Flowable] = [_p(document_titles()[2], "title")]
    for number, section in enumerate(data.plan_sections, start=1):
        story.append(CondPageBreak(30 * mm))
        story.append(_p(heading(number, section.title), "h2"))
        story += _paragraphs(section.body)
    story.append(CondPageBreak(40 * mm))
    story.append(_p(_("Prevention team"), "h2"))
    story += _table(
        [_("Name"), _("Role"), _("Mobile"), _("Trained")],
        [[m.name, m.role, m.mobile, _("Yes") if m.trained else _("No")] for m in data.team],
        [2, 3, 2.5, 1.2],
        empty=_("No prevention team recorded."),
    )
    story.append(CondPageBreak(40 * mm))
    story.append(_p(_("Checklist"), "h2"))
    story += _table(
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
    return story


def _emergency(data: PacketData) -> list[Flowable]:
    story: list[Flowable] = [_p(document_titles()[3], "title")]
    story.append(_p(_("Emergency contacts"), "h2"))
    story += _table(
        [_("Role"), _("Name"), _("Telephone")],
        [[c.role, c.name, c.phone] for c in data.emergency_contacts],
        [3, 2, 2.5],
        empty=_("No emergency contacts recorded."),
    )
    story.append(_p(_("Steps"), "h2"))
    if not data.emergency_steps:
        story.append(_p(_("None."), "body"))
    for number, step in enumerate(data.emergency_steps, start=1):
        story.append(_p(f"{number}. {clean(step)}", "body"))
    story.append(CondPageBreak(40 * mm))
    story.append(_p(_("Isolation arrangements"), "h2"))
    story += _table(
        [_("Arrangement"), _("Place"), _("Rooms"), _("Capacity"), _("Note")],
        [
            [i.kind, i.place, number_text(i.rooms), number_text(i.capacity), i.note]
            for i in data.isolation
        ],
        [2.2, 3, 1, 1, 3],
        empty=_("No isolation arrangements recorded."),
    )
    return story


def _roster(data: PacketData) -> list[Flowable]:
    story: list[Flowable] = [_p(document_titles()[4], "title")]
    story += _fields(_staff_pairs(data))
    story.append(_p(_("Roster (masked)"), "h2"))
    story += _table(
        [
            _("No."),
            _("Name"),
            _("Position"),
            _("Site"),
            _("Mobile"),
            _("ID number"),
            _("Status"),
        ],
        [
            [n, r.name, r.position, r.site, r.mobile, r.document, r.status]
            for n, r in enumerate(data.roster, start=1)
        ],
        [0.9, 1.3, 1.8, 2, 2.1, 3.3, 1.6],
        empty=_("No employees on the roster."),
    )
    return story


def _supplies(data: PacketData) -> list[Flowable]:
    story: list[Flowable] = [_p(document_titles()[5], "title")]
    low = set()
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
    story += _table(
        [_("Item"), _("Unit"), _("On hand"), _("Daily use"), _("Days of cover")],
        rows,
        [3, 1.2, 1.5, 1.5, 1.5],
        warn_rows=low,
        empty=_("No supplies recorded."),
    )
    if low:
        story.append(Spacer(1, 3 * mm))
        story.append(
            _p(
                _("Highlighted rows cover fewer than %(days)s days.")
                % {"days": data.min_days_of_cover},
                "body",
            )
        )
    return story


def render_pdf(data: PacketData) -> bytes:
    """Render the six documents of the filing packet as one A4 PDF, each starting on a new page."""
    buffer = BytesIO()
    title = bmp_only(clean(data.enterprise_name))[:200]
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=f"{_('Filing for resuming work and production')} {title}",
        author=title,
        creator="tongzhou",
        invariant=True,
    )
    story: list[Flowable] = []
    for part in (_cover, _application, _commitment, _plan, _emergency, _roster, _supplies):
        if story:
            story.append(PageBreak())
        story += part(data)

    header = f"{title[:60]}　｜　{_('Filing for resuming work and production')}"

    class Numbered(_NumberedCanvas):
        header_text = header

    doc.build(story, canvasmaker=Numbered)
    return buffer.getvalue()
