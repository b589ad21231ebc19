/* A change form's presence notices (catalog.admin.presence) and "Bring their changes
 * into my form" (catalog.admin.bring_in).
 *
 * The poll says who else has the form open and, once someone saved it after this page
 * was loaded, "Saved by alice at 14:03" with a button. The button POSTs the form as it
 * is (the editor's input and the version token) and sets the inputs the merge changes:
 * their values where the editor did not type, the editor's input everywhere they did.
 * Nothing is saved and no page is loaded, so nothing typed is lost; the next save merges
 * as usual (a field both changed is then shown in the conflict table). */
(function () {
  "use strict";

  function show(item, text) {
    var label = item.querySelector(".edit-notice-text") || item;
    label.textContent = text;
    item.hidden = !text;
  }

  function refreshList(box) {
    var list = box.querySelector(".edit-notice-list");
    var shown = box.querySelectorAll(".edit-notice:not([hidden])");
    list.hidden = shown.length === 0;
  }

  /* Set one input (by name) as a user would, so the form's own scripts and the draft
   * keeper (drafts.js) see the change. */
  function setInput(form, name, value, text) {
    var field = form.elements.namedItem(name);
    if (!field || field.type === "checkbox" || field.type === "radio") { return false; }
    if (field.type === "select-one" && !Array.prototype.some.call(field.options, function (o) { return o.value === value; })) {
      field.add(new Option(text || value, value, true, true));  // an autocomplete's choice
    }
    field.value = value;
    field.dispatchEvent(new Event("input", {bubbles: true}));
    field.dispatchEvent(new Event("change", {bubbles: true}));
    if (window.django && window.django.jQuery && field.tagName === "SELECT") {
      window.django.jQuery(field).trigger("change");  // select2 (autocomplete) listens here
    }
    return true;
  }

  function broughtText(data) {
    var parts = [];
    parts.push(data.set.length
      ? "Brought in " + data.set.length + " change" + (data.set.length === 1 ? "" : "s") +
        (data.by ? " by " + data.by : "") + "; your input is kept. Nothing is saved yet."
      : "Their changes were already in your form" + (data.by ? " (" + data.by + ")" : "") +
        "; your input is kept. Nothing is saved yet.");
    if (data.conflicts.length) {
      parts.push("You both changed " + data.conflicts.map(function (c) { return c.label; }).join(", ") +
        ": your value is in the form, and when you save you choose which to keep.");
    }
    var rows = data.rows_added + data.rows_deleted;
    if (rows) {
      parts.push("They also added or deleted " + rows + " row" + (rows === 1 ? "" : "s") +
        ": you will see them after you save.");
    }
    return parts.join(" ");
  }

  function start() {
    var box = document.getElementById("edit-presence");
    if (!box || !window.fetch) { return; }
    var form = box.closest("form");
    var others = document.getElementById("edit-presence-others");
    var saved = document.getElementById("edit-presence-saved");
    var brought = document.getElementById("edit-presence-brought");
    var button = box.querySelector(".edit-bring-in");
    // The version whose changes the form holds: the page's, then the last brought in.
    var holds = Number(box.dataset.version);

    function poll() {
      fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          show(others, data.others.map(function (o) { return o.text; }).join("; "));
          var newer = data.version > holds;
          show(saved, newer ? data.saved.text + (button ? "." : ": save to merge their changes with yours, or reload to see them.") : "");
          if (newer) { box.dataset.latest = String(data.version); }
          refreshList(box);
        })
        .catch(function () {});
    }

    if (button && form) {
      button.addEventListener("click", function () {
        button.disabled = true;
        var body = new FormData(form);
        fetch(box.dataset.bringIn, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: {"Accept": "application/json", "X-CSRFToken": body.get("csrfmiddlewaretoken") || ""}
        })
          .then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); })
          .then(function (answer) {
            var data = answer.data;
            if (!answer.ok) {
              show(brought, data.text || "Their changes could not be brought in: save to merge them.");
              return;
            }
            data.set.forEach(function (change) { setInput(form, change.name, change.value, change.text); });
            holds = Math.max(holds, data.version);
            show(saved, "");
            show(brought, broughtText(data));
          })
          .catch(function () {
            show(brought, "Their changes could not be brought in (no connection?): your input is as you left it.");
          })
          .then(function () {
            button.disabled = false;
            refreshList(box);
          });
      });
    }

    poll();
    setInterval(poll, Number(box.dataset.poll) || 10000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
