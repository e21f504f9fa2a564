"""Every page, twin, workbook, tile and command judges a park the same way: one day, one set of rules.

The park is the tiny park with two idle plots and a rules override beside it (idle fee after
3 full years, reclaim after 4, where the national defaults say 1 and 2):

* P2: 30 亩, agreed start 2023-03-01, land price 600 万元 → fee from 2026-03-01 (3 full years);
  on 2026-02-28 it is overdue but not yet idle by the override (the defaults: reclaim).
* P4: 15 亩, agreed start 2022-06-01, land price 400 万元 → fee from 2025-06-01, reclaim from
  2026-06-01 (4 full years); on 2026-05-31 it is in the fee band, on 2026-06-30 reclaimed.

The fee is 20 % of the land price: P2 120 万元, P4 80 万元.
"""

from __future__ import annotations

import html
import io
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import TINY_META, X0, Y0, tiny_frames

from app import create_app
from geo.columns import namer
from geo.tiles import decode_tile, tiles_covering
from layers.store import GeoPackageStore
from layers.workbook_style import rounded

#: (day asked, idle status of P2 and P4, idle parcels, idle 亩, fees 万元) under the override, by hand.
DAYS = [
    (None, "2026-06-30", {"P2": "idle_fee", "P4": "idle_reclaim"}, 2, 45.0, 200.0),  # the park's reference day
    ("2026-05-31", "2026-05-31", {"P2": "idle_fee", "P4": "idle_fee"}, 2, 45.0, 200.0),  # a day before P4's reclaim
    ("2026-02-28", "2026-02-28", {"P2": "overdue", "P4": "idle_fee"}, 1, 15.0, 80.0),  # a day before P2's fee
]
OVERRIDE = "idle:\n  fee_after_years: 3\n  reclaim_after_years: 4\n"
#: The infrastructure override: the park reports readiness against 五通一平 (the defaults: 七通一平).
INFRA_OVERRIDE = "readiness:\n  default_template: 五通一平\n"
Z = 16


def override_frames() -> dict[str, pd.DataFrame]:
    frames = tiny_frames()
    parcels = frames["parcels"]
    p4 = gpd.GeoDataFrame(
        {"parcel_id": ["P4"], "name": ["四号地块"], "area_name": ["一期"], "land_use": ["100101"],
         "land_use_std": ["用地用海2023"], "status": ["supplied"], "tenure": ["granted"], "enterprise_id": ["E2"],
         "contract_date": pd.to_datetime(["2021-09-01"]), "land_price_wan": [400.0]},
        geometry=[shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)], crs=parcels.crs)
    parcels = pd.concat([parcels, p4], ignore_index=True)
    parcels["agreed_start_date"] = pd.to_datetime([None, "2023-03-01", None, "2022-06-01"])
    frames["parcels"] = gpd.GeoDataFrame(parcels, geometry="geometry", crs=parcels.crs)
    return frames


@pytest.fixture
def override_park(tmp_path, monkeypatch):
    for name in ("PARKATLAS_RULES", "PARKATLAS_INFRA_RULES", "PARKATLAS_EXPANSION_RULES"):
        monkeypatch.delenv(name, raising=False)
    store = GeoPackageStore(tmp_path / "east.gpkg")
    store.save_park(override_frames(), TINY_META)
    (tmp_path / "east.rules.yaml").write_text(OVERRIDE, encoding="utf-8")
    (tmp_path / "east.infrastructure.yaml").write_text(INFRA_OVERRIDE, encoding="utf-8")
    return store


@pytest.fixture
def override_app(override_park):
    return create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(override_park.path),
                       "DATABASE_URL": None})


def query(asked: str | None, **more) -> str:
    args = {**({"as_of": asked} if asked else {}), **more}
    return "?" + "&".join(f"{k}={v}" for k, v in args.items()) if args else ""


def workbook(response, sheet: str) -> pd.DataFrame:
    assert response.status_code == 200, response.data[:300]
    return pd.read_excel(io.BytesIO(response.data), sheet_name=sheet)


