"""A staff member's own trail: the last 50 things they did and for whom (masked), from the audit trail."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from channels.hotline.login import add_section
from gateway.access.edge import current_staff
from gateway.access.needs import Audience, gate
from gateway.channel_policy import Operation
from gateway.identity.models import Person
from gateway.identity.service import identity_of
from gateway.request_db import get_session
from gateway.staff.models import AuditAction, StaffRole
from gateway.staff.service import trail as audit_trail
from gateway.validation import mask_id_number, mask_name

bp = Blueprint("hotline_trail", __name__, url_prefix="/hotline/trail")
add_section("hotline_trail.index", "我的操作记录", set(StaffRole))

LIMIT = 50


ACTION_LABELS = {
    AuditAction.LOGIN: "登录",
    AuditAction.LOGIN_FAILED: "登录失败",
    AuditAction.LOCKED: "账户锁定",
    AuditAction.LOGOUT: "退出",
    AuditAction.STAFF_CREATED: "创建工作人员账户",
    AuditAction.STAFF_UNLOCKED: "解锁工作人员账户",
    AuditAction.TOTP_RESET: "重置动态口令",
    AuditAction.PERSON_SEARCHED: "查询人员",
    AuditAction.PERSON_UNLOCKED: "解锁网上账户",
    AuditAction.CALLER_VERIFIED: "核验来电人",
    AuditAction.CALLER_RELEASED: "结束来电人服务",
    AuditAction.VIEWED: "查看",
    AuditAction.BOOKED: "代为预约",
    AuditAction.CANCELLED: "代为取消预约",
    AuditAction.LINK_SENT: "发送下载链接",
    AuditAction.APPLICATION_STEP: "办理申请",
    AuditAction.SETTINGS_CHANGED: "修改设置",
    AuditAction.MESSAGE_RESENT: "重发消息",
    AuditAction.CHAT_HANDLED: "在线咨询",
    AuditAction.APPLICATION_WITHDRAWN: "代为撤回申请",
    AuditAction.CARD_REPORTED_LOST: "代为挂失社会保障卡",
}


@bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF)
def index():
    """The newest entries first, each with the person it concerned (name and ID number masked)."""
    db = get_session()
    entries = audit_trail(db, staff_id=current_staff().id, limit=LIMIT)
    vault = current_app.extensions["shebao_vault"]
    ids = {e.person_id for e in entries if e.person_id is not None}
    people = db.scalars(select(Person).where(Person.id.in_(ids))) if ids else []
    whom = {
        p.id: f"{mask_name(identity_of(vault, p).name)}（{mask_id_number(identity_of(vault, p).id_number)}）"
        for p in people
    }
    labels = {action: ACTION_LABELS.get(action, action.value) for action in AuditAction}
    return render_template("hotline/trail.html", entries=entries, whom=whom, labels=labels, limit=LIMIT)
