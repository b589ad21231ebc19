/* The product page's statistics, refreshed in place (stats.admin.fresh).
 *
 * The "Recompute statistics" button (and the "Recompute now" one after a save) POSTs
 * with fetch and the page's CSRF token instead of loading a page, so whatever the
 * editor typed in the form stays as it is; without JS it is an ordinary POST.
 *
 * The "Freshness" row carries the poll URL and whether a recompute is pending (the
 * button, or a save on the batched path). While one is, this GETs the small JSON
 * endpoint: every half second at first (the button's recompute takes about a second),
 * then every few seconds (a save's batch can take minutes), and puts the new figures
 * in the rows once nothing is pending any more. */
(function () {
  "use strict";
  var FAST_MS = 500, FAST_FOR_MS = 30000, SLOW_MS = 5000, GIVE_UP_MS = 15 * 60000;
  var polling = false;

  function freshness() { return document.querySelector(".stats-freshness[data-url]"); }

  function show(box, fields) {
    Object.keys(fields).forEach(function (name) {
      if (name === "stats_freshness") {
        box.textContent = fields[name];
        return;
      }
      var cell = document.querySelector(".field-" + name + " .readonly");
      if (cell) { cell.textContent = fields[name]; }
    });
  }

  /* Poll while a recompute is pending; one poll at a time, however often it is asked. */
  function watch() {
    var box = freshness();
    if (!box || box.dataset.pending !== "1" || !window.fetch || polling) { return; }
    polling = true;
    var started = Date.now();

    function next() {
      var waited = Date.now() - started;
      if (waited > GIVE_UP_MS) { polling = false; return; }
      setTimeout(poll, waited < FAST_FOR_MS ? FAST_MS : SLOW_MS);
    }

    function poll() {
      fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { polling = false; return; }  // refused (logged out, permission): stop
          if (data.pending) { next(); return; }
          show(box, data.fields);
          box.dataset.pending = "0";
          polling = false;
        })
        .catch(next);  // a network hiccup: try again
    }

    next();
  }

  /* Say what happened where the admin says it: its message list, above the form. */
  function message(text, level) {
    var list = document.querySelector("ul.messagelist");
    if (!list) {
      list = document.createElement("ul");
      list.className = "messagelist";
      list.setAttribute("role", "status");
      var content = document.getElementById("content");
      if (!content) { return; }
      content.parentNode.insertBefore(list, content);
    }
    var item = document.createElement("li");
    item.className = level;
    item.textContent = text;
    list.appendChild(item);
  }

  function recomputeInPlace(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !window.fetch) { return; }
    if (form.dataset.objectAction !== "recompute-stats" && !form.classList.contains("stats-recompute-now")) { return; }
    event.preventDefault();
    var body = new FormData(form);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": body.get("csrfmiddlewaretoken") || ""}
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            message(data.message || "The statistics could not be recomputed (HTTP " + response.status + ").", "error");
            return;
          }
          message(data.message, "success");
          var box = freshness();
          if (box) {
            if (data.freshness) { box.textContent = data.freshness; }
            box.dataset.pending = "1";
          }
          watch();
        });
      })
      .catch(function () {
        message("No connection: the statistics were not asked for. Your input is as you left it.", "error");
      })
      .then(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  }

  // Loaded in the page's head (the admin's form media): wait for the rows to exist.
  function start() {
    document.addEventListener("submit", recomputeInPlace);
    watch();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
