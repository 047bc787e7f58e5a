// papertally review: keyboard shortcuts and auto-applied filters. Plain JS, no dependencies.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  function go(url) {
    // The next or previous item of the whole queue, on this page or the next one.
    if (url && url.charAt(0) === "/") window.location.href = url;
  }
  var busy = false;
  function submit(button) {
    if (!button || busy) return;
    busy = true; // one key press, one decision
    button.form.requestSubmit(button);
  }
  document.addEventListener("DOMContentLoaded", function () {
    // Filters and the fiscal-year picker apply as soon as a value is chosen.
    document.querySelectorAll("#filters select, select[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
    var reason = document.getElementById("reason");
    if (reason) {
      // Enter in the reason field never submits by accident: leave with Esc, then press a key.
      reason.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); }
        if (e.key === "Escape") { reason.blur(); }
      });
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    var item = document.getElementById("item");
    var key = e.key.toLowerCase();
    if (key === "/" && document.getElementById("reason")) {
      e.preventDefault(); document.getElementById("reason").focus(); return;
    }
    if (key === "u") {
      var undo = document.querySelector('form.undo[data-mine="1"] button');
      if (undo) { e.preventDefault(); submit(undo); }
      return;
    }
    if (!item) return;
    if (key === "j") { e.preventDefault(); go(item.dataset.nextUrl); return; }
    if (key === "k") { e.preventDefault(); go(item.dataset.prevUrl); return; }
    var button = document.querySelector('form.decide button[data-key="' + key + '"]');
    if (button) { e.preventDefault(); submit(button); }
  });
})();
