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

  function keysOf(key) {
    return [key].concat(Object.keys(aliases).filter(function (alias) { return aliases[alias] === key; }));
  }

  // While shortcuts are on, each element they press names its keys (aria-keyshortcuts) and is
  // described by the page's shortcut help; while off, neither, and the key hints are hidden.
  function showKeyHints(on) {
    document.querySelectorAll("[data-key] kbd").forEach(function (kbd) { kbd.hidden = !on; });
    const help = document.getElementById("shortcut-help");
    document.querySelectorAll("[data-key]").forEach(function (el) {
      if (on) el.setAttribute("aria-keyshortcuts", keysOf(el.dataset.key).join(" "));
      else el.removeAttribute("aria-keyshortcuts");
      if (help && on) el.setAttribute("aria-describedby", help.id);
      else if (help) el.removeAttribute("aria-describedby");
    });
  }

  function announce(on) {
    const status = document.getElementById("shortcuts-status");
    if (status) status.textContent = on ? status.dataset.on : status.dataset.off;
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
      announce(toggle.checked);
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
