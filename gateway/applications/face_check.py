"""The face check (人脸识别) before a benefit eligibility certification (LD/T 01 5.4.3 a; Regulation Art. 26).

The provider (the e-SSC face service or a liveness SDK vendor; :mod:`sandboxes.face_check` stands in) is asked
server to server to open a check session for the person; the person takes the selfie video on the provider's
page and comes back with the session id; the gateway then fetches the verdict server to server and trusts it only
when the provider's HMAC-SHA256 signature over the canonical JSON is right, the session is one we opened for this
person and not used before, the verdict names this person, and it is fresh. A passed check is good for one
submission within :data:`VALID_FOR`. No Flask here.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway import clock
from gateway.applications.models import ActorKind, Application, ApplicationEvent, ApplicationStatus
from gateway.db import Base, UtcDateTime, commit_claim, enum_column
from gateway.identity.models import EventKind
from gateway.identity.service import record_event
from gateway.problems import UserError

#: Items whose submission needs a passed face check first.
REQUIRED_FOR = frozenset({"eligibility-certification"})
#: A provider's verdict older than this (or this far in the future: clock skew) is refused.
MAX_AGE_S = 300
#: How long a passed check lets the person submit.
VALID_FOR = timedelta(minutes=30)
UNAVAILABLE = "人脸识别服务暂时不可用，请稍后再试，或到社区（村）服务站、经办窗口办理资格认证。"


class FaceCheckStatus(enum.StrEnum):
    STARTED = "started"  # session opened, the person is on the provider's page
    PASSED = "passed"
    FAILED = "failed"  # the provider says it is not this person (or not a live one)
    REFUSED = "refused"  # the verdict could not be trusted (signature, freshness, person)

    @property
    def label(self) -> str:
        return {"started": "识别中", "passed": "识别通过", "failed": "识别未通过", "refused": "结果无效"}[self.value]


class FaceCheck(Base):
    """One check session, opened by us for one person's draft application; used at most once."""

    __tablename__ = "app_face_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("app_application.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    status: Mapped[FaceCheckStatus] = mapped_column(enum_column(FaceCheckStatus))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)


class FaceCheckError(Exception):
    """The provider could not be reached or answered something we cannot use."""


class FaceCheckPending(FaceCheckError):
    """The person came back before finishing the check on the provider's page."""


