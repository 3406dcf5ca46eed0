// "View code": the dialog opens when a pane's code arrives (htmx), its tabs switch the
// language shown, and "Copy" puts the code of the tab shown on the clipboard.
(function () {
  "use strict";

  function dialog() { return document.getElementById("code-dialog"); }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "code-dialog-body") {
      var shown = dialog();
      if (!shown.open) shown.showModal();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    var box = dialog();
    if (!box || !box.contains(target)) return;
    if (target.getAttribute("role") === "tab") {
      box.querySelectorAll("[role=tab]").forEach(function (tab) {
        var chosen = tab === target;
        tab.setAttribute("aria-selected", chosen ? "true" : "false");
        document.getElementById(tab.getAttribute("aria-controls")).hidden = !chosen;
      });
    } else if (target.classList.contains("code-copy")) {
      var panel = box.querySelector("[role=tabpanel]:not([hidden]) code");
      navigator.clipboard.writeText(panel.textContent).then(function () {
        target.textContent = "Copied";
        setTimeout(function () { target.textContent = "Copy"; }, 1500);
      }, function () { target.textContent = "Copy failed"; });
    }
  });
})();
