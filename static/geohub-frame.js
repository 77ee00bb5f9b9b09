/* Inside an embedded map: tell the partner page how tall the map wants to be (4:3 of its width,
   plus the title and source lines), so geohub-embed.js there can size the iframe. */
(function () {
  "use strict";
  if (window.parent === window) { return; }
  function report() {
    var chrome = document.querySelector(".embed-title").offsetHeight +
                 document.querySelector(".embed-source").offsetHeight;
    var height = Math.round(window.innerWidth * 0.75) + chrome;
    window.parent.postMessage({geohub: "resize", height: height, href: location.href}, "*");
  }
  window.addEventListener("load", report);
  window.addEventListener("resize", report);
})();
