// "Add message by hand": the tool fields show for a tool call, the text field otherwise; a
// refusal (HTTP 400) is shown under the form, and a message added clears and closes it (the
// socket redraws the panes).
(function () {
  "use strict";

  function form() { return document.getElementById("by-hand-form"); }

  function showFields() {
    var f = form();
    if (!f) return;
    var tool = f.elements.role.value === "tool";
    f.querySelector(".by-hand-tool").hidden = !tool;
    f.querySelector(".by-hand-text").hidden = tool;
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "by-hand-role") showFields();
  });

  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.elt !== form()) return;
    document.getElementById("by-hand-error").textContent = event.detail.xhr.responseText;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var f = form();
    if (event.detail.elt !== f || !event.detail.successful) return;
    document.getElementById("by-hand-error").textContent = "";
    f.reset();
    showFields();
    document.getElementById("by-hand").open = false;
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showFields);
  else showFields();
})();
