// The one composer of a conversation: Enter sends to every pane, Shift+Enter breaks a line,
// Esc stops every pane. Send / Stop all and each pane's Stop follow the server's busy flag;
// the text is cleared only once the server accepted it. A message over the server's limit
// is refused here, with its size, before it is sent; pane settings edited a moment ago are
// saved first, so the turn runs with what the user sees.
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function applyBusy() {
    var flag = byId("busy-flag");
    var busy = flag && flag.dataset.busy === "1";
    var panes = flag ? (flag.dataset.panes || "").split(" ") : [];
    var composer = byId("composer");
    if (composer) composer.dataset.busy = busy ? "1" : "0";
    var send = byId("send-button");
    var stop = byId("stop-button");
    if (send) send.disabled = busy;
    if (stop) stop.disabled = !busy;
    document.querySelectorAll("[data-stop-pane]").forEach(function (button) {
      button.disabled = panes.indexOf(button.dataset.stopPane) === -1;
    });
  }

  function stopAll() {
    var stopForm = byId("stop-form");
    if (stopForm && byId("composer") && byId("composer").dataset.busy === "1") {
      stopForm.requestSubmit();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      stopAll();
      return;
    }
    var input = byId("message-input");
    if (event.target !== input || event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    var composer = byId("composer");
    var attached = document.querySelector("#attachment-chips [data-attachment]");
    if (composer.dataset.busy === "1" || (!input.value.trim() && !attached)) return;
    composer.requestSubmit();
  });

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  function showComposerError(text) {
    var box = byId("composer-errors");
    if (!box) return;
    var list = document.createElement("ul");
    list.className = "composer-errors";
    list.setAttribute("role", "alert");
    var item = document.createElement("li");
    item.textContent = text;
    list.appendChild(item);
    box.replaceChildren(list);
  }

  document.addEventListener("htmx:wsConfigSend", function (event) {
    var composer = byId("composer");
    var limit = composer ? Number(composer.dataset.maxMessageBytes || 0) : 0;
    if (!limit) return;
    var body = event.detail.messageBody;
    if (body === undefined) body = JSON.stringify(event.detail.parameters || {});
    var size = new TextEncoder().encode(body).length;
    if (size <= limit) return;
    event.preventDefault();
    showComposerError("This message is " + megabytes(size) + "; Playground takes at most " +
      megabytes(limit) + " per message (the text, the system prompt and the settings " +
      "together). Shorten it and send it again.");
  });

  // A pane whose settings the server refused (shown under its form) would run with its
  // last good settings, not the ones on the screen: the message waits until they are fixed.
  function settingsMistakes() {
    var mistakes = [];
    document.querySelectorAll("section.pane").forEach(function (pane) {
      pane.querySelectorAll(".pane-settings [role=alert] li").forEach(function (item) {
        mistakes.push(pane.getAttribute("aria-label") + ": " + item.textContent);
      });
    });
    return mistakes;
  }

  document.addEventListener("submit", function (event) {
    var composer = event.target;
    if (composer.id !== "composer") return;
    var settings = window.PaneSettings;
    if (!(settings && settings.dirty()) && settingsMistakes().length) {
      event.preventDefault();
      event.stopPropagation();
      showComposerError("Fix the settings first — " + settingsMistakes().join(" ") +
        " Your message is kept.");
      return;
    }
    // Pane settings still waiting for their autosave are saved first; the message leaves
    // when they are (or after two seconds, whichever comes first).
    if (settings && settings.dirty() && !composer.dataset.flushing) {
      event.preventDefault();
      event.stopPropagation();
      composer.dataset.flushing = "1";
      settings.flush(function () {
        composer.requestSubmit();
        delete composer.dataset.flushing;
      });
      return;
    }
    // Each send carries a nonce; the server echoes it back when the message was accepted.
    composer.elements.nonce.value = String(Date.now()) + Math.random().toString(16).slice(2);
  }, true);

  // event.target is the element now in the page (detail.target is the one it replaced).
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.target;
    if (target.id === "busy-flag" || target.id === "panes-wrap") applyBusy();
    if (target.id === "composer-ack") {
      var composer = byId("composer");
      if (composer && target.dataset.nonce && target.dataset.nonce === composer.elements.nonce.value) {
        byId("message-input").value = "";
        byId("attachment-chips").innerHTML = "";  // sent with the message
        byId("upload-errors").innerHTML = "";
        byId("message-input").focus();
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    applyBusy();
    var input = byId("message-input");
    if (input) input.focus();
  });
})();
