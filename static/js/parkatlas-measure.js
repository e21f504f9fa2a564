/*
 * ParkAtlas measure and print tools, on every map geo/maps.py's ParkMap builds.
 *
 * Measure: the user clicks vertices of a line or polygon (double-click finishes,
 * Esc cancels); the vertices go in EPSG:4326 to POST /api/measure, which projects
 * them to the park's working CRS (Gauss-Krüger) and answers length, area and the
 * text to show in the page's language. Nothing is measured here in degrees.
 * (A small drawing of our own, not Leaflet.draw: it would add two scripts and a
 * stylesheet to every map page for a polyline.)
 *
 * Print: opens /map/print.pdf for the current view — bbox, the park layers shown,
 * the page's as-of day and its title — which the server draws in the park's CRS.
 *
 * Texts and URLs come from the map's options (parkatlas.measureTools, set by ParkMap);
 * results are shown as DOM text. POSTs carry the CSRF token (parkatlas-csrf.js).
 */
(function () {
  "use strict";

  var parkatlas = (window.parkatlas = window.parkatlas || {});

  function button(container, text, name) {
    var link = L.DomUtil.create("a", "pa-tool pa-tool-" + name, container);
    link.href = "#";
    link.setAttribute("role", "button");
    link.dataset.tool = name;
    link.textContent = text;
    L.DomEvent.disableClickPropagation(link);
    return link;
  }

  /** The page's as-of day: ?as_of= in the URL, else the page's as_of field, else none (the park's day). */
  function pageDay() {
    var asked = new URLSearchParams(window.location.search).get("as_of");
    if (asked) {
      return asked;
    }
    var field = document.querySelector('input[name="as_of"]');
    return field && field.value ? field.value : "";
  }

  function pageTitle() {
    var heading = document.querySelector("main h1, h1");
    return (heading ? heading.textContent : document.title).replace(/\s+/g, " ").trim();
  }

  /** The URL of the print of ``map``'s current view. */
  function printUrl(map, tools) {
    var bounds = map.getBounds();
    var bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map(function (value) {
      return value.toFixed(6);
    });
    var shown = (tools.printLayers || []).filter(function (name) {
      var layer = parkatlas.layers[name];
      return layer && map.hasLayer(layer);
    });
    var query = new URLSearchParams({ bbox: bbox.join(","), title: pageTitle(), lang: tools.lang || "zh" });
    if (shown.length) {
      query.set("layers", shown.join(","));
    }
    var day = pageDay();
    if (day) {
      query.set("as_of", day);
    }
    return tools.printUrl + "?" + query.toString();
  }

  function addTools(map, tools) {
    var labels = tools.labels || {};
    var state = { kind: null, points: [], shape: null, guide: null };
    var control = L.control({ position: "topleft" });
    var result;

    function clearShape() {
      [state.shape, state.guide].forEach(function (layer) {
        if (layer) {
          map.removeLayer(layer);
        }
      });
      state.shape = state.guide = null;
    }

    function stop() {
      state.kind = null;
      state.points = [];
      map.doubleClickZoom.enable();
      map.getContainer().classList.remove("pa-measuring");
      if (state.guide) {
        map.removeLayer(state.guide);
        state.guide = null;
      }
    }

    function redraw() {
      if (state.shape) {
        map.removeLayer(state.shape);
      }
      var options = { color: "#0050b3", weight: 3, dashArray: "6 4", interactive: false };
      state.shape = (state.kind === "polygon" ? L.polygon : L.polyline)(state.points, options).addTo(map);
    }

    function show(text, failed) {
      result.textContent = text;
      result.classList.toggle("pa-tool-error", Boolean(failed));
      result.hidden = !text;
    }

    function send(kind, points) {
      show(labels.measuring || "…", false);
      var coordinates = points.map(function (point) {
        return [point.lng, point.lat];
      });
      return fetch(tools.measureUrl + "?lang=" + encodeURIComponent(tools.lang || "zh"), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ kind: kind, coordinates: coordinates }),
      })
        .then(function (response) {
          return response.json().then(function (body) {
            return { ok: response.ok, body: body };
          });
        })
        .then(function (answer) {
          if (answer.ok) {
            show(answer.body.text, false);
            parkatlas.lastMeasurement = answer.body;
          } else {
            var error = answer.body && answer.body.error;
            show((labels.failed || "") + ": " + (error ? error.message : ""), true);
          }
        })
        .catch(function () {
          show(labels.failed || "", true);
        });
    }

    function finish() {
      var kind = state.kind;
      var points = state.points.slice();
      stop();
      if (points.length >= (kind === "polygon" ? 3 : 2)) {
        return send(kind, points);
      }
      clearShape();
      return null;
    }

    function start(kind) {
      stop();
      clearShape();
      show(labels.hint || "", false);
      state.kind = kind;
      map.doubleClickZoom.disable();
      map.getContainer().classList.add("pa-measuring");
    }

    // Clicks are taken on the map's element before Leaflet sees them (capture phase): a feature's popup
    // stops a click reaching the map, and while measuring a click is a vertex, not a popup.
    var container = map.getContainer();
    var pressed = null;
    function onMap(event) {
      return state.kind && !(event.target.closest && event.target.closest(".leaflet-control"));
    }
    container.addEventListener("mousedown", function (event) {
      pressed = [event.clientX, event.clientY];
    }, true);
    container.addEventListener("click", function (event) {
      if (!onMap(event)) {
        return;
      }
      event.stopPropagation();
      var dragged = pressed && Math.abs(pressed[0] - event.clientX) + Math.abs(pressed[1] - event.clientY) > 4;
      if (dragged) {
        return; // the end of a pan, not a vertex
      }
      var latlng = map.mouseEventToLatLng(event);
      var last = state.points[state.points.length - 1];
      if (!last || !last.equals(latlng)) {
        state.points.push(latlng);
        redraw();
      }
    }, true);
    container.addEventListener("dblclick", function (event) {
      if (onMap(event)) {
        event.stopPropagation();
        finish();
      }
    }, true);
    map.on("mousemove", function (event) {
      if (!state.kind || !state.points.length) {
        return;
      }
      var last = state.points[state.points.length - 1];
      if (state.guide) {
        state.guide.setLatLngs([last, event.latlng]);
      } else {
        state.guide = L.polyline([last, event.latlng], { color: "#0050b3", weight: 1, interactive: false }).addTo(map);
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && state.kind) {
        stop();
        clearShape();
        show("", false);
      }
    });

    control.onAdd = function () {
      var box = L.DomUtil.create("div", "leaflet-bar pa-tools");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      button(box, labels.measureLine, "line").addEventListener("click", function (event) {
        event.preventDefault();
        start("line");
      });
      button(box, labels.measureArea, "polygon").addEventListener("click", function (event) {
        event.preventDefault();
        start("polygon");
      });
      button(box, labels.clear, "clear").addEventListener("click", function (event) {
        event.preventDefault();
        stop();
        clearShape();
        show("", false);
      });
      var print = button(box, labels.print, "print");
      print.addEventListener("click", function (event) {
        event.preventDefault();
        var url = printUrl(map, tools);
        parkatlas.lastPrintUrl = url;
        window.open(url, "_blank", "noopener");
      });
      result = L.DomUtil.create("div", "pa-tool-result", box);
      result.setAttribute("aria-live", "polite");
      result.hidden = true;
      return box;
    };
    control.addTo(map);
    // For tests and page scripts: measure given vertices as if drawn, and the print URL of the view.
    parkatlas.measure = function (kind, latlngs) {
      start(kind);
      state.points = latlngs.map(function (point) {
        return L.latLng(point);
      });
      redraw();
      return finish();
    };
    parkatlas.printUrl = function () {
      return printUrl(map, tools);
    };
  }

  var setMap = parkatlas.setMap;
  parkatlas.setMap = function (map, options) {
    var result = setMap(map, options);
    if (options && options.measureTools) {
      addTools(map, options.measureTools);
    }
    return result;
  };
})();
