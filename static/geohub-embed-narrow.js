/* Embedded maps on narrow pages (at most 480 px wide, e.g. a phone or a sidebar): the map's
   attribution keeps to one line (geohub-embed.css); its full text stays in its title and in the
   source lines under the map. The legend's "Legend" button (geohub-map.js, on every map) starts
   folded at this width, so the legend does not cover the map. */
(function () {
  "use strict";
  function setup() {
    var attribution = document.querySelector(".leaflet-control-attribution");
    if (attribution) { attribution.title = attribution.textContent; }
  }

  if (document.readyState === "complete") { setup(); } else { window.addEventListener("load", setup); }
})();
