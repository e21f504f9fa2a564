"""The overview map builder: layers, feature counts, styles, escaping and offline assets."""

from __future__ import annotations

import json
import re

import folium
import pandas as pd
import pytest
from folium.elements import JSCSSMixin

from geo import maps
from layers import landuse
from layers.registry import get_layer
from layers.validate import validate_layer
from tests.conftest import tiny_frames

SPATIAL = ("zones", "parcels", "buildings", "roads", "pipelines", "facilities")


def typed(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {name: validate_layer(frame, get_layer(name), source=f"test:{name}")[0] for name, frame in frames.items()}


@pytest.fixture
def tiny():
    return typed(tiny_frames())


def render(m: folium.Map) -> str:
    parts = maps.map_components(m)
    return "\n".join((parts.header, parts.html, parts.script))


def layer_payload(page: str, key: str) -> tuple[dict, dict]:
    """The (client spec, FeatureCollection) passed to parkatlas.geoJsonLayer for layer ``key``."""
    found = re.search(r"parkatlas\.geoJsonLayer\(\s*" + re.escape(json.dumps(key)) + r",\s*", page)
    assert found, f"layer {key} not in the rendered map"
    decoder = json.JSONDecoder()
    spec, end = decoder.raw_decode(page, found.end())
    rest = re.match(r",\s*", page[end:])
    data, _ = decoder.raw_decode(page, end + rest.end())
    return spec, data


def test_every_spatial_layer_is_drawn_with_all_its_features(tiny):
    page = render(maps.overview_map(tiny))
    for name in SPATIAL:
        _, data = layer_payload(page, name)
        assert len(data["features"]) == len(tiny[name])
        ids = [feature["id"] for feature in data["features"]]
        assert ids == tiny[name][get_layer(name).id_field].tolist()


def test_rendered_feature_counts_match_the_layers(tiny):
    m = maps.overview_map(tiny)
    assert maps.rendered_feature_counts(m) == {name: len(tiny[name]) for name in SPATIAL}


def test_tables_and_empty_layers_are_not_drawn(tiny):
    layers = {**tiny, "roads": tiny["roads"].iloc[0:0]}
    layers["units"] = validate_layer(tiny_frames()["units"], get_layer("units"), source="t")[0]
    page = render(maps.overview_map(layers))
    assert "geoJsonLayer(" in page
    assert '"roads"' not in page
    assert '"units"' not in page
    with pytest.raises(ValueError, match="'units' is a table without geometry"):
        maps.styled_layer(layers["units"], get_layer("units"))


@pytest.mark.parametrize(("lang", "names"), [
    ("zh", ["范围与管控", "地块", "建筑", "道路", "管线", "设施"]),
    ("en", ["Zones and constraints", "Land parcels", "Buildings", "Roads", "Pipelines", "Facilities"]),
])
def test_layer_control_lists_each_layer_in_the_chosen_language(tiny, lang, names):
    page = render(maps.overview_map(tiny, lang=lang))
    control = re.search(r"overlays\s*:\s*\{(.*?)\}", page, re.DOTALL).group(1)
    listed = [json.loads(f'"{name}"') for name in re.findall(r'"((?:[^"\\]|\\.)*)"\s*:', control)]
    assert listed == names
    assert "L.control.layers(" in page


def test_map_uses_the_canvas_renderer_and_exposes_its_layers(tiny):
    page = render(maps.overview_map(tiny))
    assert '"preferCanvas": true' in page
    assert "parkatlas.setMap(L.map(" in page


def test_only_local_leaflet_and_our_helper_are_loaded(tiny):
    parts = maps.map_components(maps.overview_map(tiny, asset_base_url="/static/"))
    scripts = re.findall(r'<script src="([^"]+)"', parts.header)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', parts.header)
    assert scripts == ["/static/vendor/node_modules/leaflet/dist/leaflet.js", "/static/js/parkatlas-map.js",
                       "/static/js/parkatlas-tools.js", "/static/js/parkatlas-measure.js"]
    assert styles == ["/static/vendor/node_modules/leaflet/dist/leaflet.css", "/static/css/parkatlas-tools.css"]
    for unwanted in ("jquery", "bootstrap", "awesome", "fontawesome", "glyphicons"):
        assert unwanted not in parts.header.lower()


def test_no_url_leaves_the_app_anywhere_in_the_page_without_a_basemap(tiny):
    page = render(maps.overview_map(tiny, basemap="none"))
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}", page, re.IGNORECASE)
    assert "tileLayer" not in page


