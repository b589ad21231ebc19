/* No lost input on the catalog's change forms (catalog.admin.concurrency).
 *
 * 1. Leaving asks: while the form holds input that is not saved (it differs from what
 *    the page was loaded with, or the page came back with errors), a navigation away
 *    asks first (beforeunload). Submitting the form itself does not ask.
 * 2. A closed tab or a crash loses nothing: on each change the form's input is kept in
 *    this browser (localStorage), per form, object and version, with the version token
 *    it was typed against. The next visit offers it back ("Restore your unsaved changes
 *    from 14:03?"): never applied without the editor's say. Restored onto a newer
 *    version, the form takes the draft's token, so the save merges as any late save
 *    does, and the other saves' changes are brought into the form (presence.js).
 *    A draft is dropped once its save went through: it was submitted, and the object
 *    is now at a newer version.
 * Values are set as a user would (input and change events), so the admin's own scripts
 * follow. Only the browser keeps drafts: nothing reaches the server until a save. */
(function () {
  "use strict";
  var PREFIX = "catalog-editor:draft:";
  var SKIP = {csrfmiddlewaretoken: true, _occ: true};
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function mainForm() {
    var box = document.getElementById("edit-presence");
    if (box && box.closest("form")) { return box.closest("form"); }
    var forms = document.querySelectorAll("#content-main form[method=post], #content-main form[method=POST]");
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].querySelector("[name=_save], [name=_continue]")) { return forms[i]; }
    }
    return null;
  }

  function kept(el) {
    return el.name && !el.disabled && !SKIP[el.name] && el.name.indexOf("__prefix__") < 0 &&
      el.name.indexOf("_occ_choice:") !== 0 && !/^(submit|button|reset|file|image)$/.test(el.type);
  }

  /* The form's input as [name, value(, option text)] in document order. */
  function snapshot(form) {
    var items = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        items.push([el.name, el.checked]);
      } else if (el.type === "select-multiple") {
        items.push([el.name, Array.prototype.map.call(el.selectedOptions, function (o) { return o.value; })]);
      } else if (el.type === "select-one") {
        var option = el.options[el.selectedIndex];
        items.push([el.name, el.value, option ? option.text : ""]);
      } else {
        items.push([el.name, el.value]);
      }
    });
    return items;
  }

  function fire(el) {
    el.dispatchEvent(new Event("input", {bubbles: true}));
    el.dispatchEvent(new Event("change", {bubbles: true}));
    if (window.django && window.django.jQuery && el.tagName === "SELECT") {
      window.django.jQuery(el).trigger("change");  // select2 (autocomplete) listens here
    }
  }

  /* Add inline rows until each formset has as many as the draft had. */
  function addRows(form, items) {
    items.forEach(function (item) {
      var match = /^(.*)-TOTAL_FORMS$/.exec(item[0]);
      var field = match && form.elements.namedItem(item[0]);
      var adder = match && document.querySelector("#" + CSS.escape(match[1]) + "-group .add-row a");
      var guard = 100;
      while (field && adder && Number(field.value) < Number(item[1]) && guard--) { adder.click(); }
    });
  }

  function apply(form, items) {
    addRows(form, items);
    var seen = {};
    var byName = {};
    items.forEach(function (item) { (byName[item[0]] = byName[item[0]] || []).push(item); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || !byName[el.name]) { return; }
      var index = seen[el.name] = (seen[el.name] || 0) + 1;
      var item = byName[el.name][index - 1];
      if (!item) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked === item[1]) { return; }
        el.checked = item[1];
      } else if (el.type === "select-multiple") {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = item[1].indexOf(o.value) >= 0; });
      } else {
        if (el.value === item[1]) { return; }
        if (el.type === "select-one" && !Array.prototype.some.call(el.options, function (o) { return o.value === item[1]; })) {
          el.add(new Option(item[2] || item[1], item[1], true, true));  // an autocomplete's choice
        }
        el.value = item[1];
      }
      fire(el);
    });
  }

  function when(ms) {
    var d = new Date(ms), now = new Date();
    var hm = String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
    if (d.toDateString() === now.toDateString()) { return hm; }
    return d.getDate() + " " + MONTHS[d.getMonth()] + " " + d.getFullYear() + ", " + hm;
  }

  var store = {
    get: function (key) {
      try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full or off */ }
    },
    remove: function (key) {
      try { window.localStorage.removeItem(key); } catch (e) { /* off */ }
    },
    keys: function (prefix) {
      var found = [];
      try {
        for (var i = 0; i < window.localStorage.length; i++) {
          var key = window.localStorage.key(i);
          if (key && key.indexOf(prefix) === 0) { found.push(key); }
        }
      } catch (e) { /* off */ }
      return found;
    }
  };

  function start() {
    var form = mainForm();
    if (!form) { return; }
    var box = document.getElementById("edit-presence");
    var hasErrors = !!document.querySelector("#content-main .errornote, #content-main .errorlist");
    var initial = JSON.stringify(snapshot(form));
    var submitting = false;

    function dirty() { return hasErrors || JSON.stringify(snapshot(form)) !== initial; }

    form.addEventListener("submit", function () { submitting = true; });
    window.addEventListener("pageshow", function () { submitting = false; });  // back from bfcache
    window.addEventListener("beforeunload", function (event) {
      if (submitting || !dirty()) { return undefined; }
      event.preventDefault();
      event.returnValue = "";  // the browser shows its own words
      return "";
    });

    var draftKey = box && box.dataset.draft;
    if (!draftKey) { return; }  // add and revert forms: asked before leaving, no drafts
    var pageVersion = Number(box.dataset.version);
    var tokenVersion = pageVersion;  // the version the form's token is for
    var own = PREFIX + draftKey + ":";
    var token = form.elements.namedItem("_occ");
    function key() { return own + "v" + tokenVersion; }

    function keep() {
      if (!dirty()) { store.remove(key()); return; }
      store.set(key(), {
        savedAt: Date.now(), version: tokenVersion, token: token ? token.value : "",
        items: snapshot(form), submitted: submitting
      });
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", function () { submitting = true; keep(); });

    // The drafts of this object kept earlier, newest first.
    var drafts = store.keys(own).map(function (k) { return {key: k, draft: store.get(k)}; })
      .filter(function (d) { return d.draft && d.draft.items; })
      .sort(function (a, b) { return b.draft.savedAt - a.draft.savedAt; });
    if (hasErrors) {
      // The save came back unsaved: the form holds the input; keep it as the draft.
      drafts.forEach(function (d) { store.remove(d.key); });
      keep();
      return;
    }
    var offered = null;
    drafts.forEach(function (d) {
      var saved = d.draft.submitted && d.draft.version < pageVersion;
      if (saved || JSON.stringify(d.draft.items) === initial || offered) {
        if (saved || JSON.stringify(d.draft.items) === initial) { store.remove(d.key); }
        return;
      }
      offered = d;
    });
    if (!offered) { return; }

    var notice = document.getElementById("edit-draft");
    notice.querySelector(".edit-notice-text").textContent =
      "Restore your unsaved changes from " + when(offered.draft.savedAt) + "?";
    notice.hidden = false;
    notice.parentNode.hidden = false;
    function close() {
      notice.hidden = true;
      notice.parentNode.hidden = !box.querySelector(".edit-notice:not([hidden])");
    }
    notice.querySelector(".edit-draft-discard").addEventListener("click", function () {
      store.remove(offered.key);
      close();
    });
    notice.querySelector(".edit-draft-restore").addEventListener("click", function () {
      var older = offered.draft.version < pageVersion && offered.draft.token;
      if (older && token) {
        token.value = offered.draft.token;  // the save merges from where the draft began
        tokenVersion = offered.draft.version;
      }
      apply(form, offered.draft.items);
      close();
      keep();
      var bringIn = box.querySelector(".edit-bring-in");
      if (older && bringIn) { bringIn.click(); }  // and the changes saved since, in the form
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
