// Queues & workers: the figures (#ops-live) replaced every 10 s without reloading the page.
(function () {
  "use strict";
  var box = document.getElementById("ops-live");
  if (!box) { return; }
  setInterval(function () {
    fetch(window.location.pathname + "?partial=1", {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html) { box.innerHTML = html; } });
  }, 10000);
})();