def test_folium_default_assets_are_refused():
    with pytest.raises(maps.NonLocalAssetError, match="cdn.jsdelivr.net"):
        maps.map_components(folium.Map(tiles=None))


@pytest.mark.parametrize(("kind", "url", "host"), [
    ("default_js", "https://unpkg.com/some-plugin/plugin.js", "unpkg.com"),
    ("default_css", "//cdn.example.com/plugin.css", "cdn.example.com"),
    ("default_js", "http://example.org/x.js", "example.org"),
])
def test_a_plugin_with_a_remote_asset_is_refused(tiny, kind, url, host):
    plugin = type("RemotePlugin", (JSCSSMixin,), {kind: [("plugin", url)]})
    m = maps.overview_map(tiny)
    plugin().add_to(m)
    with pytest.raises(maps.NonLocalAssetError, match=host):
        maps.map_components(m)


def test_osm_basemap_adds_one_tile_layer(tiny):
    page = render(maps.overview_map(tiny, basemap="osm"))
    assert page.count("L.tileLayer(") == 1
    assert '"https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page


def test_tianditu_basemap_uses_vector_and_label_tiles_with_the_key(tiny):
    page = render(maps.overview_map(tiny, basemap="tianditu", tianditu_key="abc&def"))
    assert page.count("L.tileLayer(") == 4  # vector map and labels, imagery and labels
    assert "tianditu.gov.cn/vec_w/wmts?" in page and "LAYER=vec" in page
    assert "tianditu.gov.cn/cva_w/wmts?" in page and "LAYER=cva" in page
    assert "tianditu.gov.cn/img_w/wmts?" in page and "LAYER=img" in page
    assert "tianditu.gov.cn/cia_w/wmts?" in page and "LAYER=cia" in page
    # The key is URL-encoded, and JSON-escaped inside the script.
    assert "tk=abc%26def" in page.replace("\\u0026", "&")


def test_tianditu_without_a_key_says_which_setting_is_missing(tiny):
    with pytest.raises(ValueError, match="PARKATLAS_TIANDITU_KEY"):
        maps.overview_map(tiny, basemap="tianditu")


def test_unknown_basemap_is_refused_with_the_choices(tiny):
    with pytest.raises(ValueError, match=r"basemap must be one of none, osm, tianditu, gaode, got 'google'"):
        maps.overview_map(tiny, basemap="google")


def test_a_script_in_a_name_stays_text(tiny):
    frames = tiny_frames()
    frames["parcels"].loc[0, "name"] = "</script><script>alert('x')</script>"
    page = render(maps.overview_map(typed(frames)))
    assert "</script><script>alert" not in page
    assert "<script>alert" not in page
    _, data = layer_payload(page, "parcels")
    assert data["features"][0]["properties"]["name"] == "</script><script>alert('x')</script>"


def test_layer_control_names_are_html_escaped():
    layer = maps.StyledGeoJson("x", '{"type":"FeatureCollection","features":[]}', {}, name="<b>x</b>", n_features=0)
    assert layer.layer_name == "&lt;b&gt;x&lt;/b&gt;"


def test_parcels_are_coloured_by_land_use_in_their_own_system(tiny):
    parcels = tiny["parcels"].copy()
    parcels["land_use"] = pd.array(["100101", "M2", "9999"], dtype="str")
    parcels["land_use_std"] = pd.array(["用地用海2023", "GB50137-2011", "用地用海2023"], dtype="str")
    colors = maps.style_colors(parcels, get_layer("parcels"))
    assert colors.tolist() == ["#d9bf9e", "#bb9674", landuse.UNKNOWN_COLOR]
    assert colors.index.equals(parcels.index)


