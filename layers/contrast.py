"""Colour contrast by WCAG 2.x: the text colour of every coloured chip, and the hue family of a colour.

A chip (a label on its category's colour: idle status, inefficiency kind …) must be readable
whatever the palette: WCAG 2.1 SC 1.4.3 asks a contrast of at least 4.5:1 for normal text.
:func:`chip_text_color` picks black or white, whichever contrasts more with the chip's colour;
one of the two always reaches 4.58:1 (√21: their ratios with any colour multiply to 21), so a
chip passes for any colour a palette may hold. Pure functions of ``#rrggbb`` texts.
"""

from __future__ import annotations

import colorsys

#: WCAG 2.1 SC 1.4.3 (AA): the least contrast of normal-size text with its background.
MIN_TEXT_CONTRAST = 4.5
CHIP_DARK_TEXT = "#000000"
CHIP_LIGHT_TEXT = "#ffffff"
#: Hue families (HSL hue in degrees, upper bound exclusive), for telling meanings apart by colour;
#: colours with a saturation under :data:`NEUTRAL_SATURATION` are the ``neutral`` family (greys).
HUE_FAMILIES = (("red", 20.0), ("orange", 42.0), ("yellow", 70.0), ("green", 165.0), ("cyan", 200.0),
                ("blue", 255.0), ("purple", 330.0), ("red", 360.0))
NEUTRAL_SATURATION = 0.12


def _rgb(colour: str) -> tuple[float, float, float]:
    text = colour.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6:
        msg = f"a colour must be #rrggbb or #rgb, got {colour!r}"
        raise ValueError(msg)
    return tuple(int(text[i:i + 2], 16) / 255.0 for i in (0, 2, 4))


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of an sRGB colour (0 black … 1 white)."""
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours, 1 … 21."""
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def chip_text_color(background: str | None) -> str:
    """Black or white, whichever reads better on ``background`` (black for no colour: chips default light)."""
    if not background:
        return CHIP_DARK_TEXT
    dark, light = contrast_ratio(background, CHIP_DARK_TEXT), contrast_ratio(background, CHIP_LIGHT_TEXT)
    return CHIP_DARK_TEXT if dark >= light else CHIP_LIGHT_TEXT


def hue_family(colour: str) -> str:
    """The colour's hue family (:data:`HUE_FAMILIES`), ``neutral`` for greys."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(colour))
    if saturation < NEUTRAL_SATURATION or lightness < 0.08 or lightness > 0.97:
        return "neutral"
    degrees = hue * 360.0
    return next(name for name, upper in HUE_FAMILIES if degrees < upper)


__all__ = ["CHIP_DARK_TEXT", "CHIP_LIGHT_TEXT", "HUE_FAMILIES", "MIN_TEXT_CONTRAST", "chip_text_color",
           "contrast_ratio", "hue_family", "relative_luminance"]
