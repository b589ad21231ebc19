/* The summary of a refused save (catalog.admin.error_summary).
 *
 * When the page comes back with errors, the summary takes the focus, so a screen reader
 * reads it first and Tab goes through its links. A link moves the focus to the field it
 * names (or the first input of the row), with the row in the middle of the window: a
 * plain "#id" link would scroll the field under the top of the window and leave the
 * focus behind. Without this script the links still scroll. */
(function () {
  "use strict";

  var FOCUSABLE = "input:not([type=hidden]), select, textarea, button";

  /* Where a link leads: a field, or the first input of a row. The category picker
   * (select2) hides its select and shows a box of its own: focus the box. */
  function target(link) {
    var element = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!element) { return null; }
    if (!element.matches(FOCUSABLE)) {
      element = element.querySelector(FOCUSABLE) || element;
    }
    if (element.classList.contains("select2-hidden-accessible")) {
      var shown = element.parentNode.querySelector(".select2-selection");
      if (shown) { return shown; }
    }
    return element;
  }

  function go(element) {
    var around = element.closest("tr.form-row, .form-row") || element;
    element.focus({ preventScroll: true });
    around.scrollIntoView({ block: "center" });
  }

  function start() {
    var summary = document.getElementById("error-summary");
    if (!summary) { return; }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var element = link && target(link);
      if (!element) { return; }
      event.preventDefault();
      go(element);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
