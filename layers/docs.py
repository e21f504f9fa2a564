"""Render the layer registry as Markdown (``data/LAYERS.md``), so the docs cannot drift.

``python -m layers.docs > data/LAYERS.md`` regenerates the file; a test fails when
the committed file differs from what the registry says.
"""

from __future__ import annotations

from layers.registry import REGISTRY
from layers.schema import Field, LayerSpec


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


#: How a declared form (``Field.form``) reads in the docs.
FORMS = {"gb32100": "a unified social credit code, GB 32100-2015 (else reported and kept)"}


def _allowed(spec_field: Field) -> str:
    if spec_field.kind == "code":
        return ", ".join(f"`{c.value}` {c.label_zh}" for c in spec_field.codes)
    bounds = [FORMS[spec_field.form]] if spec_field.form in FORMS else []
    if spec_field.min_value is not None:
        bounds.append(f"≥ {spec_field.min_value:g}")
    if spec_field.max_value is not None:
        bounds.append(f"≤ {spec_field.max_value:g}")
    return " and ".join(bounds)


def layer_markdown(spec: LayerSpec) -> str:
    geometry = spec.geometry or "none (table)"
    lines = [
        f"## `{spec.name}` {spec.label_zh} — {spec.label_en}",
        "",
        f"Geometry: {geometry}. Id: `{spec.id_field}`. {spec.description}".rstrip(),
        "",
        *([f"An import without `{spec.id_field}` takes the ids from "
           + ", ".join(f"`{name}`" for name in spec.id_from)
           + " when every record has a value there, each once (docs/import.md)."] if spec.id_from else []),
        *([f"Wide yearly columns of an import (`2024年营业收入（万元）`) go to `{spec.yearly_layer}`, one record per "
           "record and year (docs/import.md)."] if spec.yearly_layer else []),
        *[f"A column of an import headed {', '.join(f'`{a}`' for a in link.aliases)} links the `{link.layer}` it "
          f"names: their `{link.field}` is set to the record's id where they have none (docs/import.md)."
          for link in spec.links],
        *([""] if spec.id_from or spec.yearly_layer or spec.links else []),
        spec.description_zh,
        "",
        "| field | 中文 | type | unit | allowed | import aliases |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in spec.fields:
        required = " (required)" if f.required else ""
        lines.append(
            f"| `{f.name}`{required} | {_cell(f.label_zh)} | {f.kind} | {f.unit or ''} | {_cell(_allowed(f))} "
            f"| {_cell(', '.join(f.aliases))} |"
        )
    return "\n".join(lines)


def registry_markdown() -> str:
    header = [
        "# ParkAtlas layers",
        "",
        "Generated from the layer registry (`layers/catalog/`) by `python -m layers.docs > data/LAYERS.md`;",
        "a test keeps it in step. Areas are m², money 万元 unless the name says otherwise, dates are dates.",
        "Only ids are required: real data is incomplete, and analyses say which records they could not judge.",
        "Every layer keeps `first_added`, `last_updated` and `retired_on` (system time: records are retired, never",
        "deleted) and, but the audit trail, `valid_from`/`valid_to` (valid time: when the record was true in the",
        "world; empty = always) — see docs/valid-time.md.",
        "",
    ]
    return "\n".join(header) + "\n" + "\n\n".join(layer_markdown(spec) for spec in REGISTRY.values()) + "\n"


if __name__ == "__main__":
    print(registry_markdown(), end="")
