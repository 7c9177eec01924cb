"""Form samples (表格样例, LD/T 01 5.6.2): each catalog item's application form, filled with obviously fictitious
example values, rendered by the certificate renderer in sample mode — "样例" on every page, no seal, no
anti-forgery code, so it can never verify. Public data only: the same bytes for everyone.

The form's fields are (label, example value) rows. Until an item declares its own fields, the sample shows a
generic applicant section and the catalog's materials; :func:`sections_for` takes the declared rows when there are.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from esign.fonts import FontFile, FontMissing
from esign.render import SampleSection, render_sample
from esign.service import CertificateService
from gateway.catalog import ServiceItem, load_catalog
from gateway.catalog.model import Audience, Material
from gateway.problems import UserError

log = logging.getLogger("shebao.public_info")

#: Marks each made-up value so nobody copies it as if it were real.
EXAMPLE = "（示例）"

#: The applicant block every form starts with; the values cannot be anyone's (the ID number's tail is letters).
PERSON_ROWS = (
    ("姓名", f"张示例{EXAMPLE}"),
    ("公民身份号码", f"110101199001010XXX{EXAMPLE}"),
    ("联系电话", f"138XXXX0000{EXAMPLE}"),
    ("联系地址", f"某某市某某区示例路 1 号{EXAMPLE}"),
)
UNIT_ROWS = (
    ("单位名称", f"示例科技有限公司{EXAMPLE}"),
    ("统一社会信用代码", f"91XXXXXXXXXXXXXXXX{EXAMPLE}"),
    ("经办人", f"李示例{EXAMPLE}"),
    ("联系电话", f"0917-XXXX0000{EXAMPLE}"),
)
SIGN_ROWS = (
    ("申请人承诺", "本人承诺所填信息和所交材料真实、准确、完整。"),
    ("申请人签名", f"张示例{EXAMPLE}"),
    ("申请日期", f"XXXX年XX月XX日{EXAMPLE}"),
)


class SampleUnavailable(UserError):
    """The sample cannot be drawn now (no CJK font on the server)."""

    def __init__(self) -> None:
        super().__init__("sample_unavailable", "样例暂时无法生成，请稍后再试或拨打 12333 咨询。", 503)


@dataclass(frozen=True)
class SampleFile:
    pdf: bytes
    filename: str


def _material_value(material: Material) -> str:
    how = "原件到窗口核验" if material.original_required else f"已上传扫描件{EXAMPLE}"
    return f"{how}；{material.note}" if material.note else how


def form_title(item: ServiceItem) -> str:
    """The form's name: 《…申请表》, without doubling a name that already ends in 申请."""
    return f"{item.name}表" if item.name.endswith("申请") else f"{item.name}申请表"


def sections_for(item: ServiceItem, fields: Sequence[tuple[str, str]] = ()) -> tuple[SampleSection, ...]:
    """What the sample of ``item``'s form shows: the item, the applicant, the form's own ``fields`` when the item
    declares them, the materials from the catalog, and the applicant's promise and signature."""
    unit = Audience.UNIT in item.audience and Audience.PERSON not in item.audience
    limit = f"{item.legal_limit_days} 个工作日" if item.legal_limit_days else "即时办结"
    sections = [
        SampleSection(
            "申请事项",
            (
                ("事项名称", item.name),
                ("办理方式", item.handling_kind.label),
                ("办理时限", limit),
            ),
        ),
        SampleSection("申请单位" if unit else "申请人信息", UNIT_ROWS if unit else PERSON_ROWS),
    ]
    if fields:
        sections.append(SampleSection("申请内容", tuple((str(label), str(value)) for label, value in fields)))
    materials = tuple((m.name, _material_value(m)) for m in item.required_materials) or (
        ("办理材料", "无需提交材料，凭身份证明即可办理"),
    )
    sections.append(SampleSection("办理材料", materials))
    sections.append(SampleSection("申请人确认", SIGN_ROWS))
    return tuple(sections)


@functools.lru_cache(maxsize=64)
def _drawn(item_id: str, fields: tuple[tuple[str, str], ...], agency: str, font: FontFile) -> bytes:
    item = load_catalog().get(item_id)
    return render_sample(form_title(item), sections_for(item, fields), agency, font)


def sample_for(item_id: str, certificates: CertificateService, fields: Sequence[tuple[str, str]] = ()) -> SampleFile:
    """The sample PDF of ``item_id``'s application form (UnknownItem for no such item), with the form's declared
    ``fields`` as (label, example value) rows when it has them. The renderer and font are the certificates';
    nothing is sealed or recorded. Drawn once per process, item and fields: it is public and fixed."""
    item = load_catalog().get(item_id)
    rows = tuple((str(label), str(value)) for label, value in fields)
    try:
        pdf = _drawn(item.id, rows, certificates.config.agency, certificates.font)
    except FontMissing as exc:
        log.error("form sample not drawn: %s", exc)
        raise SampleUnavailable from exc
    return SampleFile(pdf=pdf, filename=f"sample-{item.code}.pdf")