def test_coded_layers_take_their_colours_from_the_registry(tiny):
    roads = maps.style_colors(tiny["roads"], get_layer("roads"))
    assert roads.tolist() == ["#252525", "#fdae6b"]  # completed, subgrade
    pipes = maps.style_colors(tiny["pipelines"], get_layer("pipelines"))
    assert pipes.tolist() == ["#00c8c8"]  # water supply, CJJ 61
    missing = tiny["roads"].copy()
    missing["status"] = pd.array([None, "subgrade"], dtype="str")
    assert maps.style_colors(missing, get_layer("roads")).tolist() == [landuse.UNKNOWN_COLOR, "#fdae6b"]


def test_features_carry_colour_weight_and_area(tiny):
    page = render(maps.overview_map(tiny))
    _, parcels = layer_payload(page, "parcels")
    first = parcels["features"][0]["properties"]
    assert first["_c"] == "#d9bf9e"
    assert first["_area_mu"] == pytest.approx(15.0)
    _, roads = layer_payload(page, "roads")
    assert [f["properties"]["_w"] for f in roads["features"]] == [maps.ROAD_WEIGHT_PX["secondary"],
                                                                  maps.ROAD_WEIGHT_PX["branch"]]
    _, zones = layer_payload(page, "zones")
    assert zones["features"][0]["properties"]["_fo"] == 0.0  # the park boundary is an outline


@pytest.mark.parametrize(("lang", "status", "land_use", "label"), [
    ("zh", "已投产", "100101 一类工业用地", "地块编号"),
    ("en", "Operating", "100101 Class 1 industrial", "Parcel id"),
])
def test_popups_show_labels_in_the_chosen_language(tiny, lang, status, land_use, label):
    page = render(maps.overview_map(tiny, lang=lang))
    spec, data = layer_payload(page, "parcels")
    properties = data["features"][0]["properties"]
    assert properties["status"] == status
    assert properties["land_use"] == land_use
    assert spec["popupFields"][0] == {"name": "parcel_id", "label": label}
    assert {"name": "_area_mu", "label": "面积" if lang == "zh" else "Area", "unit": "亩" if lang == "zh" else "mu"} \
        in spec["popupFields"]


def test_coordinates_reach_the_browser_in_degrees(tiny):
    _, data = layer_payload(render(maps.overview_map(tiny)), "facilities")
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert 121.3 < lon < 121.5 and 28.6 < lat < 28.7


def test_bounds_cover_every_layer(tiny):
    (south, west), (north, east) = maps.layers_bounds([tiny[name] for name in SPATIAL])
    for name in SPATIAL:
        b = tiny[name].to_crs(4326).total_bounds
        assert west <= b[0] and south <= b[1] and east >= b[2] and north >= b[3]
    assert maps.layers_bounds([tiny["roads"].iloc[0:0]]) is None


def test_legend_lists_only_classes_present(tiny):
    sections = {section.layer: section for section in maps.legend(tiny)}
    assert [item.label for item in sections["parcels"].items] == ["100101 一类工业用地", "100102 二类工业用地",
                                                                  "1101 物流仓储用地"]
    assert [(item.label, item.color) for item in sections["roads"].items] == [("路基", "#fdae6b"),
                                                                               ("建成", "#252525")]
    assert [item.label for item in sections["pipelines"].items] == ["给水"]
    assert sections["roads"].shape == "line" and sections["parcels"].shape == "fill"


def test_legend_in_english(tiny):
    sections = {section.layer: section for section in maps.legend(tiny, lang="en")}
    assert sections["parcels"].title == "Land parcels · Land use"
    assert [item.label for item in sections["roads"].items] == ["Subgrade", "Completed"]


def test_legend_merges_codes_of_the_same_class(tiny):
    parcels = tiny["parcels"].copy()
    parcels["land_use"] = pd.array(["100101", "100101", "1101"], dtype="str")
    items = maps.legend({"parcels": parcels})[0].items
    assert [item.label for item in items] == ["100101 一类工业用地", "1101 物流仓储用地"]


def test_builder_does_not_modify_its_input(tiny):
    before = {name: frame.copy() for name, frame in tiny.items()}
    render(maps.overview_map(tiny))
    for name, frame in tiny.items():
        pd.testing.assert_frame_equal(frame, before[name])
        if "geometry" in frame.columns:
            assert frame.crs == before[name].crs


