// "Edit message": the form the server sends takes the message's place (the message is
// hidden while it is open, and comes back on Cancel); a refusal (HTTP 400) is shown in the
// form, or, for the other actions of a message, beside them. A saved edit needs nothing
// here: the socket redraws the panes.
(function () {
  "use strict";

  function close(form) {
    var article = form.closest("article");
    if (article) article.classList.remove("editing");
    form.remove();
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var button = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!button || !button.classList || !button.classList.contains("edit-message")) return;
    var article = button.closest("article");
    if (!article) return;
    var forms = article.querySelectorAll(":scope > .edit-form");
    for (var i = 0; i < forms.length - 1; i++) forms[i].remove(); // opened twice: keep one
    article.classList.add("editing");
    var text = article.querySelector(".edit-form textarea");
    if (text) { text.focus(); text.setSelectionRange(text.value.length, text.value.length); }
  });

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest(".edit-cancel");
    if (cancel) close(cancel.closest(".edit-form"));
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var form = event.target.closest && event.target.closest(".edit-form");
    if (form) { event.stopImmediatePropagation(); close(form); }
  }, true); // before the page's own Escape (Stop)

  document.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    var form = elt.closest && elt.closest(".edit-form");
    var place = form ? form.querySelector(".edit-error")
      : elt.closest && elt.closest(".message-actions") && elt.closest(".message-actions").querySelector(".action-error");
    if (place) place.textContent = event.detail.xhr.responseText;
  });

  // Opened from the library with a message to run (#answer-<id>): once the socket is open,
  // every pane answers it, once (the address forgets it, so a reload does not run it again).
  document.addEventListener("htmx:wsOpen", function () {
    var wanted = /^#answer-(\d+)$/.exec(window.location.hash);
    var answer = document.getElementById("answer-form");
    if (!wanted || !answer) return;
    history.replaceState(null, "", window.location.pathname + window.location.search);
    answer.elements.message_id.value = wanted[1];
    answer.requestSubmit();
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!event.detail.successful || !elt.classList || !elt.classList.contains("edit-form")) return;
    close(elt);
    // "Save and re-run": saved on a new branch; every pane answers it over the socket, as
    // a send does.
    var edited = event.detail.xhr.getResponseHeader("X-Answer");
    var answer = document.getElementById("answer-form");
    if (edited && answer) {
      answer.elements.message_id.value = edited;
      answer.requestSubmit();
    }
  });
})();
