"""Crafted PDFs that attack the parser: nesting that recurses, objects by the thousand, arrays that take seconds."""

from __future__ import annotations


def pdf_with(*objects: bytes) -> bytes:
    """A well-formed PDF (header, objects 1…n, cross-reference table, trailer) whose catalog is object 1."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"


def deeply_nested(depth: int = 100_000) -> bytes:
    """Arrays nested ``depth`` deep in the catalog: the parser recurses once per level."""
    return pdf_with(b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * depth + b"]" * depth + b" >>", PAGES)


def many_objects(count: int = 30_000) -> bytes:
    """``count`` objects, far more than any certificate has."""
    return pdf_with(b"<< /Type /Catalog /Pages 2 0 R >>", PAGES, *[b"null"] * (count - 2))


def slow_to_parse(numbers: int = 1_000_000) -> bytes:
    """A 2 MB signature field of a million numbers: about 7 s of parsing on one core."""
    return pdf_with(
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>",
        PAGES,
        b"<< /FT /Sig /T (s) /V << /Type /Sig /X [" + b"1 " * numbers + b"] >> >>",
    )
