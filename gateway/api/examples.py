"""Example requests and answers of the operations declared before every operation carried its own (issue 14: each
operation in the document has an example request and response). New operations declare theirs on the
declaration (``@bp.input(..., example=)``, ``@bp.output(..., example=)``); :mod:`gateway.api.openapi` adds these
only where a declaration gives none, so a declaration that gains its own example wins. The login operations'
examples stay here while ``gateway/api/auth.py`` is being changed for the identity work in parallel.

Each example is a real-looking answer that validates against the operation's schema
(``tests/gateway/test_openapi.py`` checks that).
"""

from __future__ import annotations

from typing import Any

_PAGE = {"page": 1, "page_size": 20, "pages": 1, "total": 1}
_TOKENS = {
    "status": "ok",
    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl",
    "token_type": "Bearer",
    "expires_in": 600,
    "refresh_token": "rt_3f9c0a7d5e2b4c18a6d0e9f1b2c3d4e5",
    "assurance_level": 2,
}
_INBOX_MESSAGE = {
    "id": 31,
    "kind": "application_result",
    "kind_label": "办理结果",
    "title": "您的申请已办结",
    "body": "您申请的“城镇职工基本养老保险关系转出”已办结，结果：准予办理。",
    "link": "/progress/SQ20261123000042",
    "delivered_at": "2026-11-25T15:02",
    "read": False,
}
_HELP_ANSWER = {
    "id": "appointment-how",
    "title": "怎么网上预约服务大厅窗口办理？",
    "answer": "在“网上预约”栏目选择事项、网点、日期和时段，提交后立即告知是否预约成功。",
    "source": "LD/T 01—2020 5.1 a、b；本机构网上预约规则",
    "link": "/appointments/",
}
_DOCUMENT = {
    "type": "person_proof",
    "type_label": "个人参保证明",
    "issuer": "示例市社会保险经办中心",
    "issued_on": "2026-11-23",
    "valid_until": "2027-02-21",
    "holder": "李**（610***********0210）",
    "facts": [{"label": "参保险种", "value": "职工基本养老保险、失业保险、工伤保险"}],
    "fingerprint": "9f2c4e1a7b3d5c8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
    "withdrawn_on": None,
    "withdrawn_by": None,
    "as_of": "2026-11-23",
    "as_of_text": "本证明反映截至 2026年11月23日 的记录",
    "record_changed": False,
    "record_changed_text": None,
}
_FIGURE = {
    "key": "pension-transfer-out",
    "label": "城镇职工基本养老保险关系转出",
    "submitted": 18,
    "median_minutes": 7.5,
    "median_steps": 3,
    "decided": 15,
    "on_time": 15,
    "timeliness": 100.0,
    "ratings": 9,
    "bad": 0,
    "satisfaction": 4.8,
}