@pytest.mark.parametrize(("asked", "day", "statuses", "idle_parcels", "idle_mu", "fees"), DAYS)
def test_every_page_twin_workbook_tile_and_command_agree_under_the_override(
        override_app, override_park, asked, day, statuses, idle_parcels, idle_mu, fees):
    client = override_app.test_client()

    summary = client.get("/api/summary" + query(asked)).get_json()
    assert summary["as_of"] == day
    figures = summary["land_use_efficiency"]
    assert (figures["idle_parcels"], figures["idle_mu"], figures["idle_fee_wan"]) == (idle_parcels, idle_mu, fees)

    overview = client.get("/" + query(asked)).get_data(as_text=True)
    assert f"{idle_parcels} 宗 · 闲置费 {fees:,.0f} 万元" in overview

    idle = client.get("/api/idle" + query(asked)).get_json()
    assert idle["as_of"] == day
    by_parcel = {row["parcel_id"]: row["idle_status"] for row in idle["parcels"]}
    assert {key: by_parcel[key] for key in statuses} == statuses
    counted = ("idle_fee", "idle_reclaim", "stalled_idle")
    assert sum(idle["summary"]["by_status"][key]["parcels"] for key in counted) == idle_parcels
    assert sum(idle["summary"]["by_status"][key]["area_mu"] for key in counted) == idle_mu
    assert idle["summary"]["fee_total_wan"] == fees

    # The workbook names what the twin codes (issue 17 §4): 闲置认定 is the name of idle_status.
    sheet = workbook(client.get("/idle" + query(asked, format="xlsx")), "闲置土地").set_index("地块编号")
    assert sheet.loc[list(statuses), "闲置认定"].to_dict() == {k: namer("idle", "zh")(v) for k, v in statuses.items()}
    assert sheet["闲置费（万元）"].sum() == fees

    land_twin = client.get("/api/land" + query(asked)).get_json()
    land_sheet = workbook(client.get("/land" + query(asked, format="xlsx")), "地块").set_index("地块编号")
    twin = pd.DataFrame(land_twin["parcels"]).set_index("parcel_id")
    # The twin and the workbook carry the readiness columns the CLI writes, and the same figures (named and
    # rounded to the decimals shown in the workbook).
    assert "readiness_label" in twin and "served_water_supply" in twin and "给水配套" in land_sheet
    shown = {"inefficiency": ("低效用地类型", namer("inefficiency", "zh")), "readiness_label": ("配套情况", str),
             "far": ("容积率", lambda v: rounded(v, 2)), "mu_grade": ("亩均等级", namer("grade", "zh"))}
    for column, (header, name) in shown.items():
        assert land_sheet[header].astype(object).where(land_sheet[header].notna(), None).to_dict() == \
            {k: None if v is None or v != v else name(v) for k, v in twin[column].items()}, column

    x, y = sorted(tiles_covering(override_park.load("parcels").to_crs(3857).total_bounds, Z))[0]
    tile = client.get(f"/tiles/parcel_analysis/{Z}/{x}/{y}.pbf" + query(asked))
    drawn = decode_tile(tile.data, Z, x, y)["parcel_analysis"].set_index("parcel_id")
    assert drawn.loc[list(statuses), "idle_status"].to_dict() == statuses

    # Inefficient land, vacancy and readiness: the overview's figures are the pages' figures.
    by_category = idle["summary"]["inefficiency"]
    assert figures["inefficient_by_category_mu"] == {c: v["area_mu"] for c, v in by_category.items()}
    vacancy = client.get("/api/vacancy" + query(asked)).get_json()["figures"]
    assert {k: figures[k] for k in ("vacancy_rate", "leasable_m2", "vacant_m2")} == \
        {k: vacancy[k] for k in ("vacancy_rate", "leasable_m2", "vacant_m2")}
    infrastructure = client.get("/api/infrastructure" + query(asked)).get_json()
    assert infrastructure["as_of"] == day
    assert infrastructure["template"] == summary["infrastructure"]["template"] == "五通一平"
    assert {k: summary["infrastructure"][k] for k in ("supplied_parcels", "ready_parcels", "served_share")} == \
        {k: infrastructure["coverage"][k] for k in ("supplied_parcels", "ready_parcels", "served_share")}

    command = ["analyse", "--park", str(override_park.path)] + (["--as-of", asked] if asked else [])
    printed = override_app.test_cli_runner().invoke(args=command).output
    assert f"as of {day}" in printed
    counts = dict(re.findall(r"(\w+) (\d+)", printed.split("idle status: ")[1].splitlines()[0]))
    assert sum(int(counts.get(key, 0)) for key in counted) == idle_parcels
    assert f"idle fees due: {fees:,.1f} 万元" in printed
    inefficient = dict(re.findall(r"(\w+) (\d+)", printed.split("inefficient land: ")[1].splitlines()[0]))
    assert {c: int(n) for c, n in inefficient.items()} == {c: v["parcels"] for c, v in by_category.items()}


