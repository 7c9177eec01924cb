"""The handling flow of a catalog item (办理流程, LD/T 01 5.6.2), generated from the catalog's own data: the handling
kind, the time limit, the channels, the materials and how the result is delivered. Drawn as an accessible inline
SVG (``role="img"`` with ``<title>`` and ``<desc>``) and given as the same steps in words for a text equivalent —
never a picture someone drew, so the diagram cannot drift from the catalog. No Flask: the web guide renders it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from gateway.catalog.model import HandlingKind, ServiceItem


class StepKind(enum.StrEnum):
    """The stages a flow is made of (Regulation Art. 6, 10: 申请, 受理, 审核, 办结; LD/T 01 5.1 预约 and 到厅)."""

    APPLY = "apply"
    ACCEPT = "accept"
    REVIEW = "review"
    BOOK = "book"
    VISIT = "visit"
    FINISH = "finish"

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return _STEP_LABELS[self]


_STEP_LABELS = {
    StepKind.APPLY: "申请",
    StepKind.ACCEPT: "受理",
    StepKind.REVIEW: "审核",
    StepKind.BOOK: "预约",
    StepKind.VISIT: "到厅",
    StepKind.FINISH: "办结",
}


@dataclass(frozen=True)
class Step:
    """One stage: its kind, a short line for the diagram and the full words for the list."""

    kind: StepKind
    short: str
    details: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.kind.label


@dataclass(frozen=True)
class Flowchart:
    item_id: str
    title: str
    description: str
    steps: tuple[Step, ...]

    @property
    def kinds(self) -> tuple[StepKind, ...]:
        return tuple(s.kind for s in self.steps)

    def svg(self) -> Markup:
        """The diagram as inline SVG markup, every text escaped."""
        return Markup(_draw(self))  # noqa: S704 - _draw escapes every text it puts in


def _materials(item: ServiceItem) -> str:
    if not item.required_materials:
        return "材料：无需提交材料，凭身份证明即可办理"
    names = "、".join(m.name + ("（原件）" if m.original_required else "") for m in item.required_materials)
    return f"材料：{names}"


def _originals(item: ServiceItem) -> tuple[str, ...]:
    return tuple(m.name for m in item.required_materials if m.original_required)


def _limit(item: ServiceItem) -> str:
    """The finishing line: the working-day limit and where it comes from (statute or the agency's promise)."""
    basis = "法定时限" if item.statutory_limit else "承诺时限"
    return f"{item.legal_limit_days} 个工作日内办结（{basis}，受理次日起算）"


def flowchart(item: ServiceItem) -> Flowchart:
    """The flow of ``item`` as its catalog entry describes it (LD/T 01 5.6.2)."""
    channels = "、".join(c.label for c in item.channels)
    apply_details = (f"渠道：{channels}", _materials(item))
    results = "、".join(item.result_delivery) or "网上查看"
    finish_result = f"结果：{results}"
    kind = item.handling_kind
    if kind is HandlingKind.INSTANT:
        steps = (
            Step(StepKind.APPLY, "在线提交", apply_details),
            Step(StepKind.FINISH, "即时办结，当场告知结果", ("系统按规则即时办理，立即告知结果", finish_result)),
        )
    elif kind is HandlingKind.PROMISED:
        steps = (
            Step(StepKind.APPLY, "在线提交申请", apply_details),
            Step(StepKind.ACCEPT, "受理并出具受理通知", ("材料齐全的予以受理；材料不全的一次性告知需补正的全部材料",)),
            Step(StepKind.REVIEW, "审核申请和材料", ("经办机构审核申请和材料",)),
            Step(StepKind.FINISH, f"{item.legal_limit_days} 个工作日内办结", (_limit(item), finish_result)),
        )
    else:  # HandlingKind.APPOINTMENT: pre-review online, originals at a booked window
        originals = _originals(item)
        visit = "携带原件到服务大厅窗口办理"
        visit_details = (f"{visit}：{'、'.join(originals)}" if originals else visit,)
        finish = (
            (f"{item.legal_limit_days} 个工作日内办结", (_limit(item), finish_result))
            if item.legal_limit_days
            else ("窗口当场办结", ("窗口核验原件后当场办结", finish_result))
        )
        steps = (
            Step(StepKind.APPLY, "在线申请，网上预审", (*apply_details, "经办机构网上预审申请和材料")),
            Step(StepKind.BOOK, "预约到厅日期和时段", ("预审通过后预约服务大厅窗口，可约日期从第2日起的一周内",)),
            Step(StepKind.VISIT, "到服务大厅窗口办理", visit_details),
            Step(StepKind.FINISH, finish[0], finish[1]),
        )
    words = "，".join(f"{i}. {s.label}：{s.short}" for i, s in enumerate(steps, 1))
    return Flowchart(
        item_id=item.id,
        title=f"{item.name}办理流程（{kind.label}）",
        description=f"共 {len(steps)} 步：{words}。",
        steps=steps,
    )


# ---------------------------------------------------------------- drawing: boxes down the page, arrows between

WIDTH = 320
BOX_W = 280
BOX_H = 58
GAP = 30
PAD = 10
BLUE = "#0b4f9c"  # the site's social-security blue
INK = "#1a1a1a"


def _draw(chart: Flowchart) -> str:
    n = len(chart.steps)
    height = PAD * 2 + n * BOX_H + (n - 1) * GAP
    x = (WIDTH - BOX_W) // 2
    ident = f"flow-{escape(chart.item_id)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flowchart" role="img" viewBox="0 0 {WIDTH} {height}"'
        f' width="{WIDTH}" height="{height}" aria-labelledby="{ident}-title {ident}-desc" focusable="false">',
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">{escape(chart.description)}</desc>',
        "<defs>",
        f'<marker id="{ident}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8"'
        f' orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{BLUE}"/></marker>',
        "</defs>",
    ]
    for i, step in enumerate(chart.steps):
        top = PAD + i * (BOX_H + GAP)
        parts.append(f'<g class="flow-step" data-step="{step.kind.value}">')
        parts.append(
            f'<rect x="{x}" y="{top}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="#ffffff" stroke="{BLUE}"'
            ' stroke-width="2"/>'
        )
        parts.append(
            f'<circle cx="{x + 24}" cy="{top + BOX_H // 2}" r="13" fill="{BLUE}"/>'
            f'<text x="{x + 24}" y="{top + BOX_H // 2 + 5}" text-anchor="middle" font-size="14" fill="#ffffff"'
            f' font-weight="700">{i + 1}</text>'
        )
        parts.append(
            f'<text x="{x + 48}" y="{top + 24}" font-size="16" font-weight="700" fill="{BLUE}">'
            f"{escape(step.label)}</text>"
        )
        parts.append(f'<text x="{x + 48}" y="{top + 45}" font-size="13" fill="{INK}">{escape(step.short)}</text>')
        parts.append("</g>")
        if i + 1 < n:
            y1, y2 = top + BOX_H, top + BOX_H + GAP - 2
            parts.append(
                f'<line x1="{WIDTH // 2}" y1="{y1}" x2="{WIDTH // 2}" y2="{y2}" stroke="{BLUE}" stroke-width="2"'
                f' marker-end="url(#{ident}-arrow)"/>'
            )
    parts.append("</svg>")
    return "".join(parts)
