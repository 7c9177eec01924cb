"""OpenAPI path and schema of the knowledge-base search, spread into ``gateway.api.openapi``."""

from __future__ import annotations

from typing import Any

from gateway.help.knowledge import MAX_QUERY_LENGTH, MAX_RESULTS

_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

HELP_SCHEMAS: dict[str, Any] = {
    "HelpAnswer": {
        "type": "object",
        "required": ["id", "title", "answer", "source"],
        "properties": {
            "id": {"type": "string", "examples": ["appointment-how"]},
            "title": {"type": "string", "description": "问题", "examples": ["怎么网上预约服务大厅窗口办理？"]},
            "answer": {"type": "string", "description": "解答"},
            "source": {
                "type": "string",
                "description": "依据（文件及条款）",
                "examples": ["LD/T 01—2020 5.1 a、b；本机构网上预约规则"],
            },
            "link": {
                "type": ["string", "null"],
                "description": "可办理或查看的页面路径",
                "examples": ["/appointments/"],
            },
        },
    },
    "HelpSearchResult": {
        "type": "object",
        "required": ["query", "results"],
        "properties": {
            "query": {"type": "string"},
            "results": {
                "type": "array",
                "maxItems": MAX_RESULTS,
                "items": {"$ref": "#/components/schemas/HelpAnswer"},
                "description": "按相关程度排序，最相关的在前；没有结果时为空数组",
            },
        },
    },
}

HELP_PATHS: dict[str, Any] = {
    "/api/v1/help/search": {
        "get": {
            "operationId": "searchHelp",
            "summary": "业务知识库检索（LD/T 01 5.5.2 a、5.5.4）；无需登录，按地址限流",
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_LENGTH},
                    "description": "问题或关键词，例如“怎么预约”“退休金怎么算”",
                }
            ],
            "responses": {
                "200": {
                    "description": "检索结果，最相关的在前，最多 10 条",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HelpSearchResult"}}},
                },
                "400": {"description": "未输入问题，或问题过长", "content": _ERR},
                "429": {"description": "查询过于频繁", "content": _ERR},
            },
        }
    }
}
