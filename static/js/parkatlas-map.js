/*
 * ParkAtlas map helpers, used by the maps geo/maps.py builds.
 *
 * Layers arrive as GeoJSON whose features carry their own colour (`_c`) and,
 * for roads, line weight (`_w`), for zones fill opacity (`_fo`), computed in Python from the layer registry, so
 * styling costs one lookup per feature in the browser. Popups are built as DOM
 * text (textContent), never as HTML: names come from users' files. A feature's
 * kept source attributes follow its fields: inline (`source_attributes`), or
 * fetched from the API item when the popup opens (`_k` set, `spec.itemUrl`).
 *
 * Page scripts and tests reach the map as window.parkatlas.map and each layer
 * as window.parkatlas.layers[<layer name>] (an L.GeoJSON).
 */
(function () {
  "use strict";

  var parkatlas = (window.parkatlas = window.parkatlas || {});
  parkatlas.layers = parkatlas.layers || {};
  parkatlas.lang = parkatlas.lang || "zh-CN";

  var MISSING = "—";

  function formatValue(value, field) {
    if (value === null || value === undefined || value === "") {
      return MISSING;
    }
    var text;
    if (typeof value === "number") {
      text = value.toLocaleString(parkatlas.lang, { maximumFractionDigits: field.digits === undefined ? 2 : field.digits });
    } else if (typeof value === "boolean") {
      text = value ? parkatlas.yes || "是" : parkatlas.no || "否";
    } else {
      text = String(value);
    }
    return field.unit ? text + " " + field.unit : text;
  }

  function popupContent(feature, spec) {
    var box = document.createElement("div");
    box.className = "pa-popup";
    var title = document.createElement("div");
    title.className = "pa-popup-title";
    title.textContent = spec.title + (feature.id === undefined || feature.id === null ? "" : " " + feature.id);
    box.appendChild(title);
    var table = document.createElement("table");
    var properties = feature.properties || {};
    spec.popupFields.forEach(function (field) {
      var row = table.insertRow();
      var head = document.createElement("th");
      head.textContent = field.label;
      row.appendChild(head);
      row.insertCell().textContent = formatValue(properties[field.name], field);
    });
    box.appendChild(table);
    keptRows(table, properties.source_attributes, spec);
    return box;
  }

  /** Rows for a feature's kept source attributes ({name: value}), under a heading row; names are the source's. */
  function keptRows(table, kept, spec) {
    if (!kept || typeof kept !== "object") {
      return;
    }
    var names = Object.keys(kept);
    if (!names.length) {
      return;
    }
    var heading = table.insertRow();
    heading.className = "pa-popup-kept";
    var cell = document.createElement("th");
    cell.colSpan = 2;
    cell.textContent = spec.keptTitle || "";
    heading.appendChild(cell);
    names.forEach(function (name) {
      var row = table.insertRow();
      var head = document.createElement("th");
      head.textContent = name;
      row.appendChild(head);
      row.insertCell().textContent = formatValue(kept[name], {});
    });
  }

  /** Fetch a feature's kept source attributes from the API item and add them to its open popup. */
  function fetchKept(feature, featureLayer, box, spec) {
    fetch(spec.itemUrl + encodeURIComponent(feature.id), { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (item) {
        if (item && item.properties) {
          keptRows(box.querySelector("table"), item.properties.source_attributes, spec);
          var popup = featureLayer.getPopup();
          if (popup) {
            popup.update();
          }
        }
      })
      .catch(function () {
        return null; // the registry's fields are still shown
      });
  }

  function featureStyle(feature, spec) {
    var style = Object.assign({}, spec.style);
    var properties = feature.properties || {};
    if (properties._c) {
      if (spec.colorTarget !== "stroke") {
        style.fillColor = properties._c;
      }
      if (spec.colorTarget !== "fill") {
        style.color = properties._c;
      }
    }
    if (typeof properties._w === "number") {
      style.weight = properties._w;
    }
    if (typeof properties._fo === "number") {
      style.fillOpacity = properties._fo;
    }
    return style;
  }

  // Shared with parkatlas-tiles.js, which styles and fills popups of tiled layers the same way.
  parkatlas.featureStyle = featureStyle;
  parkatlas.popupContent = popupContent;
  // Shared with parkatlas-tools.js (identify popups, attribute table).
  parkatlas.formatValue = formatValue;
  parkatlas.fetchKept = fetchKept;

  /** Remember the map and the page's language texts (called by the map's script, before any layer). */
  parkatlas.setMap = function (map, options) {
    parkatlas.map = map;
    Object.assign(parkatlas, options || {});
    return map;
  };

  /** An L.GeoJSON layer styled from its features' properties; registered as parkatlas.layers[key]. */
  parkatlas.geoJsonLayer = function (key, spec, data) {
    var layer = L.geoJSON(data, {
      style: function (feature) {
        return featureStyle(feature, spec);
      },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: spec.radius || 6 });
      },
      onEachFeature: function (feature, featureLayer) {
        featureLayer.bindPopup(function () {
          var box = popupContent(feature, spec);
          if (spec.itemUrl && feature.properties && feature.properties._k) {
            fetchKept(feature, featureLayer, box, spec);
          }
          return box;
        });
      },
    });
    layer.parkatlasSpec = spec; // the tools read titles and fields from it
    parkatlas.layers[key] = layer;
    return layer;
  };
})();