def test_without_the_override_the_national_defaults_judge_both_plots_reclaimed(override_app, override_park):
    """The other side of the override: removed, every page sees the defaults at once (1 and 2 years)."""
    client = override_app.test_client()
    assert client.get("/api/summary?as_of=2026-02-28").get_json()["land_use_efficiency"]["idle_parcels"] == 1
    override_park.path.with_suffix(".rules.yaml").unlink()
    figures = client.get("/api/summary?as_of=2026-02-28").get_json()["land_use_efficiency"]
    reclaimed = figures["idle_by_status_mu"]["idle_reclaim"]
    assert (figures["idle_parcels"], figures["idle_mu"], reclaimed) == (2, 45.0, 45.0)
    idle = client.get("/api/idle?as_of=2026-02-28").get_json()
    assert idle["summary"]["by_status"]["idle_reclaim"]["parcels"] == 2


def said(response) -> str:
    """The text of an error answer, JSON or HTML."""
    body = response.get_json(silent=True)
    return json.dumps(body, ensure_ascii=False) if body is not None else html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("path", ["/", "/api/summary", "/api/idle", "/api/land", "/idle?format=xlsx"])
def test_a_bad_day_is_one_bilingual_error_everywhere(override_app, path):
    client = override_app.test_client()
    joiner = "&" if "?" in path else "?"
    english = client.get(f"{path}{joiner}as_of=2026-02-30&lang=en")
    assert english.status_code == 400
    assert "as_of must be a date written YYYY-MM-DD, got '2026-02-30'" in said(english)
    chinese = client.get(f"{path}{joiner}as_of=1800-01-01&lang=zh")
    assert chinese.status_code == 400
    assert "as_of 必须在 1900-01-01 至 2199-12-31 之间，收到 1800-01-01" in said(chinese)


# -- overrides the park keeps itself ------------------------------------------------------------------------

KEPT = {"land": {"idle": {"fee_after_years": 3, "reclaim_after_years": 4}}}


def idle_figures(client, day: str) -> tuple:
    figures = client.get(f"/api/summary?as_of={day}").get_json()["land_use_efficiency"]
    idle = client.get(f"/api/idle?as_of={day}").get_json()["summary"]
    counted = ("idle_fee", "idle_reclaim", "stalled_idle")
    return ((figures["idle_parcels"], figures["idle_fee_wan"]),
            (sum(idle["by_status"][key]["parcels"] for key in counted), idle["fee_total_wan"]))


