"""Certificates to PDF with fpdf2: an official layout in an embedded, subset CJK font.

fpdf2 rather than ReportLab: ReportLab embeds only TrueType-outline fonts, while Debian's Noto Sans CJK is
CFF-based OpenType in a collection (.ttc); fpdf2 subsets both through fontTools, so the PDF carries only the
glyphs it uses (a few kB) and looks the same in every viewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from esign.codes import display
from esign.documents import Document
from esign.fonts import FontFile, parsed_face

FONT = "cjk"
MARGIN = 20.0  # mm
SEAL_MM = 40.0  # a round official seal is 40 mm across (GA 241 practice for agency seals)
QR_MM = 28.0
MM = 72 / 25.4  # PDF points per millimetre


@dataclass(frozen=True)
class Issue:
    """The facts of one issue printed on the document."""

    agency: str
    code: str
    issued_on: date
    valid_until: date
    verify_url: str  # the public verification page, e.g. https://…/verify/
    record_as_of: date | None = None  # the date the holder's record is reported as of (None: not said)

    @property
    def qr_url(self) -> str:
        return f"{self.verify_url}?code={self.code}"


@dataclass(frozen=True)
class Rendered:
    """The PDF and where the seal goes: page index, box (x1, y1, x2, y2) in PDF points."""

    pdf: bytes
    seal_page: int
    seal_box: tuple[int, int, int, int]


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4", unit="mm")
        self._footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self._footer_text}    第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")


def as_of_sentence(day: date, noun: str = "证明") -> str:
    """The date a document speaks for, in the words the verification page uses too (one wording)."""
    return f"本{noun}反映截至 {day.year}年{day.month}月{day.day}日 的记录"


def _qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares: sharp at any zoom and no image to decode."""
    qr = segno.make(data, error="m", micro=False)
    matrix = list(qr.matrix)
    n = len(matrix) + 8  # 4-module quiet zone each side
    cell = size / n
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, on in enumerate(row):
            if on:
                pdf.rect(x + (c + 4) * cell, y + (r + 4) * cell, cell, cell, style="F")


