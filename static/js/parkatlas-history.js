/*
 * The overview's history slider: the changes of the chosen year (/api/report/changes) drawn over the map,
 * year after year when playing. Every text comes from the form's data attributes (the page's language);
 * feature values are set as DOM text by parkatlas.popupContent, never as HTML.
 */
(function () {
  "use strict";
  var form = document.getElementById("history");
  if (!form || !window.parkatlas) {
    return;
  }
  var slider = document.getElementById("history-year");
  var shown = document.getElementById("history-shown");
  var status = document.getElementById("history-status");
  var play = document.getElementById("history-play");
  var report = document.getElementById("history-report");
  var labels = JSON.parse(form.dataset.labels || "{}");
  var spec = {
    title: "",
    popupFields: [
      { name: "change_label", label: labels.change || "" },
      { name: "name", label: labels.name || "" },
    ],
    style: { color: "#333333", weight: 2, fillOpacity: 0.55 },
    colorTarget: "both",
    radius: 6,
  };
  var layer = null;
  var timer = null;
  var asked = 0;

  // The year's changes go in a pane of their own above the park, which is dimmed while they are shown.
  var map = window.parkatlas.map;
  if (map && !map.getPane("history")) {
    map.createPane("history").style.zIndex = 450;
  }
  var renderer = map ? L.svg({ pane: "history" }) : null;

  function clear() {
    if (layer && map) {
      map.removeLayer(layer);
    }
    layer = null;
    if (map) {
      map.getContainer().classList.remove("history-on");
    }
  }

  function changesLayer(data) {
    return L.geoJSON(data, {
      pane: "history",
      renderer: renderer,
      style: function (feature) {
        return window.parkatlas.featureStyle(feature, spec);
      },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: spec.radius, pane: "history", renderer: renderer });
      },
      onEachFeature: function (feature, featureLayer) {
        featureLayer.bindPopup(function () {
          return window.parkatlas.popupContent(feature, spec);
        });
      },
    });
  }

  /** The year's changes counted per change, each with its colour swatch (a legend of the replay). */
  function summary(year, data) {
    var counts = {};
    var colours = {};
    data.features.forEach(function (feature) {
      var label = feature.properties.change_label;
      counts[label] = (counts[label] || 0) + 1;
      colours[label] = feature.properties._c;
    });
    status.textContent = form.dataset.yearLabel.replace("{year}", year);
    var labels = Object.keys(counts);
    if (!labels.length) {
      status.appendChild(document.createTextNode(form.dataset.none));
    }
    labels.forEach(function (label, index) {
      var item = document.createElement("span");
      item.className = "history-item";
      var swatch = document.createElement("span");
      swatch.className = "swatch swatch-fill";
      swatch.style.setProperty("--swatch", colours[label]);
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(label + " " + counts[label] + (index < labels.length - 1 ? " · " : "")));
      status.appendChild(item);
    });
  }

  function show(year) {
    var ticket = ++asked;
    shown.value = String(year);
    report.href = report.href.split("?")[0] + "?year=" + year;
    var url = form.dataset.url + "?year=" + year + "&lang=" + encodeURIComponent(form.dataset.lang);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (answer) {
        if (!answer.ok) {
          throw new Error(String(answer.status));
        }
        return answer.json();
      })
      .then(function (data) {
        if (ticket !== asked) {
          return; // a later year was asked meanwhile
        }
        data.features.forEach(function (feature) {
          feature.id = feature.properties.record_id; // the popup's title: the record, not the change key
        });
        clear();
        layer = changesLayer(data).addTo(map);
        map.getContainer().classList.add("history-on");
        window.parkatlas.layers.history = layer;
        summary(year, data);
        form.dataset.shownYear = String(year);
        form.dataset.shownFeatures = String(data.features.length);
      })
      .catch(function () {
        if (ticket === asked) {
          status.textContent = form.dataset.failed;
        }
      });
  }

  function stop() {
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    play.textContent = play.dataset.play;
  }

  function step() {
    var year = Number(slider.value);
    show(year).then(function () {
      if (!timer) {
        return;
      }
      if (year >= Number(slider.max)) {
        stop();
        return;
      }
      timer = window.setTimeout(function () {
        slider.value = String(year + 1);
        step();
      }, 1200);
    });
  }

  slider.addEventListener("change", function () {
    stop();
    show(Number(slider.value));
  });
  slider.addEventListener("input", function () {
    shown.value = slider.value;
  });
  play.addEventListener("click", function () {
    if (timer) {
      stop();
      return;
    }
    if (Number(slider.value) >= Number(slider.max)) {
      slider.value = slider.min;
    }
    play.textContent = play.dataset.pause;
    timer = -1; // playing; the first step sets the real timer
    step();
  });
  document.getElementById("history-clear").addEventListener("click", function () {
    stop();
    asked++;
    clear();
    status.textContent = "";
    delete form.dataset.shownYear;
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
  });
})();
