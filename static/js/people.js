// Live people board: re-read /api/v1/people when points change on this board's scope.
(function () {
  const table = document.getElementById("people");
  if (!table) return;
  const query = table.dataset.query;

  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }

  function render(data) {
    const body = table.tBodies[0];
    body.replaceChildren();
    data.people.forEach(function (row) {
      const tr = document.createElement("tr");
      const agreement = row.agreement === null ? "–" : Math.round(row.agreement * 100) + " %";
      [row.rank, row.name, row.points, row.badges, agreement].forEach(function (v) { tr.appendChild(cell(v)); });
      body.appendChild(tr);
    });
  }

  document.addEventListener("arena:people_changed", function () {
    fetch("/api/v1/people?" + query, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(render);
  });
})();
