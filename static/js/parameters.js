// Show only the parameters the chosen connection's provider honours. The server says which
// (data-params on #model-options, refreshed when the connection changes); a hidden field is
// emptied so that it is not sent.
(function () {
  "use strict";
  function apply() {
    var options = document.getElementById("model-options");
    if (!options || options.dataset.params === undefined) return;
    var accepted = options.dataset.params.split(" ");
    // Image chips offer a detail level only where the provider has one (OpenAI's).
    document.body.classList.toggle("no-image-detail", accepted.indexOf("image_detail") === -1);
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
  // The grouped picker fills in the connection and the model, then saves like typing would.
  document.addEventListener("change", function (event) {
    var picker = event.target;
    if (picker.id !== "model-picker") return;
    event.stopPropagation();  // not a setting itself: the fields it fills are saved below
    if (!picker.value) return;
    var chosen = picker.selectedOptions[0];
    var connection = document.getElementById("connection-select");
    var model = document.getElementById("model-input");
    if (connection.value !== picker.value) {
      connection.value = picker.value;
      htmx.trigger(connection, "change");
    }
    model.value = chosen.dataset.model;
    htmx.trigger(document.getElementById("settings-form"), "change");
  }, true);
  document.addEventListener("htmx:afterSettle", apply);
  document.addEventListener("DOMContentLoaded", apply);
})();
