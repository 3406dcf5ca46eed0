// The panes of a conversation: each pane's settings opened from its header, panes as tabs
// on a narrow screen, the sidebar behind "Conversations" there, and "Sync settings" (a field
// edited in one pane copied to every pane, each of which then saves itself).
(function () {
  "use strict";
  var selected = null;  // the pane shown as the current tab on a narrow screen

  function shown(el) { return el && getComputedStyle(el).display !== "none"; }

  function settingsOf(pane) { return pane.querySelector(".pane-settings"); }

  function syncExpanded() {
    document.querySelectorAll("section.pane").forEach(function (pane) {
      var toggle = pane.querySelector(".pane-settings-toggle");
      if (toggle) toggle.setAttribute("aria-expanded", shown(settingsOf(pane)) ? "true" : "false");
    });
    var sidebarToggle = document.getElementById("conversations-toggle");
    if (sidebarToggle) {
      sidebarToggle.setAttribute("aria-expanded",
        document.body.classList.contains("sidebar-open") ? "true" : "false");
    }
  }

  function selectTab(paneId) {
    var panes = document.querySelectorAll("section.pane");
    if (!panes.length) return;
    var found = Array.prototype.some.call(panes, function (p) { return p.dataset.pane === paneId; });
    selected = found ? paneId : panes[0].dataset.pane;
    panes.forEach(function (pane) { pane.classList.toggle("tab-active", pane.dataset.pane === selected); });
    document.querySelectorAll("[data-pane-tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", tab.dataset.paneTab === selected ? "true" : "false");
    });
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".pane-settings-toggle");
    if (toggle) {
      var pane = toggle.closest("section.pane");
      var open = shown(settingsOf(pane));
      pane.classList.toggle("settings-open", !open);
      pane.classList.toggle("settings-closed", open);
      syncExpanded();
      if (!open) {
        var first = settingsOf(pane).querySelector("select, input, textarea");
        if (first) first.focus();
      }
      return;
    }
    var tab = event.target.closest("[data-pane-tab]");
    if (tab) { selectTab(tab.dataset.paneTab); return; }
    if (event.target.closest("#conversations-toggle")) {
      document.body.classList.toggle("sidebar-open");
      syncExpanded();
    }
  });

  // -- Sync settings ---------------------------------------------------------------------

  function syncing() {
    var box = document.getElementById("sync-settings");
    return box && box.checked;
  }

  function copy(form, names) {
    document.querySelectorAll(".pane-settings-form").forEach(function (other) {
      if (other === form) return;
      names.forEach(function (name) {
        var source = form.querySelector('[data-field="' + name + '"]');
        var target = other.querySelector('[data-field="' + name + '"]');
        if (!source || !target) return;
        if (target.type === "checkbox") {  // a switch copies whether it is on, not its value
          if (target.checked === source.checked) return;
          target.checked = source.checked;
          htmx.trigger(target, "change");
          return;
        }
        if (target.value === source.value) return;
        target.value = source.value;
        // The target saves itself as if typed: its form's autosave and its own listeners
        // (a connection refreshes its model list).
        htmx.trigger(target, target.tagName === "SELECT" ? "change" : "input");
      });
    });
  }

  function edited(event) {
    var form = event.target.closest && event.target.closest(".pane-settings-form");
    if (!form || !event.isTrusted || !syncing()) return;
    var name = event.target.dataset.field;
    if (name) copy(form, [name]);
  }
  document.addEventListener("input", edited);
  document.addEventListener("change", edited);
  // The model picker fills two fields at once and says so.
  document.addEventListener("settings:edited", function (event) {
    if (syncing()) copy(event.target, event.detail.fields);
  });

  // -- unsaved edits -----------------------------------------------------------------------
  // A form edited since its last save began is "dirty": the composer saves it before
  // sending, so the turn runs with what the user sees. Each edit gets a number; a save
  // clears the flag only if no edit came after the one it carried.
  var edits = 0;
  function markDirty(event) {
    var form = event.target.closest && event.target.closest(".pane-settings-form");
    if (form) form.dataset.dirty = String(++edits);
  }
  document.addEventListener("input", markDirty, true);
  document.addEventListener("change", markDirty, true);
  document.addEventListener("settings:edited", markDirty, true);
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.classList && form.classList.contains("pane-settings-form")) {
      form.dataset.saving = form.dataset.dirty || "";
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.classList && form.classList.contains("pane-settings-form") &&
        form.dataset.dirty === form.dataset.saving) {
      delete form.dataset.dirty;
    }
  });

  // Save what is still waiting for its autosave, then go on: sending a message, adding or
  // duplicating a pane (which copies the saved settings) must see what is on the screen.
  function dirtyForms() { return document.querySelectorAll(".pane-settings-form[data-dirty]"); }

  function flush(then) {
    var dirty = dirtyForms();
    if (!dirty.length) { then(); return; }
    dirty.forEach(function (form) { htmx.trigger(form, "change"); });
    var deadline = Date.now() + 2000;
    (function whenSaved() {
      if (dirtyForms().length && Date.now() < deadline) { setTimeout(whenSaved, 25); return; }
      then();
    })();
  }
  window.PaneSettings = { flush: flush, dirty: function () { return dirtyForms().length > 0; } };

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-after-saves]");
    if (!button || button.dataset.saved === "1" || !dirtyForms().length) return;
    event.preventDefault();
    event.stopPropagation();
    flush(function () {
      button.dataset.saved = "1";
      button.click();
      delete button.dataset.saved;
    });
  }, true);

  function afterSwap() {
    selectTab(selected);
    syncExpanded();
  }
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.target.id === "panes-wrap") afterSwap();
  });
  document.addEventListener("DOMContentLoaded", afterSwap);
  window.addEventListener("resize", syncExpanded);
})();
