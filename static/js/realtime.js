// One Socket.IO connection per page. Push-only: the server sends, pages react.
// Board scope comes from the page; private events (points, badges) reach only their owner.
(function () {
  if (typeof io === "undefined") return;
  const script = document.currentScript;
  const transports = script.dataset.websocketOnly === "true" ? ["websocket"] : ["polling", "websocket"];
  const socket = io({ transports: transports, auth: { scope: script.dataset.scope || "overall" } });
  const status = document.getElementById("live-status");
  const t = window.arenaText;

  function relay(name) {
    socket.on(name, function (payload) {
      document.dispatchEvent(new CustomEvent("arena:" + name, { detail: payload }));
    });
  }
  ["leaderboard_changed", "people_changed", "custom_chunk", "custom_ready", "custom_failed"].forEach(relay);

  // Screen readers hear that a board changed, at most once a minute: a busy board changes often.
  const news = document.getElementById("board-news");
  let lastNews = 0;
  ["leaderboard_changed", "people_changed"].forEach(function (name) {
    socket.on(name, function () {
      if (!news || Date.now() - lastNews < 60000) return;
      lastNews = Date.now();
      news.textContent = news.dataset.text;
      setTimeout(function () { news.textContent = ""; }, 10000);
    });
  });

  // A badge's icon from static/icons/badges.svg: decorative, its name follows as text.
  function badgeIcon(slug) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    [["class", "badge-icon"], ["aria-hidden", "true"], ["focusable", "false"], ["width", "20"], ["height", "20"]]
      .forEach(function (pair) { svg.setAttribute(pair[0], pair[1]); });
    const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", script.dataset.badgeIcons + "#badge-" + slug);
    svg.appendChild(use);
    return svg;
  }

  function toast(title, body, tier, icon) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast " + (tier || "");
    const strong = document.createElement("strong");
    if (icon) strong.append(icon, " ");
    strong.append(title);
    const text = document.createElement("span");
    text.textContent = body;
    item.append(strong, text);
    box.appendChild(item);
    setTimeout(function () { item.classList.add("leaving"); }, 5000);
    setTimeout(function () { item.remove(); }, 5600);
  }

  document.querySelectorAll("#toasts .toast").forEach(function (item) {
    setTimeout(function () { item.classList.add("leaving"); }, 6000);
    setTimeout(function () { item.remove(); }, 6600);
  });

  // Paused while the socket cannot connect, or while the server says events from the other
  // workers cannot reach it (Redis away). Votes and pages work meanwhile; only pushes stop.
  const notice = document.getElementById("live-paused");
  let disconnected = false, queueDown = false, graceTimer = null;
  function showLiveState() {
    const paused = disconnected || queueDown;
    if (notice) notice.hidden = !paused;
    if (status) status.textContent = paused ? t("Live updates paused.") : t("Live: updates as votes arrive.");
  }
  function lostConnection() {
    // A moment's grace: a quick reconnect (or leaving the page) is not worth a notice.
    if (graceTimer === null) graceTimer = setTimeout(function () { disconnected = true; showLiveState(); }, 3000);
  }
  socket.on("connect", function () {
    clearTimeout(graceTimer);
    graceTimer = null;
    disconnected = false;
    showLiveState();
  });
  socket.on("disconnect", function () {
    queueDown = false; // the next connection says again whether its server is cut off
    if (status) status.textContent = t("Reconnecting…");
    lostConnection();
  });
  socket.on("connect_error", lostConnection);
  socket.on("live_status", function (event) { queueDown = !event.live; showLiveState(); });
  socket.on("points", function (event) {
    const counter = document.getElementById("my-points");
    if (counter) counter.textContent = event.points;
  });
  socket.on("badge_awarded", function (badge) {
    const tier = t(badge.tier);
    toast(badge.name, " · " + t("%(tier)s badge earned! %(description)s", { tier: tier, description: badge.description }), badge.tier, badgeIcon(badge.badge));
  });
  socket.on("activity", function (event) {
    const feed = document.getElementById("activity-feed");
    if (!feed) return;
    const item = document.createElement("li");
    // The sentence in the page's language when it has a template (a tier is translated too).
    item.textContent = event.template
      ? t(event.template, Object.assign({}, event.values, { tier: t(event.values.tier || "") }))
      : event.text;
    feed.prepend(item);
    while (feed.children.length > 8) feed.lastElementChild.remove();
  });
})();
