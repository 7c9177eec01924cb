"""``/api/v1/catalog``: the online service items (网上服务事项清单, LD/T 01 3.2) a channel offers, and one
item's guide (办事指南). Public: anyone may read what can be done and how."""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String
from flask import Response, current_app, g

from gateway.access.needs import public
from gateway.api.conventions import cacheable
from gateway.api.schemas import Input, Output, one_of
from gateway.catalog import load_catalog
from gateway.catalog.flowchart import StepKind, flowchart
from gateway.catalog.model import AssuranceLevel, Catalog, Channel, HandlingKind, Section, ServiceItem
from gateway.channel_policy import CHANNEL_HEADER, Operation

bp = APIBlueprint("catalog", __name__, url_prefix="/catalog", tag="服务事项")


class ItemSummary(Output):
    id = String(required=True, metadata={"examples": ["pension-transfer-out"]})
    code = String(required=True)
    name = String(required=True)
    summary = String(required=True)
    section = String(validate=one_of(Section), required=True)
    handling_kind = String(validate=one_of(HandlingKind), required=True)
    legal_limit_days = Integer(allow_none=True, metadata={"description": "法定或承诺时限（工作日）"})
    assurance_level = Integer(validate=one_of(AssuranceLevel), required=True)


class Material(Output):
    name = String(required=True)
    note = String(required=True)
    original_required = Boolean(required=True)


class Consult(Output):
    phone = String(required=True)
    online = String(required=True)


class FlowStep(Output):
    number = Integer(required=True, metadata={"description": "第几步（从 1 起）"})
    kind = String(required=True, validate=one_of(StepKind), metadata={"description": "环节"})
    label = String(required=True, metadata={"description": "环节名称：申请、受理、审核、预约、到厅、办结"})
    short = String(required=True, metadata={"description": "一句话说明"})
    details = List(String(), required=True, metadata={"description": "该步的全部说明（渠道、材料、时限、结果）"})


class Flow(Output):
    title = String(required=True)
    description = String(required=True, metadata={"description": "全部步骤的文字说明"})
    steps = List(Nested(FlowStep), required=True, metadata={"description": "按办理顺序排列的步骤"})


class ItemDetail(ItemSummary):
    legal_basis = String(required=True)
    required_materials = List(Nested(Material), required=True, metadata={"description": "办理材料"})
    result_delivery = List(String(), required=True)
    fee = String(required=True)
    fee_basis = String(required=True)
    hours = String(required=True)
    consult = Nested(Consult, required=True)
    complain = List(String(), required=True)
    channels = List(String(validate=one_of(Channel)), required=True)
    risky = Boolean(required=True)
    risk_warning = String(allow_none=True)
    flow = Nested(
        Flow,
        required=True,
        metadata={"description": "办理流程（LD/T 01 5.6.2），由事项清单生成，与网上办事指南的流程图一致"},
    )


class Items(Output):
    items = List(Nested(ItemSummary), required=True)


class ChannelHeader(Input):
    channel = String(
        data_key=CHANNEL_HEADER,
        load_default="web",  # absent or unknown: the web (gateway.channel_policy)
        metadata={"enum": [c.value for c in Channel], "default": "web", "description": "调用方渠道；决定返回哪些事项"},
    )


@bp.get("")
@public(Operation.QUERY)
@cacheable
@bp.input(ChannelHeader, location="headers", arg_name="_channel")
@bp.output(Items, description="事项列表")
@bp.doc(summary="网上服务事项清单（LD/T 01 3.2）", operation_id="listCatalog")
def catalog(_channel):
    """The items the calling channel offers (the channel comes from the X-Shebao-Channel header)."""
    catalog, channel = load_catalog(), str(g.channel)
    kept = _serialised.get(channel)
    if kept is None or kept[0] is not catalog:
        # The list changes only with the shipped catalog (a new Catalog object), so it is serialised once per
        # channel: the schema's dump of 45 items was half of the request (issue 18).
        kept = (
            catalog,
            current_app.json.dumps(Items().dump({"items": catalog.for_channel(channel)}), separators=(",", ":")),
        )
        _serialised[channel] = kept
    return Response(kept[1], mimetype=current_app.json.mimetype)


_serialised: dict[str, tuple[Catalog, str]] = {}


@bp.get("/<item_id>")
@public(Operation.QUERY)
@cacheable
@bp.output(ItemDetail, description="事项详情（办事指南）")
@bp.doc(
    summary="办事指南，含按顺序排列的办理流程（LD/T 01 5.6.2）",
    operation_id="getCatalogItem",
    responses={404: "没有该事项"},
)
def catalog_item(item_id: str):
    return _Guide(load_catalog().get(item_id))


class _Guide:
    """An item as its guide is answered: the item's own fields and its handling flow, generated from the catalog
    by the same function the web guide draws its diagram with (so the channels cannot show different flows)."""

    def __init__(self, item: ServiceItem) -> None:
        self._item = item
        chart = flowchart(item)
        self.flow = {
            "title": chart.title,
            "description": chart.description,
            "steps": [
                {"number": n, "kind": s.kind.value, "label": s.label, "short": s.short, "details": list(s.details)}
                for n, s in enumerate(chart.steps, 1)
            ],
        }

    def __getattr__(self, name: str):
        return getattr(self._item, name)
