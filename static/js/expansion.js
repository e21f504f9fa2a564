/*
 * ParkAtlas expansion page: the bridge between the Leaflet.draw tool and Flask.
 *
 * A polygon or rectangle drawn on the map (or a GeoJSON file chosen in the upload
 * field) is posted as GeoJSON (EPSG:4326) to POST /api/expansion with the page's
 * options; the answer's result layers are added to the map with the shared
 * parkatlas.geoJsonLayer helper and its figures are written into the result
 * panel as DOM text (never innerHTML: names and messages come from data and
 * users). The page's first result (the chosen expansion zone, or a saved scenario reopened with
 * ?scenario=, whose area becomes the drawing) is drawn the same way; saving reopens the saved scenario.
 *
 * Tests reach the state as window.parkatlas.expansion (last result, last area, post()).
 */
(function () {
  "use strict";

  var parkatlas = (window.parkatlas = window.parkatlas || {});
  var config = JSON.parse(document.getElementById("expansion-config").textContent);
  var initial = JSON.parse(document.getElementById("expansion-initial").textContent);
  var labels = config.labels;
  var map = parkatlas.map;
  var panel = document.getElementById("expansion-result");
  var state = (parkatlas.expansion = { last: null, area: null, zone: config.zone, busy: false, layers: [] });
  var resultControl = L.control.layers(null, null, { collapsed: false, position: "bottomright" }).addTo(map);

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  /** A number with thousands separators: up to two decimals, or exactly ``digits`` when given (87,637.7). */
  function number(value, digits) {
    if (value === null || value === undefined || (typeof value === "number" && !isFinite(value))) {
      return "—";
    }
    return Number(value).toLocaleString(config.lang === "en" ? "en" : "zh-CN", {
      minimumFractionDigits: digits === undefined ? 0 : digits,
      maximumFractionDigits: digits === undefined ? 2 : digits,
    });
  }

  function table(head, rows) {
    var t = el("table");
    var tr = t.createTHead().insertRow();
    head.forEach(function (h) {
      tr.appendChild(el("th", h));
    });
    var body = t.createTBody();
    rows.forEach(function (row) {
      var r = body.insertRow();
      row.forEach(function (cell, i) {
        var td = r.insertCell();
        if (cell instanceof Node) {
          td.appendChild(cell);
        } else if (i > 0 && typeof cell === "number") {
          td.textContent = number(cell);
        } else {
          td.textContent = cell === null || cell === undefined ? "—" : String(cell);
        }
        if (i > 0 && typeof cell === "number") {
          td.className = "num";
        }
      });
    });
    return t;
  }

  function clearLayers() {
    state.layers.forEach(function (layer) {
      map.removeLayer(layer);
      resultControl.removeLayer(layer);
    });
    state.layers = [];
  }

  function showLayers(layers) {
    clearLayers();
    layers.forEach(function (item) {
      var layer = parkatlas.geoJsonLayer(item.key, item.spec, item.data);
      if (item.key !== "exp_needs") {
        layer.addTo(map);
      }
      resultControl.addOverlay(layer, item.name);
      state.layers.push(layer);
    });
  }

  function renderPanel(result) {
    panel.replaceChildren();
    var c = result.constraints;
    panel.appendChild(el("h3", labels.net));
    var net = el("p", number(c.net.mu) + " " + labels.mu + " · " + number(c.net.km2, 3) + " " + labels.km2, "net-area");
    net.id = "exp-net-mu";
    net.dataset.mu = c.net.mu;
    panel.appendChild(net);
    var rows = [[labels.gross, c.gross.mu, c.gross.km2, ""]];
    c.excluded.forEach(function (row) {
      if (row.excluded.m2 > 0) {
        rows.push([row.label, row.attributed.mu, row.attributed.km2, row.excluded.mu]);
      }
    });
    rows.push([labels.net, c.net.mu, c.net.km2, ""]);
    panel.appendChild(table(["", labels.attributed + " (" + labels.mu + ")", labels.km2, labels.own + " (" + labels.mu + ")"], rows));
    panel.appendChild(el("p", labels.gross_note, "muted gross-note"));
    c.warnings.forEach(function (w) {
      panel.appendChild(el("p", w, "warn"));
    });
    var a = c.approval;
    panel.appendChild(el("h3", labels.approval));
    var level = labels[a.level] + (a.cultivated_known ? "" : " · " + labels.if_all_cultivated + ": " + labels[a.level_if_all_cultivated]);
    panel.appendChild(el("p", level, "approval-level"));
    if (c.soft.length) {
      panel.appendChild(el("h3", labels.soft));
      panel.appendChild(table(["", labels.mu, ""], c.soft.map(function (s) {
        return [s.label, s.area.mu, s.approval];
      })));
    }
    var f = result.figures;
    panel.appendChild(el("h3", labels.plots));
    panel.appendChild(table(["", ""], labels.figures.filter(function (x) {
      return ["plots", "plots_mu", "leftovers_mu", "road_km", "pipe_km", "cost_wan", "mean_suitability"].indexOf(x[0]) >= 0;
    }).map(function (x) {
      var value = el("span", number(f[x[0]], x[3]));
      value.dataset.figure = x[0];
      return [x[1] + (x[2] ? " (" + x[2] + ")" : ""), value];
    })));
    var s = result.suitability;
    panel.appendChild(el("h3", labels.histogram));
    var most = Math.max.apply(null, s.histogram.map(function (h) { return h.cells; }).concat([1]));
    panel.appendChild(table(["", labels.cells, ""], s.histogram.map(function (h) {
      var bar = el("span", "", "exp-bar");
      bar.style.width = Math.round((120 * h.cells) / most) + "px";
      return [h.from + "–" + h.to, h.cells, bar];
    })));
    var infra = result.infrastructure;
    panel.appendChild(el("h3", labels.roads));
    panel.appendChild(table(["", labels.km, labels.cost], infra.roads_by_grade.map(function (r) {
      return [r.name || r.grade, r.km, r.cost_wan];
    })));
    panel.appendChild(el("h3", labels.pipes));
    panel.appendChild(table(["", labels.km, labels.cost], infra.pipes.map(function (p) {
      return [p.name || p.network, p.km, p.cost_wan];
    })));
    panel.appendChild(el("h3", labels.capacity));
    panel.appendChild(table(["", "", "", ""], infra.capacity.map(function (k) {
      var verdict = k.ok === null ? labels.unknown : k.ok ? labels.ok : labels.short;
      return [k.name || k.kind, number(k.capacity) + " " + (k.unit || ""), number(k.scenario) + " + " + number(k.existing), verdict];
    })));
    if (result.notes.length) {
      panel.appendChild(el("h3", labels.notes));
      var list = el("ul");
      result.notes.forEach(function (n) {
        list.appendChild(el("li", n));
      });
      panel.appendChild(list);
    }
  }

  function show(result) {
    state.last = result;
    showLayers(result.layers);
    renderPanel(result);
    panel.dataset.state = "done";
  }

  function fail(message) {
    panel.replaceChildren(el("p", labels.error, "error"), el("p", message, "error-message"));
    panel.dataset.state = "error";
  }

  function options() {
    var form = document.querySelector("form.exp-options");
    var out = {};
    ["cell_m", "layout", "spacing_m", "width_m", "targets_mu", "industry"].forEach(function (name) {
      var field = form && form.elements[name];
      if (field && field.value !== "") {
        out[name] = field.value;
      }
    });
    return out;
  }

  function withLang(url) {
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "lang=" + encodeURIComponent(config.lang);
  }

  /** POST JSON to one of our URLs; resolves with the answer, rejects with the server's message. */
  function postJson(url, body) {
    return fetch(withLang(url), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          throw new Error((data.error && data.error.message) || response.statusText);
        }
        return data;
      });
    });
  }

  function post(body) {
    state.busy = true;
    panel.dataset.state = "working";
    panel.replaceChildren(el("p", labels.working));
    return postJson(config.api, body)
      .then(show)
      .catch(function (error) {
        fail(error.message);
      })
      .finally(function () {
        state.busy = false;
      });
  }

  state.post = function (geometry) {
    state.area = geometry;
    state.zone = null;
    return post({ geometry: geometry, options: options() });
  };

  var drawn = new L.FeatureGroup().addTo(map);
  map.addControl(new L.Control.Draw({
    position: "topleft",
    draw: { polygon: { allowIntersection: false, showArea: true }, rectangle: true, polyline: false, circle: false,
            marker: false, circlemarker: false },
    edit: { featureGroup: drawn, remove: true },
  }));
  map.on(L.Draw.Event.CREATED, function (event) {
    drawn.clearLayers();
    drawn.addLayer(event.layer);
    state.post(event.layer.toGeoJSON().geometry);
  });
  map.on(L.Draw.Event.EDITED, function () {
    var layers = drawn.getLayers();
    if (layers.length) {
      state.post(layers[0].toGeoJSON().geometry);
    }
  });

  var upload = document.getElementById("exp-upload");
  if (upload) {
    upload.addEventListener("change", function () {
      var file = upload.files && upload.files[0];
      if (!file) {
        return;
      }
      // The server refuses a body over its JSON cap unread; say so here instead of sending it.
      if (config.maxJsonBytes && file.size > config.maxJsonBytes) {
        fail(labels.too_large);
        return;
      }
      file.text().then(function (text) {
        var data;
        try {
          data = JSON.parse(text);
        } catch (e) {
          fail(e.message);
          return;
        }
        drawn.clearLayers();
        var shape = L.geoJSON(data);
        shape.eachLayer(function (layer) {
          drawn.addLayer(layer);
        });
        if (drawn.getLayers().length) {
          map.fitBounds(drawn.getBounds());
        }
        state.post(data);
      });
    });
  }

  var save = document.getElementById("exp-save");
  if (save) {
    save.addEventListener("submit", function (event) {
      event.preventDefault();
      var message = document.getElementById("exp-save-message");
      var body = { name: save.elements.name.value, options: options() };
      if (state.area) {
        body.geometry = state.area;
      } else if (state.zone) {
        body.zone = state.zone;
      } else {
        message.textContent = labels.draw_first;
        return;
      }
      postJson(config.scenarios, body)
        .then(function (data) {
          message.textContent = labels.saved + ": " + data.name;
          // Reopen the saved scenario (its area and results stay on the map, and a reload keeps them).
          window.setTimeout(function () {
            window.location.assign(withLang(data.links.open));
          }, 600);
        })
        .catch(function (error) {
          message.textContent = error.message;
        });
    });
  }

  /** A reopened scenario: its saved area becomes the drawing (editable, saved again under its name). */
  function reopen(scenario) {
    drawn.clearLayers();
    L.geoJSON(scenario.geometry).eachLayer(function (layer) {
      drawn.addLayer(layer);
    });
    if (drawn.getLayers().length) {
      map.fitBounds(drawn.getBounds());
    }
    state.area = scenario.geometry;
    state.zone = null;
    state.scenario = scenario.name;
    if (save) {
      save.elements.name.value = scenario.name;
    }
  }

  if (initial) {
    show(initial);
    if (initial.scenario) {
      reopen(initial.scenario);
    }
  }
})();
