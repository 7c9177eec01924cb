"""``/api/v1/appointments``: halls, slots, book, cancel, my bookings and check-in at the hall (mini-program, kiosk,
hotline, and the web's own scripts) — LD/T 01 5.1."""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Float, Integer, List, Nested, String
from flask import current_app
from sqlalchemy import select

from gateway import clock
from gateway.access.edge import current_actor
from gateway.access.needs import gate, public
from gateway.api.conventions import Paged, PageQuery, cacheable, page_of
from gateway.api.schemas import Input, Int, Output, Text, one_of
from gateway.appointments import service
from gateway.appointments.models import BookingStatus
from gateway.appointments.models import Hall as HallRow
from gateway.catalog import load_catalog
from gateway.channel_policy import Operation
from gateway.problems import UserError
from gateway.request_db import get_session

bp = APIBlueprint("appointments", __name__, url_prefix="/appointments", tag="预约")

_REFUSALS = {
    400: "请求参数不正确",
    404: "没有找到事项、网点、时段或预约",
    409: "约满、重复预约、超过取消时限、不在签到时间等，message 说明原因",
}


def _refusals(*codes: int) -> dict[int, str]:
    return {code: _REFUSALS[code] for code in codes}


# ---------------------------------------------------------------- declarations


class Hall(Output):
    id = Integer(required=True)
    name = String(required=True)
    address = String(required=True)
    phone = String(required=True)
    hours = String(required=True)
    map_url = String(required=True)
    latitude = Float(
        required=True, allow_none=True, metadata={"description": "纬度（GCJ-02，可直接用于 wx.openLocation）"}
    )
    longitude = Float(required=True, allow_none=True, metadata={"description": "经度（GCJ-02）"})


class BookedItem(Output):
    id = String(required=True)
    name = String(required=True)


class Booking(Output):
    code = String(required=True, metadata={"description": "预约码（8 位），也印在二维码里"})
    status = String(required=True, validate=one_of(BookingStatus))
    status_label = String(required=True)
    item = Nested(BookedItem, required=True)
    hall = Nested(Hall, required=True)
    day = String(required=True, metadata={"format": "date"})
    start = String(required=True, metadata={"examples": ["09:00"]})
    end = String(required=True, metadata={"examples": ["09:30"]})
    ticket = String(
        required=True, allow_none=True, metadata={"description": "签到后的排队号；J 开头为优先办理（条例第十七条）"}
    )
    priority = Boolean(required=True)


class Halls(Output):
    halls = List(Nested(Hall), required=True)


class Slot(Output):
    id = Integer(required=True)
    start = String(required=True)
    end = String(required=True)
    capacity = Integer(required=True)
    remaining = Integer(required=True)


class Day(Output):
    day = String(required=True, metadata={"format": "date"})
    open = Boolean(required=True)
    slots = List(Nested(Slot), required=True)


class Week(Output):
    hall = Nested(Hall, required=True)
    days = List(Nested(Day), required=True)


class Bookings(Paged):
    bookings = List(Nested(Booking), required=True)


class ItemQuery(Input):
    item = String(required=True, metadata={"description": "服务事项编号", "examples": ["person-registration"]})


class HallQuery(Input):
    hall = Int(
        digits=True, required=True, message="参数 hall 应为服务网点编号。", metadata={"description": "服务网点编号"}
    )


class BookBody(Input):
    item = String(required=True, metadata={"description": "服务事项编号"})
    slot = Int(required=True, message="参数 slot 应为正整数。", metadata={"description": "时段编号"})


class CheckInBody(Input):
    hall = Text(
        required=True, max_length=16, message="请提供服务网点代码 hall。", metadata={"description": "服务网点代码"}
    )


