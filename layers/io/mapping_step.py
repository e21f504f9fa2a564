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
from layers.registry import get_layer
from layers.schema import SOURCE_ATTRIBUTES, LayerSpec, field_label

KEEP = "__keep__"
IGNORE = "__ignore__"
#: A wide yearly column (``2024年营业收入（万元）``) goes to the layer's yearly table (:mod:`layers.io.wide_years`).
YEARLY = "__yearly__"
#: A column naming records of another layer (an enterprise list's 所在地块) is kept and links them
#: (:mod:`layers.io.links`).
LINK = "__link__"
#: The id choice that generates ids (``layers.io.messy.GENERATE_IDS``).
GENERATE = "AUTO"
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
    if spec.yearly_layer is not None:
        table = get_layer(spec.yearly_layer)
        choices.append((YEARLY, f"移入{table.label_zh}（按表头的年份）" if lang == "zh"
                        else f"to {table.label_en.lower()} (by the header's year)"))
    for link in spec.links[:1]:  # (a posted link column links the layer's first link)
        linked = get_layer(link.layer)
        choices.append((LINK, f"原样保留并关联{linked.label_zh}（按其中的编号）" if lang == "zh"
                        else f"keep, and link the {linked.label_en.lower()} it names (by their ids)"))
    # The label alone in the list (the code is the option's value and its hover text: the template's title).
    return choices + [(f.name, field_label(f, lang)) for f in spec.fields
                      if f.name not in (SOURCE_ATTRIBUTES, "first_added", "last_updated", "retired_on")]


def _edits_values(spec: LayerSpec, target: str) -> bool:
    return target in spec.field_names and (bool(spec.field(target).codes) or target == "land_use")


def mapping_rows(report: ImportReport, spec: LayerSpec, current: FieldMapping, crosswalks: list[Crosswalk], *,
                 lang: str = "zh", min_share: float) -> dict:
    """The mapping step of a preview: ``{"rows": […], "targets": [(value, label)], "standards": […]}``."""
    profiles = {p.source: p for p in report.profiles}
    explicit = set(current.fields) | set(current.keep) | set(current.links)
    taken = set(report.mapping.values())
    rows = []
    for index, outcome in enumerate(report.fields):
        profile = profiles.get(outcome.source)
        row = {"index": index, "source": outcome.source, "did": outcome.text(lang), "outcome": outcome.outcome,
               "fixed": outcome.outcome in FIXED or outcome.outcome == "unreadable",
               "samples": [v for v, _ in profile.top[:SAMPLES]] if profile else [],
               "distinct": profile.distinct if profile else 0, "suggestion": None, "values": None, "std": None}
        choice = {"mapped": outcome.target, "kept": LINK if outcome.target else KEEP, "ignored": IGNORE,
                  "yearly": YEARLY}.get(outcome.outcome, KEEP)
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
            "standards": list(landuse.READ_STANDARDS), "ids": id_choice(report, spec, lang=lang)}


def id_choice(report: ImportReport, spec: LayerSpec, *, lang: str = "zh") -> dict | None:
    """Where the records' ids come from, as the mapping step offers to change it (posted as ``id_field``): for a
    layer whose ids a field may stand for (``LayerSpec.id_from``), once the preview took or was told one. The
    options are the source fields that could be the id (a value on every record, each once) and generating
    them; None when there is nothing to choose."""
    ids = report.choices.get("id_field")
    if not ids or "chosen" not in ids:
        return None
    zh = lang == "zh"
    label = field_label(spec.field(spec.id_field), lang)
    chosen = ids["chosen"].upper() if ids["chosen"].upper() == GENERATE else ids["chosen"]
    names = list(dict.fromkeys([*ids["candidates"], *([] if chosen == GENERATE else [chosen])]))
    options = [(name, f"取自字段“{name}”" if zh else f"from the field '{name}'") for name in names]
    options.append((GENERATE, "自动生成编号" if zh else "generate ids"))
    if ids.get("default"):
        why = (f"默认：源数据没有{label}，“{ids['source']}”每条记录都有值且各不相同" if zh
               else f"by default: the source has no {label.lower()}; '{ids['source']}' holds a value on every record, "
                    "each once")
    else:
        why = "按所选" if zh else "as chosen"
    return {"field": spec.id_field, "label": f"{label}取自" if zh else f"{label} from", "chosen": chosen,
            "options": options, "why": why}


def posted_mapping(form: Mapping[str, str], spec: LayerSpec, source_fields: list[str],
                   base: FieldMapping) -> FieldMapping:
    """The mapping a posted mapping step says, on top of ``base`` (its units, include, CRS … are kept).

    The form has ``field-<i>`` (a field of the layer, ``__keep__`` or ``__ignore__``)
    for the i-th source field, ``vsrc-<i>-<j>``/``vdst-<i>-<j>`` value pairs and
    ``std-<i>`` (the classification of land-use values).
    """
    fields: dict[str, str | None] = {}
    keep: list[str] = []
    links: list[str] = []
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
        if choice == YEARLY:  # the header says the year and the figure: matched as the import reads it
            continue
        if choice == LINK and spec.links:
            links.append(source)
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
            if std not in landuse.READ_STANDARDS:
                raise MappingFormError(f"未知的用地分类标准 {std!r}；可选：{'、'.join(landuse.READ_STANDARDS)}",
                                       f"unknown land-use classification {std!r}; allowed: "
                                       f"{', '.join(landuse.READ_STANDARDS)}")
            defaults["land_use_std"] = std
    return FieldMapping(fields, tuple(keep), values, defaults, dict(base.units), dict(base.include),
                        base.source_layer, base.crs, base.encoding, links=tuple(links))


__all__ = ["GENERATE", "IGNORE", "KEEP", "LINK", "YEARLY", "MappingFormError", "id_choice", "mapping_rows", "posted_mapping"]
