"""Hand-made 国土 TXT files (界址点坐标交换格式) for the reader, writer and round-trip tests.

Plots sit near 121.4°E, 28.65°N, in CGCS2000 3° Gauss-Krüger zone 40 (CM
120°E), the tiny park's zone: northing N0, easting E0 (without the zone
prefix). Areas are whole hectares or simple fractions, computed by hand in the
tests.
"""

from __future__ import annotations

from pathlib import Path

#: Lower-left corner of the sample plots: northing (X) and easting (Y) without the zone prefix.
N0, E0 = 3_171_000.0, 636_000.0
ZONE = 40
PREFIX = ZONE * 1_000_000

STANDARD_HEADER = {
    "格式版本号": "1.01", "数据产生单位": "某某测绘院", "数据产生日期": "2025-6-15",
    "坐标系": "2000国家大地坐标系", "几度分带": "3", "投影类型": "高斯克吕格", "计量单位": "米",
    "带号": "40", "精度": "0.001", "转换参数": ",,,,,,",
}


def square(dn: float, de: float, size: float) -> list[tuple[float, float]]:
    """A square's corners as (northing, easting) offsets, in the order surveys walk them, not closed."""
    return [(dn, de), (dn, de + size), (dn + size, de + size), (dn + size, de)]


def ring_lines(corners: list[tuple[float, float]], ring: int, *, prefix: bool = True, close: bool = True,
               start: int = 1, swap: bool = False) -> list[str]:
    """Point lines 点号,圈号,X,Y for ``corners`` (offsets from N0, E0), closed by repeating the first point."""
    shift = PREFIX if prefix else 0
    points = [(N0 + dn, E0 + de + shift) for dn, de in corners]
    lines = []
    for k, (n, e) in enumerate(points, start=start):
        x, y = (e, n) if swap else (n, e)
        lines.append(f"J{k},{ring},{x:.3f},{y:.3f}")
    if close:
        lines.append(lines[0])
    return lines


def plot(fields: list[str], *rings: list[str]) -> list[str]:
    """A plot: its header line (fields joined, ',@' appended), then its rings' point lines."""
    body = [line for ring in rings for line in ring]
    return [",".join(fields) + ",@", *body]


def gtxt(plots: list[list[str]], *, header: dict[str, str] | None = STANDARD_HEADER,
         before: list[str] = (), after_header: list[str] = ()) -> str:
    """The whole file's text: optional sections before, the [属性描述] keys, [地块坐标], the plots."""
    lines = list(before)
    if header is not None:
        lines += ["[属性描述]", *(f"{k}={v}" for k, v in header.items()), *after_header, "[地块坐标]"]
    for p in plots:
        lines += p
    return "\r\n".join(lines) + "\r\n"


def write(folder: Path, text: str, *, name: str = "报批.txt", encoding: str = "gbk") -> Path:
    """``text`` written as a file (``utf-16-le-nobom`` writes UTF-16 without a byte-order mark)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if encoding == "utf-16-le-nobom":
        path.write_bytes(text.encode("utf-16-le"))
    elif encoding == "utf-8-sig":
        path.write_bytes(text.encode("utf-8-sig"))
    else:
        path.write_bytes(text.encode(encoding))
    return path


def one_hectare(plot_id: str = "DK-1", *, area: str = "1.0000", count: str = "5", name: str = "一号地块",
                dn: float = 0.0, de: float = 0.0, **ring_options) -> list[str]:
    """A 100 m × 100 m plot (1 公顷) with the standard header fields."""
    return plot([count, area, plot_id, name, "面", "", "工业用地", "1001"],
                ring_lines(square(dn, de, 100.0), 1, **ring_options))


def holed_plot(plot_id: str = "DK-2") -> list[str]:
    """A 100 m square with a 20 m square hole (圈号 2): 10 000 − 400 = 9 600 m² = 0.9600 公顷."""
    return plot(["10", "0.9600", plot_id, "带扣除地块", "面", "", "工业用地", "1001"],
                ring_lines(square(200, 0, 100.0), 1), ring_lines(square(240, 40, 20.0), 2))


def two_part_plot(plot_id: str = "DK-3") -> list[str]:
    """Two 50 m squares 100 m apart, numbered 圈号 1 and 2 (some tools number parts like holes): 0.5000 公顷."""
    return plot(["10", "0.5000", plot_id, "两块", "面", "", "", ""],
                ring_lines(square(400, 0, 50.0), 1), ring_lines(square(400, 150, 50.0), 2))