_HALL_EXAMPLE = {
    "id": 1,
    "name": "示例市社会保险经办服务中心",
    "address": "示例市渭滨区经二路 1 号",
    "phone": "0917-3212333",
    "hours": "工作日 9:00-12:00、13:30-17:00",
    "map_url": "",
    "latitude": 34.362186,
    "longitude": 107.149721,
}
_BOOKING_EXAMPLE = {
    "code": "K7M2Q9TX",
    "status": "booked",
    "status_label": "已预约",
    "item": {"id": "person-registration", "name": "个人参保登记"},
    "hall": _HALL_EXAMPLE,
    "day": "2026-11-24",
    "start": "09:00",
    "end": "09:30",
    "ticket": None,
    "priority": False,
}


# ---------------------------------------------------------------- answers


def _booking(v: service.BookingView) -> dict:
    return {
        "code": v.booking.code,
        "status": v.booking.status,
        "status_label": v.booking.status.label,
        "item": {"id": v.booking.item_id, "name": v.item_name},
        "hall": v.hall,
        "day": v.slot.day.isoformat(),
        "start": v.slot.start.strftime("%H:%M"),
        "end": v.slot.end.strftime("%H:%M"),
        "ticket": v.booking.ticket,
        "priority": v.booking.priority,
    }


def _person_id() -> int:
    return current_actor().subject_id


class BookableItem(Output):
    id = String(required=True, metadata={"examples": ["person-registration"]})
    code = String(required=True)
    name = String(required=True)
    summary = String(required=True)
    section = String(required=True)
    handling_kind = String(required=True)
    legal_limit_days = Integer(required=True, allow_none=True)
    assurance_level = Integer(required=True)


class BookableItems(Output):
    items = List(Nested(BookableItem), required=True)


@bp.get("/items")
@public(Operation.QUERY)
@cacheable
@bp.output(
    BookableItems,
    description="可以预约窗口办理的事项",
    example={
        "items": [
            {
                "id": "person-registration",
                "code": "SB-YL-0001",
                "name": "个人参保登记",
                "summary": "首次参加社会保险的个人办理参保登记。",
                "section": "services",
                "handling_kind": "promised",
                "legal_limit_days": 10,
                "assurance_level": 3,
            }
        ]
    },
)
@bp.doc(
    summary="可预约窗口办理的事项（有服务网点开通预约的事项，与网上服务大厅、12333 相同）",
    operation_id="listBookableItems",
    responses={304: "未改变"},
)
def bookable_items():
    """Step 1 of booking: the items some hall takes appointments for — the same use case as the web's and the
    console's first step (``service.bookable_item_ids``)."""
    bookable = service.bookable_item_ids(get_session())
    return {"items": [i for i in load_catalog().items if i.id in bookable]}


@bp.get("/halls")
@public(Operation.QUERY)
@cacheable
@bp.input(ItemQuery, location="query")
@bp.output(Halls, description="网点列表", example={"halls": [_HALL_EXAMPLE]})
@bp.doc(summary="办理某事项的服务网点", operation_id="listHallsForItem", responses=_refusals(404))
def halls(query_data: dict):
    item = load_catalog().get(query_data["item"])
    return {"halls": service.halls_for_item(get_session(), item.id)}


@bp.get("/slots")
@public(Operation.QUERY)
@bp.input(HallQuery, location="query")
@bp.output(
    Week,
    description="逐日的时段；节假日和闭厅日 open 为 false",
    example={
        "hall": _HALL_EXAMPLE,
        "days": [
            {
                "day": "2026-11-24",
                "open": True,
                "slots": [{"id": 101, "start": "09:00", "end": "09:30", "capacity": 6, "remaining": 2}],
            }
        ],
    },
)
@bp.doc(
    summary="网点明天起一周的可预约时段和剩余名额（LD/T 01 5.1 a）",
    operation_id="listSlots",
    responses=_refusals(400, 404),
)
def slots(query_data: dict):
    session = get_session()
    hall = session.get(HallRow, query_data["hall"])
    if hall is None:
        raise UserError("no_such_hall", "没有找到该服务网点。", 404)
    return current_app.json.response(week_answer(hall, service.slots_for(session, hall.id, clock.now())))


