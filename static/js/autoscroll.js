// Keep the conversation pinned to the bottom while text streams in, unless the reader has
// scrolled up to read something.
(function () {
  "use strict";
  var pinned = true;
  var scroller = null;

  function atBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 40; }

  document.addEventListener("DOMContentLoaded", function () {
    scroller = document.getElementById("scroller");
    if (!scroller) return;
    scroller.scrollTop = scroller.scrollHeight;
    scroller.addEventListener("scroll", function () { pinned = atBottom(scroller); }, { passive: true });
    new MutationObserver(function () {
      if (pinned) scroller.scrollTop = scroller.scrollHeight;
    }).observe(document.getElementById("messages"), { childList: true, subtree: true, characterData: true });
  });

  // Sending a message always brings the answer into view.
  document.addEventListener("submit", function (event) {
    if (event.target.id === "composer") pinned = true;
  }, true);
})();
