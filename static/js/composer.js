// Composer keys and state: Enter sends, Shift+Enter breaks a line, Esc stops; Send/Stop
// follow the server's busy flag; the text is cleared only once the server accepted it.
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function applyBusy() {
    var flag = byId("busy-flag");
    var busy = flag && flag.dataset.busy === "1";
    var composer = byId("composer");
    if (composer) composer.dataset.busy = busy ? "1" : "0";
    var send = byId("send-button");
    var stop = byId("stop-button");
    if (send) send.disabled = busy;
    if (stop) stop.disabled = !busy;
  }

  function stopRuns() {
    var stopForm = byId("stop-form");
    if (stopForm && byId("composer") && byId("composer").dataset.busy === "1") {
      stopForm.requestSubmit();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      stopRuns();
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

  // A message over the server's limit is refused here, before it is sent, with its size and
  // the limit; the text stays in the box. (The server would refuse it too, in words.)
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

  // Each send carries a nonce; the server echoes it back when the message was accepted.
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "composer") return;
    event.target.elements.nonce.value = String(Date.now()) + Math.random().toString(16).slice(2);
  }, true);

  // event.target is the element now in the page (detail.target is the one it replaced).
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.target;
    if (target.id === "busy-flag") applyBusy();
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
