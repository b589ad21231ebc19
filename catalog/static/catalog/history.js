// The History pages' folded text ("… 12 unchanged words …", catalog.admin.history_diff):
// a click, or Enter/Space on the focused button, shows the words in place.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.diff-expand");
    if (!button) { return; }
    var folded = button.nextElementSibling;
    if (!folded || !folded.classList.contains("diff-folded")) { return; }
    folded.hidden = false;
    button.setAttribute("aria-expanded", "true");
    button.hidden = true;
    // Keep the keyboard where the text now is.
    folded.setAttribute("tabindex", "-1");
    folded.focus();
  });
})();
