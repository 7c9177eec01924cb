"""The CJK font embedded (subset) in every certificate: found on disk, never downloaded at run time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
