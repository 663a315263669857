"""Report documents: one `Table` (title, notes, an optional bar chart, a header and rows) written as
CSV, XLSX or PDF with the same cells, so every format carries the JSON's numbers.

CSV is UTF-8 with a BOM (Excel and WPS open it as Chinese) and its first row is the header; XLSX
has the table on its first sheet and the notes on a second; the PDF (fpdf2, pure Python) embeds
Noto Sans CJK (subset) so Chinese is legible and extractable, draws the chart with the library's
own rectangles (no image, no external service) and then the table. Every text cell goes through
`govcms.spreadsheets.spreadsheet_cell` (formula injection, characters XLSX cannot hold).

Writers call `progress(fraction)` after each chunk of `GOVCMS_EXPORT_CHUNK_ROWS` rows, so a long
export reports how far it is.
"""

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from govcms.spreadsheets import spreadsheet_cell

logger = logging.getLogger(__name__)
# fpdf2 subsets the font with fontTools, which logs every table it touches at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass
class Table:
    """A report as a document: `rows` are lists of cells (text, numbers, dates, None) under
    `header`; `notes` are lines about the whole report (date, scheme, verification); `chart` is a
    titled list of (label, value) bars; `notes_in_csv` appends the notes after the CSV's rows
    (for reports whose notes are part of the result, like the ledger's verification)."""

    title: str
    header: list[str]
    rows: list[list]
    notes: list[str] = field(default_factory=list)
    chart: tuple[str, list[tuple[str, float]]] | None = None
    widths: list[float] | None = None  # relative column widths in the PDF
    notes_in_csv: bool = False


def _plain(value, *, xlsx: bool = False):
    """A cell as written: aware times in Beijing time (naive in XLSX, which holds no zone)."""
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(tzinfo=None) if xlsx else local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date) and not xlsx:
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return spreadsheet_cell(value)


def _chunks(rows: list, progress: Callable[[float], None] | None):
    size = max(1, settings.GOVCMS_EXPORT_CHUNK_ROWS)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
        if progress is not None:
            progress(min(1.0, (start + size) / len(rows)))


def write_csv(table: Table, progress=None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.header)
    for chunk in _chunks(table.rows, progress):
        writer.writerows([_plain(c) for c in row] for row in chunk)
    if table.notes_in_csv:
        writer.writerow([])
        writer.writerows([_plain(note)] for note in table.notes)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(table: Table, progress=None) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("report")
    sheet.append(table.header)
    for chunk in _chunks(table.rows, progress):
        for row in chunk:
            sheet.append([_plain(c, xlsx=True) for c in row])
    notes = book.create_sheet("notes")
    notes.append([_plain(table.title)])
    for note in table.notes:
        notes.append([_plain(note)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------------

FONT = "cjk"
BAR_RGB = (46, 110, 180)


def _pdf():
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_font(
        FONT, fname=str(settings.GOVCMS_EXPORT_PDF_FONT), collection_font_number=settings.GOVCMS_EXPORT_PDF_FONT_FACE
    )
    pdf.set_font(FONT, size=9)
    pdf.set_creator("govcms")
    return pdf


def _chart(pdf, title: str, bars: list[tuple[str, float]]) -> None:
    """Vertical bars drawn with rectangles: value above each bar, label below, in a 45 mm band."""
    height, label_room = 40.0, 6.0
    pdf.set_font(FONT, size=10)
    pdf.cell(text=title, new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y() + 5
    base = top + height
    width = pdf.epw / max(len(bars), 1)
    biggest = max((value for _label, value in bars), default=0) or 1
    pdf.set_font(FONT, size=8)
    pdf.set_draw_color(120)
    pdf.line(pdf.l_margin, base, pdf.l_margin + pdf.epw, base)
    pdf.set_fill_color(*BAR_RGB)
    for n, (label, value) in enumerate(bars):
        x = pdf.l_margin + n * width + width * 0.2
        bar = height * value / biggest
        if bar > 0:
            pdf.rect(x, base - bar, width * 0.6, bar, style="F")
        pdf.set_xy(x, base - bar - 4.5)
        pdf.cell(w=width * 0.6, h=4, text=f"{value:g}", align="C")
        pdf.set_xy(x, base + 1)
        pdf.cell(w=width * 0.6, h=4, text=label, align="C")
    pdf.set_xy(pdf.l_margin, base + label_room + 2)


def write_pdf(table: Table, progress=None) -> bytes:
    from fpdf.fonts import FontFace

    pdf = _pdf()
    pdf.add_page()
    pdf.set_font(FONT, size=14)
    pdf.cell(text=table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for note in table.notes:
        pdf.multi_cell(w=0, h=5, text=note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if table.chart is not None:
        _chart(pdf, *table.chart)
    pdf.set_font(FONT, size=7)
    heading = FontFace(emphasis="", fill_color=(225, 232, 242))
    widths = table.widths or [1] * len(table.header)
    with pdf.table(col_widths=widths, headings_style=heading, line_height=4, text_align="LEFT") as grid:
        grid.row([str(h) for h in table.header])
        for chunk in _chunks(table.rows, progress):
            for row in chunk:
                grid.row(["" if c is None else str(_plain(c)) for c in row])
    return bytes(pdf.output())


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}


def render(table: Table, fmt: str, progress=None) -> bytes:
    """The document's bytes in `fmt` (csv, xlsx, pdf)."""
    return WRITERS[fmt](table, progress)
