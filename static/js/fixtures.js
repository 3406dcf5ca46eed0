// "Answer with fixture" on a tool call's card: the saved result goes into the call's box,
// and once every call of the card has its result the results are sent (one click for one
// call). The server found the fixture; nothing is sent that the user cannot see first.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".answer-with-fixture");
    if (!button) return;
    var box = document.getElementById(button.dataset.target);
    var form = button.closest("form");
    if (!box || !form) return;
    box.value = button.dataset.result;
    var empty = Array.prototype.some.call(form.querySelectorAll("textarea[required]"),
      function (area) { return !area.value.trim(); });
    if (!empty) form.requestSubmit();
  });
})();
