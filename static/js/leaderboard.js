// Live model leaderboard: re-read the JSON API when a vote changes the board on screen.
(function () {
  const table = document.getElementById("leaderboard");
  if (!table) return;
  const community = table.dataset.community;

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

  document.addEventListener("arena:leaderboard_changed", function () {
    const url = "/api/v1/leaderboard" + (community ? "?community=" + encodeURIComponent(community) : "");
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(render);
  });
})();
