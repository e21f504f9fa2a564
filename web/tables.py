"""Server-side sort, text filter and paging of the pages' tables (``?sort=&order=&page=&per_page=&q=``).

Pure functions over a frame and the request's arguments; the views keep their own
default order (the most relevant rows first) and call :func:`table_view`.
Sorting is vectorised (one stable ``sort_values`` with the row id as tie-break) and
puts missing values last whichever way it sorts; a coded column (statuses, kinds)
sorts by the names the page shows, not by its codes.

A page's main table reads the plain names; every other table on the same page has
its own ``prefix`` (``ineff_sort``, ``cand_page`` …), so each sorts and pages on its
own and the links of one keep the state of the others. A ``per_page`` above
``TABLE_MAX_ROWS`` is clamped to it, and the table state says so (``note``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from flask import current_app, request, url_for

from web.api_params import int_param
from web.errors import BadRequest, not_one_of
from web.i18n import tr

ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class TableQuery:
    """What a request asks of one table: the sort column (None: the page's default order), direction, page, text;
    ``asked_per_page`` is the page size asked for when it was above the most allowed (else None)."""

    sort: str | None
    descending: bool
    page: int
    per_page: int
    text: str
    asked_per_page: int | None = None


def table_query(args: Mapping[str, str], columns: Sequence[str], prefix: str = "") -> TableQuery:
    """The table arguments of a request (named ``prefix`` + sort, order, page, per_page, q), each checked: a bad
    one is a 400 naming it, the value and what is allowed.

    ``per_page`` above ``TABLE_MAX_ROWS`` (configuration: one HTML page stays quick to render) is clamped to it.
    """
    config = current_app.config
    sort = (args.get(prefix + "sort") or "").strip() or None
    if sort is not None and sort not in columns:
        raise not_one_of(prefix + "sort", sort, columns)
    order = (args.get(prefix + "order") or "").strip().lower() or ("asc" if sort else "desc")
    if order not in ORDERS:
        raise not_one_of(prefix + "order", order, ORDERS)
    most = int(config["TABLE_MAX_ROWS"])
    asked = int_param(args, prefix + "per_page", default=int(config["TABLE_DEFAULT_ROWS"]), minimum=1)
    page = int_param(args, prefix + "page", default=1, minimum=1)
    return TableQuery(sort, order == "desc", page, min(asked, most), (args.get(prefix + "q") or "").strip(),
                      asked if asked > most else None)


def clamp_note(query: TableQuery) -> str | None:
    """What the page says when it showed fewer rows a page than asked for (None when it showed as many)."""
    if query.asked_per_page is None:
        return None
    return tr(f"每页最多显示 {query.per_page} 条（请求 {query.asked_per_page} 条）；全部数据见 JSON 或 XLSX",
              f"at most {query.per_page} rows a page (asked for {query.asked_per_page}); every row is in the "
              "JSON and XLSX")


def shown_names(frame: pd.DataFrame, column: str, names: Mapping[str, Mapping] | None) -> pd.DataFrame:
    """``frame`` with ``column`` replaced by the names the page shows for its codes (when ``names`` has them),
    so that it sorts as read; codes without a name keep their code, missing values stay missing."""
    if not names or column not in names:
        return frame
    codes = frame[column]
    return frame.assign(**{column: codes.map(lambda code: names[column].get(code, code), na_action="ignore")})


def sort_rows(frame: pd.DataFrame, column: str, *, descending: bool, id_column: str) -> pd.DataFrame:
    """``frame`` sorted by ``column`` either way, missing values last both ways, ties in ``id_column`` order.

    A column mixing numbers and texts (which do not compare) sorts by its values as text.
    """
    keys = [column] if column == id_column else [column, id_column]
    ascending = [not descending] + [True] * (len(keys) - 1)
    try:
        return frame.sort_values(keys, ascending=ascending, kind="stable", na_position="last")
    except TypeError:
        as_text = frame.assign(**{column: frame[column].astype("string"), "_position": np.arange(len(frame))})
        positions = as_text.sort_values(keys, ascending=ascending, kind="stable", na_position="last")["_position"]
        return frame.iloc[positions.to_numpy()]


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


def page_rows(frame: pd.DataFrame, page: int, per_page: int, prefix: str = "") -> tuple[pd.DataFrame, dict]:
    """Page ``page`` (from 1) of ``frame`` and the pager's figures; a page past the last is a 400 naming it
    (``prefix`` + page).

    An empty table has one (empty) page, so ``page=1`` is always allowed.
    """
    total = len(frame)
    pages = max(1, -(-total // per_page))
    if page > pages:
        name = prefix + "page"
        raise BadRequest(tr(f"{name} 必须在 1 至 {pages} 之间（共 {total} 条，每页 {per_page} 条），收到 {page}",
                            f"{name} must be between 1 and {pages} ({total} rows, {per_page} a page), got {page}"),
                         field=name, value=page, allowed={"minimum": 1, "maximum": pages})
    start = (page - 1) * per_page
    return frame.iloc[start:start + per_page], {"page": page, "pages": pages, "per_page": per_page, "total": total}


def ordered_rows(frame: pd.DataFrame, query: TableQuery, *, id_column: str, text_columns: Sequence[str],
                 default_order=None, names: Mapping[str, Mapping] | None = None) -> pd.DataFrame:
    """Every row of ``frame`` the query's text keeps, in its sort order (else ``default_order(frame)``).

    ``names`` (column → {code: shown name}) makes coded columns sort by their shown names.
    """
    chosen = contains_text(frame, query.text, text_columns)
    if query.sort is not None:
        keyed = shown_names(chosen, query.sort, names)
        order = sort_rows(keyed.assign(_row=np.arange(len(keyed))), query.sort, descending=query.descending,
                          id_column=id_column)["_row"].to_numpy()
        return chosen.iloc[order]
    return chosen if default_order is None else default_order(chosen)


def table_view(frame: pd.DataFrame, args: Mapping[str, str], *, columns: Sequence[str], id_column: str,
               text_columns: Sequence[str], default_order=None, prefix: str = "",
               names: Mapping[str, Mapping] | None = None) -> tuple[pd.DataFrame, dict]:
    """One page of ``frame`` as the request asks: text filter, sort (else ``default_order(frame)``), page.

    ``prefix`` names this table's parameters (one per table of a page); ``names`` (column →
    {code: shown name}) sorts coded columns as read. Returns the page's rows and the table
    state the template's headers and pager need.
    """
    _, rows, state = filtered_view(frame, args, columns=columns, id_column=id_column, text_columns=text_columns,
                                   default_order=default_order, prefix=prefix, names=names)
    return rows, state


def filtered_view(frame: pd.DataFrame, args: Mapping[str, str], *, columns: Sequence[str], id_column: str,
                  text_columns: Sequence[str], default_order=None, prefix: str = "",
                  names: Mapping[str, Mapping] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """As :func:`table_view`, with every row the text filter keeps first (in order): what a map beside the
    table draws."""
    query = table_query(args, columns, prefix)
    chosen = ordered_rows(frame, query, id_column=id_column, text_columns=text_columns, default_order=default_order,
                          names=names)
    rows, pager = page_rows(chosen, query.page, query.per_page, prefix)
    return chosen, rows, {**pager, "sort": query.sort, "order": "desc" if query.descending else "asc",
                          "q": query.text, "prefix": prefix, "note": clamp_note(query)}


def ranked(frame: pd.DataFrame, column: str, ranks: Sequence[str], then: Sequence[tuple[str, bool]],
           id_column: str) -> pd.DataFrame:
    """``frame`` with ``column``'s values in ``ranks`` order first (others after, missing last), then by
    ``then`` ((column, descending) pairs, missing last), ties by ``id_column``: a page's default order."""
    rank = frame[column].map({value: i for i, value in enumerate(ranks)}).fillna(len(ranks)).to_numpy()
    keyed = frame.assign(_rank=rank)
    keys = ["_rank", *(name for name, _ in then), id_column]
    ascending = [True, *(not desc for _, desc in then), True]
    return keyed.sort_values(keys, ascending=ascending, kind="stable", na_position="last").drop(columns="_rank")


