// Keep each pane pinned to the bottom while text streams in, unless the reader has scrolled
// that pane up to read something. Panes come and go (the socket redraws them), so each
// scroller is watched as it appears.
(function () {
  "use strict";
  var watched = new WeakSet();

  function atBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 40; }

  function watch(scroller) {
    if (watched.has(scroller)) return;
    watched.add(scroller);
    scroller.dataset.pinned = "1";
    scroller.scrollTop = scroller.scrollHeight;
    scroller.addEventListener("scroll", function () {
      scroller.dataset.pinned = atBottom(scroller) ? "1" : "0";
    }, { passive: true });
    function follow() {
      if (scroller.dataset.pinned === "1") scroller.scrollTop = scroller.scrollHeight;
    }
    new MutationObserver(follow).observe(scroller, { childList: true, subtree: true, characterData: true });
    // The pane itself changes height too (the compare panel opens under the panes, the
    // window is resized): a pinned pane stays at its bottom.
    new ResizeObserver(follow).observe(scroller);
  }

  function watchAll() { document.querySelectorAll("[data-autoscroll]").forEach(watch); }

  document.addEventListener("DOMContentLoaded", watchAll);
  document.addEventListener("htmx:oobAfterSwap", watchAll);

  // Sending a message always brings every pane's answer into view.
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "composer") return;
    document.querySelectorAll("[data-autoscroll]").forEach(function (scroller) {
      scroller.dataset.pinned = "1";
    });
  }, true);
})();
