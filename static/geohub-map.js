/* geohub map layers: a choropleth and outline overlays drawn from TopoJSON the server sends once
   per level and vintage. Options come from the page as JSON. Every string from the store reaches
   the page through textContent, never innerHTML. */
(function (global) {
  "use strict";
  var pending = 0;

  function settle() {
    if (--pending === 0) { document.documentElement.setAttribute("data-geohub-ready", "true"); }
  }

  var requests = {};  // one request per URL, shared by the layers drawn from it

  function load(url) {
    pending += 1;
    if (!requests[url]) {
      requests[url] = fetch(url, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok) { throw new Error("geohub: " + url + " answered " + response.status); }
        return response.json();
      });
    }
    return requests[url];
  }

  /* A layer's boundaries: inline (self-contained exports) or fetched from the server. */
  function source(options) {
    if (options.data) { pending += 1; return Promise.resolve(options.data); }
    return load(options.url);
  }

  function features(data) {
    if (data.type !== "Topology") { return data; }
    var name = Object.keys(data.objects)[0];
    return topojson.feature(data, data.objects[name]);
  }

  function failed(error) {
    document.documentElement.setAttribute("data-geohub-error", String(error));
    console.error(error);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function tooltip(area, code) {
    var box = el("div", "geohub-tooltip");
    box.appendChild(el("strong", "name", area ? area.n : code));
    box.appendChild(el("div", "code", code));
    box.appendChild(el("div", "value", area ? area.t : "No data"));
    (area && area.m || []).forEach(function (member) {
      box.appendChild(el("div", "member", member[0] + ": " + member[1].join(", ")));
    });
    return box;
  }

  /* The legend folds behind a "Legend" button on every screen size (WCAG: a real button whose
     aria-expanded says its state); it starts folded where the map is narrow (a phone, a sidebar
     embed), so it does not cover a third of the map. */
  var NARROW = "(max-width: 480px)";

  function collapsible(map, node) {
    if (node.querySelector(".geohub-legend-toggle")) { return; }
    var button = el("button", "geohub-legend-toggle", "Legend");
    button.type = "button";
    button.setAttribute("aria-controls", node.id);
    node.insertBefore(button, node.firstChild);
    function show(open) {
      node.classList.toggle("geohub-legend-collapsed", !open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
      map.fire("geohub:legend");   // names hidden under the legend may now have room
    }
    button.addEventListener("click", function () {
      show(node.classList.contains("geohub-legend-collapsed"));
    });
    var narrow = global.matchMedia ? global.matchMedia(NARROW) : null;
    function follow() { show(!(narrow && narrow.matches)); }
    if (narrow && narrow.addEventListener) { narrow.addEventListener("change", follow); }
    follow();
  }

  /* Tooltips stay inside the map: Leaflet places a tooltip beside the pointer, on the side facing
     the map's centre; one wider than the room left there is moved back inside the map's frame. */
  var MARGIN = 4;

  /* On a narrow map the list of layers folds behind Leaflet's own "Layers" button (folium asks
     for it open), so it does not cover the top of the map and the zoom buttons. */
  if (global.L && L.Control && L.Control.Layers && global.matchMedia) {
    L.Control.Layers.addInitHook(function () {
      if (global.matchMedia(NARROW).matches) { this.options.collapsed = true; }
    });
  }

  function keepInside(tip) {
    var place = tip._setPosition;   // Leaflet 1.9 (vendored, pinned): where it positions a tooltip
    tip._setPosition = function (point) {
      place.call(this, point);
      var node = this._container, map = this._map;
      if (!node || !map) { return; }
      var box = node.getBoundingClientRect();
      var frame = map.getContainer().getBoundingClientRect();
      var dx = 0, dy = 0;
      if (box.right > frame.right - MARGIN) { dx = frame.right - MARGIN - box.right; }
      if (box.left + dx < frame.left + MARGIN) { dx = frame.left + MARGIN - box.left; }
      if (box.bottom > frame.bottom - MARGIN) { dy = frame.bottom - MARGIN - box.bottom; }
      if (box.top + dy < frame.top + MARGIN) { dy = frame.top + MARGIN - box.top; }
      if (dx || dy) { L.DomUtil.setPosition(node, L.DomUtil.getPosition(node).add([dx, dy])); }
    };
  }

  /* A click on an area opens a small panel: its name and value, a link to its profile and one
     that starts a comparison with it (the page says where: data-compare-url). Keyboard users
     open the profile with Enter on the area, and compare from the profile. */
  function panel(area, code, profile, compare) {
    var box = el("div", "geohub-panel");
    box.appendChild(el("strong", "name", area ? area.n : code));
    box.appendChild(el("div", "value", area ? area.t : "No data"));
    var links = el("div", "links");
    var open = el("a", "profile", "Open the profile");
    open.href = profile;
    links.appendChild(open);
    var add = el("a", "compare", "Add to comparison");
    add.href = compare + (compare.indexOf("?") < 0 ? "?" : "&") + "areas=" + encodeURIComponent(code);
    links.appendChild(add);
    box.appendChild(links);
    return box;
  }

  /* The legend lives in the page (rendered by the server); it becomes a map control that follows
     its layer: hidden when the layer is switched off. */
  function legend(map, id, layer) {
    var node = document.getElementById(id);
    if (!node || node.dataset.geohubMounted) { return; }
    node.dataset.geohubMounted = "true";
    node.querySelectorAll(".swatch").forEach(function (s) { s.style.background = s.dataset.colour; });
    node.querySelectorAll(".line").forEach(function (s) {
      s.style.borderTopColor = s.dataset.colour;
      s.style.borderTopWidth = s.dataset.weight + "px";
      s.style.borderTopStyle = s.dataset.dash ? "dashed" : "solid";
    });
    node.hidden = false;
    collapsible(map, node);
    var control = L.control({position: "bottomright"});
    control.onAdd = function () { L.DomEvent.disableClickPropagation(node); return node; };
    control.addTo(map);
    if (layer) {
      map.on("overlayadd overlayremove", function (event) {
        if (event.layer === layer) {
          node.querySelectorAll(".geohub-legend-title, .geohub-legend-classes").forEach(function (part) {
            part.hidden = event.type === "overlayremove";
          });
        }
      });
    }
  }

  function overlayLegendRow(map, layer, options) {
    map.on("overlayadd overlayremove", function (event) {
      if (event.layer !== layer) { return; }
      var row = document.querySelector("#" + options.legend + " [data-overlay='" + options.level + "']");
      if (row) { row.hidden = event.type === "overlayremove"; }
    });
  }

  /* Where an area's profile lives: the page says so on the map's frame (data-area-url). */
  function profileUrl(map, code) {
    var frame = map.getContainer().closest("[data-area-url]");
    return frame ? frame.dataset.areaUrl + encodeURIComponent(code) : null;
  }

  function compareUrl(map) {
    var frame = map.getContainer().closest("[data-compare-url]");
    return frame ? frame.dataset.compareUrl : null;
  }

  /* Each area's shape is named for assistive technology ("Leeds: 798,786 people") and, where it
     has a profile, is a link reached by Tab that opens it with Enter; focus shows its tooltip. */
  function describe(shape, area, code, profile) {
    var node = shape.getElement();
    if (!node) { return; }
    node.setAttribute("aria-label", (area ? area.n : code) + ": " + (area ? area.t : "No data"));
    if (profile) {
      node.setAttribute("role", "link");
      node.setAttribute("tabindex", "0");
      node.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { global.location.href = profile; }
      });
      node.addEventListener("focus", function () { shape.openTooltip(shape.getCenter()); });
      node.addEventListener("blur", function () { shape.closeTooltip(); });
    } else {
      node.setAttribute("role", "img");
    }
  }

  /* Area names (labels=auto|all): one per area at a point inside it, largest areas first; a name
     that would overlap one already shown, or the legend, is hidden until zooming makes room. The
     names repeat the areas' accessible names, so screen readers skip them. */
  function labels(map, options) {
    var group = L.layerGroup();
    var codes = Object.keys(options.labels);
    codes.forEach(function (code) {
      var area = options.areas[code];
      var text = el("span", "geohub-label-text", area ? area.n : code);
      var icon = L.divIcon({className: "geohub-label", html: text, iconSize: null});
      group.addLayer(L.marker(options.labels[code], {icon: icon, interactive: false,
                                                     keyboard: false}));
    });
    function declutter() {
      var taken = [];
      var legendNode = document.getElementById(options.legend);
      if (legendNode && !legendNode.hidden) { taken.push(legendNode.getBoundingClientRect()); }
      group.getLayers().forEach(function (marker) {
        var node = marker.getElement();
        if (!node) { return; }
        node.setAttribute("aria-hidden", "true");
        node.style.visibility = "visible";
        var box = node.getBoundingClientRect();
        var clash = taken.some(function (t) {
          return box.left < t.right && box.right > t.left && box.top < t.bottom && box.bottom > t.top;
        });
        if (clash) { node.style.visibility = "hidden"; } else { taken.push(box); }
      });
    }
    group.addTo(map);
    map.on("zoomend moveend resize geohub:legend", declutter);
    map.whenReady(function () { setTimeout(declutter, 0); });
    return group;
  }

  /* Outlines always above the choropleth, whichever file arrives first: their own pane. */
  function outlinePane(map) {
    if (!map.getPane("geohubOutlines")) {
      map.createPane("geohubOutlines").style.zIndex = 450;
    }
    return "geohubOutlines";
  }

  global.geohub = {
    choropleth: function (map, options) {
      var layer = L.geoJSON(null, {
        style: function (feature) {
          var area = options.areas[feature.properties.code];
          var known = area && area.c >= 0;
          return {fillColor: known ? options.colours[area.c] : options.missing, fillOpacity: 0.85,
                  color: options.outline, weight: 0.6, opacity: 1,
                  className: "geohub-area area-" + feature.properties.code + (known ? "" : " geohub-missing")};
        },
        onEachFeature: function (feature, shape) {
          var code = feature.properties.code;
          var area = options.areas[code];
          shape.bindTooltip(function () { return tooltip(area, code); },
                            {sticky: true, direction: "auto", className: "geohub-tip"});
          keepInside(shape.getTooltip());
          shape.on("mouseover", function () { shape.setStyle({weight: 2.5}); shape.bringToFront(); });
          shape.on("mouseout", function () { layer.resetStyle(shape); });
          var profile = profileUrl(map, code);
          var compare = compareUrl(map);
          if (profile && compare) {
            shape.bindPopup(function () { return panel(area, code, profile, compare); },
                            {className: "geohub-panel-popup", maxWidth: 260, autoPanPadding: [8, 8]});
            // while the panel is open, tooltips of the areas under the pointer would cover it
            shape.on("popupopen", function () { map.getContainer().classList.add("geohub-panel-open"); });
            shape.on("popupclose", function () { map.getContainer().classList.remove("geohub-panel-open"); });
          } else if (profile) {
            shape.on("click", function () { global.location.href = profile; });
          }
          shape.on("add", function () { describe(shape, area, code, profile); });
        }
      });
      source(options).then(function (data) { layer.addData(features(data)); settle(); })
        .catch(failed);
      legend(map, options.legend, layer);
      if (options.labels) { labels(map, options); }
      return layer;
    },

    overlay: function (map, options) {
      var s = options.style;
      var layer = L.geoJSON(null, {
        interactive: false,
        pane: outlinePane(map),
        style: function () {
          return {fill: false, color: s.color, weight: s.weight, dashArray: s.dashArray, opacity: 0.9,
                  className: "geohub-overlay geohub-overlay-" + options.level};
        }
      });
      source(options).then(function (data) { layer.addData(features(data)); settle(); })
        .catch(failed);
      legend(map, options.legend, null);
      overlayLegendRow(map, layer, options);
      return layer;
    },

    marked: function (map, options) {
      var wanted = {};
      options.codes.forEach(function (code) { wanted[code] = true; });
      var s = options.style;
      var filled = Boolean(s.fill);   // the overlap map fills them; map pages outline them
      var layer = L.geoJSON(null, {
        interactive: false,
        pane: filled ? "overlayPane" : outlinePane(map),
        filter: function (feature) { return wanted[feature.properties.code] === true; },
        style: function () {
          return {fill: filled, fillColor: s.fill, fillOpacity: 0.85, color: s.color, weight: s.weight,
                  dashArray: filled ? null : "2 6", opacity: 1,
                  className: "geohub-marked geohub-marked-" + options.level + (filled ? " geohub-several" : "")};
        }
      });
      source(options).then(function (data) { layer.addData(features(data)); settle(); })
        .catch(failed);
      return layer;
    }
  };
})(window);