#: operationId → {"request": body example, "response": answer example}.
EXAMPLES: dict[str, dict[str, Any]] = {
    "listFinishedConsultations": {
        "response": {
            "consultations": [
                {
                    "subject": "chat",
                    "ref": "LT20261204000123",
                    "title": "在线人工咨询 LT20261204000123",
                    "finished_at": "2026-12-04T10:32:05",
                    "rating": None,
                },
                {
                    "subject": "consultation",
                    "ref": "ZX20261123456789",
                    "title": "咨询 ZX20261123456789",
                    "finished_at": "2026-11-27T16:05:00",
                    "rating": {
                        "satisfaction": 2,
                        "satisfaction_label": "不满意",
                        "follow_up_due": "2026-12-11",
                        "follow_up_status": "closed",
                        "follow_up_outcome": "已电话联系，说明到账时间。",
                    },
                },
            ]
        }
    },
    "wechatLogin": {"request": {"code": "081Kq4Ga1bqXkG0Yf9Ia1aUw3D1Kq4Gd"}, "response": _TOKENS},
    "wechatBindSms": {
        "request": {"binding_ticket": "bt_8d7c6b5a4f3e2d1c", "id_number": "610302199001010012", "name": "张三"},
        "response": {"status": "code_sent", "phone": "138****0000"},
    },
    "wechatBindConfirm": {
        "request": {"binding_ticket": "bt_8d7c6b5a4f3e2d1c", "code": "123456", "agreement_version": "2026.1"},
        "response": _TOKENS,
    },
    "esscQrStart": {
        "response": {
            "poll_token": "pt_5a4b3c2d1e0f",
            "authorize_url": "https://essc.example.cn/authorize?state=5a4b3c2d1e0f",
            "qr_svg": "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
            "expires_in": 120,
        }
    },
    "esscQrStatus": {"request": {"poll_token": "pt_5a4b3c2d1e0f"}, "response": {**_TOKENS, "assurance_level": 3}},
    "refreshToken": {"request": {"refresh_token": "rt_3f9c0a7d5e2b4c18a6d0e9f1b2c3d4e5"}, "response": _TOKENS},
    "apiLogout": {"request": {"refresh_token": "rt_3f9c0a7d5e2b4c18a6d0e9f1b2c3d4e5"}, "response": {"status": "ok"}},
    "whoAmI": {"response": {"name": "张*", "id_number": "6103**********0012", "assurance_level": 2}},
    "listCatalog": {
        "response": {
            "items": [
                {
                    "id": "appointment-booking",
                    "code": "SB-TY-0001",
                    "name": "预约经办服务中心窗口服务",
                    "summary": "选择预约事项、日期和时段，预约经办服务中心窗口办理。",
                    "section": "appointments",
                    "handling_kind": "instant",
                    "legal_limit_days": None,
                    "assurance_level": 1,
                }
            ]
        }
    },
    "getCatalogItem": {
        "response": {
            "id": "pension-transfer-out",
            "code": "SB-YL-0006",
            "name": "城镇职工基本养老保险关系转出",
            "summary": "跨统筹地区就业的参保人员申请转出基本养老保险关系。",
            "section": "services",
            "handling_kind": "promised",
            "legal_limit_days": 15,
            "assurance_level": 3,
            "legal_basis": "《社会保险经办条例》第十八条",
            "required_materials": [
                {"name": "居民身份证", "note": "网上办理时以实名认证代替", "original_required": False}
            ],
            "result_delivery": ["网上查看", "平台消息"],
            "fee": "不收费",
            "fee_basis": "社会保险经办服务不设收费项目",
            "hours": "网上服务大厅全天24小时受理",
            "consult": {"phone": "12333", "online": "网上服务大厅“咨询投诉”栏目网上信箱留言咨询（工作日答复）"},
            "complain": ["12333服务热线"],
            "channels": ["web"],
            "risky": True,
            "risk_warning": "转出后原参保地不再为您记录缴费，请确认新参保地已为您参保。",
            "flow": {
                "title": "城镇职工基本养老保险关系转出办理流程（承诺办理）",
                "description": "共 4 步：1. 申请：在线提交申请，2. 受理：受理并出具受理通知，3. 审核：审核申请和材料，"
                "4. 办结：15 个工作日内办结。",
                "steps": [
                    {
                        "number": 1,
                        "kind": "apply",
                        "label": "申请",
                        "short": "在线提交申请",
                        "details": ["渠道：网上服务大厅", "材料：居民身份证"],
                    },
                    {
                        "number": 2,
                        "kind": "accept",
                        "label": "受理",
                        "short": "受理并出具受理通知",
                        "details": ["材料齐全的予以受理；材料不全的一次性告知需补正的全部材料"],
                    },
                    {
                        "number": 3,
                        "kind": "review",
                        "label": "审核",
                        "short": "审核申请和材料",
                        "details": ["经办机构审核申请和材料"],
                    },
                    {
                        "number": 4,
                        "kind": "finish",
                        "label": "办结",
                        "short": "15 个工作日内办结",
                        "details": ["15 个工作日内办结（承诺时限，受理次日起算）", "结果：网上查看、平台消息"],
                    },
                ],
            },
        }
    },
    "getCardStatus": {
        "response": {
            "holder": "张*",
            "number": "A1*****78",
            "status": "making",
            "status_label": "制卡中",
            "advice": "新卡正在制作中，制作完成后会发往领卡网点，届时请携带身份证到网点领卡并启用。",
            "branch": "示例银行渭滨支行",
            "steps": [
                {"label": "申请受理", "done_on": "2026-11-02", "state": "已完成"},
                {"label": "制卡", "done_on": None, "state": "办理中"},
            ],
        }
    },
    "listTransfers": {
        "response": {
            "transfers": [
                {
                    "scheme": "pension",
                    "scheme_label": "养老保险",
                    "direction": "out",
                    "other_region": "四川省成都市",
                    "applied_on": "2026-10-12",
                    "current_stage": "转出地审核",
                    "finished": False,
                    "stages": [
                        {"label": "申请", "done_on": "2026-10-12", "state": "已完成"},
                        {"label": "转出地审核", "done_on": None, "state": "办理中"},
                    ],
                }
            ]
        }
    },
    "listInbox": {"response": {"unread": 1, "page": 1, "pages": 1, "total": 1, "items": [_INBOX_MESSAGE]}},
    "openInboxMessage": {"response": {**_INBOX_MESSAGE, "read": True}},
    "listCertificates": {
        "response": {
            "documents": [
                {
                    "kind": "person_proof",
                    "label": "个人参保证明",
                    "hint": "参加了哪些险种、参保状态和累计缴费月数，办理入学、购房、落户等常用",
                    "item": {"id": "cert-insurance-proof", "name": "个人参保证明打印"},
                    "needs_period": False,
                    "default_period": None,
                    "available": True,
                    "unavailable_reason": None,
                    "download_url": "/api/v1/certificates/person_proof/pdf",
                }
            ]
        }
    },
    "verifyCode": {
        "response": {"result": "genuine", "message": "该证明真实有效，内容未被改动。", "document": _DOCUMENT}
    },
    "verifyPdf": {
        "response": {
            "seal": "sealed",
            "message": "电子印章有效，文件自盖章后未被修改。",
            "fingerprint": _DOCUMENT["fingerprint"],
            "signed_at": "2026-11-23T02:05:11+00:00",
            "timestamp_trusted": True,
            "result": "genuine",
            "document": _DOCUMENT,
        }
    },
    "searchHelp": {"response": {"query": "怎么预约", "results": [_HELP_ANSWER]}},
    "answerHelp": {
        "response": {
            "query": "怎么预约窗口",
            "status": "answered",
            "confidence": 0.9,
            "matched": ["预约"],
            "answer": _HELP_ANSWER,
            "related": [],
            "next_steps": [{"label": "在线留言咨询", "link": "/consult/"}],
        }
    },
    "fileCase": {
        "response": {
            "number": "ZX20261204123456",
            "code": "K3M9Q2",
            "kind": "consultation",
            "status": "open",
            "limit_days": 5,
            "due_date": "2026-12-11",
            "due_provisional": False,
        }
    },
    "trackCase": {
        "response": {
            "number": "ZX20261204123456",
            "kind": "consultation",
            "status": "replied",
            "status_label": "已答复",
            "subject": "转移接续",
            "limit_days": 5,
            "due_date": "2026-12-11",
            "due_provisional": False,
            "outcome": "您好，转移接续可在网上服务大厅申请……",
            "steps": [
                {"kind": "submitted", "label": "已提交", "at": "2026-12-04T09:12:00", "text": ""},
                {"kind": "replied", "label": "已答复", "at": "2026-12-07T10:30:00", "text": "您好，……"},
            ],
        }
    },
    "listHallInfo": {
        "response": {
            "as_of": "2026-11-23T10:00:00",
            "halls": [
                {
                    "code": "H01",
                    "name": "示例市社会保险经办服务中心",
                    "address": "示例市渭滨区经二路 1 号",
                    "phone": "0917-3212333",
                    "hours": "工作日 9:00-12:00、13:30-17:00",
                    "map_url": "",
                    "latitude": 34.362186,
                    "longitude": 107.149721,
                    "open_today": True,
                    "changes": [{"day": "2026-12-31", "kind": "closure", "label": "闭厅", "note": "系统升级"}],
                    "items": ["个人参保登记"],
                    "queue": {
                        "checked_in_today": 42,
                        "waiting_now": 5,
                        "still_expected_today": 18,
                        "usual_this_hour": 12.5,
                    },
                }
            ],
        }
    },
    "listPolicies": {
        "response": {
            **_PAGE,
            "policies": [
                {
                    "id": 1,
                    "title": "社会保险经办条例",
                    "issuer": "国务院",
                    "number": "国务院令第765号",
                    "published_on": "2023-08-16",
                    "effective_on": "2023-12-01",
                    "summary": "规范社会保险经办，优化社会保险服务。",
                    "status": "in_force",
                    "status_label": "现行有效",
                    "replaced_by": None,
                }
            ],
        }
    },
    "listCreditEntries": {
        "response": {
            **_PAGE,
            "entries": [
                {
                    "id": 3,
                    "party": "unit",
                    "name": "示例某某有限公司",
                    "code": "91610300MA6X******",
                    "behaviour": "以欺诈、伪造证明材料等手段骗取社会保险基金",
                    "legal_basis": "《社会保险领域严重失信主体名单管理办法》第五条",
                    "document_number": "示人社罚〔2026〕12号",
                    "document_date": "2026-06-30",
                    "listed_on": "2026-07-10",
                    "publish_until": "2029-07-09",
                }
            ],
        }
    },
    "getEvaluationFigures": {
        "response": {
            "month": "2026-11",
            "completeness": [{"channel": "web", "label": "网上服务大厅", "online": 39, "total": 45, "percent": 86.7}],
            "total": {**_FIGURE, "key": "all", "label": "全部"},
            "by_item": [_FIGURE],
            "by_hall": [{**_FIGURE, "key": "H01", "label": "示例市社会保险经办服务中心"}],
            "by_channel": [{**_FIGURE, "key": "web", "label": "网上服务大厅"}],
        }
    },
    "rateService": {
        "request": {
            "subject": "application",
            "ref": "SQ20261123000042",
            "completeness": 5,
            "ease": 5,
            "timeliness": 4,
            "satisfaction": 5,
            "comment": "办理很快",
        },
        "response": {"id": 88, "satisfaction": 5, "satisfaction_label": "非常满意", "follow_up_due": None},
    },
}

#: Multipart bodies (a file part is shown by its name): as ``wx.uploadFile`` sends them.
EXAMPLES["uploadMaterial"] = {"request": {"material": "参保缴费凭证", "file": "凭证.pdf"}}
EXAMPLES["supplementApplication"] = {
    "request": {"note": "转入地为四川省成都市", "material": "参保缴费凭证", "file": "凭证.pdf", "final": True}
}
EXAMPLES["verifyPdf"]["request"] = {"pdf": "证明.pdf"}

#: Binary answers and bodies: an example says what the bytes are.
PDF_EXAMPLE = "%PDF-1.7 …（加盖电子印章的 PDF 文件，二进制）"
