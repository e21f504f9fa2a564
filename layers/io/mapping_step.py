"""The preview's mapping step, as data: one row per source field, and the mapping a posted form says.

:func:`mapping_rows` turns a preview's report (its per-field outcomes and value
profiles) and the mapping it was made with into what the step shows: per
source field its values, what the preview did with it, the choice to post
(a registry field of the layer, "keep as is" or "ignore"), prefilled with the
current mapping, else a value-based suggestion (:mod:`layers.io.suggest`),
else the automatic matching; and for a field mapped onto a coded field (or
``land_use``) a value crosswalk to edit. :func:`posted_mapping` reads the form
back into a :class:`~layers.io.mapping.FieldMapping` — the format of a
``--mapping`` file — refusing choices that are not the layer's.
"""

from __future__ import annotations

from collections.abc import Mapping

from layers import landuse
from layers.io.mapping import FieldMapping
from layers.io.report import ImportReport
from layers.io.suggest import Crosswalk, suggest, value_suggestions
from layers.schema import SOURCE_ATTRIBUTES, LayerSpec, field_label

KEEP = "__keep__"
IGNORE = "__ignore__"
#: Outcomes of fields the step cannot change (the geometry columns, an export's types column).
FIXED = ("geometry", "types")
#: Sample values shown per source field.
SAMPLES = 3


class MappingFormError(ValueError):
    """A posted mapping that cannot be used; ``texts`` says why in Chinese and English."""

    def __init__(self, zh: str, en: str):
        self.texts = (zh, en)
        super().__init__(en)


def _targets(spec: LayerSpec, lang: str) -> list[tuple[str, str]]:
    choices = [(KEEP, "原样保留" if lang == "zh" else "keep as is"), (IGNORE, "忽略" if lang == "zh" else "ignore")]
    # The label alone in the list (the code is the option's value and its hover text: the template's title).
    return choices + [(f.name, field_label(f, lang)) for f in spec.fields
                      if f.name not in (SOURCE_ATTRIBUTES, "first_added", "last_updated", "retired_on")]


def _edits_values(spec: LayerSpec, target: str) -> bool:
    return target in spec.field_names and (bool(spec.field(target).codes) or target == "land_use")


def mapping_rows(report: ImportReport, spec: LayerSpec, current: FieldMapping, crosswalks: list[Crosswalk], *,
                 lang: str = "zh", min_share: float) -> dict:
    """The mapping step of a preview: ``{"rows": […], "targets": [(value, label)], "standards": […]}``."""
    profiles = {p.source: p for p in report.profiles}
    explicit = set(current.fields) | set(current.keep)
    taken = set(report.mapping.values())
    rows = []
    for index, outcome in enumerate(report.fields):
        profile = profiles.get(outcome.source)
        row = {"index": index, "source": outcome.source, "did": outcome.text(lang), "outcome": outcome.outcome,
               "fixed": outcome.outcome in FIXED or outcome.outcome == "unreadable",
               "samples": [v for v, _ in profile.top[:SAMPLES]] if profile else [],
               "distinct": profile.distinct if profile else 0, "suggestion": None, "values": None, "std": None}
        choice = {"mapped": outcome.target, "kept": KEEP, "ignored": IGNORE}.get(outcome.outcome, KEEP)
        found = None
        if outcome.outcome == "kept" and outcome.source not in explicit and profile is not None:
            found = suggest(profile, spec, crosswalks, min_share=min_share, taken=taken)
        if found is not None:
            choice = found.target
            taken.add(found.target)
            row["suggestion"] = found.why[0 if lang == "zh" else 1]
        row["choice"] = choice
        if not row["fixed"] and profile is not None and _edits_values(spec, choice):
            values = [v for v, _ in profile.top]
            proposed = value_suggestions(values, spec.field(choice), crosswalks)
            if found is not None:
                proposed.update(found.values)
            chosen = current.values.get(choice, {})
            row["values"] = [{"source": v, "count": c, "target": chosen.get(v, proposed.get(v, ""))}
                             for v, c in profile.top]
            row["complete"] = profile.complete
            if choice == "land_use":
                std = current.defaults.get("land_use_std") or (found.defaults.get("land_use_std") if found else None)
                row["std"] = std or ""
        rows.append(row)
    targets = _targets(spec, lang)
    return {"rows": rows, "targets": targets, "target_labels": dict(targets),
            "standards": list(landuse.LAND_USE_STANDARDS)}


def posted_mapping(form: Mapping[str, str], spec: LayerSpec, source_fields: list[str],
                   base: FieldMapping) -> FieldMapping:
    """The mapping a posted mapping step says, on top of ``base`` (its units, include, CRS … are kept).

    The form has ``field-<i>`` (a field of the layer, ``__keep__`` or ``__ignore__``)
    for the i-th source field, ``vsrc-<i>-<j>``/``vdst-<i>-<j>`` value pairs and
    ``std-<i>`` (the classification of land-use values).
    """
    fields: dict[str, str | None] = {}
    keep: list[str] = []
    values: dict[str, dict[str, object]] = {}
    defaults = dict(base.defaults)
    targets: dict[str, str] = {}
    for index, source in enumerate(source_fields):
        choice = form.get(f"field-{index}")
        if choice is None:
            continue
        if choice == KEEP:
            keep.append(source)
            continue
        if choice == IGNORE:
            fields[source] = None
            continue
        if choice not in spec.field_names or choice == SOURCE_ATTRIBUTES:
            raise MappingFormError(f"源字段“{source}”：图层 {spec.name} 没有字段 {choice!r}",
                                   f"source field {source!r}: layer {spec.name!r} has no field {choice!r}")
        if choice in targets:
            raise MappingFormError(f"源字段“{targets[choice]}”和“{source}”都对应到 {choice}；一个字段只能对应一个源字段",
                                   f"source fields {targets[choice]!r} and {source!r} both map to {choice}; a field "
                                   "takes one source field")
        targets[choice] = source
        fields[source] = choice
        pairs = {}
        j = 0
        while f"vsrc-{index}-{j}" in form:
            target_value = (form.get(f"vdst-{index}-{j}") or "").strip()
            if target_value:
                pairs[form[f"vsrc-{index}-{j}"]] = target_value
            j += 1
        if pairs:
            values[choice] = pairs
        std = (form.get(f"std-{index}") or "").strip()
        if choice == "land_use" and std:
            if std not in landuse.LAND_USE_STANDARDS:
                raise MappingFormError(f"未知的用地分类标准 {std!r}；可选：{'、'.join(landuse.LAND_USE_STANDARDS)}",
                                       f"unknown land-use classification {std!r}; allowed: "
                                       f"{', '.join(landuse.LAND_USE_STANDARDS)}")
            defaults["land_use_std"] = std
    return FieldMapping(fields, tuple(keep), values, defaults, dict(base.units), dict(base.include),
                        base.source_layer, base.crs, base.encoding)


__all__ = ["IGNORE", "KEEP", "MappingFormError", "mapping_rows", "posted_mapping"]
