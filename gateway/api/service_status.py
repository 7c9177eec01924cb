"""``GET /api/v1/service-status``: the core system's announced maintenance windows, for the mini-program and any
other channel to show ahead of time (issue 19; LD/T 01 6.4.5, 6.5.3). Public: no login needed to be warned."""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String

from gateway import clock
from gateway.access.needs import public
from gateway.api.schemas import Output
from gateway.backoffice import maintenance
from gateway.channel_policy import Operation
from gateway.request_db import get_session

bp = APIBlueprint("service_status", __name__, url_prefix="/service-status", tag="服务状态")


class Window(Output):
    id = Integer(required=True)
    starts_at = String(required=True, metadata={"description": "开始时间（北京时间）"})
    ends_at = String(required=True, metadata={"description": "预计结束时间（北京时间）"})
    current = Boolean(required=True, metadata={"description": "是否正在维护"})
    message = String(required=True, metadata={"description": "向群众展示的提示"})


class ServiceStatus(Output):
    as_of = String(required=True, metadata={"description": "北京时间"})
    core_available = Boolean(required=True, metadata={"description": "核心业务系统当前是否未在维护"})
    maintenance = List(Nested(Window), required=True, metadata={"description": "正在进行和7天内将进行的维护"})


@bp.get("")
@public(Operation.QUERY)
@bp.output(
    ServiceStatus,
    description="核心业务系统维护公告",
    example={
        "as_of": "2026-12-04T20:30:00",
        "core_available": True,
        "maintenance": [
            {
                "id": 3,
                "starts_at": "2026-12-06T22:00",
                "ends_at": "2026-12-07T06:00",
                "current": False,
                "message": "核心业务系统将于北京时间 12月6日 22:00 至 12月7日 06:00 维护，期间暂停办理业务。",
            }
        ],
    },
)
@bp.doc(summary="核心业务系统维护公告：正在进行和即将进行的维护及预计恢复时间", operation_id="getServiceStatus")
def service_status():
    now = clock.now()
    windows = maintenance.upcoming(get_session(), now)
    return {
        "as_of": clock.api_local(now, "seconds"),
        "core_available": not any(w.current for w in windows),
        "maintenance": [w.as_json() for w in windows],
    }
