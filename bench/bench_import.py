"""Import throughput (features/s) for a generated 100,000-parcel GeoPackage and Shapefile.

    .venv/bin/python bench/bench_import.py [--parcels 100000] [--repeat 1]

The data is generated here into a temporary folder (nothing is committed): a
grid of 50 m plots in CGCS2000 3° GK zone 40 with zone-prefixed eastings (EPSG:4528)
and the attributes a land bureau file carries (宗地号, 地块名称, 用地性质 in
GB 50137 codes, 供地方式, 土地价款, 签约日期 in mixed formats). The GeoPackage is
UTF-8; the Shapefile is GBK without a ``.cpg``, as desktop GIS writes them.

For each file it prints the seconds and features/s of

* ``pyogrio.read_dataframe(use_arrow=True)`` — the plain bulk read, the floor;
* the same read, then ``pyogrio.write_arrow`` of the table into a new GeoPackage — what
  an import does with no checks at all (read the file, write the park), the raw
  equivalent the issue's *≥ 0.7× raw pyogrio* compares with;
* ``import_layer(dry_run=True)`` — read, encoding and CRS detection, geometry
  checks, mapping, normalisation (crosswalk, dates), validation, merge, topology;
* ``import_layer`` — the same, plus archiving the original and writing the new park.

``--extra-columns K`` adds K attributes the registry does not know (a zoning class,
FAR as text, a remark, a number, a date …), which an import keeps as they are in
``source_attributes``: the cost of the lossless import.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pyogrio  # noqa: E402
import shapely  # noqa: E402

from layers.io import ImportOptions, import_layer  # noqa: E402

PLOT_M = 50.0
GAP_M = 2.0
X0, Y0 = 40_500_000.0, 3_150_000.0


#: Attributes the registry does not know, cycled for ``--extra-columns`` (name, values of record k).
EXTRA_COLUMNS = (
    ("分區類", lambda k: np.array(["工業區", "住宅區", "保護區"])[k % 3]),
    ("容积率文本", lambda k: np.char.mod("%d", 100 + k % 200)),
    ("备注", lambda k: np.char.add("备注", np.char.mod("%d", k % 50))),
    ("管理单位编号", lambda k: k % 1000),
    ("测量面积", lambda k: np.round(2500.0 + (k % 97) * 0.37, 2)),
)


def parcels(n: int, extra: int = 0) -> gpd.GeoDataFrame:
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x = X0 + (i % side) * (PLOT_M + GAP_M)
    y = Y0 + (i // side) * (PLOT_M + GAP_M)
    rng = np.random.default_rng(20261122)
    dates = np.where(rng.random(n) < 0.5, [f"2021/{m}/{d}" for m, d in zip(1 + i % 12, 1 + i % 28)],
                     [f"{2015 + k % 10}年{1 + k % 12}月{1 + k % 28}日" for k in i])
    columns = {}
    for j in range(extra):
        name, values = EXTRA_COLUMNS[j % len(EXTRA_COLUMNS)]
        columns[name if j < len(EXTRA_COLUMNS) else f"{name}{j}"] = values(i)
    return gpd.GeoDataFrame(
        {
            **columns,
            "宗地号": [f"ZD-{k:07d}" for k in i],
            "地块名称": [f"第{k}号地块" for k in i],
            "用地性质": rng.choice(["M1", "M2", "M3", "W1", "100101"], n),
            "供地方式": rng.choice(["出让", "划拨", "租赁"], n),
            "土地价款": np.round(rng.uniform(50, 5000, n), 2),
            "签约日期": dates,
        },
        geometry=shapely.box(x, y, x + PLOT_M, y + PLOT_M),
        crs=4528,
    )


def raw_copy(source: Path, target: Path, encoding: str | None) -> None:
    """Read ``source`` and write its features into a new GeoPackage with pyogrio's Arrow paths, nothing else."""
    meta, table = pyogrio.read_arrow(source, encoding=encoding)
    pyogrio.write_arrow(table, target, layer="parcels", driver="GPKG", crs=meta["crs"],
                        geometry_type=meta["geometry_type"], geometry_name=meta["geometry_name"] or "geometry",
                        encoding="UTF-8")


def timed(label: str, n: int, fn) -> None:
    """Wall seconds and features/s, and the CPU seconds of this process (steadier on a shared machine)."""
    start, cpu_start = time.perf_counter(), time.process_time()
    fn()
    seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    print(f"  {label:<44} {seconds:8.2f} s {n / seconds:12,.0f} features/s {cpu_s:8.2f} s CPU", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--extra-columns", type=int, default=0,
                        help="attributes the registry does not know (kept as they are by an import)")
    args = parser.parse_args()
    n = args.parcels
    with tempfile.TemporaryDirectory(prefix="parkatlas-bench-import-") as workdir:
        folder = Path(workdir)
        frame = parcels(n, args.extra_columns)
        gpkg = folder / "parcels.gpkg"
        shp = folder / "宗地.shp"
        frame.to_file(gpkg, layer="parcels", engine="pyogrio")
        frame.to_file(shp, engine="pyogrio", encoding="GBK")
        shp.with_suffix(".cpg").unlink(missing_ok=True)
        print(f"{n:,} parcels, {args.extra_columns} extra column(s) (GeoPackage {gpkg.stat().st_size / 1e6:.0f} MB, Shapefile "
              f"{sum(p.stat().st_size for p in folder.glob('宗地.*')) / 1e6:.0f} MB)")
        for source, encoding in ((gpkg, None), (shp, "GBK")):
            print(f"{source.name}:")
            for run in range(args.repeat):
                timed("pyogrio.read_dataframe (Arrow)", n,
                      lambda: pyogrio.read_dataframe(source, use_arrow=True, encoding=encoding))
                timed("pyogrio read + write into a new GeoPackage", n,
                      lambda: raw_copy(source, folder / f"raw_{source.suffix[1:]}_{run}.gpkg", encoding))
                timed("import_layer, dry run", n,
                      lambda: import_layer(source, "parcels", park=folder / f"dry{run}.gpkg",
                                           options=ImportOptions(dry_run=True)))
                park = folder / f"park_{source.suffix[1:]}_{run}.gpkg"
                timed("import_layer into a new park (written)", n,
                      lambda: import_layer(source, "parcels", park=park, options=ImportOptions()))


if __name__ == "__main__":
    main()