# -- links of a table's headers, pager and search form (template globals) --------------------------------

#: Query values a table's links never carry: the format of another view, the UI language (kept in a cookie),
#: the JSON twin's offset.
NOT_KEPT = ("format", "lang", "offset")


def with_args(**changes) -> str:
    """This page's URL with the query values ``changes`` set (None: removed), every other value kept."""
    args = request.args.to_dict(flat=False)
    args.pop("format", None)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = [str(value)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def sort_url(table: Mapping, column: str) -> str:
    """A header's link: sort ``table`` by ``column`` ascending, or descending when it is already ascending;
    back to its first page, the other tables' state kept."""
    prefix = table.get("prefix", "")
    ascending_now = table.get("sort") == column and table.get("order") == "asc"
    return with_args(**{prefix + "sort": column, prefix + "order": "desc" if ascending_now else "asc",
                        prefix + "page": None})


def page_url(table: Mapping, page: int) -> str:
    """The pager's link to ``page`` of ``table``."""
    return with_args(**{table.get("prefix", "") + "page": page})


def table_args(table: Mapping) -> list[tuple[str, str]]:
    """The query values ``table``'s search form carries unchanged: all but its own text and page."""
    prefix = table.get("prefix", "")
    dropped = {*NOT_KEPT, prefix + "q", prefix + "page"}
    return [(name, value) for name, values in request.args.to_dict(flat=False).items() if name not in dropped
            for value in values]


def init_app(app) -> None:
    """Make the table links available to every template (the tables' macros in ``templates/land/_table.html``)."""
    app.add_template_global(sort_url, "sort_url")
    app.add_template_global(page_url, "page_url")
    app.add_template_global(table_args, "table_args")

