"""Attributes taken out of an encoded Mapbox Vector Tile, geometry untouched.

An anonymous visitor of a public layer may see only its public fields, while the
tiles the store keeps carry what the map styles by (a land-use code, a road grade).
Rather than a second tile cache per set of visible fields, a tile is rewritten on
its way out: :func:`without_fields` drops the hidden keys from each layer's key
table, the tags that use them from each feature, and every value no tag uses any
more, so neither the key nor any of its values stays in the bytes. Everything else
— geometries, ids, types, extents, other layers, fields this module does not know —
is copied byte for byte.

The protobuf wire format (Mapbox Vector Tile 2.1): a tile is repeated ``layers = 3``;
a layer has ``name = 1``, repeated ``features = 2``, ``keys = 3``, ``values = 4``,
``extent = 5``, ``version = 15``; a feature has ``id = 1``, packed ``tags = 2`` (key
index, value index pairs), ``type = 3`` and packed ``geometry = 4``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5
_TILE_LAYER = 3
_LAYER_NAME, _LAYER_FEATURE, _LAYER_KEY, _LAYER_VALUE = 1, 2, 3, 4
_FEATURE_TAGS = 2


class TileFormatError(ValueError):
    """The bytes are not a well-formed vector tile."""


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            msg = "vector tile: truncated or overlong varint"
            raise TileFormatError(msg)
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _fields(data: bytes) -> Iterator[tuple[int, int, object, bytes]]:
    """Each field of a message: (number, wire type, value — an int or the bytes of a length-delimited field, raw
    bytes of the whole field as it stands)."""
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _read_varint(data, pos)
        elif wire == _LENGTH:
            size, pos = _read_varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
            if len(value) != size:
                msg = "vector tile: a field runs past the end of its message"
                raise TileFormatError(msg)
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            value, pos = data[pos:pos + size], pos + size
        else:
            msg = f"vector tile: wire type {wire} is not used by the format"
            raise TileFormatError(msg)
        yield number, wire, value, data[start:pos]


def _length_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | _LENGTH) + _varint(len(payload)) + payload


def _packed(payload: bytes) -> list[int]:
    values, pos = [], 0
    while pos < len(payload):
        value, pos = _read_varint(payload, pos)
        values.append(value)
    return values


def _layer_without(layer: bytes, hidden: Collection[str]) -> bytes:
    """One layer message with the keys in ``hidden``, the tags using them and the values left unused taken out."""
    fields = list(_fields(layer))
    keys = [value.decode("utf-8") for number, wire, value, _ in fields if number == _LAYER_KEY and wire == _LENGTH]
    dropped = {index for index, key in enumerate(keys) if key in hidden}
    if not dropped:
        return layer
    key_index = {old: new for new, old in enumerate(i for i in range(len(keys)) if i not in dropped)}
    features = []  # (raw fields of the feature, its kept tag pairs)
    used_values: set[int] = set()
    for number, wire, value, _ in fields:
        if number == _LAYER_FEATURE and wire == _LENGTH:
            parts = list(_fields(value))
            tags = [tag for n, w, payload, _ in parts if n == _FEATURE_TAGS and w == _LENGTH for tag in _packed(payload)]
            pairs = [(tags[i], tags[i + 1]) for i in range(0, len(tags) - 1, 2) if tags[i] not in dropped]
            used_values.update(v for _, v in pairs)
            features.append((parts, pairs))
    value_count = sum(1 for number, wire, _, _ in fields if number == _LAYER_VALUE and wire == _LENGTH)
    value_index = {old: new for new, old in enumerate(i for i in range(value_count) if i in used_values)}
    out, feature_at, key_at, value_at = bytearray(), 0, 0, 0
    for number, wire, _, raw in fields:
        if number == _LAYER_FEATURE and wire == _LENGTH:
            parts, pairs = features[feature_at]
            feature_at += 1
            out += _length_field(_LAYER_FEATURE, _feature_with_tags(parts, pairs, key_index, value_index))
        elif number == _LAYER_KEY and wire == _LENGTH:
            if key_at not in dropped:
                out += raw
            key_at += 1
        elif number == _LAYER_VALUE and wire == _LENGTH:
            if value_at in value_index:
                out += raw
            value_at += 1
        else:
            out += raw
    return bytes(out)


def _feature_with_tags(parts: list, pairs: list[tuple[int, int]], key_index: dict[int, int],
                       value_index: dict[int, int]) -> bytes:
    """A feature's fields as they were, its tags replaced by ``pairs`` renumbered (none: no tags field)."""
    tags = b"".join(_varint(key_index[k]) + _varint(value_index[v]) for k, v in pairs)
    out, placed = bytearray(), False
    for number, wire, _, raw in parts:
        if number == _FEATURE_TAGS and wire == _LENGTH:
            if not placed and tags:
                out += _length_field(_FEATURE_TAGS, tags)
            placed = True
        else:
            out += raw
    return bytes(out)


def layer_name(layer: bytes) -> str | None:
    """The name of one layer message (None when it has none)."""
    for number, wire, value, _ in _fields(layer):
        if number == _LAYER_NAME and wire == _LENGTH:
            return value.decode("utf-8")
    return None


def without_fields(tile: bytes, hidden: Mapping[str, Collection[str]]) -> bytes:
    """``tile`` with the attributes ``hidden[layer]`` taken out of each layer named there (keys, tags and the values
    only they used); layers not named, and tiles where no hidden key occurs, come back unchanged.

    :class:`TileFormatError` for bytes that are not a vector tile.
    """
    if not tile or not any(hidden.values()):
        return tile
    out, changed = bytearray(), False
    for number, wire, value, raw in _fields(tile):
        name = layer_name(value) if number == _TILE_LAYER and wire == _LENGTH else None
        layer = _layer_without(value, hidden[name]) if name is not None and hidden.get(name) else value
        if layer is value:
            out += raw
        else:
            out += _length_field(_TILE_LAYER, layer)
            changed = True
    return bytes(out) if changed else tile


__all__ = ["TileFormatError", "layer_name", "without_fields"]
