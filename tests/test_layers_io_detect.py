"""Encoding and CRS detection rules, each boundary on both sides."""

import math
import struct

import numpy as np
import pytest
from pyproj import CRS

from layers.io import crs_detect
from layers.io.crs_detect import CrsError, Extent, choose_crs, infer_crs, parse_crs_option, working_epsg_for
from layers.io.encoding import choose_dbf_encoding, decode_text, resolve_codec
from layers.io.shapefile import read_dbf_layout

# -- encodings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "codec"), [
    ("UTF-8", "utf-8"), ("utf8", "utf-8"), ("65001", "utf-8"), ("GBK", "gbk"), ("936", "gbk"),
    ("ANSI 936", "gbk"), ("CP936", "gbk"), ("GB18030", "gb18030"), ("Big5", "big5"), ("1252", "cp1252"),
])
def test_encoding_names_as_cpg_files_write_them(name, codec):
    assert resolve_codec(name) == codec


def test_unknown_encoding_names_the_file_and_the_choices():
    with pytest.raises(ValueError, match=r"x\.cpg: unknown text encoding 'Martian'; use a name such as UTF-8"):
        resolve_codec("Martian", where="x.cpg")


def _dbf(tmp_path, values: list[bytes], *, width: int = 10):
    """A minimal dBASE III file with one character field ``NAME`` of ``width`` bytes."""
    header = struct.pack("<BBBBIHH20x", 0x03, 126, 1, 1, len(values), 32 + 32 + 1, 1 + width)
    field = b"NAME".ljust(11, b"\x00") + b"C" + b"\x00" * 4 + bytes([width, 0]) + b"\x00" * 14
    records = b"".join(b" " + v.ljust(width, b" ") for v in values)
    path = tmp_path / "t.dbf"
    path.write_bytes(header + field + b"\x0d" + records + b"\x1a")
    return read_dbf_layout(path)


def test_dbf_utf8_then_gb18030(tmp_path):
    assert choose_dbf_encoding(_dbf(tmp_path, ["一号".encode()]), override=None, cpg_text=None).codec == "utf-8"
    gbk = choose_dbf_encoding(_dbf(tmp_path, ["一号".encode("gbk")]), override=None, cpg_text=None)
    assert gbk.codec == "gb18030"
    assert gbk.how == "no .cpg; the text reads as GB18030 (simplified Chinese) rather than Big5: confidence > 99.9 %"
    assert gbk.gdal_name == "GB18030"
    # As Big5 the bytes read 珨瘍: 珨 is outside Big5 level 1 (other), 瘍 in it (common); as GB18030 both
    # characters are frequent. Evidence 2·ln(7.5) − (ln(0.02) + ln(0.6)) = 8.45; logistic 0.99979.
    expected = 2 * math.log(0.75 / 0.10) - (math.log(0.01 / 0.50) + math.log(0.24 / 0.40))
    assert gbk.confidence == pytest.approx(1 / (1 + math.exp(-expected)))
    assert gbk.samples == {"gb18030": ["一号"], "cp950": ["珨瘍"]}


def test_dbf_plain_ascii(tmp_path):
    choice = choose_dbf_encoding(_dbf(tmp_path, [b"P-1"]), override=None, cpg_text="GBK")
    assert (choice.codec, choice.how) == ("utf-8", "text is plain ASCII")


def test_cpg_is_followed_when_the_text_fits_and_overruled_when_not(tmp_path):
    layout = _dbf(tmp_path, ["一号".encode("gbk"), "二号".encode("gbk")])
    assert choose_dbf_encoding(layout, override=None, cpg_text="936").how == "from t.cpg"
    lying = choose_dbf_encoding(layout, override=None, cpg_text="UTF-8")
    assert lying.codec == "gb18030"
    assert lying.how == ("t.cpg says 'UTF-8' but the text is not in it; it reads as GB18030 (simplified Chinese) "
                         "rather than Big5: confidence > 99.9 %")


def test_utf8_value_cut_by_the_field_width_is_still_utf8(tmp_path):
    cut = "地块名称".encode()[:10]  # 12 bytes cut to 10: the last character loses two of its three bytes
    choice = choose_dbf_encoding(_dbf(tmp_path, [cut, "东区".encode()]), override=None, cpg_text=None)
    assert choice.codec == "utf-8" and not choice.bad_records


