"""JSON from untrusted clients, parsed within limits: nesting depth, GeoJSON vertices and features.

Pure: bytes in, Python values out; nothing is read or written. The limits are
checked before or while the document is built, never after:

* **depth** — the nesting of arrays and objects is measured on the raw bytes
  first (strings blanked by one regular expression, then a NumPy running sum of
  the brackets), so a 100 000-deep ``[[[[…`` is refused in milliseconds instead
  of overflowing the recursion of :func:`json.loads` (a ``RecursionError``, not a
  ``ValueError``, which callers did not expect);
* **vertices and features** — counted by an ``object_hook`` as each GeoJSON
  object is completed, so the parse stops at the first geometry that takes the
  total over the limit, before shapely builds anything from it.

How much memory a parse may take is bounded by the size of the text, which the
caller caps (``json.loads`` needs at most about 25 bytes per byte of text:
measured 100 MB for 4 MB of ``[{},{},…]``, the worst shape found).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

#: A JSON string: quote, runs of ordinary characters or escapes, quote (possessive: no backtracking).
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
#: Nesting of ``coordinates`` per GeoJSON geometry type: how many array levels lie above a position.
_POSITION_LEVELS = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
                    "MultiPolygon": 3}


@dataclass(frozen=True)
class JsonLimits:
    """What one JSON document may hold; ``None`` leaves a count unlimited."""

    max_depth: int
    max_vertices: int | None = None
    max_features: int | None = None


class JsonLimitError(ValueError):
    """A document over one of its limits: which one (``depth``, ``vertices``, ``features``), the limit, the count seen.

    ``seen`` is exact for depth; for vertices and features it is the count when
    parsing stopped, which is at least the limit plus one.
    """

    def __init__(self, limit_name: str, limit: int, seen: int):
        self.limit_name, self.limit, self.seen = limit_name, limit, seen
        super().__init__(f"the JSON document has {seen} {limit_name if limit_name != 'depth' else 'levels of nesting'}; "
                         f"at most {limit} are accepted")


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text (0 for a scalar), without parsing it.

    Brackets inside strings do not count. Text that is not JSON gets a number too
    (an unterminated string counts its brackets); the parser refuses it afterwards.
    """
    bare = np.frombuffer(_STRING.sub(b'""', data), dtype=np.uint8)
    opens = (bare == ord("[")) | (bare == ord("{"))
    brackets = np.flatnonzero(opens | (bare == ord("]")) | (bare == ord("}")))
    if not len(brackets):
        return 0
    steps = np.where(opens[brackets], 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def count_positions(coordinates, geometry_type: str) -> int:
    """The number of positions (vertices) in a GeoJSON ``coordinates`` value of ``geometry_type``.

    Malformed values count what is there (the geometry reader refuses them later).
    """
    levels = _POSITION_LEVELS.get(geometry_type)
    if levels is None or not isinstance(coordinates, list):
        return 0
    items = [coordinates]
    for _ in range(levels):
        items = [part for item in items if isinstance(item, list) for part in item]
    return sum(1 for item in items if isinstance(item, list))


class _GeoJsonCounter:
    """An ``object_hook`` that counts GeoJSON vertices and features and stops the parse over a limit."""

    def __init__(self, limits: JsonLimits):
        self.limits = limits
        self.vertices = 0
        self.features = 0

    def __call__(self, obj: dict) -> dict:
        kind = obj.get("type")
        if kind == "Feature":
            self.features += 1
            if self.limits.max_features is not None and self.features > self.limits.max_features:
                raise JsonLimitError("features", self.limits.max_features, self.features)
        elif isinstance(kind, str) and "coordinates" in obj:
            self.vertices += count_positions(obj["coordinates"], kind)
            if self.limits.max_vertices is not None and self.vertices > self.limits.max_vertices:
                raise JsonLimitError("vertices", self.limits.max_vertices, self.vertices)
        return obj


def parse_json(data: bytes | str, limits: JsonLimits):
    """The value of JSON text ``data`` within ``limits``.

    Raises
    ------
    JsonLimitError
        Nesting deeper than ``limits.max_depth``, or more GeoJSON vertices or
        features than allowed (a ``ValueError``).
    ValueError
        Text that is not JSON (``json.JSONDecodeError``, or undecodable bytes).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    depth = nesting_depth(raw)
    if depth > limits.max_depth:
        raise JsonLimitError("depth", limits.max_depth, depth)
    if limits.max_vertices is None and limits.max_features is None:
        return json.loads(raw)
    return json.loads(raw, object_hook=_GeoJsonCounter(limits))


__all__ = ["JsonLimitError", "JsonLimits", "count_positions", "nesting_depth", "parse_json"]
