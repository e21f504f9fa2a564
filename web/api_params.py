"""Query parameters of the JSON API, each checked into a typed value or a 400 naming it.

Paging (``limit``/``offset``) is shared by every paged JSON list; the rest belongs to
the OGC API items (``/api/collections/<layer>/items``): ``bbox`` (4 or 6 numbers) in
``bbox-crs``, ``crs``, ``datetime``, ``sortby`` and one equality filter per
queryable field (``?status=idle``). A parameter the items do not know is a 400
that lists the ones they do (OGC API – Features Part 1, /req/core/query-param-unknown).
Messages are in the user's language.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask import current_app
from werkzeug.datastructures import MultiDict

from geo.bbox import check_lonlat_bbox
from geo.ogc_crs import ApiCrs, bbox_traditional, find_crs
from layers.schema import Field, LayerSpec
from service.day import DayError, DayRange, day_allowed, parse_day
from web.errors import BadRequest
from web.i18n import tr

#: Parameters every items request may carry besides the queryables.
ITEMS_PARAMETERS = ("f", "lang", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "sortby")
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(T[0-9:.]*(Z|[+-]\d{2}:?\d{2})?)?$")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def int_param(args: Mapping[str, str], name: str, *, default: int, minimum: int, maximum: int | None = None) -> int:
    """An integer query parameter within bounds; :class:`BadRequest` naming it and the value otherwise."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadRequest(tr(f"{name} 必须是整数，收到 {raw!r}", f"{name} must be an integer, got {raw!r}"),
                         field=name, value=raw, allowed="integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        zh, en = ((f"在 {minimum} 至 {maximum} 之间", f"between {minimum} and {maximum}") if maximum is not None
                  else (f"不小于 {minimum}", f"at least {minimum}"))
        raise BadRequest(tr(f"{name} 必须{zh}，收到 {value}", f"{name} must be {en}, got {value}"),
                         field=name, value=raw,
                         allowed={"minimum": minimum, **({"maximum": maximum} if maximum is not None else {})})
    return value


def page_params(args: Mapping[str, str], *, clamp_limit: bool = False) -> tuple[int, int]:
    """``(limit, offset)`` of a paged list, each bounded by the app's configuration (400 outside).

    With ``clamp_limit`` a ``limit`` above ``API_MAX_LIMIT`` asks for the most there is,
    as OGC API – Features requires (/req/core/fc-limit-response-1), rather than a 400.
    """
    config = current_app.config
    most = int(config["API_MAX_LIMIT"])
    limit = int_param(args, "limit", default=config["API_DEFAULT_LIMIT"], minimum=1,
                      maximum=None if clamp_limit else most)
    offset = int_param(args, "offset", default=0, minimum=0, maximum=config["API_MAX_OFFSET"])
    return min(limit, most), offset


