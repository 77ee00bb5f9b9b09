/* Embedded maps on narrow pages (at most 480 px wide, e.g. a phone or a sidebar): the legend
   collapses behind a "Legend" button, so it does not cover the map, and the map's attribution
   keeps to one line (the full text stays in its title and in the source lines under the map). */
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 480px)");

  function setup() {
    var legend = document.querySelector(".geohub-legend");
    var attribution = document.querySelector(".leaflet-control-attribution");
    if (attribution) { attribution.title = attribution.textContent; }
    if (!legend || legend.querySelector(".geohub-legend-toggle")) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "geohub-legend-toggle";
    button.textContent = "Legend";
    button.setAttribute("aria-controls", legend.id);
    legend.insertBefore(button, legend.firstChild);
    function show(open) {
      legend.classList.toggle("geohub-legend-collapsed", !open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      show(legend.classList.contains("geohub-legend-collapsed"));
    });
    function follow() { show(!narrow.matches); }
    if (narrow.addEventListener) { narrow.addEventListener("change", follow); }
    follow();
  }

  if (document.readyState === "complete") { setup(); } else { window.addEventListener("load", setup); }
})();
