// Progress while the model works (up to ~10 s), and the predicted-vs-actual ROI chart.
(function () {
  document.querySelectorAll("#plans-form, #reask-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var p = form.querySelector(".plans-progress");
      if (p) p.classList.add("on");
      var b = form.querySelector("button[type=submit]");
      if (b) b.disabled = true;
    });
  });
  var data = document.getElementById("roi-series");
  var canvas = document.getElementById("roi-chart");
  if (!data || !canvas || !window.Chart) return;
  var s = JSON.parse(data.textContent || "null");
  if (!s || !s.labels || !s.labels.length) { canvas.remove(); return; }
  new window.Chart(canvas, {
    type: "line",
    data: { labels: s.labels, datasets: [
      { label: s.predicted_label, data: s.predicted, borderDash: [4, 4] },
      { label: s.actual_label, data: s.actual }
    ] },
    options: { scales: { y: { ticks: { callback: function (v) { return v + "%"; } } } } }
  });
})();