def date_param(args: Mapping[str, str], name: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` query parameter within the configured range (``service.day``), or ``None`` when absent;
    a bilingual 400 naming the parameter, the value and what is allowed otherwise."""
    config = current_app.config
    try:
        return parse_day(args.get(name), name=name,
                         within=DayRange.of(config["AS_OF_EARLIEST"], config["AS_OF_LATEST"]))
    except DayError as exc:
        raise BadRequest(tr(exc.zh, exc.en), field=name, value=args.get(name), allowed=day_allowed(config)) from None


def parse_as_of(args: Mapping[str, str]) -> dt.date | None:
    """The day asked for with ``?as_of=YYYY-MM-DD`` (None when absent), within the configured range.

    Every view that judges the park on a day reads it here (or through the park
    service's ``day``, the same parser), so a day the analyses cannot count in is one
    clear 400 naming the range, whichever page is asked.
    """
    return date_param(args, "as_of")


def day_in_range(day: dt.date, name: str) -> dt.date:
    """``day`` when the analyses can count in it (``AS_OF_EARLIEST`` … ``AS_OF_LATEST``); a 400 naming
    ``name``, the range and the day otherwise."""
    return date_param({name: day.isoformat()}, name)


# -- OGC API items ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemsQuery:
    """One items request, checked: what to select, in which order, which page, in which CRS."""

    limit: int
    offset: int
    crs: ApiCrs | None
    #: (min x, min y, max x, max y) in traditional axis order, in ``bbox_crs``.
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: ApiCrs | None = None
    #: (first day, last day) of the interval asked for; ``None`` ends are open.
    datetime: tuple[dt.date | None, dt.date | None] | None = None
    #: (field, accepted values) pairs: a record matches each pair by one of its values.
    filters: tuple[tuple[Field, tuple], ...] = ()
    #: (field, descending) pairs, first key first.
    sortby: tuple[tuple[str, bool], ...] = ()


def crs_param(args: Mapping[str, str], name: str, spec: LayerSpec, offered: Sequence[ApiCrs]) -> ApiCrs | None:
    """The CRS named by parameter ``name`` (CRS84 when absent; ``None`` for a table, which has no geometry)."""
    raw = args.get(name)
    if spec.is_table:
        if raw:
            raise BadRequest(tr(f"集合 {spec.name!r} 是没有几何的属性表，不适用 {name}",
                                f"collection {spec.name!r} is a table without geometry; {name} does not apply"))
        return None
    if raw is None or raw == "":
        return offered[0]
    try:
        return find_crs(raw, offered)
    except ValueError as exc:
        raise BadRequest(tr(f"{name}：不提供坐标系 {raw!r}；可用：{', '.join(c.uri for c in offered)}",
                            f"{name}: {exc}")) from None


def bbox_param(args: Mapping[str, str], crs: ApiCrs | None,
               spec: LayerSpec) -> tuple[float, float, float, float] | None:
    """The ``bbox`` parameter (4 or 6 numbers in ``crs``'s axis order) in traditional order, or ``None``."""
    raw = args.get("bbox")
    if raw is None or raw == "":
        return None
    if spec.is_table:
        raise BadRequest(tr(f"集合 {spec.name!r} 是没有几何的属性表，不适用 bbox",
                            f"collection {spec.name!r} is a table without geometry; bbox does not apply"))
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        raise BadRequest(tr(f"bbox 必须是逗号分隔的 4 个或 6 个数，收到 {raw!r}",
                            f"bbox must be 4 or 6 comma-separated numbers, got {raw!r}")) from None
    if len(values) not in (4, 6):
        raise BadRequest(tr(f"bbox 必须是 4 个数（最小 x,最小 y,最大 x,最大 y）或 6 个数（含高程），"
                            f"收到 {len(values)} 个",
                            f"bbox must be 4 numbers (min x,min y,max x,max y) or 6 with heights, got {len(values)}"))
    box = bbox_traditional(values, crs)
    try:
        if crs.is_lonlat:
            return check_lonlat_bbox(box)
        if not all(math.isfinite(v) for v in box) or box[0] > box[2] or box[1] > box[3]:
            raise ValueError(f"bbox must be finite numbers with each minimum not above its maximum, got {values!r}")
    except ValueError as exc:
        raise BadRequest(tr(f"bbox 无效：{exc}", str(exc))) from None
    return box


def datetime_param(args: Mapping[str, str]) -> tuple[dt.date | None, dt.date | None] | None:
    """``datetime``: one day, or ``start/end`` with ``..`` (or nothing) for an open end; times are read as their day."""
    raw = args.get("datetime")
    if raw is None or raw == "":
        return None
    parts = raw.split("/")
    if len(parts) > 2:
        raise BadRequest(tr(f"datetime 必须是一个日期或 起/止 区间，收到 {raw!r}",
                            f"datetime must be one date or a start/end interval, got {raw!r}"))
    days = [_day(part, raw) for part in parts]
    if len(days) == 1:
        if days[0] is None:
            raise BadRequest(tr(f"datetime 必须给出日期，收到 {raw!r}", f"datetime must name a date, got {raw!r}"))
        return days[0], days[0]
    start, end = days
    if start is not None and end is not None and start > end:
        raise BadRequest(tr(f"datetime 区间的起点晚于终点：{raw!r}",
                            f"datetime interval starts after it ends: {raw!r}"))
    return start, end


def _day(text: str, raw: str) -> dt.date | None:
    text = text.strip()
    if text in ("", ".."):
        return None
    match = _DAY.match(text)
    try:
        return dt.date.fromisoformat(match.group(1)) if match else dt.date.fromisoformat("invalid")
    except ValueError:
        raise BadRequest(tr(f"datetime 必须是 YYYY-MM-DD（可带时间）或以 / 分隔的区间，收到 {raw!r}",
                            f"datetime must be YYYY-MM-DD (a time may follow) or an interval split by /, "
                            f"got {raw!r}")) from None


def typed_value(spec_field: Field, raw: str):
    """``raw`` as a value of ``spec_field``'s kind; :class:`BadRequest` naming the field, value and what is allowed."""
    name, text = spec_field.name, raw.strip()
    try:
        if spec_field.kind == "code":
            if text not in spec_field.allowed_values:
                raise ValueError(", ".join(spec_field.allowed_values))
            return text
        if spec_field.kind == "int":
            return int(text)
        if spec_field.kind == "float":
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
        if spec_field.kind == "bool":
            return _BOOLEANS[text.lower()]
        if spec_field.kind == "date":
            return dt.date.fromisoformat(text)
    except (ValueError, KeyError) as exc:
        allowed = {"code": str(exc), "int": tr("整数", "an integer"), "float": tr("有限的数", "a finite number"),
                   "bool": "true, false, 1, 0", "date": "YYYY-MM-DD"}[spec_field.kind]
        raise BadRequest(tr(f"{name} 的值 {raw!r} 无效；可用：{allowed}",
                            f"{name}: {raw!r} is not allowed; allowed: {allowed}")) from None
    if not text:
        raise BadRequest(tr(f"{name} 需要一个值", f"{name} needs a value"))
    return text


def property_filters(args: MultiDict, spec: LayerSpec, queryables: Sequence[str]) -> tuple[tuple[Field, tuple], ...]:
    """One (field, values) pair per queryable named in the query; 400 for a parameter that is neither
    a queryable nor one of :data:`ITEMS_PARAMETERS`."""
    unknown = [name for name in args if name not in ITEMS_PARAMETERS and name not in queryables]
    if unknown:
        raise BadRequest(tr(
            f"未知参数 {', '.join(map(repr, unknown))}；可用：{', '.join(ITEMS_PARAMETERS)} "
            f"及可查询字段 {', '.join(queryables)}",
            f"unknown parameter {', '.join(map(repr, unknown))}; parameters: {', '.join(ITEMS_PARAMETERS)} "
            f"and the queryables {', '.join(queryables)}"))
    return tuple((spec.field(name), tuple(typed_value(spec.field(name), raw) for raw in args.getlist(name)))
                 for name in queryables if name in args)


def sortby_param(args: Mapping[str, str], queryables: Sequence[str]) -> tuple[tuple[str, bool], ...]:
    """``sortby=+name,-area_m2`` as (field, descending) pairs (``+``, which a URL may turn into a space,
    or nothing: ascending); 400 for a field that is not a queryable or is named twice."""
    raw = args.get("sortby")
    if raw is None or raw == "":
        return ()
    keys = []
    for part in raw.split(","):
        text = part.strip()
        descending = text.startswith("-")
        name = text.lstrip("+-").strip()
        if name not in queryables or name in (key for key, _ in keys):
            raise BadRequest(tr(f"sortby：不能按 {name!r} 排序（每个字段一次）；可用：{', '.join(queryables)}",
                                f"sortby: cannot sort by {name!r} (each field once); fields: {', '.join(queryables)}"))
        keys.append((name, descending))
    return tuple(keys)


def items_query(args: MultiDict, spec: LayerSpec, queryables: Sequence[str], offered: Sequence[ApiCrs]) -> ItemsQuery:
    """Every parameter of one items request, checked (400 naming the first bad one)."""
    filters = property_filters(args, spec, queryables)
    limit, offset = page_params(args, clamp_limit=True)
    bbox_crs = crs_param(args, "bbox-crs", spec, offered)
    return ItemsQuery(limit=limit, offset=offset, crs=crs_param(args, "crs", spec, offered),
                      bbox=bbox_param(args, bbox_crs, spec), bbox_crs=bbox_crs, datetime=datetime_param(args),
                      filters=filters, sortby=sortby_param(args, queryables))
