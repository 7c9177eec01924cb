"""The CJK font embedded (subset) in every certificate: found on disk, never downloaded at run time."""

from __future__ import annotations

import copy
import io
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fontTools import ttLib
    from fpdf import FPDF

log = logging.getLogger("shebao.esign")


class FontMissing(RuntimeError):
    """No CJK font was found; the message says how to install one."""


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int  # face number inside a TrueType/OpenType collection (.ttc)


# Debian's fonts-noto-cjk (Noto Sans CJK SC is face 2 of the collection), then the smaller WenQuanYi fonts.
CANDIDATES = (
    FontFile(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
)


def find_cjk_font(configured: str = "") -> FontFile:
    """``SHEBAO_CJK_FONT`` (``path`` or ``path#face``) if set, else the first installed Debian CJK font."""
    if configured:
        path, _, face = configured.partition("#")
        font = FontFile(Path(path), int(face or 0))
        if not font.path.is_file():
            raise FontMissing(f"SHEBAO_CJK_FONT 指向的字体文件不存在：{font.path}")
        return font
    for font in CANDIDATES:
        if font.path.is_file():
            return font
    raise FontMissing(
        "没有找到中文字体：请安装 Debian 软件包 fonts-noto-cjk"
        "（make run / make test 以 root 运行时会自动安装），"
        "或用 SHEBAO_CJK_FONT=/path/to/font.ttc#序号 指定一个字体。"
    )


# ---------------------------------------------------------------------- the face, parsed once per process
#
# What a certificate costs is mostly the font: fpdf2's ``add_font`` parses the face's cmap and widths (65,535
# glyphs in Noto Sans CJK) and, at output, fontTools subsets the whole CFF collection face (reading its
# charstring and subroutine indexes) for the ~100 glyphs a page uses. Both are the same for every document:
#
# - the parsed metrics (cmap, widths, glyph ids, descriptor) are kept in one prototype per face and shared
#   by every document (each gets its own copy of the per-document parts: the used-glyph map, the descriptor
#   object that the output numbers);
# - the subsetting starts, when the page's glyphs allow, from a *common face*: the same font reduced once (in
#   a background thread, a few seconds) to the GB 2312 repertoire and desubroutinized, 7,500 glyphs instead of
#   65,535, so a page's subset is cut from a small font. A page with a rarer character (a 生僻字 in a name)
#   is subset from the full face, as before; the embedded glyphs are exactly the page's either way (CIDs keep
#   their numbers in a CID-keyed subset, so both paths give the same glyphs).


def _common_repertoire() -> frozenset[int]:
    """GB 2312 (both levels of hanzi, punctuation, full-width forms), printable ASCII and Latin-1, and the
    punctuation blocks whole: Python's GB 2312 codec maps the dash 0xA1AA to U+2015 while text uses the em
    dash U+2014, and similar pairs exist for the middle dot and the tilde."""
    codes = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    codes |= set(range(0x2000, 0x2070)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                codes.add(ord(bytes((hi, lo)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(codes)


#: What fpdf2 embeds of a CID-keyed CFF face is the CFF table alone; the other tables are only dead weight for
#: the subsetter (the cmap of 44,000 entries above all), and none of them is read.
_OUTLINE_TABLES = frozenset({"CFF ", "maxp", "GlyphOrder"})


def _subsetting_face(source: Path | io.BytesIO, index: int) -> ttLib.TTFont:
    """The face fpdf2 subsets for one document. fpdf2 saves the whole subset font and then, for a CID-keyed CFF
    face, throws that away and embeds the CFF table compiled on its own: for such a face ``save`` is skipped
    (it compiled every glyph a second time). recalcBBoxes=False: the face's own FontBBox stays valid for a
    subset, and recalculating it draws every glyph."""
    from fontTools import ttLib

    class _Face(ttLib.TTFont):
        def save(self, file, reorderTables=True):  # noqa: ANN001 - fontTools' signature
            if "CFF " in self and getattr(self["CFF "].cff.topDictIndex[0], "ROS", None) is not None:
                return  # fpdf2 embeds self["CFF "].compile(self) instead (fpdf/output.py, _add_fonts)
            super().save(file, reorderTables)

    face = _Face(source, fontNumber=index, lazy=True, recalcTimestamp=False, recalcBBoxes=False)
    _keep_only_outlines(face)
    return face


def _keep_only_outlines(face: ttLib.TTFont) -> None:
    if "CFF " not in face:
        return  # a TrueType-outline face (WenQuanYi) keeps its tables: fpdf2 embeds the whole subset font
    for tag in list(face.keys()):
        if tag not in _OUTLINE_TABLES:
            del face[tag]


class ParsedFace:
    """One CJK face parsed once per process, shared (read-only) by the threads rendering documents."""

    def __init__(self, font: FontFile, family: str) -> None:
        from fpdf import FPDF

        self.font = font
        self.family = family
        holder = FPDF()
        holder.add_font(family, fname=str(font.path), collection_font_number=font.index)
        self._proto = holder.fonts[family.lower()]
        self._common: bytes | None = None
        self._common_glyphs: frozenset[str] = frozenset()
        self._common_ready = threading.Event()
        self._lock = threading.Lock()
        self._building = False

    # -------------------------------------------------------------- per document

    def install(self, pdf: FPDF) -> None:
        """Give ``pdf`` the face under ``family``: the shared metrics, its own glyph map and descriptor."""
        from fpdf.fonts import SubsetMap, TTFFont

        proto = self._proto
        doc_font = TTFFont.__new__(TTFFont)
        for name in TTFFont.__slots__:
            if hasattr(proto, name):
                setattr(doc_font, name, getattr(proto, name))
        doc_font.i = len(pdf.fonts) + 1
        doc_font.desc = copy.copy(proto.desc)  # the output numbers and names it: one per document
        doc_font.missing_glyphs = []
        doc_font.biggest_size_pt = 0
        doc_font._hbfont = None
        doc_font.ttfont = None  # set by prepare_output, once the page's glyphs are known
        doc_font.subset = SubsetMap(doc_font)
        pdf.fonts[proto.fontkey] = doc_font
        if doc_font.is_cff and doc_font.is_cid_keyed:
            pdf._set_min_pdf_version("1.6")  # noqa: SLF001 - what FPDF.add_font does for a CID-keyed CFF face
        self._start_common_build()

    def prepare_output(self, pdf: FPDF) -> None:
        """Before ``pdf.output()``: hand fpdf2 the font to subset — the common face when it holds every glyph
        the page uses, else the full face. fpdf2 subsets it in place and closes it, so it is a fresh one."""
        doc_font = pdf.fonts[self._proto.fontkey]
        used = set(doc_font.subset.get_all_glyph_names())
        # recalcBBoxes=False: fpdf2 saves the whole subset font before it takes the CFF table alone, and
        # recalculating bounding boxes draws every glyph twice; the face's own FontBBox stays valid.
        if self._common is not None and used <= self._common_glyphs:
            face = _subsetting_face(io.BytesIO(self._common), 0)
        else:
            face = _subsetting_face(self.font.path, self.font.index)
        doc_font.ttfont = face

    # -------------------------------------------------------------- the common face

    def wait_common(self, timeout: float | None = None) -> bool:
        """Wait until the common face is built (benchmarks warm up with it); True when it is."""
        self._start_common_build()
        return self._common_ready.wait(timeout)

    def _start_common_build(self) -> None:
        with self._lock:
            if self._building:
                return
            self._building = True
        threading.Thread(target=self._build_common, name="cjk-common-face", daemon=True).start()

    def _build_common(self) -> None:
        from fontTools import subset as ftsubset
        from fontTools import ttLib

        try:
            face = ttLib.TTFont(
                self.font.path, fontNumber=self.font.index, lazy=True, recalcTimestamp=False, recalcBBoxes=False
            )
            cmap = face.getBestCmap()
            glyphs = sorted({cmap[code] for code in _common_repertoire() if code in cmap})
            _keep_only_outlines(face)
            options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, desubroutinize=True)
            subsetter = ftsubset.Subsetter(options)
            subsetter.populate(glyphs=glyphs)
            subsetter.subset(face)
            out = io.BytesIO()
            face.save(out)
            glyphs = frozenset(face.getGlyphOrder())
        except Exception:  # a face fontTools cannot reduce: every page is subset from the full face
            log.exception("common CJK face not built; certificates subset the full face")
            return
        self._common_glyphs = glyphs
        self._common = out.getvalue()
        self._common_ready.set()


_faces: dict[tuple[FontFile, str], ParsedFace] = {}
_faces_lock = threading.Lock()


def parsed_face(font: FontFile, family: str) -> ParsedFace:
    """The process-wide :class:`ParsedFace` for ``font`` (parsed at the first certificate)."""
    key = (font, family)
    face = _faces.get(key)
    if face is None:
        with _faces_lock:
            face = _faces.get(key)
            if face is None:
                face = _faces[key] = ParsedFace(font, family)
    return face
