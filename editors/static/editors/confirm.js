// A form marked data-confirm="QUESTION" asks it before it is sent, and is not sent on
// Cancel: the onsubmit="return confirm(...)" of old, which the Content-Security-Policy
// (no inline handlers) would block.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement && form.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
