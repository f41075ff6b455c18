// The leaderboard page: interval chart, scores over time, predicted chances, live refresh.
(function () {
  const table = document.getElementById("leaderboard");
  const dataBlock = document.getElementById("board-data");
  if (!table || !dataBlock) return;
  const data = JSON.parse(dataBlock.textContent);
  let scores = Object.fromEntries(data.rows.map(function (r) { return [r.model, r.score]; }));

  function chance(a, b) { return 1 / (1 + Math.pow(10, (scores[b] - scores[a]) / 400)); }

  const form = document.getElementById("win-chance");
  if (form) {
    const update = function () {
      form.elements.chance.value = Math.round(100 * chance(form.elements.a.value, form.elements.b.value)) + " %";
    };
    form.addEventListener("change", update);
    update();
  }

  if (typeof Chart === "undefined") return;
  const ranked = data.rows.filter(function (r) { return !r.preliminary; });
  const ciCanvas = document.getElementById("ci-chart");
  if (ciCanvas) {
    new Chart(ciCanvas, {
      type: "bar",
      data: {
        labels: ranked.map(function (r) { return r.model; }),
        datasets: [
          { type: "scatter", label: window.arenaText("Score"), data: ranked.map(function (r, i) { return { x: r.score, y: i }; }),
            yAxisID: "y", backgroundColor: "#1f2937" },
          { label: window.arenaText("95 %% interval"), data: ranked.map(function (r) { return [r.ci_lower, r.ci_upper]; }),
            backgroundColor: "rgba(37, 99, 235, 0.35)", barPercentage: 0.5 },
        ],
      },
      options: {
        indexAxis: "y", maintainAspectRatio: false, animation: false,
        scales: { x: { title: { display: true, text: window.arenaText("Score") } }, y: { type: "category" } },
        plugins: { legend: { display: false } },
      },
    });
  }

  const historyCanvas = document.getElementById("history-chart");
  if (historyCanvas && data.history.moments.length > 1) {
    const top = ranked.slice(0, 8).map(function (r) { return r.model; });
    new Chart(historyCanvas, {
      type: "line",
      data: {
        labels: data.history.moments,
        datasets: top.map(function (name) { return { label: name, data: data.history.scores[name] || [], spanGaps: true }; }),
      },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { title: { display: true, text: window.arenaText("Score") } } } },
    });
  }

  function fill(target, rows, cells) {
    const body = target.tBodies[0];
    body.replaceChildren();
    rows.forEach(function (row) {
      const tr = document.createElement("tr");
      cells(row).forEach(function (v) { const td = document.createElement("td"); td.textContent = v; tr.appendChild(td); });
      body.appendChild(tr);
    });
  }

  // A vote changed this board: re-read it (the server answers with its cached fit at once).
  document.addEventListener("arena:leaderboard_changed", function () {
    const query = new URLSearchParams({ method: "bt" });
    ["community", "style", "source", "trust", "exposure", "attribution", "language"].forEach(function (name) {
      if (table.dataset[name]) query.set(name, table.dataset[name]);
    });
    if (table.dataset.voterCap) query.set("voter_cap", table.dataset.voterCap);
    fetch("/api/v1/leaderboard?" + query.toString(), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (board) {
        const minVotes = Number(table.dataset.minVotes);
        const interval = function (r) { return r.ci_lower.toFixed(1) + " – " + r.ci_upper.toFixed(1); };
        fill(table, board.models.filter(function (r) { return r.votes >= minVotes; }), function (r) {
          return [r.rank, r.model, r.score.toFixed(1), interval(r), r.votes];
        });
        const early = board.models.filter(function (r) { return r.votes < minVotes; });
        fill(document.getElementById("preliminary"), early, function (r) {
          return [r.model, r.score.toFixed(1), interval(r), r.votes];
        });
        document.getElementById("preliminary-section").hidden = early.length === 0;
        scores = Object.fromEntries(board.models.map(function (r) { return [r.model, r.score]; }));
      });
  });
})();
