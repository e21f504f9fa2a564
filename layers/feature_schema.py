"""JSON Schemas of a layer's features, from the registry: what clients type their fields by.

Three documents per collection of the OGC API:

* :func:`queryables` — the fields a client may filter and sort by (OGC API –
  Features Part 3 queryables): one JSON Schema property per field.
* :func:`feature_schema` — the GeoJSON Feature the items are (the collection's
  ``describedBy`` link, what GDAL types its fields by): ``properties.properties``
  holds the same field schemas.
* :func:`returnables` — the feature's properties and geometry, flat (Part 5
  schemas, the ``…/rel/ogc/1.0/schema`` link, what newer QGIS types its fields by).

Each field's type comes from its registry kind: ``str`` → string, ``int`` →
integer, ``float`` → number, ``bool`` → boolean, ``date`` → string of format
``date``, ``code`` → string restricted to its codes (``enum``, and ``oneOf``
entries whose ``title`` is the code's label; ``null`` among them, for an empty value).
``title`` is the label in the asked language; ``title_zh``/``title_en`` carry both, as the collections do. Units go in
``x-ogc-unit`` (Part 5), bounds in ``minimum``/``maximum``, the registry's order in
``x-ogc-propertySeq``.

``type`` is always one string: GDAL and QGIS read nothing else (a ``["string",
"null"]`` list makes them fall back to text). Every field but the id may be
null, which ``nullable: true`` says in the OpenAPI 3.0 way. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from layers.schema import Field, LayerSpec, code_label, field_label

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: JSON types of the registry's field kinds (``format`` added for dates).
KIND_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "date": "string",
              "code": "string"}
#: GeoJSON geometry types a layer's features may carry (multi-part ones are kept when imported so).
GEOMETRY_TYPES = {"Polygon": ("Polygon", "MultiPolygon"), "LineString": ("LineString", "MultiLineString"),
                  "Point": ("Point", "MultiPoint")}


def field_schema(spec_field: Field, *, lang: str, is_id: bool = False, sequence: int | None = None) -> dict:
    """The JSON Schema of one field's values (see the module's docstring)."""
    schema: dict = {"title": field_label(spec_field, lang), "title_zh": spec_field.label_zh,
                    "title_en": spec_field.label_en, "type": KIND_TYPES[spec_field.kind]}
    if sequence is not None:
        schema["x-ogc-propertySeq"] = sequence
    if spec_field.description:
        schema["description"] = spec_field.description
    if spec_field.kind == "date":
        schema["format"] = "date"
    if spec_field.kind == "code":
        schema["enum"] = list(spec_field.allowed_values)
        schema["oneOf"] = [{"const": code.value, "title": code_label(code, lang), "title_zh": code.label_zh,
                            "title_en": code.label_en} for code in spec_field.codes]
        if not is_id:  # an empty value is allowed: OpenAPI 3.0 wants null among the enum of a nullable field
            schema["enum"].append(None)
            schema["oneOf"].append({"const": None, "title": "未填" if lang != "en" else "not given",
                                    "title_zh": "未填", "title_en": "not given"})
    if spec_field.min_value is not None:
        schema["minimum"] = spec_field.min_value
    if spec_field.max_value is not None:
        schema["maximum"] = spec_field.max_value
    if spec_field.unit:
        schema["x-ogc-unit"] = spec_field.unit
    if is_id:
        schema["x-ogc-role"] = "id"
    else:
        schema["nullable"] = True
    return schema


def fields_schemas(spec: LayerSpec, fields: Iterable[str] | None, *, lang: str) -> dict[str, dict]:
    """Field name → schema, for ``fields`` (every field of the layer when ``None``) in the layer's order."""
    wanted = set(spec.field_names if fields is None else fields)
    shown = [item for item in spec.fields if item.name in wanted]
    return {item.name: field_schema(item, lang=lang, is_id=item.name == spec.id_field, sequence=sequence)
            for sequence, item in enumerate(shown, start=1)}


def queryables(spec: LayerSpec, fields: Iterable[str] | None, *, lang: str, url: str) -> dict:
    """The queryables document of ``spec`` (only ``fields`` when given: an anonymous visitor's public ones)."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": url,
        "type": "object",
        "title": spec.label(lang),
        "title_zh": spec.label_zh,
        "title_en": spec.label_en,
        "properties": fields_schemas(spec, fields, lang=lang),
        "additionalProperties": False,
    }


def returnables(spec: LayerSpec, fields: Iterable[str] | None, *, lang: str, url: str) -> dict:
    """The feature's properties and, for a spatial layer, its geometry, flat (Part 5 schema)."""
    doc = queryables(spec, fields, lang=lang, url=url)
    if not spec.is_table:
        kinds = "-or-".join(kind.lower() for kind in GEOMETRY_TYPES[spec.geometry])
        doc["properties"] = {**doc["properties"], "geometry": {
            "x-ogc-role": "primary-geometry", "format": f"geometry-{kinds}",
            "x-ogc-propertySeq": len(doc["properties"]) + 1, "title": "geometry"}}
    doc.pop("additionalProperties")
    return doc


def geometry_schema(spec: LayerSpec) -> dict:
    """The GeoJSON geometry member of the layer's features (``null`` for a table, or a missing geometry)."""
    if spec.is_table:
        return {"type": "null"}
    return {"type": "object", "nullable": True, "x-ogc-role": "primary-geometry",
            "required": ["type", "coordinates"],
            "properties": {"type": {"type": "string", "enum": list(GEOMETRY_TYPES[spec.geometry])},
                           "coordinates": {"type": "array"}}}


def feature_schema(spec: LayerSpec, fields: Iterable[str] | None, *, lang: str, url: str) -> dict:
    """The JSON Schema of one GeoJSON feature of ``spec`` as the items carry it (``describedBy``)."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": url,
        "title": spec.label(lang),
        "title_zh": spec.label_zh,
        "title_en": spec.label_en,
        "description": spec.describe(lang),
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string", "title": spec.field(spec.id_field).label_en},
            "geometry": geometry_schema(spec),
            "properties": {"type": "object", "properties": fields_schemas(spec, fields, lang=lang)},
            "links": {"type": "array"},
        },
    }
