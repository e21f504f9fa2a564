"""Declarative types for the layer registry.

A layer is declared once, as a :class:`LayerSpec`; the loader, the validator, the
API, the map legend and the docs all read the same declaration. Nothing here
touches files or computes indicators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

FieldKind = Literal["str", "int", "float", "bool", "date", "code"]
GeometryKind = Literal["Polygon", "LineString", "Point"]

#: Fields every layer and table carries: history is never lost, records are
#: retired instead of deleted (the UK brownfield register's discipline). They are
#: *system time*: when the register learnt, last changed and retired a record.
HISTORY_FIELD_NAMES = ("first_added", "last_updated", "retired_on")
#: *Valid time*, beside system time on every layer but the audit trail: when the record
#: was true in the world (docs/valid-time.md). Empty means unknown, i.e. always.
VALID_TIME_FIELD_NAMES = ("valid_from", "valid_to")


@dataclass(frozen=True)
class Code:
    """One allowed value of a coded field, with its labels and map colour."""

    value: str
    label_zh: str
    label_en: str
    color: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Field:
    """One attribute of a layer.

    Parameters
    ----------
    name
        Canonical English field name (units in the name: ``area_m2``).
    kind
        Storage type; ``code`` is a string restricted to ``codes``.
    label_zh, label_en
        Labels for forms, tables, popups and exports.
    unit
        Unit of measure for display, e.g. ``m²``, ``万元``.
    required
        Whether a record without a value is rejected. Only ids are required:
        real data is incomplete and analyses report what they cannot judge.
    codes
        Allowed values of a ``code`` field.
    aliases
        Source field names that map to this field on import (Chinese and
        English; matched case- and width-insensitively).
    min_value, max_value
        Inclusive numeric bounds, where the quantity has natural ones.
    form
        A form the text must have, checked on validation; a value not in it is
        reported and kept (``gb32100``: a unified social credit code,
        :mod:`layers.credit_code`).
    """

    name: str
    kind: FieldKind
    label_zh: str
    label_en: str
    unit: str | None = None
    required: bool = False
    codes: tuple[Code, ...] = ()
    aliases: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    description: str = ""
    form: str | None = None

    @property
    def allowed_values(self) -> tuple[str, ...]:
        """The code values a ``code`` field accepts (empty for other kinds)."""
        return tuple(code.value for code in self.codes)

    def code(self, value: str) -> Code | None:
        """The declared :class:`Code` for ``value``, or ``None``."""
        for code in self.codes:
            if code.value == value:
                return code
        return None


@dataclass(frozen=True)
class Style:
    """How a layer is drawn: one colour, or categories of a coded field.

    Colours of categorical styles come from the field's :class:`Code` entries,
    so the legend and the map can never disagree.
    """

    color: str = "#555555"
    fill_opacity: float = 0.6
    weight: float = 1.0
    by_field: str | None = None
    radius_px: float = 6.0


@dataclass(frozen=True)
class Link:
    """A column of this layer's import that names records of another layer, which then point back at the record.

    An enterprise list's 所在地块 names the parcels the enterprise holds: importing the list sets
    ``parcels.enterprise_id`` of those parcels to the enterprise's id (:mod:`layers.io.links`), never over a
    link the other layer holds already.
    """

    #: The layer whose records the column names (by their ids).
    layer: str
    #: Its field that is set to the imported record's id.
    field: str
    #: Headers of the column (matched as field aliases are: case- and width-insensitively).
    aliases: tuple[str, ...]
    #: ``(this layer's name field, the other layer's field naming its holder)``: where the list has no such column,
    #: records of the other layer whose holder is written as a list record's name are linked to it by the same rules
    #: (an enterprise list and a cadastral register's 土地使用权人: ``("name", "land_user")``).
    by_name: tuple[str, str] | None = None


@dataclass(frozen=True)
class LayerSpec:
    """The declaration of one layer or attribute table."""

    name: str
    label_zh: str
    label_en: str
    geometry: GeometryKind | None
    id_field: str
    fields: tuple[Field, ...]
    style: Style = field(default_factory=Style)
    description: str = ""
    #: The description in Chinese (``description`` is the English one): what the API pages and docs say of it.
    description_zh: str = ""
    popup_fields: tuple[str, ...] = ()
    #: Multi-part geometries on import: "keep" them as one record, or "explode" them
    #: into one record per part (ids suffixed -1, -2 …).
    multipart: Literal["keep", "explode"] = "keep"
    #: Fields whose values stand for the id when a source has no column for it, if they are on every record and
    #: each once (an enterprise list without 企业编号: its 统一社会信用代码); the import says so, and may be told
    #: otherwise (``--id-field``, the preview's choice).
    id_from: tuple[str, ...] = ()
    #: The table of one record per record of this layer and year (``enterprise_years`` for ``enterprises``):
    #: an import's wide yearly columns (``2024年营业收入（万元）``) go there (:mod:`layers.io.wide_years`).
    #: It declares this layer's id field and ``year``.
    yearly_layer: str | None = None
    #: Columns of an import that link records of another layer to the imported ones (:class:`Link`).
    links: tuple[Link, ...] = ()

    @property
    def is_table(self) -> bool:
        """True for attribute tables without geometry (units, leases, …)."""
        return self.geometry is None

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        # Made once: validation asks it per column of a record (~40² names an edit, twice).
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        """The field called ``name``; ``KeyError`` naming the layer otherwise."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        msg = f"layer {self.name!r} has no field {name!r}; fields: {', '.join(self.field_names)}"
        raise KeyError(msg)

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh

    def describe(self, lang: str) -> str:
        """The layer's description in ``lang`` (``zh`` default, ``en``)."""
        return self.description if lang == "en" else self.description_zh


def field_label(spec_field: Field, lang: str) -> str:
    """The field's label in ``lang`` (``zh`` default, ``en``)."""
    return spec_field.label_en if lang == "en" else spec_field.label_zh


def code_label(code: Code, lang: str) -> str:
    return code.label_en if lang == "en" else code.label_zh


#: The field holding a record's source attributes that no registry field takes (layers.source_attributes).
SOURCE_ATTRIBUTES = "source_attributes"


def source_attributes_field() -> Field:
    """The field every importable layer carries for the source attributes kept as they came."""
    return Field(SOURCE_ATTRIBUTES, "str", "源数据属性", "Source attributes",
                 description="Source fields no registry field takes, kept with their original names and types "
                             '(JSON: {"types": {name: type}, "values": {name: value}}); exports spread them into '
                             "columns of their own names.")


def valid_time_fields() -> tuple[Field, ...]:
    """When a record was true in the world: from ``valid_from`` up to, not including, ``valid_to``."""
    return (
        Field("valid_from", "date", "生效日期", "Valid from", aliases=("生效日期", "有效起始日期")),
        Field("valid_to", "date", "失效日期", "No longer true from", aliases=("失效日期",),
              description="The first day the record is no longer true (it was true up to the day before)."),
    )


def history_fields(*, valid_time: bool = True) -> tuple[Field, ...]:
    """The record-history fields appended to every layer declaration: valid time (unless
    ``valid_time=False``, for the audit trail itself), then system time."""
    return (
        *(valid_time_fields() if valid_time else ()),
        Field("first_added", "date", "首次录入", "First added"),
        Field("last_updated", "date", "最后更新", "Last updated"),
        Field("retired_on", "date", "注销日期", "Retired on",
              description="Set instead of deleting; retired records stay in history."),
    )
