/*
 * ParkAtlas GCJ-02 map CRS, for maps over Gaode's tiles (geo/maps_basemaps.py, PARKATLAS_BASEMAP=gaode).
 *
 * Gaode draws China in GCJ-02, a published non-linear offset of WGS84 by hundreds of metres.
 * L.CRS.ParkAtlasGCJ02 is Web Mercator whose projection first applies that offset, so every
 * layer, click and bound of the map stays in WGS84 (EPSG:4326, as the app sends and receives)
 * while it is drawn where Gaode's map shows the same place. The maths are geo/gcj02.py's: the
 * forward closed formula (Krasovsky constants, inside the China box only) and its inverse by
 * fixed-point iteration to 1e-10° (tests/test_web_basemaps_browser.py checks both against
 * geo/gcj02.py).
 */
(function () {
  "use strict";

  var A = 6378245.0;
  var EE = 0.00669342162296594323;
  var CHINA = [72.004, 0.8293, 137.8347, 55.8271]; // lon_min, lat_min, lon_max, lat_max
  var TOLERANCE_DEG = 1e-10;
  var MAX_ITERATIONS = 50;

  function outOfChina(lon, lat) {
    return !(lon >= CHINA[0] && lon <= CHINA[2] && lat >= CHINA[1] && lat <= CHINA[3]);
  }

  function shiftTerms(x, y) {
    var PI = Math.PI;
    var common = ((20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0) / 3.0;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + common +
      ((20.0 * Math.sin(y * PI) + 40.0 * Math.sin((y / 3.0) * PI)) * 2.0) / 3.0 +
      ((160.0 * Math.sin((y / 12.0) * PI) + 320.0 * Math.sin((y * PI) / 30.0)) * 2.0) / 3.0;
    var dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + common +
      ((20.0 * Math.sin(x * PI) + 40.0 * Math.sin((x / 3.0) * PI)) * 2.0) / 3.0 +
      ((150.0 * Math.sin((x / 12.0) * PI) + 300.0 * Math.sin((x / 30.0) * PI)) * 2.0) / 3.0;
    return [dlon, dlat];
  }

  /** GCJ-02 minus WGS84 at a WGS84 point, in degrees; [0, 0] outside the China box. */
  function offset(lon, lat) {
    if (outOfChina(lon, lat)) {
      return [0, 0];
    }
    var terms = shiftTerms(lon - 105.0, lat - 35.0);
    var radlat = (lat / 180.0) * Math.PI;
    var magic = 1.0 - EE * Math.sin(radlat) * Math.sin(radlat);
    var sqrtMagic = Math.sqrt(magic);
    var dlat = (terms[1] * 180.0) / (((A * (1.0 - EE)) / (magic * sqrtMagic)) * Math.PI);
    var dlon = (terms[0] * 180.0) / ((A / sqrtMagic) * Math.cos(radlat) * Math.PI);
    return [dlon, dlat];
  }

  function toGcj02(lon, lat) {
    var d = offset(lon, lat);
    return [lon + d[0], lat + d[1]];
  }

  function toWgs84(lon, lat) {
    var x = [lon, lat];
    for (var i = 0; i < MAX_ITERATIONS; i++) {
      var f = toGcj02(x[0], x[1]);
      var errLon = f[0] - lon;
      var errLat = f[1] - lat;
      x = [x[0] - errLon, x[1] - errLat];
      if (Math.max(Math.abs(errLon), Math.abs(errLat)) < TOLERANCE_DEG) {
        break;
      }
    }
    return x;
  }

  var mercator = L.Projection.SphericalMercator;
  var projection = {
    bounds: mercator.bounds,
    project: function (latlng) {
      var gcj = toGcj02(latlng.lng, latlng.lat);
      return mercator.project(L.latLng(gcj[1], gcj[0]));
    },
    unproject: function (point) {
      var gcj = mercator.unproject(point);
      var wgs = toWgs84(gcj.lng, gcj.lat);
      return L.latLng(wgs[1], wgs[0]);
    },
  };

  L.CRS.ParkAtlasGCJ02 = L.extend({}, L.CRS.EPSG3857, { code: "EPSG:3857+GCJ-02", projection: projection });

  var parkatlas = (window.parkatlas = window.parkatlas || {});
  parkatlas.gcj02 = { toGcj02: toGcj02, toWgs84: toWgs84 };
})();
