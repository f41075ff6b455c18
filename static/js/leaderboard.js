// Live model leaderboard: re-read the JSON API when a vote changes a board we show.
(function () {
  const table = document.getElementById("leaderboard");
  const status = document.getElementById("live-status");
  const script = document.currentScript;
  if (!table || typeof io === "undefined") return;
  const community = table.dataset.community;
  const scope = community || "overall";
  const transports = script.dataset.websocketOnly === "true" ? ["websocket"] : ["polling", "websocket"];

  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }

  function render(board) {
    const body = table.tBodies[0];
    body.replaceChildren();
    let rank = 0, previousScore = null;
    board.models.forEach(function (row, index) {
      if (row.score !== previousScore) { rank = index + 1; previousScore = row.score; }
      const tr = document.createElement("tr");
      [rank, row.model, row.score.toFixed(2), row.mu.toFixed(2), row.sigma.toFixed(2),
       row.votes, row.wins, row.losses, row.ties].forEach(function (v) { tr.appendChild(cell(v)); });
      body.appendChild(tr);
    });
  }

  function refresh() {
    const url = "/api/v1/leaderboard" + (community ? "?community=" + encodeURIComponent(community) : "");
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(render);
  }

  const socket = io({ transports: transports });
  socket.on("connect", function () { status.textContent = "Live: updates as votes arrive."; });
  socket.on("disconnect", function () { status.textContent = "Reconnecting…"; });
  socket.on("leaderboard_changed", function (event) {
    if (event.scopes.indexOf(scope) !== -1) refresh();
  });
})();
