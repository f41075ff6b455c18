// On a phone a wide table scrolls inside itself (arena.css). A keyboard reaches such a region
// only if it can take focus (WCAG 2.1.1), so each table that overflows gets a tab stop, and
// loses it again when it fits (a turned phone, a wider window).
(function () {
  function scrolls(el) {
    return el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible";
  }

  function update() {
    document.querySelectorAll("table, .table-scroll").forEach(function (el) {
      if (scrolls(el)) {
        if (!el.hasAttribute("tabindex")) { el.tabIndex = 0; el.dataset.scrollStop = "yes"; }
      } else if (el.dataset.scrollStop) {
        el.removeAttribute("tabindex");
        delete el.dataset.scrollStop;
      }
    });
  }

  update();
  let pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(update, 150);
  });
  document.addEventListener("arena:leaderboard_changed", function () { setTimeout(update, 1000); });
  document.addEventListener("arena:people_changed", function () { setTimeout(update, 1000); });
})();
