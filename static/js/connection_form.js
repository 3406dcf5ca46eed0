// Show only the options of the chosen provider kind (Azure API version, Bedrock region,
// Vertex project and location) on the connection form.
(function () {
  "use strict";
  function sync() {
    var kind = document.getElementById("id_kind");
    if (!kind) return;
    document.querySelectorAll(".connection-option").forEach(function (option) {
      var input = option.querySelector("input");
      option.hidden = !input || input.dataset.kind !== kind.value;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    sync();
    var kind = document.getElementById("id_kind");
    if (kind) kind.addEventListener("change", sync);
  });
})();
