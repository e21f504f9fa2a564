"""国土 TXT (界址点坐标交换格式): reading, importing and exporting speed for a generated file.

    .venv/bin/python bench/bench_gtxt.py [--plots 10000]

The file is generated here into a temporary folder (nothing is committed):
``--plots`` squares of 1 公顷 on a grid in CGCS2000 3° zone 40, each a header
line and five point lines with zone-prefixed eastings, GBK, CRLF — an approval
file of a size far beyond a real one (tens to thousands of plots). Prints the
seconds and plots/s of

* ``read_gtxt`` — ParkAtlas's own parser, rings, CRS and per-plot checks;
* ``import_layer(dry_run=True)`` into a new park — the reader plus everything an import does;
* ``export_layer`` of the imported layer as a 国土 TXT, and the peak memory (ru_maxrss) of the process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layers.io import ImportOptions, import_layer  # noqa: E402
from layers.io.gtxt import read_gtxt  # noqa: E402
from layers.io.write import export_layer  # noqa: E402

HEADER = ("[属性描述]\r\n格式版本号=1.01\r\n数据产生单位=bench\r\n数据产生日期=2025-6-15\r\n坐标系=2000国家大地坐标系\r\n"
          "几度分带=3\r\n投影类型=高斯克吕格\r\n计量单位=米\r\n带号=40\r\n精度=0.001\r\n转换参数=,,,,,,\r\n[地块坐标]\r\n")
N0, E0, SIZE, STEP, PER_ROW = 3_171_000.0, 40_600_000.0, 100.0, 120.0, 250


def generated(plots: int) -> str:
    lines = []
    for i in range(plots):
        n, e = N0 + (i // PER_ROW) * STEP, E0 + (i % PER_ROW) * STEP
        corners = [(n, e), (n, e + SIZE), (n + SIZE, e + SIZE), (n + SIZE, e), (n, e)]
        lines.append(f"5,1.0000,DK-{i},地块{i},面,,工业用地,1001,@")
        lines += [f"J{k % 4 + 1},1,{x:.3f},{y:.3f}" for k, (x, y) in enumerate(corners)]
    return HEADER + "\r\n".join(lines) + "\r\n"


def timed(what: str, count: int, action):
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"{what:<40} {seconds:7.2f} s  {count / seconds:9,.0f} plots/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parkatlas-bench-gtxt-") as folder:
        text = generated(args.plots)
        source = Path(folder) / "approval.txt"
        source.write_bytes(text.encode("gbk"))
        print(f"{args.plots:,} plots, {source.stat().st_size / 1e6:.1f} MB")
        timed("read_gtxt", args.plots, lambda: read_gtxt(text))
        plan = timed("import_layer (dry run, new park)", args.plots,
                     lambda: import_layer(source, "parcels", park=Path(folder) / "new.gpkg",
                                          options=ImportOptions(dry_run=True)))
        assert not plan.report.problems, plan.report.text()
        timed("export_layer as 国土 TXT", args.plots,
              lambda: export_layer(plan.result, plan.spec, Path(folder) / "out.txt"))
        print(f"peak memory (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
