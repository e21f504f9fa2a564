"""Boundary-point tables (界址点坐标表, layers/io/vertex_table.py): one row per boundary point in a spreadsheet or CSV,
imported as one polygon per plot, nothing lost, said in English and Chinese."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from layers.import_text import chinese
from layers.io.tables import Table
from layers.io.vertex_table import is_vertex_table, vertex_plots
from layers.registry import get_layer
from layers.store import GeoPackageStore

PARCELS = get_layer("parcels")
N0, E0 = 3_378_000.0, 502_000.0  # a northing and an easting of CGCS2000 3° GK CM 114°E (Wuhan), no zone prefix


@pytest.fixture
def run(tiny_app):
    runner = tiny_app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(a) for a in args])


def _workbook(path):
    """A surveyor's sheet: a merged title, 地块编号 only on each plot's first row (merged cells), X = north."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "界址点坐标表"
    sheet.append(["某工业园区地块界址点坐标成果表"])
    sheet.merge_cells("A1:E1")
    sheet.append(["地块编号", "点号", "X坐标", "Y坐标", "用地性质"])
    # WH-001: 200 m east–west × 150 m north–south, closed by repeating J1 (rows 3–7).
    for i, (n, e) in enumerate([(N0, E0), (N0, E0 + 200), (N0 + 150, E0 + 200), (N0 + 150, E0), (N0, E0)]):
        sheet.append(["WH-001" if i == 0 else None, f"J{i % 4 + 1}", n, e, "M1" if i == 0 else None])
    # WH-002: 100 × 100, not closed (rows 8–11).
    for i, (n, e) in enumerate([(N0, E0 + 300), (N0, E0 + 400), (N0 + 100, E0 + 400), (N0 + 100, E0 + 300)]):
        sheet.append(["WH-002" if i == 0 else None, f"J{i + 1}", n, e, "M1" if i == 0 else None])
    # WH-003: a Y that is not a number on row 13 (rows 12–15).
    for i, (n, e) in enumerate([(N0 + 300, E0), (N0 + 300, "abc"), (N0 + 400, E0 + 100), (N0 + 400, E0)]):
        sheet.append(["WH-003" if i == 0 else None, f"J{i + 1}", n, e, None])
    book.save(path)
    return path


def test_a_surveyors_sheet_becomes_one_parcel_per_plot(tmp_path, run):
    park = tmp_path / "wuhan.gpkg"
    result = run("import", "parcels", _workbook(tmp_path / "界址点.xlsx"), "--park", park, "--park-name", "武汉",
                 "--crs", "EPSG:4547", "--accept-damaged")
    assert result.exit_code == 0, result.output
    assert ("boundary-point table: 13 rows made into 3 plot(s), one per 地块编号; points in the order of the rows, "
            "coordinates from X坐标/Y坐标") in result.output
    assert "地块编号 blank on 10 row(s) (merged cells): each taken from the row above" in result.output
    assert "damaged, left out: plot WH-003 (rows 12–15): row 13, Y坐标: 'abc' is not a number" in result.output
    assert ("plot WH-002 (row 8): ring 圈号 1 is not closed (last point J4, row 11, is not the first point J1); "
            "closed") in result.output
    parcels = GeoPackageStore(park).load("parcels").set_index("parcel_id")
    assert sorted(parcels.index) == ["WH-001", "WH-002"]
    # X is the northing: the plots lie east–west as drawn, at the easting and northing written.
    assert parcels.geometry["WH-001"].area == pytest.approx(200 * 150, abs=1e-6)
    assert parcels.geometry["WH-001"].bounds == pytest.approx((E0, N0, E0 + 200, N0 + 150), abs=1e-6)
    assert parcels.geometry["WH-002"].area == pytest.approx(100 * 100, abs=1e-6)
    assert parcels.loc["WH-001", "land_use_original"] == "M1"
    # The point numbers vary along a plot: kept, in order, on the plot (nothing lost).
    points = parcels.loc["WH-001", "source_attributes"]
    assert "J1；J2；J3；J4；J1" in str(points)


def _table(rows: list[list], header: list[str]) -> Table:
    return Table(pd.DataFrame(rows, columns=header, dtype=object))


def test_a_ring_numbered_hole_is_cut_out():
    square = [(0, 0), (0, 100), (100, 100), (100, 0), (0, 0)]
    hole = [(40, 40), (40, 60), (60, 60), (60, 40), (40, 40)]
    rows = [["A", f"J{i}", "1", N0 + n, E0 + e] for i, (n, e) in enumerate(square)]
    rows += [["A", f"K{i}", "2", N0 + n, E0 + e] for i, (n, e) in enumerate(hole)]
    plots = vertex_plots(_table(rows, ["地块编号", "点号", "圈号", "X", "Y"]), PARCELS)
    assert plots.damaged == {}
    assert plots.frame.geometry.iloc[0].area == pytest.approx(100 * 100 - 20 * 20, abs=1e-6)
    assert plots.frame["圈号"].iloc[0] == "1；1；1；1；1；2；2；2；2；2"