def week_answer(hall: HallRow, week: list[service.DaySlots]) -> dict:
    """The ``Week`` answer built directly: it has only strings and numbers, and passing ~70 slots through the
    schema's dump was a third of the opening morning's most frequent request (issue 18). A test validates it
    against the operation's declared schema."""
    return {
        "hall": _HALL.dump(hall),
        "days": [
            {
                "day": d.day.isoformat(),
                "open": d.open,
                "slots": [
                    {
                        "id": s.id,
                        "start": s.start.strftime("%H:%M"),
                        "end": s.end.strftime("%H:%M"),
                        "capacity": s.capacity,
                        "remaining": s.remaining,
                    }
                    for s in d.slots
                ],
            }
            for d in week
        ],
    }


_HALL = Hall()


@bp.get("")
@gate(Operation.QUERY, level=1)
@bp.input(PageQuery, location="query")
@bp.output(
    Bookings,
    description="预约列表，最近的在前（分页）",
    example={"page": 1, "page_size": 20, "pages": 1, "total": 1, "bookings": [_BOOKING_EXAMPLE]},
)
@bp.doc(summary="我的预约", operation_id="listMyBookings", responses={400: "页码不正确"})
def mine(query_data: dict):
    shown, paging = page_of(
        service.bookings_of(get_session(), _person_id()), query_data["page"], query_data["page_size"]
    )
    return {**paging, "bookings": [_booking(v) for v in shown]}


@bp.post("")
@gate(Operation.BOOK, level=1)
@bp.input(BookBody, example={"item": "person-registration", "slot": 101})
@bp.output(Booking, status_code=201, description="预约成功", example=_BOOKING_EXAMPLE)
@bp.doc(
    summary="预约一个时段：立即答复成功（预约码）或失败原因（LD/T 01 5.1 b）",
    operation_id="book",
    responses={**_refusals(400, 404, 409), 403: "暂停网上预约、安全级别不足或该渠道不提供预约"},
)
def book(json_data: dict):
    actor = current_actor()
    item = load_catalog().get(json_data["item"])
    session = get_session()
    booking = service.book(
        session,
        person_id=actor.subject_id,
        item_id=item.id,
        slot_id=json_data["slot"],
        now=clock.now(),
        channel=actor.channel,
    )
    return _booking(service.booking_view(session, actor.subject_id, booking.code))


@bp.post("/<code>/cancel")
@gate(Operation.BOOK, level=1)
@bp.output(
    Booking,
    description="已取消",
    example={**_BOOKING_EXAMPLE, "status": "cancelled", "status_label": "已取消"},
)
@bp.doc(summary="取消预约（预约时间前 1 小时截止）", operation_id="cancelBooking", responses=_refusals(404, 409))
def cancel(code: str):
    person_id = _person_id()
    session = get_session()
    service.cancel(session, person_id=person_id, code=code, now=clock.now())
    return _booking(service.booking_view(session, person_id, code))


@bp.post("/<code>/check-in")
@gate(Operation.BOOK, level=1)
@bp.input(CheckInBody, example={"hall": "H01"})
@bp.output(
    Booking,
    description="已签到，附排队号",
    example={**_BOOKING_EXAMPLE, "status": "checked_in", "status_label": "已签到", "ticket": "A012"},
)
@bp.doc(summary="到厅签到取号（时段开始前后 30 分钟内）", operation_id="checkIn", responses=_refusals(400, 404, 409))
def check_in(code: str, json_data: dict):
    """Check in at the hall (a kiosk or the mini-program at the door): the booking must be the caller's, at that
    hall, within the check-in window; the answer carries the queue ticket."""
    session = get_session()
    hall = session.scalar(select(HallRow).where(HallRow.code == json_data["hall"]))
    if hall is None:
        raise UserError("no_such_hall", "没有找到该服务网点。", 404)
    view = service.check_in(session, code=code, hall_id=hall.id, now=clock.now(), actor=current_actor())
    return _booking(view)
