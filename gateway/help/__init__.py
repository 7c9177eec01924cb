"""Knowledge-base search (咨询, LD/T 01 5.5.2 a, 5.5.4): curated Q&A from the documents plus the service guides,
searched with character bigrams and BM25. Pure Python, no Flask outside :mod:`gateway.help.api`."""

from gateway.help.knowledge import (
    MAX_QUERY_LENGTH,
    MAX_RESULTS,
    Entry,
    KnowledgeBase,
    clean_query,
    knowledge_base,
    load_knowledge_base,
    search,
)

__all__ = [
    "MAX_QUERY_LENGTH",
    "MAX_RESULTS",
    "Entry",
    "KnowledgeBase",
    "clean_query",
    "knowledge_base",
    "load_knowledge_base",
    "search",
]
