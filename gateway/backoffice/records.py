"""A person's records read across the core system's pages, for the questions people ask of them: the
contributions of a period or of one year, and which years there are (the list itself is paged, newest first)."""

from __future__ import annotations

from gateway.backoffice.interface import BackOffice, ContributionRecord

#: Rows asked per page when walking the list (the core system's largest page).
_WALK_PAGE = 200


def contributions_between(bo: BackOffice, id_number: str, start: int, end: int) -> list[ContributionRecord]:
    """The contributions of the periods ``start``..``end`` (YYYYMM, both included), newest first."""
    records: list[ContributionRecord] = []
    page = 1
    while True:
        result = bo.contributions(id_number, page, _WALK_PAGE)
        records.extend(r for r in result.items if start <= r.period <= end)
        # Newest first: once a page ends before ``start`` nothing older is wanted.
        if not result.has_next or (result.items and result.items[-1].period < start):
            return records
        page += 1


def contributions_in_year(bo: BackOffice, id_number: str, year: int) -> list[ContributionRecord]:
    """The contributions of the twelve months of ``year``, newest first."""
    return contributions_between(bo, id_number, year * 100 + 1, year * 100 + 12)


def contribution_years(bo: BackOffice, id_number: str) -> list[int]:
    """The years from the newest contribution back to the oldest, newest first (two look-ups: one row each)."""
    newest = bo.contributions(id_number, 1, 1)
    if not newest.items:
        return []
    oldest = bo.contributions(id_number, newest.pages, 1)
    last = newest.items[0].period // 100
    first = oldest.items[-1].period // 100 if oldest.items else last
    return list(range(last, first - 1, -1))
