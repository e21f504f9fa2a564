"""Chips readable and meanings told apart: WCAG contrast of every chip colour with its text, hue families.

Every colour a chip may carry — the palettes of the land pages, the change map, the ramps, each
coded value of the registry and the land-use palette — gets its text colour from
``layers.contrast.chip_text_color``; the pair must reach 4.5:1 (WCAG 2.1 AA). The rendered /idle
page is checked too: each chip's inline colours are read back and measured.
"""

from __future__ import annotations

import re

import pytest

from geo.maps_expansion import SUITABILITY_RAMP
from geo.maps_infra import READINESS_RAMP
from geo.maps_land import COMPLIANCE_PALETTE, IDLE_PALETTE, INEFFICIENCY_PALETTE, VACANCY_BANDS
from geo.year_changes import CHANGES
from layers import landuse
from layers.contrast import MIN_TEXT_CONTRAST, chip_text_color, contrast_ratio, hue_family, relative_luminance
from layers.registry import REGISTRY


def palettes() -> dict[str, list[str]]:
    codes = {f"{spec.name}.{declared.name}": [code.color for code in declared.codes if code.color]
             for spec in REGISTRY.values() for declared in spec.fields if declared.codes}
    land_use = {f"land use {standard}": [found.color for found in classes.values()]
                for standard, classes in landuse.CLASSES_BY_STANDARD.items()}
    return {
        "idle": [entry[0] for entry in IDLE_PALETTE.values()],
        "inefficiency": [entry[0] for entry in INEFFICIENCY_PALETTE.values()],
        "compliance": [entry[0] for entry in COMPLIANCE_PALETTE.values()],
        "vacancy": [colour for _, colour, _ in VACANCY_BANDS],
        "changes": [entry[2] for entry in CHANGES.values()],
        "readiness": list(READINESS_RAMP), "suitability": list(SUITABILITY_RAMP),
        **{name: colours for name, colours in codes.items() if colours}, **land_use,
    }


def test_the_wcag_figures_by_hand():
    assert relative_luminance("#ffffff") == pytest.approx(1.0)
    assert relative_luminance("#000000") == 0.0
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    # The chip: #111 on #a50026 is 2.4:1; white on it 8.0:1 (L = 0.0813 → 1.05 / 0.1313).
    assert contrast_ratio("#111111", "#a50026") == pytest.approx(2.36, abs=0.01)
    assert chip_text_color("#a50026") == "#ffffff"
    assert contrast_ratio("#ffffff", "#a50026") == pytest.approx(8.0, abs=0.05)
    assert chip_text_color("#fee08b") == "#000000"
    # Mid grey #777: white 4.48 (fails AA), black 4.69 (passes): the better one is taken.
    assert chip_text_color("#777777") == "#000000"


def test_every_chip_colour_of_every_palette_reaches_4_5_to_1():
    found = palettes()
    assert {"idle", "inefficiency", "parcels.status", "roads.status"} <= set(found)
    low = [(name, colour, round(contrast_ratio(colour, chip_text_color(colour)), 2))
           for name, colours in found.items() for colour in colours
           if contrast_ratio(colour, chip_text_color(colour)) < MIN_TEXT_CONTRAST]
    assert low == []
    assert sum(len(colours) for colours in found.values()) > 150


#: The idle statuses by meaning: the three idle ones share a family (graded severity); every other meaning
#: has a family of its own.
IDLE_MEANINGS = {"idle": ("idle_fee", "idle_reclaim", "stalled_idle"), "overdue": ("overdue",),
                 "on track": ("on_track",), "started": ("started",), "completed": ("completed",),
                 "exempt": ("exempt",), "not supplied": ("not_supplied",)}


def test_each_idle_meaning_has_its_own_hue_family():
    families = {meaning: {hue_family(IDLE_PALETTE[status][0]) for status in statuses}
                for meaning, statuses in IDLE_MEANINGS.items()}
    assert all(len(found) == 1 for found in families.values()), families
    assert families["idle"] == {"red"}
    named = [next(iter(found)) for found in families.values()]
    assert len(set(named)) == len(named), families
    assert set(IDLE_MEANINGS["idle"]) | {s for m, ss in IDLE_MEANINGS.items() if m != "idle" for s in ss} == set(
        IDLE_PALETTE)


def test_under_construction_is_not_read_as_idle_anywhere():
    reds = {"red", "orange"}
    assert hue_family(IDLE_PALETTE["started"][0]) not in reds
    status = {code.value: code.color for code in REGISTRY["parcels"].field("status").codes}
    assert hue_family(status["under_construction"]) not in reds
    assert hue_family(status["under_construction"]) == hue_family(IDLE_PALETTE["started"][0])  # one meaning


def test_the_idle_page_draws_every_chip_readable(tiny_client):
    page = tiny_client.get("/idle?lang=zh").get_data(as_text=True)
    chips = re.findall(r'<span class="tag" style="--swatch: (#[0-9a-fA-F]{6}); color: (#[0-9a-fA-F]{6})">', page)
    assert len(chips) >= len(IDLE_PALETTE) + len(INEFFICIENCY_PALETTE)
    assert all(contrast_ratio(back, text) >= MIN_TEXT_CONTRAST for back, text in chips), chips
    assert '<span class="tag"' not in re.sub(r'<span class="tag" style="--swatch: #[0-9a-fA-F]{6}; color: '
                                             r'#[0-9a-fA-F]{6}">', "", page)  # no chip without its text colour
