"""``GET /api/v1/help/search?q=…``: the knowledge base for the mini-program, kiosk and hotline (LD/T 01 5.5.2 a).

Answers ``{"query", "results": [{"id", "title", "answer", "source", "link"}, …]}`` best first, at most 10
(DESIGN "Public contracts"). No login: consultation is free and open to everyone (Regulation Art. 32).
"""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import List, Nested, String
from apiflask.validators import Length

from gateway.access.needs import public
from gateway.api.schemas import Checked, Input, Output
from gateway.channel_policy import Operation
from gateway.help.api import SEARCH_LIMIT
from gateway.help.knowledge import MAX_QUERY_LENGTH, MAX_RESULTS, clean_query, knowledge_base, search
from gateway.security.limits import limiter

bp = APIBlueprint("help", __name__, url_prefix="/help", tag="咨询")


class Question(Input):
    # The knowledge base's own check: empty → 400 empty_query, too long → 400 query_too_long (Chinese messages).
    q = Checked(
        clean_query,
        required=True,
        validate=Length(min=1, max=MAX_QUERY_LENGTH),
        metadata={"description": "问题或关键词，例如“怎么预约”“退休金怎么算”"},
    )


class HelpAnswer(Output):
    id = String(required=True, metadata={"examples": ["appointment-how"]})
    title = String(required=True, metadata={"description": "问题", "examples": ["怎么网上预约服务大厅窗口办理？"]})
    answer = String(required=True, metadata={"description": "解答"})
    source = String(
        required=True,
        metadata={"description": "依据（文件及条款）", "examples": ["LD/T 01—2020 5.1 a、b；本机构网上预约规则"]},
    )
    link = String(allow_none=True, metadata={"description": "可办理或查看的页面路径", "examples": ["/appointments/"]})


class HelpSearchResult(Output):
    query = String(required=True)
    results = List(
        Nested(HelpAnswer),
        required=True,
        validate=Length(max=MAX_RESULTS),
        metadata={"description": "按相关程度排序，最相关的在前；没有结果时为空数组"},
    )


@bp.get("/search")
@public(Operation.QUERY)
@limiter.limit(SEARCH_LIMIT)
@bp.input(Question, location="query")
@bp.output(HelpSearchResult, description="检索结果，最相关的在前，最多 10 条")
@bp.doc(
    summary="业务知识库检索（LD/T 01 5.5.2 a、5.5.4）；无需登录，按地址限流",
    operation_id="searchHelp",
    responses={400: "未输入问题，或问题过长", 429: "查询过于频繁"},
)
def search_api(query_data: dict):
    query = query_data["q"]
    return {"query": query, "results": search(query)}


def warm_up() -> None:
    """Index the knowledge base at startup, not in the first person's request."""
    knowledge_base()
