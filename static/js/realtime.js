// One Socket.IO connection per page. Push-only: the server sends, pages react.
// Board scope comes from the page; private events (points, badges) reach only their owner.
(function () {
  if (typeof io === "undefined") return;
  const script = document.currentScript;
  const transports = script.dataset.websocketOnly === "true" ? ["websocket"] : ["polling", "websocket"];
  const socket = io({ transports: transports, auth: { scope: script.dataset.scope || "overall" } });
  const status = document.getElementById("live-status");

  function relay(name) {
    socket.on(name, function (payload) {
      document.dispatchEvent(new CustomEvent("arena:" + name, { detail: payload }));
    });
  }
  ["leaderboard_changed", "people_changed", "custom_chunk", "custom_ready", "custom_failed"].forEach(relay);

  function toast(title, body, tier) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast " + (tier || "");
    const strong = document.createElement("strong");
    strong.textContent = title;
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
    if (status) status.textContent = paused ? "Live updates paused." : "Live: updates as votes arrive.";
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
    if (status) status.textContent = "Reconnecting…";
    lostConnection();
  });
  socket.on("connect_error", lostConnection);
  socket.on("live_status", function (event) { queueDown = !event.live; showLiveState(); });
  socket.on("points", function (event) {
    const counter = document.getElementById("my-points");
    if (counter) counter.textContent = event.points;
  });
  socket.on("badge_awarded", function (badge) {
    toast(badge.icon + " " + badge.name, " · " + badge.tier + " badge earned! " + badge.description, badge.tier);
  });
  socket.on("activity", function (event) {
    const feed = document.getElementById("activity-feed");
    if (!feed) return;
    const item = document.createElement("li");
    item.textContent = event.text;
    feed.prepend(item);
    while (feed.children.length > 8) feed.lastElementChild.remove();
  });
})();
