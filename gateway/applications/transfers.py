"""Transfer progress (社会保险关系转移接续, LD/T 01 5.4.3 b, 7.1.2): the stages of a transfer, from the back office.

A transfer runs through the national transfer system in five stages; the back office's transfer record carries
the date each was done. The transfer items' applications and the rights pages show these stages. No Flask here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gateway.applications.models import Application
from gateway.backoffice.interface import BackOffice, TransferRecord
from gateway.backoffice.models import Scheme, TransferDirection

#: (record field, label) in order (7.1.2): the last one, 办结, is the record's completion date.
STAGES: tuple[tuple[str, str], ...] = (
    ("reviewed_on", "转出地审核"),
    ("certificate_on", "开具参保缴费凭证"),
    ("received_on", "转入地接收"),
    ("funds_on", "基金划转"),
    ("completed_on", "办结"),
)

#: Which back-office transfers a transfer item's application is about: (scheme, direction or None for either).
ITEM_TRANSFERS: dict[str, tuple[Scheme, TransferDirection | None]] = {
    "pension-transfer-out": (Scheme.PENSION, TransferDirection.OUT),
    "pension-transfer-in": (Scheme.PENSION, TransferDirection.IN),
    "unemployment-transfer": (Scheme.UNEMPLOYMENT, None),
    "medical-transfer": (Scheme.MEDICAL, None),
}


@dataclass(frozen=True)
class Stage:
    label: str
    done_on: date | None
    current: bool

    @property
    def state(self) -> str:
        """已完成 / 办理中 / 未开始, as shown beside the stage."""
        return "已完成" if self.done_on else "办理中" if self.current else "未开始"


@dataclass(frozen=True)
class TransferProgress:
    """A transfer's stages; ``record`` is None while the back office has not opened it yet."""

    record: TransferRecord | None
    stages: tuple[Stage, ...]

    @property
    def current(self) -> Stage | None:
        """The stage being handled now (None when the transfer is finished)."""
        return next((s for s in self.stages if s.current), None)

    @property
    def finished(self) -> bool:
        return self.stages[-1].done_on is not None

    @property
    def title(self) -> str:
        r = self.record
        if r is None:
            return "转移接续"
        way = "转入自" if r.direction is TransferDirection.IN else "转出至"
        return f"{r.scheme.label}：{way}{r.other_region_name}"


def progress_of(record: TransferRecord | None) -> TransferProgress:
    """The stages of ``record``: done ones with their dates, the first not done is current."""
    stages: list[Stage] = []
    current_given = False
    for field_name, label in STAGES:
        done_on = getattr(record, field_name) if record is not None else None
        current = done_on is None and not current_given
        current_given = current_given or current
        stages.append(Stage(label, done_on, current))
    return TransferProgress(record, tuple(stages))


def for_person(backoffice: BackOffice, id_number: str) -> list[TransferProgress]:
    """Each of the person's transfers with its stages, newest first."""
    return [progress_of(r) for r in backoffice.transfers(id_number)]


def for_application(backoffice: BackOffice, id_number: str, app: Application) -> TransferProgress | None:
    """The progress of the transfer ``app`` asked for; None when ``app`` is not a submitted transfer item.

    The back office opens its transfer record on or after the day the application was submitted; until it
    does, every stage is still to come and the first one is current.
    """
    wanted = ITEM_TRANSFERS.get(app.item_id)
    if wanted is None or app.submitted_at is None:
        return None
    scheme, direction = wanted
    since = app.submitted_at.date()
    matching = [
        r
        for r in backoffice.transfers(id_number)
        if r.scheme is scheme and (direction is None or r.direction is direction) and r.applied_on >= since
    ]
    # The earliest one opened after the application is the one it started.
    return progress_of(min(matching, key=lambda r: r.applied_on) if matching else None)


def progress_json(progress: TransferProgress) -> dict:
    """The API form of a transfer's progress."""
    r = progress.record
    return {
        "scheme": r.scheme.value if r else None,
        "scheme_label": r.scheme.label if r else None,
        "direction": r.direction.value if r else None,
        "other_region": r.other_region_name if r else None,
        "applied_on": r.applied_on.isoformat() if r else None,
        "current_stage": progress.current.label if progress.current else None,
        "finished": progress.finished,
        "stages": [
            {"label": s.label, "done_on": s.done_on.isoformat() if s.done_on else None, "state": s.state}
            for s in progress.stages
        ],
    }
