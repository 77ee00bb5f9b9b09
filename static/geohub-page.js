/* Map page controls: the overlay checkboxes fill the one `overlay` parameter, and any change
   reloads the map with the new state in its URL (so every view can be linked to). */
(function () {
  "use strict";
  var form = document.querySelector("form.map-controls");
  if (!form) { return; }
  var hidden = form.querySelector("input[name=overlay]");
  function sync() {
    var chosen = [];
    form.querySelectorAll(".overlay-choice:checked").forEach(function (box) { chosen.push(box.value); });
    hidden.value = chosen.join(",");
    hidden.disabled = chosen.length === 0;
  }
  form.addEventListener("change", function () { sync(); form.submit(); });
  form.addEventListener("submit", sync);
  sync();
})();
