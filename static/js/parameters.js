// Show only the parameters the chosen connection's provider honours. The server says which
// (data-params on #model-options, refreshed when the connection changes); a hidden field is
// emptied so that it is not sent.
(function () {
  "use strict";
  function apply() {
    var options = document.getElementById("model-options");
    if (!options || options.dataset.params === undefined) return;
    var accepted = options.dataset.params.split(" ");
    var emptied = false;
    document.querySelectorAll(".settings .param").forEach(function (row) {
      var shown = accepted.indexOf(row.dataset.param) !== -1;
      row.hidden = !shown;
      var field = row.querySelector("input, textarea");
      if (!shown && field && field.value) {
        field.value = "";
        emptied = true;
      }
    });
    if (emptied) htmx.trigger(document.getElementById("settings-form"), "change");
  }
  // "Insert an example tool": fills an empty box and saves it like typing would.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill]");
    if (!button) return;
    var box = document.getElementById(button.dataset.fill);
    if (box && !box.value.trim()) {
      box.value = button.dataset.example;
      htmx.trigger(document.getElementById("settings-form"), "change");
    }
    if (box) box.focus();
  });
  document.addEventListener("htmx:afterSettle", apply);
  document.addEventListener("DOMContentLoaded", apply);
})();
