"""The agency's round seal (公章) image, drawn once per agency: red ring, star, name on the arc."""

from __future__ import annotations

import io
import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from esign.fonts import FontFile

RED = (204, 0, 0, 255)
SIZE = 480  # pixels; drawn at 300 dpi or so for a 40 mm seal


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


@lru_cache(maxsize=8)
def seal_png(agency: str, font: FontFile, subtitle: str = "电子印章") -> bytes:
    """PNG bytes (transparent background) of the seal for ``agency``; cached, as it never changes."""
    img = Image.new("RGBA", (SIZE, SIZE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    c = SIZE / 2
    ring = SIZE * 0.47
    draw.ellipse((c - ring, c - ring, c + ring, c + ring), outline=RED, width=int(SIZE * 0.035))
    draw.polygon(_star(c, c, SIZE * 0.16), fill=RED)
    # The name runs clockwise along the upper arc, each character upright to the centre.
    text_font = ImageFont.truetype(str(font.path), int(SIZE * 0.095), index=font.index)
    chars = list(agency)
    span = min(math.radians(250), math.radians(24) * len(chars))
    radius = SIZE * 0.35
    for i, ch in enumerate(chars):
        angle = -math.pi / 2 - span / 2 + (span * (i + 0.5) / len(chars))
        glyph = Image.new("RGBA", (int(SIZE * 0.13), int(SIZE * 0.13)), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, font=text_font, fill=RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle + math.pi / 2), resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(angle) - glyph.width / 2
        y = c + radius * math.sin(angle) - glyph.height / 2
        img.alpha_composite(glyph, (int(x), int(y)))
    sub_font = ImageFont.truetype(str(font.path), int(SIZE * 0.07), index=font.index)
    draw.text((c, c + SIZE * 0.27), subtitle, font=sub_font, fill=RED, anchor="mm")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
