"""Demo halls for the embedded mode: three service halls of 示例市 with weekday slot templates."""

from __future__ import annotations

from datetime import time
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.appointments.admin import window_items
from gateway.appointments.models import Hall, HallItem, SlotTemplate, Window

#: code, name, address, phone, and (latitude, longitude) in GCJ-02 as wx.openLocation takes them.
HALLS = (
    (
        "H01",
        "示例市社会保险事业管理中心（市民中心）",
        "示例市金台区宝光路 8 号市民服务中心二楼",
        "0917-3212333",
        (34.376158, 107.237433),
    ),
    (
        "H02",
        "示例市渭滨区社会保险经办服务大厅",
        "示例市渭滨区经二路 120 号",
        "0917-3312333",
        (34.362186, 107.149721),
    ),
    (
        "H03",
        "示例市陈仓区社会保险经办服务大厅",
        "示例市陈仓区虢镇东大街 36 号",
        "0917-6212333",
        (34.368504, 107.384957),
    ),
)
HOURS = "周一至周五 9:00–12:00，13:30–17:00（法定节假日除外）"


def bookable_items() -> list[str]:
    """Items handled at a window: everything that is not finished online at once."""
    return [item.id for item in window_items()]


def load_halls(session: Session, capacity: int = 4) -> int:
    """Create the demo halls once; returns how many were created."""
    if session.scalar(select(func.count()).select_from(Hall)):
        return 0
    items = bookable_items()
    for n, (code, name, address, phone, (latitude, longitude)) in enumerate(HALLS, start=1):
        hall = Hall(
            code=code,
            name=name,
            address=address,
            phone=phone,
            hours=HOURS,
            map_url="https://uri.amap.com/search?keyword=" + quote(address),  # AMap URI API
            latitude=latitude,
            longitude=longitude,
        )
        session.add(hall)
        session.flush()
        for w in range(1, 7):
            session.add(Window(hall_id=hall.id, number=w, appointments_only=w <= 2))  # LD/T 01 5.1 c
        for item_id in items:
            session.add(HallItem(hall_id=hall.id, item_id=item_id))
        for weekday in range(5):
            # A smaller hall opens fewer places, so the demo shows both busy and quiet halls.
            per_slot = capacity if n == 1 else max(1, capacity // 2)
            session.add(
                SlotTemplate(
                    hall_id=hall.id,
                    weekday=weekday,
                    start=time(9),
                    end=time(12),
                    slot_minutes=30,
                    capacity=per_slot,
                )
            )
            session.add(
                SlotTemplate(
                    hall_id=hall.id,
                    weekday=weekday,
                    start=time(13, 30),
                    end=time(17),
                    slot_minutes=30,
                    capacity=per_slot,
                )
            )
    session.flush()
    return len(HALLS)
