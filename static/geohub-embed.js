/* For partner pages (optional): keeps each geohub iframe as tall as its map asks to be.
   Include once: <script src="https://GEOHUB/static/geohub-embed.js" async></script> */
(function () {
  "use strict";
  var origin = new URL(document.currentScript ? document.currentScript.src : location.href).origin;
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || event.data.geohub !== "resize") { return; }
    document.querySelectorAll("iframe").forEach(function (frame) {
      if (frame.contentWindow === event.source) {
        frame.style.height = Math.max(200, Math.min(2000, Number(event.data.height) || 0)) + "px";
      }
    });
  });
})();
