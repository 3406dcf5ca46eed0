// Each pane's settings form: show only the parameters its connection's provider honours
// (the server says which: data-params on the form's model options, refreshed when the
// connection changes; a hidden field is emptied so that it is not sent), "Insert an example
// tool", and the grouped model picker filling in the connection and the model.
(function () {
  "use strict";

  function save(form) { htmx.trigger(form, "change"); }

  function applyTo(form) {
    var options = form.querySelector(".model-options");
    if (!options || options.dataset.params === undefined) return;
    var accepted = options.dataset.params.split(" ");
    var emptied = false;
    form.querySelectorAll(".param").forEach(function (row) {
      var shown = accepted.indexOf(row.dataset.param) !== -1;
      row.hidden = !shown;
      var field = row.querySelector("input, textarea");
      if (!shown && field && field.value) {
        field.value = "";
        emptied = true;
      }
    });
    if (emptied) save(form);
  }

  function applyAll() {
    var forms = document.querySelectorAll(".pane-settings-form");
    forms.forEach(applyTo);
    // Image chips offer a detail level only where some pane's provider has one (OpenAI's).
    var detail = Array.prototype.some.call(forms, function (form) {
      var options = form.querySelector(".model-options");
      return options && (options.dataset.params || "").split(" ").indexOf("image_detail") !== -1;
    });
    document.body.classList.toggle("no-image-detail", !detail);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill]");
    if (!button) return;
    var box = document.getElementById(button.dataset.fill);
    if (box && !box.value.trim()) {
      box.value = button.dataset.example;
      save(box.form);
    }
    if (box) box.focus();
  });

  document.addEventListener("change", function (event) {
    var picker = event.target;
    if (!picker.matches || !picker.matches("[data-picker]")) return;
    event.stopPropagation();  // not a setting itself: the fields it fills are saved below
    if (!picker.value) return;
    var form = document.getElementById("pane-" + picker.dataset.pane + "-form");
    var chosen = picker.selectedOptions[0];
    var connection = form.elements.connection;
    var model = form.elements.model;
    if (connection.value !== picker.value) {
      connection.value = picker.value;
      htmx.trigger(connection, "change");
    }
    model.value = chosen.dataset.model;
    form.dispatchEvent(new CustomEvent("settings:edited", { detail: { fields: ["connection", "model"] } }));
    save(form);
  }, true);

  document.addEventListener("htmx:afterSettle", applyAll);
  document.addEventListener("DOMContentLoaded", applyAll);
})();