@pytest.mark.parametrize(("rows_per_plot", "read_as_plots"), [(3, True), (2, False)])
def test_a_plot_id_without_point_numbers_needs_three_rows_a_plot(rows_per_plot, read_as_plots):
    corners = [(0, 0), (0, 100), (100, 100)][:rows_per_plot]
    rows = [[plot, N0 + n, E0 + e] for plot in ("A", "B") for n, e in corners]
    frame = pd.DataFrame(rows, columns=["地块编号", "X", "Y"], dtype=object)
    assert is_vertex_table(frame, PARCELS) is read_as_plots
    if read_as_plots:
        triangle = vertex_plots(Table(frame), PARCELS).frame.geometry.iloc[0]
        assert triangle.area == pytest.approx(100 * 100 / 2, abs=1e-6)


def test_one_plot_without_an_id_column_and_points_tables_are_left_alone():
    rows = [[f"J{i}", N0 + n, E0 + e] for i, (n, e) in enumerate([(0, 0), (0, 50), (50, 50), (50, 0)])]
    table = _table(rows, ["点号", "X坐标", "Y坐标"])
    plots = vertex_plots(table, PARCELS)
    assert len(plots.frame) == 1 and plots.frame.geometry.iloc[0].area == pytest.approx(2500, abs=1e-6)
    assert plots.notes[0] == ("boundary-point table: 4 rows made into 1 plot(s), the whole table one plot (no plot-id "
                              "column); points in the order of the rows, coordinates from X坐标/Y坐标")
    # A point layer takes each row as a point, as before.
    assert not is_vertex_table(table.frame, get_layer("facilities"))
    assert not is_vertex_table(pd.DataFrame({"名称": ["甲"], "X": [E0], "Y": [N0]}), PARCELS)


def test_the_notes_in_chinese():
    assert chinese("boundary-point table: 13 rows made into 3 plot(s), one per 地块编号; points in the order of the "
                   "rows, coordinates from X坐标/Y坐标") == \
        "界址点坐标表：13 行组成 3 个地块，按“地块编号”分组；点按行的顺序相连，坐标取自 X坐标/Y坐标"
    assert chinese("地块编号 blank on 10 row(s) (merged cells): each taken from the row above") == \
        "“地块编号”有 10 行为空（合并单元格）：各取上一行的值"
    assert chinese("damaged, left out: plot WH-003 (rows 12–15): row 13, Y坐标: 'abc' is not a number") == \
        "记录损坏，已略去：地块 WH-003（第 12–15 行）：第 13 行“Y坐标”：'abc' 不是数字"
    # The same sentences of a 国土 TXT's plots (lines, not rows), several in one message.
    assert chinese("damaged: plot A (line 3): ring 圈号 1: closing point J5 (line 8) lies 1.234 m from the first point "
                   "J1 (line 4); they must be the same point (within 0.05 m); ring 圈号 2 (line 9) has 2 distinct "
                   "point(s); a ring needs at least 3") == (
        "记录损坏：地块 A（第 3 行）：圈号 1 的环：闭合点 J5（第 8 行）距首点 J1（第 4 行）1.234 米，二者应为同一点（相差不超过 "
        "0.05 米）；圈号 2 的环（第 9 行）只有 2 个不同的点，一个环至少要 3 个点")
    assert chinese("plot B (line 20): rings read by containment: outer ring(s) 圈号 1, 3, hole(s) 圈号 2 (2 part(s))") \
        == "地块 B（第 20 行）：按包含关系判断各环：外环 圈号 1, 3，内环（洞）圈号 2（共 2 个部分）"
    assert chinese("2 record(s) read whole; to import them without the damaged ones, repeat with --accept-damaged") \
        == "2 条记录完好；如要只导入这些记录、略去损坏的，请勾选上传表单的“跳过损坏记录”后重新上传"
    # A sentence the catalogue lacks leaves the whole message in English (never half translated).
    assert chinese("damaged: plot C (line 3): zone mismatch: the header's 带号 is 38") is None


def test_a_geometry_from_the_table_is_the_polygon_the_points_draw():
    # (the shapely polygon of the same ring, by hand: no reordering, no simplification)
    rows = [["A", f"J{i}", N0 + n, E0 + e] for i, (n, e) in enumerate([(0, 0), (0, 30), (10, 40), (40, 0)])]
    geometry = vertex_plots(_table(rows, ["地块编号", "点号", "X", "Y"]), PARCELS).frame.geometry.iloc[0]
    expected = shapely.Polygon([(N0, E0), (N0, E0 + 30), (N0 + 10, E0 + 40), (N0 + 40, E0)])
    assert geometry.equals(expected)  # the table's x and y as written: the importer swaps surveyors' axes
