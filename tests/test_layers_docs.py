"""The committed layer documentation matches the registry."""

from pathlib import Path

from layers.docs import registry_markdown
from layers.registry import REGISTRY

LAYERS_MD = Path(__file__).resolve().parents[1] / "data" / "LAYERS.md"


def test_layers_md_is_generated_from_the_registry():
    assert LAYERS_MD.read_text(encoding="utf-8") == registry_markdown(), (
        "data/LAYERS.md is stale: run `python -m layers.docs > data/LAYERS.md`"
    )


def test_every_layer_and_field_is_documented():
    text = LAYERS_MD.read_text(encoding="utf-8")
    for spec in REGISTRY.values():
        assert f"## `{spec.name}`" in text
        for field in spec.fields:
            assert f"| `{field.name}`" in text
