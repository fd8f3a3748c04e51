/* Customer segments page: RFM bubble chart and segment moves over time (Chart.js). */
(function () {
  'use strict';
  var el = document.getElementById('customers-chart-data');
  if (!el || typeof Chart === 'undefined') return;
  var data = JSON.parse(el.textContent);

  function radius(m, max) {
    // area proportional to spend, so a 4x spender looks 4x, not 16x
    return max > 0 ? 2 + 12 * Math.sqrt(m / max) : 3;
  }

  var maxM = 0;
  data.segments.forEach(function (s) { s.points.forEach(function (p) { if (p.m > maxM) maxM = p.m; }); });
  new Chart(document.getElementById('rfm-chart'), {
    type: 'bubble',
    data: {
      datasets: data.segments.filter(function (s) { return s.points.length; }).map(function (s) {
        return {
          label: s.name, backgroundColor: s.color + '99', borderColor: s.color,
          data: s.points.map(function (p) { return { x: p.x, y: p.y, r: radius(p.m, maxM), m: p.m, key: p.key }; })
        };
      })
    },
    options: {
      maintainAspectRatio: false, animation: false,
      scales: { x: { title: { display: true, text: 'R' }, min: 0 }, y: { title: { display: true, text: 'F' }, min: 0 } },
      plugins: {
        tooltip: {
          callbacks: {
            label: function (ctx) {
              var p = ctx.raw;
              return p.key + ' · R ' + p.x + ' · F ' + p.y + ' · M ' + Math.round(p.m).toLocaleString();
            }
          }
        }
      }
    }
  });

  var order = ['vip', 'mid', 'low', 'dormant'];
  new Chart(document.getElementById('moves-chart'), {
    type: 'bar',
    data: {
      labels: data.moves.days,
      datasets: order.map(function (code) {
        return { label: data.names[code], backgroundColor: data.colors[code], data: data.moves.series[code] };
      })
    },
    options: {
      maintainAspectRatio: false, animation: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
})();

/* Repurchase predictions: predicted vs observed per decile of held-out customers. */
(function () {
  'use strict';
  var el = document.getElementById('customers-chart-data');
  var canvas = document.getElementById('calibration-chart');
  if (!el || !canvas || typeof Chart === 'undefined') return;
  var cal = JSON.parse(el.textContent).calibration;
  var colors = { '30': '#3555d9', '90': '#1f7a4d' };
  var datasets = [];
  Object.keys(cal.horizons).forEach(function (h) {
    var rows = cal.horizons[h];
    datasets.push({ label: cal.labels[h] + ' ' + cal.labels.predicted, borderColor: colors[h], borderDash: [4, 4],
                    data: rows.map(function (r) { return r.predicted * 100; }) });
    datasets.push({ label: cal.labels[h] + ' ' + cal.labels.observed, borderColor: colors[h],
                    data: rows.map(function (r) { return r.observed * 100; }) });
  });
  var first = cal.horizons[Object.keys(cal.horizons)[0]] || [];
  new Chart(canvas, {
    type: 'line',
    data: { labels: first.map(function (r) { return r.decile; }), datasets: datasets },
    options: {
      maintainAspectRatio: false, animation: false,
      scales: { x: { title: { display: true, text: cal.labels.decile } },
                y: { min: 0, title: { display: true, text: '%' } } }
    }
  });
})();
