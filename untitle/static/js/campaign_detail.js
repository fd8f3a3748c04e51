// Campaign detail: poll the send progress while it runs, then draw the results per group.
(function () {
  'use strict';
  var cfgEl = document.getElementById('campaign-config');
  if (!cfgEl) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var chart = null;
  function pct(v) { return v === null || v === undefined ? '—' : (v * 100).toFixed(2) + '%'; }
  function progress() {
    fetch(cfg.progress_url, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (p) {
      document.getElementById('send-progress').value = p.percent;
      document.getElementById('send-percent').textContent = p.percent;
      Object.keys(p.counts).forEach(function (k) {
        var li = document.querySelector('#send-counts li[data-status="' + k + '"] span');
        if (li) li.textContent = p.counts[k];
      });
      if (p.counts.pending || p.counts.sending) setTimeout(progress, 2000);
      else results();
    }).catch(function () { setTimeout(progress, 5000); });
  }
  function results() {
    fetch(cfg.results_url, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (res) {
      var body = document.querySelector('#results-table tbody');
      body.textContent = '';
      res.groups.forEach(function (g) {
        var tr = document.createElement('tr');
        var lift = g.lift && g.lift.diff !== null
          ? pct(g.lift.diff) + ' (' + pct(g.lift.low) + ' ~ ' + pct(g.lift.high) + ')' : '—';
        [g.variant === 'holdout' ? '대조군' : g.variant + '안', g.n, g.clickers, pct(g.conversion),
         g.revenue.toLocaleString(), lift].forEach(function (v) {
          var td = document.createElement('td'); td.textContent = v; tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      document.getElementById('results-window').textContent = res.window.start.slice(0, 16) + ' ~ ' + res.window.end.slice(0, 16);
      document.getElementById('cost-saved').textContent = res.cost_saved.push_sent
        ? '알림톡 대비 절감: ' + res.cost_saved.krw.toLocaleString() + '원 (웹 푸시 ' + res.cost_saved.push_sent.toLocaleString() + '건 × ' + res.cost_saved.alimtalk_price + '원)' : '';
      if (window.Chart) {
        var data = { labels: res.groups.map(function (g) { return g.variant; }),
          datasets: [{ label: '구매 전환율 %', data: res.groups.map(function (g) { return g.conversion ? g.conversion * 100 : 0; }) }] };
        if (chart) { chart.data = data; chart.update(); }
        else chart = new Chart(document.getElementById('results-chart'), { type: 'bar', data: data });
      }
    }).catch(function () {});
  }
  progress();
})();
