/*
 * ParkAtlas vector-tile layers (Leaflet.VectorGrid), for layers too large to send as GeoJSON.
 *
 * Tile features carry only their id and the fields styling reads; the page sends
 * the palette once (spec.palette) and colours are looked up here, then styled by
 * the same parkatlas.featureStyle as GeoJSON layers. A click fetches the feature's
 * attributes by id from the API and shows them with parkatlas.popupContent (DOM
 * text, never HTML). Needs parkatlas-map.js and Leaflet.VectorGrid loaded first.
 */
(function () {
  "use strict";

  var parkatlas = (window.parkatlas = window.parkatlas || {});
  parkatlas.layers = parkatlas.layers || {};

  // Leaflet.VectorGrid 1.3.0 calls L.DomEvent.fakeStop, which Leaflet 1.8 removed
  // (upstream fix: VectorGrid pull request 288, not yet released); stop() does its job.
  if (L.DomEvent && !L.DomEvent.fakeStop) {
    L.DomEvent.fakeStop = L.DomEvent.stop;
  }

  /** The _c/_w/_fo properties parkatlas.featureStyle reads, derived from a tile feature's fields. */
  function styleProperties(properties, spec) {
    var derived = {};
    if (!spec.colorField) {
      derived._c = spec.defaultColor;
    } else {
      var value = properties[spec.colorField];
      var key = value === undefined || value === null ? "" : String(value);
      if (spec.stdField) {
        key = (properties[spec.stdField] || spec.defaultStd) + "|" + key;
      }
      derived._c = Object.prototype.hasOwnProperty.call(spec.palette, key) ? spec.palette[key] : spec.defaultColor;
    }
    if (spec.weightField && typeof spec.weights[properties[spec.weightField]] === "number") {
      derived._w = spec.weights[properties[spec.weightField]];
    }
    if (spec.outlineField) {
      derived._fo = spec.outlineOnly.indexOf(properties[spec.outlineField]) >= 0 ? 0 : spec.style.fillOpacity;
    }
    return derived;
  }

  /** Popup values as shown: codes replaced by their labels, land-use codes by their class names. */
  function popupProperties(item, tileProperties, spec) {
    var shown = Object.assign({}, tileProperties, item || {});
    spec.popupFields.forEach(function (field) {
      var value = shown[field.name];
      if (value === undefined || value === null) {
        return;
      }
      var labels = spec.codeLabels[field.name];
      if (labels && Object.prototype.hasOwnProperty.call(labels, value)) {
        shown[field.name] = labels[value];
      } else if (field.name === "land_use") {
        var key = (shown.land_use_std || spec.defaultStd) + "|" + value;
        if (Object.prototype.hasOwnProperty.call(spec.landUseLabels, key)) {
          shown[field.name] = spec.landUseLabels[key];
        }
      }
    });
    return shown;
  }

  // The attribute table (parkatlas-tools.js) shows API items of tiled layers as their popups do.
  parkatlas.tilePopupProperties = popupProperties;

  function showPopup(map, latlng, id, tileProperties, spec) {
    var popup = L.popup().setLatLng(latlng);
    var render = function (item) {
      popup.setContent(parkatlas.popupContent({ id: id, properties: popupProperties(item, tileProperties, spec) }, spec));
      popup.openOn(map);
    };
    fetch(spec.itemUrl + encodeURIComponent(id), { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (feature) {
        render(feature ? feature.properties : null);
      })
      .catch(function () {
        render(null); // the tile's own fields are still worth showing
      });
  }

  var groups = {};

  /** One VectorGrid per tile URL: every tiled layer of a map shares it, so one canvas per tile keeps the
   *  drawing order and a click finds the feature on top whatever its layer. */
  function tileGroup(urlTemplate) {
    if (groups[urlTemplate]) {
      return groups[urlTemplate];
    }
    var group = { specs: {}, visible: {}, styles: {}, map: null, loaded: false, pending: false };
    group.grid = L.vectorGrid.protobuf(urlTemplate, {
      vectorTileLayerStyles: group.styles,
      rendererFactory: L.canvas.tile,
      interactive: true,
      pane: "overlayPane",
      maxNativeZoom: 22,
      getFeatureId: function (feature) {
        var spec = group.specs[feature.properties._layer];
        return spec ? feature.properties._layer + ":" + feature.properties[spec.idField] : undefined;
      },
    });
    group.grid.on("click", function (event) {
      var properties = (event.layer && event.layer.properties) || {};
      var spec = group.specs[properties._layer];
      var id = spec && properties[spec.idField];
      if (id !== undefined && id !== null && group.map) {
        showPopup(group.map, event.latlng, id, properties, spec);
      }
    });
    // Until the first tiles have arrived, their styles will read the visibility as it is then: no redraw needed.
    group.grid.on("load", function () {
      group.loaded = true;
    });
    groups[urlTemplate] = group;
    return group;
  }

  /** Redraw the shared tiles once, on the next frame, however many layers were switched. */
  function refresh(group) {
    if (!group.loaded || group.pending) {
      return;
    }
    group.pending = true;
    L.Util.requestAnimFrame(function () {
      group.pending = false;
      if (group.map && group.map.hasLayer(group.grid)) {
        group.grid.redraw();
      }
    });
  }

  function anyVisible(group) {
    return Object.keys(group.visible).some(function (key) {
      return group.visible[key];
    });
  }

  /** A map layer drawing `key` from the shared tile set at urlTemplate, styled like parkatlas.geoJsonLayer.
   *  Adding or removing it (layer control) shows or hides that layer's features. Registered as parkatlas.layers[key]. */
  parkatlas.tileLayer = function (key, spec, urlTemplate) {
    var group = tileGroup(urlTemplate);
    group.specs[key] = spec;
    group.visible[key] = false;
    group.styles[key] = function (properties) {
      if (!group.visible[key]) {
        return []; // VectorGrid draws nothing for an empty style list
      }
      var style = parkatlas.featureStyle({ properties: styleProperties(properties, spec) }, spec);
      style.fill = spec.geometry !== "LineString";
      style.radius = spec.radius || 6;
      return style;
    };
    var layer = L.Layer.extend({
      onAdd: function (map) {
        group.visible[key] = true;
        group.map = map;
        if (map.hasLayer(group.grid)) {
          refresh(group);
        } else {
          group.grid.addTo(map);
        }
      },
      onRemove: function (map) {
        group.visible[key] = false;
        if (anyVisible(group)) {
          refresh(group);
        } else {
          map.removeLayer(group.grid);
        }
      },
    });
    var proxy = new layer();
    proxy.grid = group.grid;
    proxy.parkatlasSpec = spec;
    parkatlas.layers[key] = proxy;
    return proxy;
  };
})();
