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
  document.addEventListener("htmx:afterSettle", apply);
  document.addEventListener("DOMContentLoaded", apply);
})();
