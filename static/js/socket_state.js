// The conversation socket's state, said in the page: reconnecting after a network drop, or
// closed by the server with its reason (access removed, a message too big), in which case
// htmx does not reconnect and the page says to reload.
(function () {
  "use strict";

  var RECONNECTS = [1006, 1011, 1012, 1013];  // the close codes htmx's ws extension retries
  var leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });

  function say(text, kind) {
    var banner = document.getElementById("socket-state");
    if (!banner) return;
    banner.textContent = text;
    banner.dataset.kind = kind || "";
    banner.hidden = !text;
  }

  function reasonFor(event) {
    if (event.code === 1009) {
      return "The server refused a message that was too big and closed the connection.";
    }
    if (event.code === 4403) return "Your access to this conversation was removed.";
    return event.reason || ("The connection to Playground closed (code " + event.code + ").");
  }

  document.addEventListener("htmx:wsOpen", function () { say(""); });
  document.addEventListener("htmx:wsClose", function (event) {
    var closed = event.detail && event.detail.event;
    if (leaving || !closed || closed.code === 1000) return;
    var banner = document.getElementById("socket-state");
    if (banner && banner.dataset.kind === "closed" && !banner.hidden) return;  // said already
    if (RECONNECTS.indexOf(closed.code) >= 0) {
      say("Connection lost; reconnecting…", "reconnecting");
    } else {
      say(reasonFor(closed) + " Reload the page to reconnect; your text is still in the box.", "closed");
    }
  });
})();
