// Ask your own: post the prompt, then show both answers as they stream in over the socket.
// Events name a token and a side, never a model; the battle page follows when both are done.
// The server releases both sides in lockstep (arena/custom/lockstep.py), so neither side's speed
// shows; here both panels are repainted together, once per frame, so the page keeps that order
// however the socket bunches its messages. Neither panel says "done" before the battle is ready.
(function () {
  const t = window.arenaText;
  const panels = document.getElementById("live-answers");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const early = {};  // events that arrive before the POST has answered with their token
  let token = null;
  let pending = { a: "", b: "" };  // text received, not yet on screen
  let painting = false;

  function paint() {
    painting = false;
    const text = pending;
    pending = { a: "", b: "" };
    ["a", "b"].forEach(function (side) {
      if (text[side]) document.getElementById("live-" + side).textContent += text[side];
    });
  }

  function append(side, text) {
    pending[side] += text;
    if (!painting) { painting = true; window.requestAnimationFrame(paint); }
  }

  // The ask form says when a community has too few live models for the pair to be blind.
  const community = document.getElementById("ask-community");
  const blindness = document.getElementById("ask-blindness");
  if (community && blindness) {
    community.addEventListener("change", function () {
      const note = community.selectedOptions[0] ? community.selectedOptions[0].dataset.blindness : "";
      blindness.textContent = note || "";
      blindness.hidden = !note;
    });
  }

  function reset() {
    pending = { a: "", b: "" };
    ["a", "b"].forEach(function (side) {
      document.getElementById("live-" + side).textContent = "";
      document.getElementById("state-" + side).textContent = t("writing…");
    });
    panels.hidden = false;
    const area = document.getElementById("battle-area");
    if (area) area.hidden = true;
    // The battle underneath is no longer on screen: its vote buttons (and keys) must go too.
    ["vote-form", "continue-form"].forEach(function (id) {
      const form = document.getElementById(id);
      if (form) form.remove();
    });
  }

  function handle(name, detail) {
    if (detail.token !== token) { (early[detail.token] = early[detail.token] || []).push([name, detail]); return; }
    if (name === "custom_chunk") {
      if (detail.side === "a" || detail.side === "b") append(detail.side, detail.text);
    } else if (name === "custom_ready") {
      window.location.assign(detail.url);
    } else if (name === "custom_failed") {
      paint();
      ["a", "b"].forEach(function (side) { document.getElementById("state-" + side).textContent = t("stopped"); });
      showError(detail.message);
    }
  }

  ["custom_chunk", "custom_ready", "custom_failed"].forEach(function (name) {
    document.addEventListener("arena:" + name, function (event) { handle(name, event.detail); });
  });

  let errorBox = null;
  function showError(message) {
    if (errorBox) errorBox.textContent = message;
    const live = document.getElementById("live-error");
    if (live && !panels.hidden) live.textContent = t("%(message)s Reload the page to go on.", { message: message });
  }

  function submitter(formId, errorId) {
    const form = document.getElementById(formId);
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errorBox = document.getElementById(errorId);
      errorBox.textContent = "";
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      fetch(form.action, {
        method: "POST", body: new FormData(form),
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      }).then(function (reply) {
        return reply.json().then(function (body) { return [reply.ok, body]; });
      }).then(function (result) {
        button.disabled = false;
        if (!result[0]) { showError(result[1].error); return; }
        token = result[1].token;
        reset();
        (early[token] || []).forEach(function (item) { handle(item[0], item[1]); });
        delete early[token];
      }).catch(function () { button.disabled = false; showError(t("The server could not be reached. Try again.")); });
    });
  }
  submitter("ask-form", "ask-error");
  submitter("continue-form", "continue-error");
})();
