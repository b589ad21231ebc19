// The bulk edit form's category picker (Django's autocomplete, select2) names itself by
// its chosen category only: with none chosen, a screen reader heard a nameless box.
// Name it by its label too. Registered after admin/js/autocomplete.js's own jQuery ready
// handler (this script is deferred), so it runs once select2 has built its box.
(function () {
  "use strict";
  window.django.jQuery(function () {
    document.querySelectorAll("#bulk_edit_form select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      var box = select.parentNode.querySelector(".select2-selection");
      if (!label || !box) { return; }
      label.id = label.id || select.id + "_label";
      var shown = box.getAttribute("aria-labelledby") || "";
      box.setAttribute("aria-labelledby", (label.id + " " + shown).trim());
      // The chosen category's box inside (a read-only text box) is named by the label too.
      var chosen = shown && document.getElementById(shown);
      if (chosen) { chosen.setAttribute("aria-labelledby", label.id); }
    });
  });
})();
