"""One error shape for every channel: JSON ``{"error": {"code", "message"}}`` under /api/, a Chinese
page elsewhere. Bad input is a 4xx with a message for the person, never a 500.
"""

from __future__ import annotations

import logging

import requests
from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from gateway.backoffice.interface import BackOfficeUnavailable
from gateway.catalog.model import UnknownItem
from gateway.problems import UserError
from gateway.validation import ValidationError

log = logging.getLogger(__name__)

__all__ = ["UserError", "error_response", "init_app"]

# Messages for the HTTP errors Flask raises itself.
_HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确，请检查后重试。"),
    401: ("login_required", "请先登录。"),
    403: ("forbidden", "您没有权限进行此操作。"),
    404: ("not_found", "您访问的页面或信息不存在。"),
    405: ("method_not_allowed", "不支持此操作方式。"),
    413: ("too_large", "提交的内容过大。"),
    429: ("too_many_requests", "操作过于频繁，请稍后再试。"),
    503: ("unavailable", "服务暂时不可用，请稍后再试或拨打 12333 咨询。"),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(code: str, message: str, status: int) -> Response | tuple:
    if _wants_json():
        resp = jsonify({"error": {"code": code, "message": message}})
        resp.status_code = status
        return resp
    return render_template("web/error.html", code=code, message=message, status=status), status


def init_app(app: Flask) -> None:
    @app.errorhandler(UserError)
    def _user_error(exc: UserError):
        return error_response(exc.code, exc.message, exc.status)

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError):
        return error_response(exc.code, exc.message, 400)

    @app.errorhandler(UnknownItem)
    def _unknown_item(exc: UnknownItem):
        return error_response("unknown_item", "没有找到该服务事项，请从服务事项清单中选择。", 404)

    @app.errorhandler(BackOfficeUnavailable)
    def _backoffice_down(exc: BackOfficeUnavailable):
        log.error("back office unavailable: %s", exc)
        message = "系统繁忙，暂时无法查询社会保险业务信息，请稍后再试或拨打 12333 咨询。"
        return error_response("backoffice_unavailable", message, 503)

    @app.errorhandler(requests.RequestException)
    def _outside_service_down(exc: requests.RequestException):
        # The e-SSC platform, WeChat, the SMS gateway …: unreachable or answering garbage is "try later", not a
        # 500. Only the exception's kind is logged: its text carries the URL, and URLs can carry secrets.
        log.error("outside service unavailable: %s", type(exc).__name__)
        message = "相关外部服务（电子社保卡、微信等）暂时无法连接，请稍后再试或拨打 12333 咨询。"
        return error_response("provider_unavailable", message, 503)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        code, message = _HTTP_MESSAGES.get(status, ("error", "请求无法完成。"))
        if status == 400 and exc.description and "CSRF" in exc.description:
            code, message = "csrf", "页面已过期，请刷新后重新提交。"
        return error_response(code, message, status)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response("internal", "系统繁忙，请稍后再试。如需帮助请拨打 12333。", 500)