def test_a_postgis_park_honours_the_overrides_it_keeps(postgis_store, tmp_path, monkeypatch):
    monkeypatch.delenv("PARKATLAS_RULES", raising=False)
    postgis_store.save_park(override_frames(), {**TINY_META, "rules": KEPT})
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tmp_path / "none.gpkg"),
                      "DATABASE_URL": f"{postgis_store.url}?schema={postgis_store.schema}",
                      "TILE_CACHE_PATH": "none"})
    try:
        client = app.test_client()
        # By the park's rules: on 2026-02-28 P2 is not idle yet (3 years from 2023-03-01), P4 pays its fee.
        assert idle_figures(client, "2026-02-28") == ((1, 80.0), (1, 80.0))
        assert idle_figures(client, "2026-03-01") == ((2, 200.0), (2, 200.0))
        # analyse opens the same service: the same park, the same rules.
        url = f"{postgis_store.url}?schema={postgis_store.schema}"
        printed = app.test_cli_runner().invoke(args=["analyse", "--park", url, "--as-of", "2026-02-28"]).output
        assert "idle fees due: 80.0 万元" in printed and "idle_fee 1" in printed
        # The same park without its overrides is judged by the national defaults (both reclaimed by then).
        postgis_store.save_park(override_frames(), TINY_META)
        assert idle_figures(client, "2026-02-28") == ((2, 200.0), (2, 200.0))
    finally:
        app.extensions["parkatlas_park"].store.close()


def test_the_file_beside_a_geopackage_wins_over_the_overrides_the_park_keeps(tmp_path, monkeypatch):
    monkeypatch.delenv("PARKATLAS_RULES", raising=False)
    store = GeoPackageStore(tmp_path / "west.gpkg")
    store.save_park(override_frames(), {**TINY_META, "rules": KEPT})
    client = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(store.path),
                         "DATABASE_URL": None}).test_client()
    assert idle_figures(client, "2026-02-28") == ((1, 80.0), (1, 80.0))  # the park's own: fee after 3 years
    # Beside it, a file saying fee after 2 years, reclaim after 3: P2 (2 years 11 months) pays, P4 is reclaimed.
    (tmp_path / "west.rules.yaml").write_text("idle:\n  fee_after_years: 2\n  reclaim_after_years: 3\n",
                                              encoding="utf-8")
    assert idle_figures(client, "2026-02-28") == ((2, 200.0), (2, 200.0))
    summary = client.get("/api/summary?as_of=2026-02-28").get_json()["land_use_efficiency"]
    assert summary["idle_by_status_mu"] == {"idle_fee": 30.0, "idle_reclaim": 15.0, "stalled_idle": 0.0}


@pytest.mark.parametrize(("kept", "named"), [
    ({"land": {"idle": {"fee_after_years": "three"}}}, "park rules (land): idle.fee_after_years: got 'three'"),
    ({"zoning": {}}, "park rules: zoning: unknown rule family; allowed: evaluation, expansion, infrastructure, land"),
])
def test_a_bad_override_kept_in_the_park_is_named_not_hidden(tmp_path, monkeypatch, kept, named):
    monkeypatch.delenv("PARKATLAS_RULES", raising=False)
    store = GeoPackageStore(tmp_path / "bad.gpkg")
    store.save_park(override_frames(), {**TINY_META, "rules": kept})
    client = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(store.path),
                         "DATABASE_URL": None}).test_client()
    response = client.get("/api/idle?lang=en")
    assert response.status_code == 500
    assert named in said(response)


def test_copy_park_to_postgis_keeps_the_overrides_beside_the_geopackage(override_park, postgis_store, tmp_path):
    """The file beside a GeoPackage goes into the PostGIS copy: the copy's pages say what the original's say."""
    url = f"{postgis_store.url}?schema={postgis_store.schema}"
    original = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(override_park.path),
                           "DATABASE_URL": None})
    printed = original.test_cli_runner().invoke(args=["copy-park", str(override_park.path), url, "--replace"])
    assert printed.exit_code == 0, printed.output
    assert postgis_store.read_meta()["rules"] == {"land": {"idle": {"fee_after_years": 3, "reclaim_after_years": 4}},
                                                  "infrastructure": {"readiness": {"default_template": "五通一平"}}}
    copy = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tmp_path / "none.gpkg"),
                       "DATABASE_URL": url, "TILE_CACHE_PATH": "none"})
    try:
        for day in ("2026-02-28", "2026-05-31", "2026-06-30"):
            assert idle_figures(copy.test_client(), day) == idle_figures(original.test_client(), day)
        assert idle_figures(copy.test_client(), "2026-02-28") == ((1, 80.0), (1, 80.0))
    finally:
        copy.extensions["parkatlas_park"].store.close()