def render(doc: Document, issue: Issue, font: FontFile) -> Rendered:
    """Lay out ``doc`` on A4 and return the PDF bytes and the seal position."""
    pdf = _Pdf(f"防伪码 {display(issue.code)}")
    pdf.set_title(doc.title)
    pdf.set_author(issue.agency)
    pdf.set_creator("Shebao Gateway")
    pdf.set_lang("zh-CN")
    face = parsed_face(font, FONT)  # parsed once per process, not per document
    face.install(pdf)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()
    width = pdf.w - 2 * MARGIN

    pdf.set_font(FONT, size=22)
    pdf.cell(width, 14, doc.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(width, 6, f"防伪码：{display(issue.code)}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)

    pdf.set_font(FONT, size=11)
    label = "单位名称" if doc.id_label == "统一社会信用代码" else "姓名"
    pdf.cell(width / 2, 8, f"{label}：{doc.holder_name}")
    id_label, id_masked = doc.shown_id  # the holder's document type and masked number (LD/T 01 6.2.3 b)
    pdf.cell(width / 2, 8, f"{id_label}：{id_masked}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.multi_cell(width, 7, doc.intro, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)

    pdf.set_font(FONT, size=9.5)
    widths = doc.widths or tuple(1 / len(doc.columns) for _ in doc.columns)
    with pdf.table(
        col_widths=tuple(w * 100 for w in widths),
        width=width,
        line_height=6.5,
        text_align="CENTER",
        headings_style=FontFace(fill_color=(230, 236, 245)),
        repeat_headings=1,
    ) as table:
        head = table.row()
        for name in doc.columns:
            head.cell(name)
        for values in doc.rows:
            row = table.row()
            for value in values:
                row.cell(value)

    if issue.record_as_of is not None:
        # Issue 15: the page says which day's record it reports, as verification does, so a reader of the paper
        # knows the figures may have moved on since.
        pdf.ln(3)
        pdf.set_font(FONT, size=10.5)
        pdf.multi_cell(
            width, 6.5, f"{as_of_sentence(issue.record_as_of, doc.noun)}。", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    # The closing block (issuer, dates, code, QR, seal) stays together on the last page.
    block = max(SEAL_MM, QR_MM) + 20
    if pdf.get_y() + block > pdf.h - 22:
        pdf.add_page()
    pdf.ln(6)
    top = pdf.get_y()
    pdf.set_font(FONT, size=10.5)
    lines = (
        f"出具机构：{issue.agency}",
        f"出具日期：{issue.issued_on:%Y年%m月%d日}",
        f"有效期至：{issue.valid_until:%Y年%m月%d日}",
        f"防伪码：{display(issue.code)}",
        f"验证地址：{issue.verify_url}",
    )
    text_x = MARGIN + QR_MM + 4
    for i, line in enumerate(lines):
        pdf.set_xy(text_x, top + i * 6.5)
        pdf.cell(width - QR_MM - SEAL_MM, 6.5, line)
    _qr(pdf, issue.qr_url, MARGIN, top, QR_MM)
    pdf.set_font(FONT, size=8)
    pdf.set_xy(MARGIN, top + QR_MM)
    pdf.cell(QR_MM, 4, "扫码验证真伪", align="C")
    pdf.set_xy(MARGIN, top + QR_MM + 6)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(
        width - SEAL_MM,
        4.5,
        f"本{doc.noun}加盖电子印章，与纸质盖章{doc.noun}具有同等效力。"
        "可登录验证地址输入防伪码，或上传本文件，核验真伪及是否被篡改。印章下方为盖章时间（北京时间）。",
    )
    pdf.set_text_color(0, 0, 0)
    # The seal sits over the issuer lines at the right, as a paper seal would.
    seal_x = pdf.w - MARGIN - SEAL_MM
    seal_top = top - 4
    page_h_pt = pdf.h * MM
    box = (
        round(seal_x * MM),
        round(page_h_pt - (seal_top + SEAL_MM + 6) * MM),
        round((seal_x + SEAL_MM) * MM),
        round(page_h_pt - seal_top * MM),
    )
    seal_page = pdf.page_no() - 1
    face.prepare_output(pdf)
    return Rendered(pdf=bytes(pdf.output()), seal_page=seal_page, seal_box=box)


# ---------------------------------------------------------------- sample mode (样例, LD/T 01 5.6.2)
#
# A form sample is published so people see what an application asks before they start. It is laid out by the same
# renderer, in the same embedded font, but it must never pass for a real document: every page carries a large
# "样例" watermark drawn over the content, and there is no seal, no anti-forgery code and no QR code — so there is
# nothing /verify/ could ever call genuine. What is filled in is the caller's, as (label, example value) rows.

SAMPLE_MARK = "样例"
SAMPLE_NOTE = "本文件为填写样例，所填内容均为虚构示例，不加盖印章、没有防伪码，不能作为证明或申请使用。"


@dataclass(frozen=True)
class SampleSection:
    """One block of a sample form: a heading and its (label, example value) rows."""

    heading: str
    rows: tuple[tuple[str, str], ...]


class _SamplePdf(_Pdf):
    """A page with the "样例" watermark on top of whatever the page holds, and a footer that says so."""

    def footer(self) -> None:
        super().footer()
        with self.local_context(fill_opacity=0.18, text_color=(200, 30, 30)):
            self.set_font(FONT, size=110)
            cx, cy = self.w / 2, self.h / 2
            with self.rotation(35, cx, cy):
                width = self.get_string_width(SAMPLE_MARK)
                self.text(cx - width / 2, cy + 15, SAMPLE_MARK)


def render_sample(
    title: str, sections: tuple[SampleSection, ...] | list[SampleSection], agency: str, font: FontFile
) -> bytes:
    """Lay out a sample form: the title marked 样例, each section as a two-column table, the note that it is
    fictitious — and a watermark on every page. No seal box, no anti-forgery code, no QR."""
    pdf = _SamplePdf(f"{SAMPLE_MARK}（不作证明或申请使用）    {agency}")
    pdf.set_title(f"{title}（{SAMPLE_MARK}）")
    pdf.set_author(agency)
    pdf.set_subject(SAMPLE_NOTE)
    pdf.set_creator("Shebao Gateway")
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))  # the same bytes every time: a cacheable download
    face = parsed_face(font, FONT)
    face.install(pdf)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()
    width = pdf.w - 2 * MARGIN

    pdf.set_font(FONT, size=20)
    pdf.multi_cell(width, 11, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=12)
    pdf.set_text_color(200, 30, 30)
    pdf.cell(width, 8, f"（{SAMPLE_MARK}）", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(width, 5, SAMPLE_NOTE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)

    for section in sections:
        pdf.set_font(FONT, size=12)
        pdf.cell(width, 9, section.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=10)
        with pdf.table(
            col_widths=(32, 68),
            width=width,
            line_height=7,
            text_align=("LEFT", "LEFT"),
            first_row_as_headings=False,
        ) as table:
            for label, value in section.rows:
                row = table.row()
                row.cell(label, style=FontFace(fill_color=(230, 236, 245)))
                row.cell(value)
        pdf.ln(4)
    face.prepare_output(pdf)
    return bytes(pdf.output())