def test_a_few_broken_records_do_not_turn_utf8_into_gb18030(tmp_path):
    values = ["一号".encode(), "二号".encode(), b"\xff\xfe", "四号".encode()]
    choice = choose_dbf_encoding(_dbf(tmp_path, values), override=None, cpg_text=None)
    assert choice.codec == "utf-8" and choice.bad_records == [2]
    # Half or more failing: it is not UTF-8 with a few bad records (here: GBK with one UTF-8 record).
    values = ["一号".encode(), "二号".encode("gbk"), "三号".encode("gbk")]
    assert choose_dbf_encoding(_dbf(tmp_path, values), override=None, cpg_text=None).codec == "gb18030"
    values = ["一号".encode(), "二号".encode(), "三号".encode("gbk")]
    assert choose_dbf_encoding(_dbf(tmp_path, values), override=None, cpg_text=None).bad_records == [2]


def test_override_reports_what_it_cannot_decode(tmp_path):
    choice = choose_dbf_encoding(_dbf(tmp_path, ["一号".encode("gbk"), b"ok"]), override="UTF-8", cpg_text=None)
    assert choice.how == "given with --encoding" and choice.bad_records == [0]


def test_text_files_bom_declaration_and_fallbacks():
    assert decode_text("\ufeff名称".encode("utf-8"))[1].how == "byte-order mark"
    xml = '<?xml version="1.0" encoding="GBK"?><kml>地块</kml>'.encode("gbk")
    text, choice = decode_text(xml)
    assert "地块" in text and choice.how == "declared 'GBK' in the file"
    assert decode_text("地块".encode("gb18030"))[1].codec == "gb18030"
    assert decode_text(b"plain")[1].how == "text is plain ASCII"


def test_undecodable_text_names_the_line():
    data = b"a,b\n1,2\n\x81\x30\x81\xff,3\n"
    expected = (r"f\.csv: cannot decode the text \(UTF-8 fails at line 3; GB18030 fails at line 3; Big5 fails at line 3\)"
                r"; give the encoding with --encoding")
    with pytest.raises(ValueError, match=expected):
        decode_text(data, name="f.csv")


# -- CRS ---------------------------------------------------------------------------------------------------


def _extent(xs, ys) -> Extent:
    return Extent.of(np.column_stack([xs, ys]).astype(float))


@pytest.mark.parametrize(("text", "epsg", "offset"), [
    ("4528", 4528, None), ("EPSG:4528", 4528, None), ("epsg:4549", 4549, None), ("gcj02", 4326, "gcj02"),
    ("GCJ-02", 4326, "gcj02"), ("BD-09", 4326, "bd09"), ("wgs84", 4326, None), ("CGCS2000", 4490, None),
])
def test_crs_option(text, epsg, offset):
    crs, found = parse_crs_option(text)
    assert crs.to_epsg() == epsg and found == offset


def test_crs_option_accepts_wkt_and_refuses_junk():
    assert parse_crs_option(CRS.from_epsg(4549).to_wkt())[0].to_epsg() == 4549
    with pytest.raises(CrsError, match="give an EPSG code"):
        parse_crs_option("the usual one")


def test_lon_lat_and_swapped_lat_lon():
    assert infer_crs(_extent([120.1, 120.2], [28.6, 28.7]), source="s").crs.to_epsg() == 4326
    swapped = infer_crs(_extent([28.6, 28.7], [120.1, 120.2]), source="s")
    assert swapped.swap_xy and "swapped" in swapped.how


@pytest.mark.parametrize(("zone", "epsg"), [(25, 4513), (40, 4528), (45, 4533), (13, 4491), (23, 4501)])
def test_zone_prefixed_eastings(zone, epsg):
    x = [zone * 1_000_000 + 400_000, zone * 1_000_000 + 600_000]
    choice = infer_crs(_extent(x, [3_000_000, 3_100_000]), source="s")
    assert choice.crs.to_epsg() == epsg and not choice.swap_xy


