/*
 * ParkAtlas map tools, on every map geo/maps.py's ParkMap builds (options: geo/maps_tools.py).
 *
 * - Search: a box asking /api/search; choosing a hit zooms to its box and outlines it
 *   (a box works for inline and tiled layers alike).
 * - Permalink: the view and the visible layers live in the URL's hash
 *   (#map=zoom/lat/lng&layers=a,b), kept up to date with history.replaceState; the
 *   query (the page's ?as_of=) is left as it is. Opening such a URL restores both.
 * - Identify: a click lists every feature under it in every visible GeoJSON layer,
 *   topmost first, the first one's attributes open (like QGIS's identify). Tiled
 *   layers keep their own popup (VectorGrid reports only the feature on top).
 * - Attribute table: the features of a visible layer within the view, sortable,
 *   following the map; a row click zooms to its feature.
 *
 * Every text from the data goes in as textContent: names come from users' files.
 * Needs parkatlas-map.js (and, for tiled layers, parkatlas-tiles.js) loaded first.
 */
(function () {
  "use strict";

  var parkatlas = (window.parkatlas = window.parkatlas || {});
  var tools = (parkatlas.tools = parkatlas.tools || {});
  var HIGHLIGHT = { color: "#00b8d4", weight: 4, opacity: 1, fill: false, interactive: false };
  var MOVE_DELAY_MS = 150; // a pan fires many events; the URL and the table follow once it settles

  function text(key, values) {
    var template = (tools.options.texts || {})[key] || key;
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && values[name] !== undefined ? String(values[name]) : whole;
    });
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined) {
      node.textContent = content;
    }
    return node;
  }

  function debounce(action, delay) {
    var timer = null;
    var later = function () {
      clearTimeout(timer);
      timer = setTimeout(action, delay);
    };
    later.cancel = function () {
      clearTimeout(timer);
    };
    return later;
  }

  /** The registered park layers, in the order they were added (the drawing order: last on top). */
  function layerKeys() {
    return Object.keys(parkatlas.layers || {});
  }

  function visibleKeys() {
    return layerKeys().filter(function (key) {
      return tools.map.hasLayer(parkatlas.layers[key]);
    });
  }

  function isGeoJson(layer) {
    return layer instanceof L.GeoJSON;
  }

  // -- highlight and zoom-to ------------------------------------------------------------------------

  function highlightPane(map) {
    if (!map.getPane("pa-highlight")) {
      var pane = map.createPane("pa-highlight");
      pane.style.zIndex = 640; // above features, below popups
      pane.style.pointerEvents = "none";
    }
    return "pa-highlight";
  }

  /** Outline `shape` (an L.LatLngBounds or a GeoJSON geometry/feature) on top of the map, replacing the last one. */
  tools.highlight = function (shape) {
    var map = tools.map;
    tools.highlightedFor = null; // set by identify when the outline belongs to its popup
    if (tools.highlighted) {
      map.removeLayer(tools.highlighted);
    }
    var pane = highlightPane(map);
    var renderer = tools.renderer || (tools.renderer = L.svg({ pane: pane }));
    var style = Object.assign({ pane: pane, renderer: renderer }, HIGHLIGHT);
    if (shape instanceof L.LatLngBounds) {
      tools.highlighted = L.rectangle(shape, style);
    } else {
      tools.highlighted = L.geoJSON(shape, {
        style: function () {
          return style;
        },
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, Object.assign({ radius: 10 }, style));
        },
      });
    }
    tools.highlighted.addTo(map);
    return tools.highlighted;
  };

  /** Fit the map to `bounds` (no closer than the tools' zoom limit) and outline `shape` (default: the bounds). */
  tools.zoomTo = function (bounds, shape) {
    tools.map.fitBounds(bounds, { maxZoom: tools.options.zoomToMax || 18, padding: [24, 24], animate: false });
    tools.highlight(shape || bounds);
  };

  function bboxBounds(bbox) {
    return L.latLngBounds([bbox[1], bbox[0]], [bbox[3], bbox[2]]);
  }

  // -- search -----------------------------------------------------------------------------------------

  function pageDay() {
    return new URLSearchParams(window.location.search).get("as_of");
  }

  function searchUrl(query) {
    var params = new URLSearchParams({ q: query, lang: tools.options.uiLang || "zh" });
    if (pageDay()) {
      params.set("as_of", pageDay());
    }
    return tools.options.searchUrl + "?" + params.toString();
  }

  function showHits(list, answer) {
    list.replaceChildren();
    if (!answer.hits.length) {
      list.appendChild(element("li", "pa-search-note", text("search_none")));
      return;
    }
    answer.hits.forEach(function (hit) {
      var item = element("li");
      var button = element("button", "pa-search-hit");
      button.type = "button";
      button.appendChild(element("span", "pa-search-label", hit.label));
      button.appendChild(element("span", "pa-search-layer", hit.layer));
      button.dataset.collection = hit.collection;
      button.dataset.id = hit.id;
      button.addEventListener("click", function () {
        tools.zoomTo(bboxBounds(hit.bbox));
        tools.lastHit = hit;
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    if (answer.matched > answer.hits.length) {
      list.appendChild(element("li", "pa-search-note", text("search_more", { n: answer.hits.length, m: answer.matched })));
    }
  }

  function runSearch(input, list) {
    var query = input.value.trim();
    if (!query) {
      list.replaceChildren();
      return Promise.resolve(null);
    }
    var asked = (tools.searchSeq = (tools.searchSeq || 0) + 1);
    return fetch(searchUrl(query), { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (answer) {
        if (asked !== tools.searchSeq) {
          return null; // a later search is under way
        }
        if (!answer.ok) {
          list.replaceChildren(element("li", "pa-search-note", (answer.body.error || {}).message || text("search_failed")));
          return null;
        }
        showHits(list, answer.body);
        return answer.body;
      })
      .catch(function () {
        list.replaceChildren(element("li", "pa-search-note", text("search_failed")));
        return null;
      });
  }

  function addSearch(map) {
    var control = L.control({ position: "topleft" });
    control.onAdd = function () {
      var box = element("div", "pa-tool pa-search leaflet-bar");
      var input = element("input", "pa-search-input");
      input.type = "search";
      input.placeholder = text("search_placeholder");
      input.setAttribute("aria-label", text("search_label"));
      input.title = text("search_label");
      var list = element("ul", "pa-search-hits");
      var later = debounce(function () {
        runSearch(input, list);
      }, 250);
      input.addEventListener("input", later);
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          later.cancel(); // this search answers the typing too
          runSearch(input, list).then(function (answer) {
            var first = list.querySelector(".pa-search-hit");
            if (answer && first) {
              first.click();
            }
          });
        }
      });
      box.appendChild(input);
      box.appendChild(list);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
  }

  // -- permalink --------------------------------------------------------------------------------------

  /** {view: [zoom, lat, lng] or null, layers: [keys] or null} read from a hash such as #map=16/28.6/121.4&layers=a,b. */
  tools.parseHash = function (hash) {
    var params = new URLSearchParams((hash || "").replace(/^#/, ""));
    var view = null;
    var parts = (params.get("map") || "").split("/").map(Number);
    if (parts.length === 3 && parts.every(isFinite)) {
      view = parts;
    }
    var layers = params.has("layers") ? params.get("layers").split(",").filter(Boolean) : null;
    return { view: view, layers: layers };
  };

  function currentHash() {
    var map = tools.map;
    var centre = map.getCenter();
    var digits = Math.max(0, Math.ceil(Math.log(Math.pow(2, map.getZoom())) / Math.LN10)) + 1;
    return "#map=" + map.getZoom() + "/" + centre.lat.toFixed(digits) + "/" + centre.lng.toFixed(digits) +
      "&layers=" + visibleKeys().map(encodeURIComponent).join(",");
  }

  /** Write the view into the URL (the path and query, the page's ?as_of= included, are kept). */
  tools.updateUrl = function () {
    var url = window.location.pathname + window.location.search + currentHash();
    if (url !== window.location.pathname + window.location.search + window.location.hash) {
      window.history.replaceState(window.history.state, "", url);
    }
    return window.location.href;
  };

  function restoreFromHash(map) {
    var wanted = tools.parseHash(window.location.hash);
    if (wanted.layers) {
      layerKeys().forEach(function (key) {
        var layer = parkatlas.layers[key];
        var show = wanted.layers.indexOf(key) >= 0;
        if (show && !map.hasLayer(layer)) {
          map.addLayer(layer);
        } else if (!show && map.hasLayer(layer)) {
          map.removeLayer(layer);
        }
      });
    }
    if (wanted.view) {
      map.setView([wanted.view[1], wanted.view[2]], wanted.view[0], { animate: false });
    }
  }

  function addLinkButton(map) {
    var control = L.control({ position: "topleft" });
    control.onAdd = function () {
      var box = element("div", "pa-tool pa-link leaflet-bar");
      var button = element("button", "pa-tool-button pa-copy-link", text("copy_link"));
      button.type = "button";
      button.title = text("copy_link_title");
      var shown = element("input", "pa-link-url");
      shown.readOnly = true;
      shown.hidden = true;
      shown.setAttribute("aria-label", text("link_label"));
      var note = element("span", "pa-link-note");
      note.setAttribute("role", "status");
      button.addEventListener("click", function () {
        var url = tools.updateUrl();
        shown.value = url;
        shown.hidden = false;
        shown.select();
        var copied = navigator.clipboard && navigator.clipboard.writeText ? navigator.clipboard.writeText(url)
          : Promise.reject(new Error("no clipboard"));
        copied.then(function () {
          note.textContent = text("link_copied");
        }).catch(function () {
          note.textContent = ""; // the link stays selected in the box, ready to copy by hand
        });
      });
      box.appendChild(button);
      box.appendChild(shown);
      box.appendChild(note);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
  }

  // -- identify ---------------------------------------------------------------------------------------

  /** The features of visible GeoJSON layers under `latlng`, topmost first: [{key, spec, feature, layer}]. */
  tools.featuresAt = function (latlng) {
    var map = tools.map;
    var point = map.latLngToLayerPoint(latlng);
    var hits = [];
    visibleKeys().reverse().forEach(function (key) {
      var group = parkatlas.layers[key];
      if (!isGeoJson(group) || !group.parkatlasSpec) {
        return;
      }
      group.getLayers().slice().reverse().forEach(function (featureLayer) {
        if (featureLayer._containsPoint && featureLayer._containsPoint(point)) {
          hits.push({ key: key, spec: group.parkatlasSpec, feature: featureLayer.feature, layer: featureLayer });
        }
      });
    });
    return hits;
  };

  function identifyContent(hits) {
    var box = element("div", "pa-identify");
    box.appendChild(element("div", "pa-identify-head", text("identify_count", { n: hits.length })));
    var bodies = [];
    hits.forEach(function (hit, index) {
      var head = element("button", "pa-identify-item", hit.spec.title +
        (hit.feature.id === undefined || hit.feature.id === null ? "" : " " + hit.feature.id));
      head.type = "button";
      head.dataset.layer = hit.key;
      var body = parkatlas.popupContent(hit.feature, hit.spec);
      if (parkatlas.fetchKept && hit.spec.itemUrl && hit.feature.properties && hit.feature.properties._k) {
        parkatlas.fetchKept(hit.feature, hit.layer, body, hit.spec); // the kept source attributes, as its popup
      }
      body.classList.add("pa-identify-body");
      body.hidden = index !== 0;
      head.setAttribute("aria-expanded", String(index === 0));
      head.addEventListener("click", function () {
        bodies.forEach(function (other) {
          other.body.hidden = other.body !== body;
          other.head.setAttribute("aria-expanded", String(other.body === body));
        });
        tools.highlight(hit.feature);
        tools.highlightedFor = hits;
        if (tools.identifyPopup) {
          tools.identifyPopup.update();
        }
      });
      bodies.push({ head: head, body: body });
      box.appendChild(head);
      box.appendChild(body);
    });
    return box;
  }

  // A page's own shapes with a popup (the history slider's changes) keep it: Leaflet stops such a click
  // before it reaches the map.
  function identify(event) {
    if (event.originalEvent && event.originalEvent === tools.lastClick) {
      return; // the same click reported twice
    }
    tools.lastClick = event.originalEvent;
    var target = event.originalEvent && event.originalEvent.target;
    if (tools.drawing || (target && target.closest && target.closest(".leaflet-marker-icon"))) {
      return; // a click of a shape being drawn or edited (Leaflet.draw, the editor's vertices), not a question
    }

    var hits = tools.featuresAt(event.latlng);
    if (!hits.length) {
      return;
    }
    tools.highlight(hits[0].feature);
    tools.highlightedFor = hits;
    // Never taller than the map leaves room for (the overview's map is short on a laptop): the list scrolls.
    var room = Math.max(120, Math.min(320, tools.map.getSize().y - 110));
    tools.identifyPopup = L.popup({ maxHeight: room, className: "pa-identify-popup" })
      .setLatLng(event.latlng)
      .setContent(identifyContent(hits))
      .openOn(tools.map);
    tools.identifyPopup.on("remove", function () {
      if (tools.highlighted && tools.highlightedFor === hits) {
        tools.map.removeLayer(tools.highlighted); // the outline goes with its popup
        tools.highlighted = null;
      }
    });
    tools.lastIdentified = hits;
  }

  /** Let clicks on inline features reach identify instead of opening their own popup (still bound: pages
   *  and tests may open it themselves). */
  function routeClicks(group) {
    if (!isGeoJson(group)) {
      return;
    }
    group.eachLayer(function (featureLayer) {
      if (featureLayer._openPopup) {
        featureLayer.off("click", featureLayer._openPopup, featureLayer);
      }
    });
  }

  // -- attribute table --------------------------------------------------------------------------------

  function tableFields(spec) {
    return spec.popupFields || [];
  }

  /** Every row of a GeoJSON layer within the view, [{id, properties, bounds, feature}] (sorted whole, then cut to
   *  the table's bound when shown), and how many there are. */
  function inlineRows(group, view) {
    var rows = [];
    group.eachLayer(function (featureLayer) {
      var bounds = featureLayer.getBounds ? featureLayer.getBounds() : L.latLngBounds([featureLayer.getLatLng()]);
      if (bounds.isValid() && view.intersects(bounds)) {
        rows.push({ id: featureLayer.feature.id, properties: featureLayer.feature.properties || {}, bounds: bounds,
          feature: featureLayer.feature });
      }
    });
    return Promise.resolve({ rows: rows, total: rows.length });
  }

  /** Rows of a tiled layer within the view, from the OGC API items (codes shown as their labels); the first
   *  `limit` of the API's order, so a header click sorts those. */
  function tiledRows(spec, view, limit) {
    var base = spec.itemUrl.replace(/\/$/, "");
    var params = new URLSearchParams({ bbox: view.toBBoxString(), limit: String(limit) });
    return fetch(base + "?" + params.toString(), { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (collection) {
        var rows = (collection.features || []).map(function (feature) {
          var shown = parkatlas.tilePopupProperties ? parkatlas.tilePopupProperties(feature.properties, {}, spec)
            : feature.properties;
          var bounds = feature.geometry ? L.geoJSON(feature).getBounds() : null;
          return { id: feature.id, properties: shown || {}, bounds: bounds, feature: feature };
        });
        var total = typeof collection.numberMatched === "number" ? collection.numberMatched : rows.length;
        return { rows: rows, total: total };
      });
  }

  function compareValues(a, b) {
    var missingA = a === null || a === undefined || a === "";
    var missingB = b === null || b === undefined || b === "";
    if (missingA || missingB) {
      return missingA === missingB ? 0 : missingA ? 1 : -1; // missing values last, both ways
    }
    if (typeof a === "number" && typeof b === "number") {
      return a - b;
    }
    return String(a).localeCompare(String(b), parkatlas.lang || "zh-CN", { numeric: true });
  }

  function sortRows(rows, sort) {
    if (!sort.field) {
      return rows;
    }
    return rows.slice().sort(function (a, b) {
      var order = compareValues(a.properties[sort.field], b.properties[sort.field]);
      var missing = a.properties[sort.field] === null || a.properties[sort.field] === undefined ||
        b.properties[sort.field] === null || b.properties[sort.field] === undefined;
      return missing ? order : sort.descending ? -order : order;
    });
  }

  function renderTable(panel, spec, result) {
    var table = element("table", "pa-table");
    var head = table.createTHead().insertRow();
    var sort = panel.sort;
    tableFields(spec).forEach(function (field) {
      var cell = element("th", null, field.label + (field.unit ? " (" + field.unit + ")" : ""));
      cell.dataset.field = field.name;
      cell.setAttribute("aria-sort", sort.field === field.name ? (sort.descending ? "descending" : "ascending") : "none");
      cell.tabIndex = 0;
      cell.addEventListener("click", function () {
        panel.sort = { field: field.name, descending: sort.field === field.name ? !sort.descending : false };
        renderTable(panel, spec, result);
      });
      cell.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          cell.click();
        }
      });
      head.appendChild(cell);
    });
    var body = table.createTBody();
    var shown = sortRows(result.rows, sort).slice(0, tools.tableRows);
    shown.forEach(function (row) {
      var line = body.insertRow();
      line.dataset.id = row.id;
      tableFields(spec).forEach(function (field) {
        // The unit is in the header.
        line.insertCell().textContent = parkatlas.formatValue(row.properties[field.name], { digits: field.digits });
      });
      line.tabIndex = 0;
      line.addEventListener("click", function () {
        if (row.bounds && row.bounds.isValid()) {
          tools.zoomTo(row.bounds, row.feature); // the table then follows the new view
        }
      });
      line.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          line.click();
        }
      });
    });
    panel.count.textContent = result.total ? text("table_count", { n: shown.length, m: result.total })
      : text("table_none");
    panel.body.replaceChildren(table);
    panel.box.dataset.shown = String(shown.length);
  }

  function fillLayerChoice(panel) {
    var keys = visibleKeys().filter(function (key) {
      return parkatlas.layers[key].parkatlasSpec;
    });
    var chosen = keys.indexOf(panel.select.value) >= 0 ? panel.select.value
      : keys.indexOf("parcels") >= 0 ? "parcels" : keys[0];
    panel.select.replaceChildren();
    keys.forEach(function (key) {
      var option = element("option", null, parkatlas.layers[key].parkatlasSpec.title);
      option.value = key;
      panel.select.appendChild(option);
    });
    if (chosen) {
      panel.select.value = chosen;
    }
    return chosen;
  }

  /** Rebuild the table for the chosen layer and the current view. */
  tools.refreshTable = function () {
    var panel = tools.table;
    if (!panel || panel.box.hidden) {
      return Promise.resolve(null);
    }
    var key = fillLayerChoice(panel);
    if (!key) {
      panel.count.textContent = text("table_no_layer");
      panel.body.replaceChildren();
      return Promise.resolve(null);
    }
    if (panel.key !== key) {
      panel.sort = {};
      panel.key = key;
    }
    var layer = parkatlas.layers[key];
    var spec = layer.parkatlasSpec;
    var map = tools.map;
    var limit = tools.tableRows;
    if (!isGeoJson(layer) && spec.minZoom && map.getZoom() < spec.minZoom) {
      panel.count.textContent = text("table_zoom_in", { z: spec.minZoom });
      panel.body.replaceChildren();
      return Promise.resolve(null);
    }
    var asked = (panel.seq = (panel.seq || 0) + 1);
    panel.count.textContent = text("loading");
    var rows = isGeoJson(layer) ? inlineRows(layer, map.getBounds()) : tiledRows(spec, map.getBounds(), limit);
    return rows.then(function (result) {
      if (asked === panel.seq) {
        renderTable(panel, spec, result);
        panel.box.dataset.layer = key;
        panel.box.dataset.total = String(result.total);
      }
      return result;
    }).catch(function () {
      if (asked === panel.seq) {
        panel.count.textContent = text("load_failed");
        panel.body.replaceChildren();
      }
      return null;
    });
  };

  function addTable(map) {
    var box = element("div", "pa-table-panel");
    box.hidden = true;
    var bar = element("div", "pa-table-bar");
    var label = element("label", "pa-table-layer", text("table_layer") + " ");
    var select = element("select", "pa-table-select");
    label.appendChild(select);
    var count = element("span", "pa-table-count");
    count.setAttribute("role", "status");
    var close = element("button", "pa-table-close", "×");
    close.type = "button";
    close.title = text("table_close");
    close.setAttribute("aria-label", text("table_close"));
    bar.appendChild(label);
    bar.appendChild(count);
    bar.appendChild(close);
    var body = element("div", "pa-table-body");
    box.appendChild(bar);
    box.appendChild(body);
    map.getContainer().appendChild(box);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    tools.table = { box: box, select: select, count: count, body: body, sort: {}, key: null };

    var control = L.control({ position: "topleft" });
    control.onAdd = function () {
      var holder = element("div", "pa-tool leaflet-bar");
      var button = element("button", "pa-tool-button pa-table-toggle", text("table"));
      button.type = "button";
      button.title = text("table_title");
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        box.hidden = !box.hidden;
        button.setAttribute("aria-pressed", String(!box.hidden));
        tools.refreshTable();
      });
      close.addEventListener("click", function () {
        box.hidden = true;
        button.setAttribute("aria-pressed", "false");
      });
      holder.appendChild(button);
      L.DomEvent.disableClickPropagation(holder);
      return holder;
    };
    control.addTo(map);
    select.addEventListener("change", function () {
      tools.refreshTable();
    });
  }

  // -- start ------------------------------------------------------------------------------------------

  function start(map, options) {
    if (tools.map === map) {
      return;
    }
    tools.map = map;
    tools.options = options || {};
    tools.tableRows = Number(document.body.dataset.mapTableRows) || 500;
    if (tools.options.searchUrl) {
      addSearch(map); // not on the public map: the search reads every layer
    }
    addLinkButton(map);
    addTable(map);
    layerKeys().forEach(function (key) {
      routeClicks(parkatlas.layers[key]);
    });
    restoreFromHash(map);
    window.addEventListener("hashchange", function () {
      restoreFromHash(map); // a link pasted over this page's own
    });
    map.on("click", identify);
    map.on("draw:drawstart draw:editstart draw:deletestart", function () {
      tools.drawing = true;
    });
    map.on("draw:drawstop draw:editstop draw:deletestop", function () {
      tools.drawing = false;
    });
    var settled = debounce(function () {
      tools.updateUrl();
      tools.refreshTable();
    }, MOVE_DELAY_MS);
    map.on("moveend overlayadd overlayremove layeradd layerremove", function (event) {
      if (event.type === "layeradd" || event.type === "layerremove") {
        if (layerKeys().every(function (key) { return parkatlas.layers[key] !== event.layer; })) {
          return; // a popup, a highlight, a tile: not a park layer
        }
      }
      settled();
    });
    tools.updateUrl();
    tools.ready = true;
  }

  // A page script adding a layer later (the expansion page's results) gets identify on it as well.
  var geoJsonLayer = parkatlas.geoJsonLayer;
  if (geoJsonLayer) {
    parkatlas.geoJsonLayer = function (key, spec, data) {
      var layer = geoJsonLayer(key, spec, data);
      if (tools.map) {
        routeClicks(layer);
      }
      return layer;
    };
  }

  // The map's own script calls setMap, then adds every layer and the layer control: start once all that ran.
  var setMap = parkatlas.setMap;
  parkatlas.setMap = function (map, options) {
    var result = setMap(map, options);
    var begin = function () {
      start(map, (options || {}).toolOptions);
    };
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", begin);
    } else {
      setTimeout(begin, 0);
    }
    return result;
  };
})();
