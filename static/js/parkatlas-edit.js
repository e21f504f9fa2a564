/*
 * ParkAtlas geometry editor, on the map geo/maps_edit.py builds.
 *
 * Reads its settings from <script type="application/json" id="pa-edit-data">
 * (web/edit.py): the record's geometry in lon/lat, where to post it, and the
 * texts in the page's language. It draws the record as an editable shape:
 * drag a vertex to move it, click a midpoint handle to add a vertex, right-click
 * (or long-press) a vertex to remove it. In "create" mode a click adds a vertex
 * and a double-click ends the shape. Parcels can be split along a drawn line.
 *
 * Saving posts JSON with the record's version and fingerprint; the CSRF header
 * is added by parkatlas-csrf.js. Messages are DOM text, never HTML.
 */
(function () {
  "use strict";

  // This file loads in <head>; the page's elements are read once the document is parsed (init).
  var data, T, tools, status, form;

  function init() {
    var dataElement = document.getElementById("pa-edit-data");
    if (!dataElement || !window.parkatlas || !window.L) {
      return false;
    }
    data = JSON.parse(dataElement.textContent);
    T = data.text;
    tools = document.getElementById("pa-edit-tools");
    status = document.getElementById("pa-edit-status");
    form = document.querySelector("form.record-form");
    return true;
  }

  function say(text, kind) {
    status.textContent = text;
    status.className = "edit-status " + (kind || "");
  }

  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", onClick);
    tools.appendChild(b);
    return b;
  }

  function formValue(name) {
    var input = form && form.querySelector('input[name="' + name + '"]');
    return input ? input.value : null;
  }

  // -- editable shape --------------------------------------------------------------------------

  var map = null;
  var shape = null; // L.Polygon, L.Polyline or L.Marker
  var handles = L.layerGroup();
  var original = null;

  function vertexIcon(kind) {
    return L.divIcon({ className: "pa-vertex pa-vertex-" + kind, iconSize: [12, 12] });
  }

  function rings(latlngs) {
    // Every array of LatLng in Leaflet's nested structure (rings of polygons, parts of lines).
    if (!latlngs.length) {
      return [];
    }
    if (latlngs[0] instanceof L.LatLng) {
      return [latlngs];
    }
    return latlngs.reduce(function (all, item) {
      return all.concat(rings(item));
    }, []);
  }

  function redraw() {
    shape.setLatLngs(shape.getLatLngs());
    drawHandles();
  }

  function drawHandles() {
    handles.clearLayers();
    if (!shape || shape instanceof L.Marker) {
      return;
    }
    var closed = shape instanceof L.Polygon;
    var minimum = closed ? 3 : 2;
    rings(shape.getLatLngs()).forEach(function (ring) {
      ring.forEach(function (latlng, i) {
        var vertex = L.marker(latlng, { draggable: true, icon: vertexIcon("corner"), keyboard: false });
        vertex.on("drag", function (event) {
          ring[i] = event.target.getLatLng();
          shape.setLatLngs(shape.getLatLngs());
        });
        vertex.on("dragend", drawHandles);
        vertex.on("contextmenu", function () {
          if (ring.length > minimum) {
            ring.splice(i, 1);
            redraw();
          }
        });
        handles.addLayer(vertex);
        var last = i === ring.length - 1;
        if (last && !closed) {
          return;
        }
        var next = ring[last ? 0 : i + 1];
        var middle = L.latLng((latlng.lat + next.lat) / 2, (latlng.lng + next.lng) / 2);
        var mid = L.marker(middle, { icon: vertexIcon("middle"), keyboard: false });
        mid.on("click", function () {
          ring.splice(i + 1, 0, middle);
          redraw();
        });
        handles.addLayer(mid);
      });
    });
  }

  function shapeFromGeoJSON(geometry) {
    var layer = L.geoJSON(geometry, {
      pointToLayer: function (feature, latlng) {
        return L.marker(latlng, { draggable: true });
      },
      style: function () {
        return { color: "#d7263d", weight: 3, fillOpacity: 0.15 };
      },
    });
    return layer.getLayers()[0];
  }

  function currentGeometry() {
    // Full precision: Leaflet rounds to 6 decimals (~0.1 m) by default, which would shift every untouched vertex.
    return shape ? shape.toGeoJSON(false).geometry : null;
  }

  // -- drawing a new shape or a split line ------------------------------------------------------------

  function drawLine(closed, done) {
    var points = [];
    var preview = closed ? L.polygon([], { color: "#d7263d", weight: 2 }) : L.polyline([], { color: "#1b4965", weight: 3, dashArray: "6 4" });
    preview.addTo(map);
    say(T.draw);
    map.doubleClickZoom.disable();
    function add(event) {
      points.push(event.latlng);
      preview.setLatLngs(points);
    }
    function finish() {
      map.off("click", add);
      map.off("dblclick", finish);
      map.doubleClickZoom.enable();
      done(preview, points);
    }
    map.on("click", add);
    map.on("dblclick", finish);
  }

  // -- saving ---------------------------------------------------------------------------------------

  function post(url, body) {
    say("…");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok) {
          say(T.saved, "ok");
          var target = data.urls.record || window.location.href;
          if (answer.parcels && answer.parcels.length) {
            target = target.replace(/[^/]+$/, encodeURIComponent(answer.parcels[0]));
          }
          window.location.assign(target);
          return;
        }
        var error = answer.error || {};
        var lines = [(response.status === 409 ? T.conflict : T.refused) + " " + (error.message || response.status)];
        (error.changes || []).forEach(function (change) {
          lines.push(change.user + " · " + change.at + " · " + change.field + ": " + (change.old_value || "—") + " → " + (change.new_value || "—"));
        });
        say(lines.join("\n"), "error");
      });
    });
  }

  function reasonText() {
    var input = form && form.querySelector('input[name="reason"]');
    return input ? input.value : "";
  }

  function start(theMap) {
    map = theMap;
    handles.addTo(map);
    if (data.mode === "create") {
      var input = document.getElementById("pa-new-geometry");
      if (data.geometryType === "Point") {
        say(T.draw);
        map.once("click", function (event) {
          shape = L.marker(event.latlng, { draggable: true }).addTo(map);
          input.value = JSON.stringify(currentGeometry());
          shape.on("dragend", function () {
            input.value = JSON.stringify(currentGeometry());
          });
        });
        return;
      }
      drawLine(data.geometryType === "Polygon", function (preview, points) {
        shape = preview;
        drawHandles();
        input.value = JSON.stringify(currentGeometry());
        shape.on("edit", function () {
          input.value = JSON.stringify(currentGeometry());
        });
        form.addEventListener("submit", function () {
          input.value = JSON.stringify(currentGeometry());
        });
      });
      return;
    }
    if (!data.geometry) {
      return;
    }
    original = data.geometry;
    shape = shapeFromGeoJSON(original);
    shape.addTo(map);
    drawHandles();
    button(T.save, function () {
      post(data.urls.geometry, {
        geometry: currentGeometry(),
        version: formValue("version"),
        fingerprint: formValue("fingerprint"),
        reason: reasonText(),
      });
    });
    button(T.reset, function () {
      map.removeLayer(shape);
      shape = shapeFromGeoJSON(original);
      shape.addTo(map);
      drawHandles();
    });
    if (data.urls.split) {
      button(T.split, function () {
        drawLine(false, function (preview) {
          var line = preview.toGeoJSON(false).geometry;
          button(T.splitSave, function () {
            post(data.urls.split, {
              geometry: line,
              version: formValue("version"),
              fingerprint: formValue("fingerprint"),
              reason: reasonText(),
            });
          });
        });
      });
    }
  }

  // The map's own script runs after this file loads; wait for it.
  function whenMapReady() {
    if (!init()) {
      return;
    }
    (function wait() {
      if (window.parkatlas.map) {
        start(window.parkatlas.map);
      } else {
        window.setTimeout(wait, 50);
      }
    })();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", whenMapReady);
  } else {
    whenMapReady();
  }
})();
