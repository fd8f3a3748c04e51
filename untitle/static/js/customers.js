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
