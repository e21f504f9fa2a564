"""Server-side sort, text filter and paging of the land pages' tables (``?sort=&order=&page=&per_page=&q=``).

Pure functions over a frame and the request's arguments; the views keep their own
default order (the most relevant rows first) and call :func:`table_view`.
Sorting is vectorised (one stable ``sort_values`` with the row id as tie-break) and
puts missing values last whichever way it sorts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from flask import current_app

from web.api_params import int_param
from web.errors import BadRequest, not_one_of
from web.i18n import tr

ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class TableQuery:
    """What a request asks of one table: the sort column (None: the page's default order), direction, page, text."""

    sort: str | None
    descending: bool
    page: int
    per_page: int
    text: str


def table_query(args: Mapping[str, str], columns: Sequence[str]) -> TableQuery:
    """The table arguments of a request, each checked: a bad one is a 400 naming it, the value and what is allowed.

    ``per_page`` is bounded by ``TABLE_MAX_ROWS`` (configuration: one HTML page stays quick to render).
    """
    config = current_app.config
    sort = (args.get("sort") or "").strip() or None
    if sort is not None and sort not in columns:
        raise not_one_of("sort", sort, columns)
    order = (args.get("order") or "").strip().lower() or ("asc" if sort else "desc")
    if order not in ORDERS:
        raise not_one_of("order", order, ORDERS)
    per_page = int_param(args, "per_page", default=int(config["TABLE_DEFAULT_ROWS"]), minimum=1,
                         maximum=int(config["TABLE_MAX_ROWS"]))
    page = int_param(args, "page", default=1, minimum=1)
    return TableQuery(sort, order == "desc", page, per_page, (args.get("q") or "").strip())


def sort_rows(frame: pd.DataFrame, column: str, *, descending: bool, id_column: str) -> pd.DataFrame:
    """``frame`` sorted by ``column`` either way, missing values last both ways, ties in ``id_column`` order."""
    keys = [column] if column == id_column else [column, id_column]
    return frame.sort_values(keys, ascending=[not descending] + [True] * (len(keys) - 1), kind="stable",
                             na_position="last")


def contains_text(frame: pd.DataFrame, text: str, columns: Sequence[str]) -> pd.DataFrame:
    """Rows whose ``columns`` (ids, names) contain ``text`` (case-insensitive, literal); all rows for ''."""
    if not text:
        return frame
    hit = np.zeros(len(frame), dtype=bool)
    for column in columns:
        if column in frame.columns:
            hit |= frame[column].astype("string").str.contains(text, case=False, regex=False).fillna(False).to_numpy(
                dtype=bool)
    return frame[hit]


def page_rows(frame: pd.DataFrame, page: int, per_page: int) -> tuple[pd.DataFrame, dict]:
    """Page ``page`` (from 1) of ``frame`` and the pager's figures; a page past the last is a 400 naming it.

    An empty table has one (empty) page, so ``page=1`` is always allowed.
    """
    total = len(frame)
    pages = max(1, -(-total // per_page))
    if page > pages:
        raise BadRequest(tr(f"page 必须在 1 至 {pages} 之间（共 {total} 条，每页 {per_page} 条），收到 {page}",
                            f"page must be between 1 and {pages} ({total} rows, {per_page} a page), got {page}"),
                         field="page", value=page, allowed={"minimum": 1, "maximum": pages})
    start = (page - 1) * per_page
    return frame.iloc[start:start + per_page], {"page": page, "pages": pages, "per_page": per_page, "total": total}


def ordered_rows(frame: pd.DataFrame, query: TableQuery, *, id_column: str, text_columns: Sequence[str],
                 default_order=None) -> pd.DataFrame:
    """Every row of ``frame`` the query's text keeps, in its sort order (else ``default_order(frame)``)."""
    chosen = contains_text(frame, query.text, text_columns)
    if query.sort is not None:
        return sort_rows(chosen, query.sort, descending=query.descending, id_column=id_column)
    return chosen if default_order is None else default_order(chosen)


def table_view(frame: pd.DataFrame, args: Mapping[str, str], *, columns: Sequence[str], id_column: str,
               text_columns: Sequence[str], default_order=None) -> tuple[pd.DataFrame, dict]:
    """One page of ``frame`` as the request asks: text filter, sort (else ``default_order(frame)``), page.

    Returns the page's rows and the table state the template's headers and pager need.
    """
    query = table_query(args, columns)
    chosen = ordered_rows(frame, query, id_column=id_column, text_columns=text_columns, default_order=default_order)
    rows, pager = page_rows(chosen, query.page, query.per_page)
    return rows, {**pager, "sort": query.sort, "order": "desc" if query.descending else "asc", "q": query.text}


def ranked(frame: pd.DataFrame, column: str, ranks: Sequence[str], then: Sequence[tuple[str, bool]],
           id_column: str) -> pd.DataFrame:
    """``frame`` with ``column``'s values in ``ranks`` order first (others after, missing last), then by
    ``then`` ((column, descending) pairs, missing last), ties by ``id_column``: a page's default order."""
    rank = frame[column].map({value: i for i, value in enumerate(ranks)}).fillna(len(ranks)).to_numpy()
    keyed = frame.assign(_rank=rank)
    keys = ["_rank", *(name for name, _ in then), id_column]
    ascending = [True, *(not desc for _, desc in then), True]
    return keyed.sort_values(keys, ascending=ascending, kind="stable", na_position="last").drop(columns="_rank")
