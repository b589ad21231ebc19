// A page whose figures a worker moves (a bulk run, an import): its element marked
// data-live-refresh="SECONDS" is fetched again and swapped in place, without reloading
// the page (a reload would move the reader's place and drop the focus; a <meta refresh>
// also fails WCAG 2.2.1). It stops once the fresh copy no longer carries the mark.
(function () {
  "use strict";
  function follow(box) {
    var seconds = Number(box.dataset.liveRefresh) || 15;
    setTimeout(function () {
      fetch(window.location.href, {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) { follow(box); return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(box.id);
          if (!fresh) { return; }
          box.replaceWith(fresh);
          if (fresh.dataset.liveRefresh) { follow(fresh); }
        })
        .catch(function () { follow(box); });
    }, seconds * 1000);
  }
  document.querySelectorAll("[data-live-refresh]").forEach(function (box) {
    if (box.id) { follow(box); }
  });
})();
