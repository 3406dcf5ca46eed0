// Forms with data-confirm="question" ask before they submit (no inline handlers: the
// Content-Security-Policy forbids them).
document.addEventListener("submit", function (event) {
  "use strict";
  var question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
}, true);
