// Keyboard shortcuts: any element with data-key="x" is clicked when x is pressed.
// They can be turned off (WCAG 2.1.4): the choice is kept in localStorage under STORAGE_KEY.
(function () {
  const STORAGE_KEY = "arena.shortcuts";
  const aliases = { "1": "a", "2": "b", "3": "t", "4": "x", "Enter": "n" };

  let chosen = null; // the choice made on this page, if storage refuses to keep it

  function shortcutsOn() {
    if (chosen !== null) return chosen;
    try { return localStorage.getItem(STORAGE_KEY) !== "off"; } catch (e) { return true; }
  }

  function showKeyHints(on) {
    document.querySelectorAll("[data-key] kbd").forEach(function (kbd) { kbd.hidden = !on; });
  }

  // Enter on a focused link, button or field does what that element does, never a shortcut.
  function ownsEnter(target) {
    return target.closest && target.closest("a, button, summary, label, input, textarea, select, [tabindex], [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (!shortcutsOn()) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.key === "Enter" && ownsEnter(event.target)) return;
    const key = aliases[event.key] || event.key.toLowerCase();
    const target = document.querySelector('[data-key="' + key + '"]');
    if (!target) return;
    event.preventDefault();
    document.querySelectorAll("[data-key]").forEach(function (el) { el.setAttribute("aria-disabled", "true"); });
    target.click();
  });

  const toggle = document.getElementById("shortcuts-toggle");
  if (toggle) {
    toggle.checked = shortcutsOn();
    toggle.addEventListener("change", function () {
      chosen = toggle.checked;
      try { localStorage.setItem(STORAGE_KEY, chosen ? "on" : "off"); } catch (e) { /* kept for this page only */ }
      showKeyHints(toggle.checked);
    });
  }
  showKeyHints(shortcutsOn());

  // One submission per battle, even if a key is held down or a button double-clicked.
  const form = document.getElementById("vote-form");
  if (form) {
    form.addEventListener("submit", function () {
      setTimeout(function () { form.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }, 0);
    });
  }
})();
