// Keyboard shortcuts: any element with data-key="x" is clicked when x is pressed.
(function () {
  const aliases = { "1": "a", "2": "b", "3": "t", "4": "x", "Enter": "n" };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select")) return;
    const key = aliases[event.key] || event.key.toLowerCase();
    const target = document.querySelector('[data-key="' + key + '"]');
    if (!target) return;
    event.preventDefault();
    document.querySelectorAll("[data-key]").forEach(function (el) { el.setAttribute("aria-disabled", "true"); });
    target.click();
  });
  // One submission per battle, even if a key is held down or a button double-clicked.
  const form = document.getElementById("vote-form");
  if (form) {
    form.addEventListener("submit", function () {
      setTimeout(function () { form.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }, 0);
    });
  }
})();
