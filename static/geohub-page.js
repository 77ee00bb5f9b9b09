/* Map page controls: the overlay checkboxes fill the one `overlay` parameter, and the form is
   sent only by its button (changing a setting never reloads the page by itself: WCAG 3.2.2), so
   every view still has its state in its URL. The table of values sorts by any column. */
(function () {
  "use strict";
  var form = document.querySelector("form.map-controls");
  if (form) {
    var hidden = form.querySelector("input[name=overlay]");
    var sync = function () {
      var chosen = [];
      form.querySelectorAll(".overlay-choice:checked").forEach(function (box) { chosen.push(box.value); });
      hidden.value = chosen.join(",");
      hidden.disabled = chosen.length === 0;
    };
    form.addEventListener("submit", sync);
    sync();
    foldable(form);
  }

  /* On a phone the map comes first: the long settings form folds behind a "Map settings" button
     (a real button; aria-expanded says its state). It starts folded on narrow screens, unless the
     page refused a map and asks for new settings; on wide screens the button is hidden by CSS
     and the form always shows. Without JavaScript the form simply shows. */
  function foldable(form) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "controls-toggle";
    button.textContent = "Map settings";
    button.setAttribute("aria-controls", form.id);
    form.parentNode.insertBefore(button, form);
    function show(open) {
      form.classList.toggle("collapsed", !open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () { show(form.classList.contains("collapsed")); });
    var narrow = window.matchMedia("(max-width: 40rem)").matches;
    show(!narrow || document.querySelector(".refused") !== null);
  }

  /* On phones the map's attribution keeps to one line (geohub.css); its full text stays in its
     title, and in the notes under the map. */
  window.addEventListener("load", function () {
    var attribution = document.querySelector(".leaflet-control-attribution");
    if (attribution) { attribution.title = attribution.textContent; }
  });

  document.querySelectorAll(".class-swatch[data-colour]").forEach(function (s) {
    s.style.background = s.dataset.colour;
  });
  document.querySelectorAll(".key-line[data-colour]").forEach(function (s) {
    s.style.borderTopColor = s.dataset.colour;
  });

  /* Sortable tables: each column heading becomes a button; aria-sort says the current order. */
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    var body = table.tBodies[0];
    heads.forEach(function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (row) {
          var cell = row.cells[column];
          return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (x === "" || y === "") { return (x === "") - (y === ""); }  // no data always last
          var nx = Number(x), ny = Number(y);
          var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