def canonical(result: dict) -> bytes:
    """The signed bytes: keys sorted, no spaces, UTF-8 (the provider signs exactly this)."""
    return json.dumps(result, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature_ok(result: dict, signature: str, secret: str) -> bool:
    """True when ``signature`` is the base64 HMAC-SHA256 of ``result`` under ``secret``."""
    expected = base64.b64encode(hmac.new(secret.encode(), canonical(result), hashlib.sha256).digest()).decode()
    return isinstance(signature, str) and hmac.compare_digest(expected, signature)


@dataclass(frozen=True)
class Verdict:
    session_id: str
    id_number: str
    passed: bool
    score: float
    checked_at: int


@dataclass(frozen=True)
class FaceCheckClient:
    """The provider's server-to-server API, authenticated with the app key and secret (HTTP Basic)."""

    base_url: str
    app_key: str
    app_secret: str
    timeout: float = 5

    def start(self, id_number: str, name: str, return_url: str) -> tuple[str, str]:
        """Open a session; returns (session id, the capture page to send the person to)."""
        try:
            resp = requests.post(
                f"{self.base_url}/sessions",
                json={"id_number": id_number, "name": name, "return_url": return_url},
                auth=(self.app_key, self.app_secret),
                timeout=self.timeout,
            )
            data = resp.json() if resp.status_code == 201 else None
        except (requests.RequestException, ValueError) as exc:
            raise FaceCheckError(str(exc)) from exc
        if not isinstance(data, dict) or not isinstance(data.get("session_id"), str):
            raise FaceCheckError(f"start answered {resp.status_code}")
        if not str(data.get("capture_url", "")).startswith(("https://", "http://")):
            raise FaceCheckError("no capture URL")
        return data["session_id"], data["capture_url"]

    def result(self, session_id: str) -> tuple[dict, str]:
        """The provider's result and its signature, as sent (checked by :func:`verify`)."""
        try:
            resp = requests.get(
                f"{self.base_url}/sessions/{session_id}/result",
                auth=(self.app_key, self.app_secret),
                timeout=self.timeout,
            )
            data = resp.json() if resp.status_code == 200 else None
        except (requests.RequestException, ValueError) as exc:
            raise FaceCheckError(str(exc)) from exc
        if resp.status_code == 409:
            raise FaceCheckPending(session_id)
        if not isinstance(data, dict) or not isinstance(data.get("result"), dict):
            raise FaceCheckError(f"result answered {resp.status_code}")
        return data["result"], str(data.get("signature", ""))


def client_for(settings) -> FaceCheckClient:
    """The configured provider; an empty URL means the sandbox under ``sandbox_url``."""
    base = (settings.face_check_url or f"{settings.sandbox_url.rstrip('/')}/face").rstrip("/")
    return FaceCheckClient(base, settings.face_check_app_key, settings.face_check_app_secret)


def verify(
    result: dict, signature: str, *, secret: str, app_key: str, session_id: str, id_number: str, now_ts: float
) -> Verdict:
    """Trust the provider's result only if every check holds; otherwise a UserError saying why (in Chinese)."""
    if not signature_ok(result, signature, secret):
        raise UserError("face_check_forged", "人脸识别结果的签名校验未通过，结果无效，请重新进行人脸识别。", 400)
    if result.get("session_id") != session_id or result.get("app_key") != app_key:
        raise UserError("face_check_mismatch", "人脸识别结果与本次识别不对应，结果无效，请重新进行人脸识别。", 400)
    if result.get("id_number") != id_number:
        raise UserError("face_check_wrong_person", "人脸识别结果不是您本人的，结果无效。请本人重新进行人脸识别。", 403)
    checked_at = result.get("checked_at")
    if not isinstance(checked_at, int) or not (-60 <= now_ts - checked_at <= MAX_AGE_S):
        raise UserError("face_check_expired", "人脸识别结果已过期，请重新进行人脸识别。", 400)
    if result.get("verdict") not in ("pass", "fail"):
        raise UserError("face_check_unknown", "人脸识别结果无法识别，请重新进行人脸识别。", 400)
    score = result.get("score")
    return Verdict(
        session_id=session_id,
        id_number=id_number,
        passed=result["verdict"] == "pass",
        score=float(score) if isinstance(score, int | float) else 0.0,
        checked_at=checked_at,
    )


# ---------------------------------------------------------------- the gateway's side of a check


def start(
    session: Session,
    client: FaceCheckClient,
    app: Application,
    *,
    id_number: str,
    name: str,
    return_url: str,
    now: datetime,
) -> str:
    """Open a check for the person's draft ``app``; returns the provider's capture page URL."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    if app.status is not ApplicationStatus.DRAFT:
        raise UserError("not_draft", "申请已提交，不需要再进行人脸识别。", 409)
    try:
        session_id, capture_url = client.start(id_number, name, return_url)
    except FaceCheckError as exc:
        raise UserError("face_check_unavailable", UNAVAILABLE, 503) from exc
    session.add(
        FaceCheck(
            session_id=session_id,
            application_id=app.id,
            person_id=app.person_id,
            status=FaceCheckStatus.STARTED,
            started_at=now,
        )
    )
    session.flush()
    return capture_url


def finish(
    session: Session,
    client: FaceCheckClient,
    *,
    person_id: int,
    id_number: str,
    session_id: str,
    now: datetime,
    now_ts: float,
) -> FaceCheck:
    """The person is back from the provider: fetch, verify and record the verdict, once.

    Someone else's session is "not found"; a session already finished (a replayed return) is refused.
    """
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    check = session.scalar(select(FaceCheck).where(FaceCheck.session_id == (session_id or "")[:64]))
    if check is None or check.person_id != person_id:
        raise UserError("face_check_not_found", "没有找到您的这次人脸识别，请重新进行人脸识别。", 404)
    if check.status is not FaceCheckStatus.STARTED:
        raise UserError("face_check_replayed", "这次人脸识别的结果已经处理过，不能重复使用，请重新进行人脸识别。", 409)
    try:
        result, signature = client.result(check.session_id)
    except FaceCheckPending as exc:
        # Still open at the provider: the person may go back and finish it, or start again.
        raise UserError("face_check_pending", "人脸识别尚未完成，请点击“开始人脸识别”重新识别。", 409) from exc
    except FaceCheckError as exc:
        raise UserError("face_check_unavailable", UNAVAILABLE, 503) from exc
    try:
        verdict = verify(
            result,
            signature,
            secret=client.app_secret,
            app_key=client.app_key,
            session_id=check.session_id,
            id_number=id_number,
            now_ts=now_ts,
        )
    except UserError as exc:
        _close(session, check, FaceCheckStatus.REFUSED, exc.message, now)
        raise
    status = FaceCheckStatus.PASSED if verdict.passed else FaceCheckStatus.FAILED
    _close(session, check, status, f"相似度{verdict.score:.2f}", now)
    return check


def _close(session: Session, check: FaceCheck, status: FaceCheckStatus, note: str, now: datetime) -> None:
    # Conditional: two returns with the same session id at once cannot both be recorded (no replay by race).
    moved = session.execute(
        update(FaceCheck)
        .where(FaceCheck.id == check.id, FaceCheck.status == FaceCheckStatus.STARTED)
        .values(status=status, finished_at=now, note=note[:200])
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        session.rollback()
        raise UserError("face_check_replayed", "这次人脸识别的结果已经处理过，不能重复使用，请重新进行人脸识别。", 409)
    commit_claim(session)  # the check session is spent, refused or not: returning with it again is a replay
    session.refresh(check)


def trace(session: Session, check: FaceCheck, *, item_name: str, channel: str, ip: str | None) -> None:
    """LD/T 01 6.3.2: the use of the person's biometric check is traced in their operation log, passed or not
    (the caller keeps the line on a refusal too). Every channel that finishes a check calls this."""
    record_event(
        session,
        EventKind.OPERATION,
        person_id=check.person_id,
        channel=channel,
        ip=ip,
        detail=f"{item_name}：人脸识别{check.status.label}",
    )


def latest(session: Session, app: Application) -> FaceCheck | None:
    """The most recent finished check of ``app``."""
    return session.scalar(
        select(FaceCheck)
        .where(FaceCheck.application_id == app.id, FaceCheck.status != FaceCheckStatus.STARTED)
        .order_by(FaceCheck.id.desc())
        .limit(1)
    )


def usable(session: Session, app: Application, now: datetime) -> FaceCheck | None:
    """A passed, unused, recent check of ``app`` — what lets it be submitted."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    check = latest(session, app)
    if check is None or check.status is not FaceCheckStatus.PASSED or check.used_at is not None:
        return None
    if check.finished_at is None or now - check.finished_at > VALID_FOR:
        return None
    return check


def use_for_submission(session: Session, app: Application, now: datetime) -> FaceCheck:
    """Spend the passed check on this submission and trace it in the timeline (same transaction as the submit)."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    check = usable(session, app, now)
    if check is None:
        raise UserError("face_check_required", "请先完成人脸识别，识别通过后才能提交资格认证。", 409)
    moved = session.execute(
        update(FaceCheck)
        .where(FaceCheck.id == check.id, FaceCheck.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise UserError("face_check_required", "请先完成人脸识别，识别通过后才能提交资格认证。", 409)
    check.used_at = now
    finished = clock.format_beijing(check.finished_at)
    note = f"人脸识别核验通过（{finished}，{check.note or ''}，识别编号{check.session_id}）"
    app.events.append(
        ApplicationEvent(status=app.status, actor_kind=ActorKind.SYSTEM, actor="face-check", note=note, at=now)
    )
    return check
