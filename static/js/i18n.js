// The scripts' sentences in the page's language: base.html writes them as JSON (#i18n), keyed
// by their English text (arena/web/i18n.py, JS_STRINGS). Nothing is fetched.
(function () {
  let table = {};
  try {
    table = JSON.parse(document.getElementById("i18n").textContent);
  } catch (e) { /* no catalogue: the English text stands */ }
  // t("%(count)s redactions", {count: 3}): %(name)s places filled in, %% written as %.
  window.arenaText = function (text, values) {
    const said = Object.prototype.hasOwnProperty.call(table, text) ? table[text] : text;
    return said.replace(/%\((\w+)\)s|%%/g, function (place, name) {
      if (!name) return "%";
      return values && name in values ? String(values[name]) : place;
    });
  };
})();
