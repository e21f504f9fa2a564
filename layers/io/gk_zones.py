"""Gauss-Krüger zones of the three Chinese datums and their EPSG codes (DOMAIN-REPORTS.md §2.5).

A 国土 TXT names its CRS in words: a datum (``2000国家大地坐标系``,
``1980西安坐标系``, ``1954北京坐标系``), a zone width (``几度分带=3``) and a zone
number (``带号=40``); whether the eastings carry the zone number in front
(``40 512 345.678``) is read from the coordinates. This module turns those
words into the EPSG code and back:

=========  ===============  ===============  ===============  ===============
datum      3°, prefixed     3°, CM form      6°, prefixed     6°, CM form
=========  ===============  ===============  ===============  ===============
CGCS2000   4488 + n         4509 + n         4478 + n         4489 + n
Xi'an 80   2324 + n         2345 + n         2314 + n         2325 + n
Beijing 54 2376 + n         2397 + n         21400 + n        21440 + n
=========  ===============  ===============  ===============  ===============

with n the zone: 3° zones 25–45 (central meridian 3n°E), 6° zones 13–23 (CM
(6n − 3)°E). The ranges do not overlap, so the zone number alone tells the
width. Every code was checked against PROJ's EPSG database (datum, central
meridian, false easting); ``tests/test_layers_io_gtxt.py`` checks all 192.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A zone-prefixed easting is zone × 10⁶ + 500 000 ± the zone's half-width, so ≥ 10⁷ for every
#: Chinese zone (a test at 3·10⁷ would miss 3° zones 25–29 and every 6° zone).
ZONE_PREFIX_FACTOR = 1_000_000
PREFIXED_EASTING_MIN = 10_000_000
#: Zone numbers of China by width (degrees).
ZONES = {3: range(25, 46), 6: range(13, 24)}


@dataclass(frozen=True)
class Datum:
    """A geodetic datum as 国土 files name it, with the EPSG offsets of its Gauss-Krüger zones.

    ``offsets`` maps (width, prefixed) to the number added to the zone to get the EPSG code.
    """

    key: str
    header_name: str
    label: str
    geographic_epsg: int
    offsets: dict[tuple[int, bool], int]


DATUMS = {d.key: d for d in (
    Datum("cgcs2000", "2000国家大地坐标系", "CGCS2000", 4490,
          {(3, True): 4488, (3, False): 4509, (6, True): 4478, (6, False): 4489}),
    Datum("xian80", "1980西安坐标系", "Xi'an 1980", 4610,
          {(3, True): 2324, (3, False): 2345, (6, True): 2314, (6, False): 2325}),
    Datum("beijing54", "1954北京坐标系", "Beijing 1954", 4214,
          {(3, True): 2376, (3, False): 2397, (6, True): 21400, (6, False): 21440}),
)}


@dataclass(frozen=True)
class GkZone:
    """One Gauss-Krüger zone of one datum, with or without the zone prefix on eastings."""

    datum: Datum
    width: int
    zone: int
    prefixed: bool

    @property
    def epsg(self) -> int:
        return self.datum.offsets[(self.width, self.prefixed)] + self.zone

    @property
    def central_meridian(self) -> int:
        return central_meridian(self.width, self.zone)

    @property
    def false_easting(self) -> float:
        return self.zone * ZONE_PREFIX_FACTOR * self.prefixed + 500_000.0

    def describe(self) -> str:
        form = f"zone {self.zone}, eastings with the zone prefix" if self.prefixed else \
            f"CM {self.central_meridian}°E, eastings without the zone prefix"
        return f"EPSG:{self.epsg} {self.datum.label} {self.width}° Gauss-Krüger {form}"


def central_meridian(width: int, zone: int) -> int:
    """Central meridian (°E) of zone ``zone`` of width ``width``: 3n for 3°, 6n − 3 for 6°."""
    return 3 * zone if width == 3 else 6 * zone - 3


def width_of_zone(zone: int) -> int | None:
    """3 or 6 for a zone number of China (the ranges do not overlap), None for any other number."""
    return next((width for width, zones in ZONES.items() if zone in zones), None)


def check_zone(width: int, zone: int) -> None:
    """``ValueError`` unless ``zone`` is a zone of China of ``width`` degrees."""
    if width not in ZONES:
        msg = f"几度分带 {width!r} is not a zone width; allowed: 3 or 6"
        raise ValueError(msg)
    if zone not in ZONES[width]:
        zones = ZONES[width]
        other = width_of_zone(zone)
        hint = f"; {zone} is a {other}° zone" if other else ""
        msg = f"带号 {zone} is not a {width}° zone of China (allowed: {zones.start}–{zones.stop - 1}){hint}"
        raise ValueError(msg)


def gk_zone(datum_key: str, width: int, zone: int, *, prefixed: bool) -> GkZone:
    """The zone; ``ValueError`` naming what is allowed when width and zone do not fit."""
    check_zone(width, zone)
    return GkZone(DATUMS[datum_key], width, zone, prefixed)


def zone_of_epsg(epsg: int | None) -> GkZone | None:
    """The Gauss-Krüger zone an EPSG code is, or None when it is none of the table's."""
    if epsg is None:
        return None
    for datum in DATUMS.values():
        for (width, prefixed), offset in datum.offsets.items():
            if epsg - offset in ZONES[width]:
                return GkZone(datum, width, epsg - offset, prefixed)
    return None


def allowed_epsg_ranges() -> str:
    """The EPSG ranges of the table, for messages."""
    parts = []
    for datum in DATUMS.values():
        ranges = sorted((offset + ZONES[width].start, offset + ZONES[width].stop - 1)
                        for (width, _), offset in datum.offsets.items())
        ranges = [f"{low}–{high}" for low, high in ranges]
        parts.append(f"{datum.label} EPSG:{', '.join(ranges)}")
    return "; ".join(parts)


#: How header texts name the datums (free text: "2000国家大地坐标系", "80国家大地坐标系", "1980西安坐标系",
#: "北京54", "CGCS2000" …), tested in this order.
_DATUM_WORDS = (("cgcs2000", ("2000", "cgcs")), ("xian80", ("西安", "1980", "80", "xian", "xi'an")),
                ("beijing54", ("北京", "1954", "54", "beijing")))


def datum_from_name(text: str | None) -> Datum | None:
    """The datum a 坐标系 value names, or None when it names none of the three."""
    key = re.sub(r"\s", "", str(text or "")).lower()
    if not key:
        return None
    for datum_key, words in _DATUM_WORDS:
        if any(word in key for word in words):
            return DATUMS[datum_key]
    return None


def number_in(text: str | None) -> int | None:
    """The first whole number in a header value (``"3度带"`` → 3, ``"第40带"`` → 40), or None."""
    found = re.search(r"\d+", str(text or ""))
    return int(found.group()) if found else None


__all__ = ["DATUMS", "PREFIXED_EASTING_MIN", "ZONES", "ZONE_PREFIX_FACTOR", "Datum", "GkZone",
           "allowed_epsg_ranges", "central_meridian", "check_zone", "datum_from_name", "gk_zone", "number_in",
           "width_of_zone", "zone_of_epsg"]
