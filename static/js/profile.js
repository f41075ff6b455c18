// Points over time on the profile page (Chart.js, served from static/vendor).
(function () {
  const canvas = document.getElementById("points-chart");
  const data = document.getElementById("points-history");
  if (!canvas || !data || typeof Chart === "undefined") return;
  const history = JSON.parse(data.textContent);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: history.map(function (p) { return p.day; }),
      datasets: [{ label: window.arenaText("Points"), data: history.map(function (p) { return p.points; }),
                   borderColor: "#3b5bdb", backgroundColor: "rgba(59, 91, 219, .12)", fill: true, tension: .25 }],
    },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } }, animation: false },
  });
})();