@pytest.mark.parametrize("zone", [24, 46, 12])
def test_zone_prefixes_outside_the_series_are_not_guessed(zone):
    with pytest.raises(CrsError, match="match no CRS that can be inferred safely"):
        infer_crs(_extent([zone * 1_000_000 + 500_000] * 2, [3_000_000, 3_000_100]), source="s")


def test_northings_must_fit_china():
    x = [40_500_000, 40_500_100]
    assert infer_crs(_extent(x, [100.0, 6_499_000]), source="s").crs.to_epsg() == 4528
    with pytest.raises(CrsError):
        infer_crs(_extent(x, [100.0, 6_500_001]), source="s")


def test_surveyors_x_north_y_east_is_swapped():
    choice = infer_crs(_extent([3_170_000, 3_170_100], [40_500_000, 40_500_100]), source="s")
    assert choice.crs.to_epsg() == 4528 and choice.swap_xy


def test_two_zones_in_one_file_and_plain_gk_need_crs():
    with pytest.raises(CrsError, match=r"several zone prefixes \(39, 40\)"):
        infer_crs(_extent([39_500_000, 40_500_000], [3_000_000, 3_000_100]), source="s")
    with pytest.raises(CrsError, match="does not say the central meridian.*EPSG:4549"):
        infer_crs(_extent([636_000, 637_000], [3_171_000, 3_172_000]), source="s")


def test_declared_crs_contradicted_by_the_coordinates():
    with pytest.raises(CrsError, match=r"declares EPSG:4326.*not longitude/latitude.*look like EPSG:4528"):
        choose_crs(CRS.from_epsg(4326), _extent([40_500_000, 40_500_100], [3_170_000, 3_170_100]),
                   option=None, source="s")
    with pytest.raises(CrsError, match=r"declares EPSG:4549.*far outside.*look like EPSG:4528"):
        choose_crs(CRS.from_epsg(4549), _extent([40_500_000, 40_500_100], [3_170_000, 3_170_100]),
                   option=None, source="s")
    with pytest.raises(CrsError, match="projected .metres. but the coordinates look like longitude/latitude"):
        choose_crs(CRS.from_epsg(4549), _extent([120.1, 120.2], [28.6, 28.7]), option=None, source="s")


def test_declared_crs_that_fits_and_the_option_that_overrides_it():
    fits = choose_crs(CRS.from_epsg(4549), _extent([636_000, 637_000], [3_171_000, 3_172_000]), option=None,
                      source="s")
    assert fits.how == "declared in the file"
    given = choose_crs(CRS.from_epsg(4326), _extent([636_000, 637_000], [3_171_000, 3_172_000]),
                       option="EPSG:4549", source="s")
    assert given.how == "given with --crs (overrides the file's EPSG:4326 WGS 84)"


def test_offset_systems_need_lon_lat():
    with pytest.raises(CrsError, match="--crs gcj02 needs longitude/latitude"):
        choose_crs(None, _extent([636_000, 637_000], [3_171_000, 3_172_000]), option="gcj02", source="s")


@pytest.mark.parametrize(("lon", "lat", "epsg"), [
    (121.40, 28.65, 4549), (120.10, 28.65, 4549), (73.5, 39.0, 4534), (136.49, 45.0, 4554),
    (14.40, 50.10, 32633), (-2.09, 50.64, 32630), (136.5, 45.0, 32653), (151.2, -33.9, 32756),
])
def test_working_crs_of_a_new_park(lon, lat, epsg):
    assert working_epsg_for(lon, lat)[0] == epsg


def test_crs_names_in_columns():
    projected = _extent([384_705, 403_378], [78_646, 94_267])
    assert crs_detect.crs_from_name("OSGB36", projected)[0].to_epsg() == 27700
    assert crs_detect.crs_from_name("OSGB36", _extent([-2.1, -2.0], [50.6, 50.7]))[0].to_epsg() == 4277
    assert crs_detect.crs_from_name("EPSG:3826", projected)[0].to_epsg() == 3826
    assert crs_detect.crs_from_name("gcj02", None)[1] == "gcj02"
    with pytest.raises(CrsError, match="not a CRS ParkAtlas knows"):
        crs_detect.crs_from_name("local grid", projected)