def fitted_bounds(m: folium.Map) -> list[list[float]]:
    """The bounds the map opens on, checked in its script: fitted as it is made, with no earlier view."""
    script = maps.map_components(m).script
    made = script.index("L.map(")
    fit = script.index(".fitBounds(")
    assert made < fit < script.index("addTo(")  # before any layer is added
    assert "center:" not in script[made:fit]  # no first view whose tiles would be fetched in vain
    return m.start_bounds


def test_the_map_opens_on_the_parcels_and_park_boundary_not_on_far_constraints(tiny):
    far = tiny_frames()["zones"].copy()
    far["zone_id"], far["kind"] = ["Z9"], ["basic_farmland"]
    far.geometry = far.geometry.translate(5_000, 5_000)
    zones = typed({"zones": pd.concat([tiny_frames()["zones"], far], ignore_index=True)})["zones"]
    layers = {**tiny, "zones": zones}
    expected = maps.layers_bounds([tiny["parcels"], tiny["zones"]])
    assert fitted_bounds(maps.overview_map(layers)) == expected
    # The far zone is still drawn, just not in the first view.
    assert maps.rendered_feature_counts(maps.overview_map(layers))["zones"] == 2


def test_without_parcels_or_boundary_the_map_opens_on_everything(tiny):
    layers = {"roads": tiny["roads"], "facilities": tiny["facilities"]}
    assert fitted_bounds(maps.overview_map(layers)) == maps.layers_bounds([tiny["roads"], tiny["facilities"]])


@pytest.mark.parametrize(("categories", "drawn"), [
    ([None, None, None], []),  # no inefficient land at all: the layer is empty, the page still draws
    (["underused,below_target", None, "supplied_unused"], ["underused", "supplied_unused"]),
])
def test_the_inefficient_land_layer_is_coloured_by_its_first_category(tiny, categories, drawn):
    from geo.analysis import analyse_land
    from geo.maps_land import idle_map
    from geo.reasons import TEXT_DTYPE
    from layers.rules import load_rules

    analysis = analyse_land(tiny, as_of="2026-06-30", rules=load_rules()).parcels
    analysis["inefficiency"] = pd.Series(categories, index=analysis.index, dtype=TEXT_DTYPE)
    analysis["inefficiency_reason"] = analysis["inefficiency"]
    m = idle_map(analysis)
    if not drawn:
        assert "inefficiency" not in maps.rendered_feature_counts(m) or \
            maps.rendered_feature_counts(m)["inefficiency"] == 0
        return
    _, data = layer_payload(render(m), "inefficiency")
    assert [f["properties"]["inefficiency_reason"] for f in data["features"]] == [
        "underused,below_target", "supplied_unused"]
    assert len({f["properties"]["_c"] for f in data["features"]}) == len(drawn)  # one colour per first category


def test_layer_features_reach_the_script_without_being_compiled_as_a_template(monkeypatch):
    """The features are put in the rendered script in place of each layer's marker (branca compiles every element's
    output as a Jinja template: they never pass through it), each layer's once, and no marker is left; a name that
    reads like a marker stays the parcel's name."""
    import jinja2

    frames = tiny_frames()
    frames["parcels"].loc[0, "name"] = "null /*parkatlas-layer-data:styled_geo_json_0*/"
    compiled = []
    real = jinja2.Environment.from_string
    monkeypatch.setattr(jinja2.Environment, "from_string",
                        lambda self, source, *a, **k: compiled.append(source) or real(self, source, *a, **k))
    m = maps.overview_map(typed(frames))
    inline = maps._styled_layers(m)
    page = render(m)
    assert len(inline) >= 4 and {"parcels", "buildings"} <= {layer.key for layer in inline}
    assert not any("FeatureCollection" in source for source in compiled)  # (the features never were a template)
    assert compiled  # (the rest of the map was: the spy saw it)
    assert page.count('{"type":"FeatureCollection"') == len(inline)
    assert not re.search(r"null /\*parkatlas-layer-data:styled_geo_json_[0-9a-f]{20,}\*/", page)
    _, data = layer_payload(page, "parcels")
    assert data["features"][0]["properties"]["name"] == "null /*parkatlas-layer-data:styled_geo_json_0*/"
