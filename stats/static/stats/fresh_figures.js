/* The product page's statistics, refreshed when a recompute finishes (stats.admin.fresh).
 *
 * The "Freshness" row carries the poll URL and whether a recompute is pending (the
 * "Recompute statistics" button, or a save on the batched path). While one is, this GETs
 * the small JSON endpoint: every half second at first (the button's recompute takes
 * about a second), then every few seconds (a save's batch can take minutes), and puts
 * the new figures in the rows once nothing is pending any more. */
function statsFreshFigures() {
  "use strict";
  var box = document.querySelector(".stats-freshness[data-url]");
  if (!box || box.dataset.pending !== "1" || !window.fetch) { return; }
  var FAST_MS = 500, FAST_FOR_MS = 30000, SLOW_MS = 5000, GIVE_UP_MS = 15 * 60000;
  var started = Date.now();

  function show(fields) {
    Object.keys(fields).forEach(function (name) {
      if (name === "stats_freshness") {
        box.textContent = fields[name];
        return;
      }
      var cell = document.querySelector(".field-" + name + " .readonly");
      if (cell) { cell.textContent = fields[name]; }
    });
  }

  function next() {
    var waited = Date.now() - started;
    if (waited > GIVE_UP_MS) { return; }
    setTimeout(poll, waited < FAST_FOR_MS ? FAST_MS : SLOW_MS);
  }

  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }  // refused (logged out, permission): stop asking
        if (data.pending) { next(); return; }
        show(data.fields);
        box.dataset.pending = "0";
      })
      .catch(next);  // a network hiccup: try again
  }

  next();
}

// Loaded in the page's head (the admin's form media): wait for the rows to exist.
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", statsFreshFigures);
} else {
  statsFreshFigures();
}
