// "Copy message" puts a message's raw Markdown on the clipboard (fetched from the server: the
// page holds it rendered); every highlighted code block gets a "Copy code" button. Messages
// arrive over the socket at any time, so buttons are added as code blocks appear.
(function () {
  "use strict";

  function copied(button) {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  }

  function failed(button) {
    button.textContent = "Copy failed";
  }

  function copyText(button, text) {
    navigator.clipboard.writeText(text).then(function () { copied(button); },
                                             function () { failed(button); });
  }

  function copyMessage(button) {
    var url = button.dataset.rawUrl;
    var text = fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    });
    if (window.ClipboardItem && navigator.clipboard.write) {
      // A promise in the item keeps the click's permission to write while the text loads.
      var item = new ClipboardItem({
        "text/plain": text.then(function (t) { return new Blob([t], { type: "text/plain" }); })
      });
      navigator.clipboard.write([item]).then(function () { copied(button); },
                                             function () { failed(button); });
    } else {
      text.then(function (t) { copyText(button, t); }, function () { failed(button); });
    }
  }

  function addCodeButtons(root) {
    var blocks = root.querySelectorAll ? root.querySelectorAll(".markdown pre.highlight") : [];
    blocks.forEach(function (pre) {
      if (pre.querySelector(".copy-code")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button copy-code";
      button.setAttribute("aria-label", "Copy code");
      button.textContent = "Copy";
      pre.prepend(button);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".copy-message, .copy-code");
    if (!button) return;
    if (button.classList.contains("copy-message")) {
      copyMessage(button);
    } else {
      copyText(button, button.parentElement.querySelector("code").textContent);
    }
  });

  function start() {
    addCodeButtons(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) {
          if (node.nodeType === 1) addCodeButtons(node.parentElement || node);
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
