// The participation page's charts (Chart.js, served from static/vendor). Each chart draws the
// numbers of the table beside it, which stays for people who cannot see charts.
(function () {
  const block = document.getElementById("participation-data");
  if (!block || typeof Chart === "undefined") return;
  const data = JSON.parse(block.textContent);
  const figures = data.figures, labels = data.labels;
  const colours = ["#3b5bdb", "#2b8a3e", "#e67700"];

  function named(name) { return name === "unknown" ? labels.unknown : name; }

  const weeks = document.getElementById("weeks-chart");
  if (weeks) {
    new Chart(weeks, {
      type: "line",
      data: {
        labels: figures.by_week.map(function (row) { return row.week; }),
        datasets: ["voters", "contributors", "auditors"].map(function (key, i) {
          return { label: labels[key], data: figures.by_week.map(function (row) { return row[key]; }),
                   borderColor: colours[i], backgroundColor: colours[i], tension: .25 };
        }),
      },
      options: { maintainAspectRatio: false, animation: false,
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  function bars(canvasId, rows, nameKey, keys) {
    const canvas = document.getElementById(canvasId);
    if (!canvas) return;
    const shown = rows.slice(0, 15);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: shown.map(function (row) { return named(row[nameKey]); }),
        datasets: keys.map(function (key, i) {
          return { label: labels[key], data: shown.map(function (row) { return row[key]; }),
                   backgroundColor: colours[i] };
        }),
      },
      options: { indexAxis: "y", maintainAspectRatio: false, animation: false,
                 scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  bars("languages-chart", figures.languages, "language", ["votes", "prompts"]);
  bars("topics-chart", figures.topics, "topic", ["votes", "prompts"]);
  bars("models-chart", figures.models, "model", ["votes"]);
})();
