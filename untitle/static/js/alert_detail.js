// The alert page's chart (alerts/detail.html), a static file so the CSP needs no inline script.
(function () {
  // The series with yesterday's and last week's values at the same time and the alert's
  // expected level, so a marketer sees how far it went and against what.
  const d = JSON.parse(document.getElementById("alert-chart-data").textContent);
  const t = JSON.parse(document.getElementById("alert-chart-text").textContent);
  const labels = d.labels.map((s) => new Date(s).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}));
  const flat = (v) => d.labels.map(() => v);
  const datasets = [
    {label: t.observed, data: d.observed, borderColor: "#d6336c", borderWidth: 2, pointRadius: 0},
    {label: t.yesterday, data: d.yesterday, borderColor: "#74c0fc", borderDash: [4, 3], pointRadius: 0},
    {label: t.week, data: d.week, borderColor: "#adb5bd", borderDash: [2, 3], pointRadius: 0},
    {label: t.expected, data: flat(d.expected), borderColor: "#2b8a3e", borderWidth: 1, pointRadius: 0},
  ];
  if (d.short !== null && d.short !== undefined) {
    datasets.push({label: t.short, data: flat(d.short), borderColor: "#f59f00", borderWidth: 1, pointRadius: 0});
  }
  window.alertChart = new Chart(document.getElementById("alert-chart"), {
    type: "line", data: {labels, datasets},
    options: {animation: false, interaction: {mode: "index", intersect: false}, scales: {y: {beginAtZero: true}}},
  });
})();
