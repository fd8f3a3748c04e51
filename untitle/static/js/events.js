/* Events page: the daily chart by event type, the live counter and the installed indicator. */
(function () {
  'use strict';
  var root = document.getElementById('events-page');
  if (!root) return;
  var english = (document.documentElement.lang || '').indexOf('en') === 0;
  var PALETTE = ['#3555d9', '#1f7a4d', '#c4321c', '#d98f35', '#7a4dd9', '#1c8fc4', '#c41c7a', '#6b8e23',
    '#8e6b23', '#23708e', '#a0a0a0', '#4d4dd9'];

  function getJSON(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); });
  }

  function message(text) {
    var el = document.querySelector('[data-testid="chart-message"]');
    el.textContent = text;
    el.hidden = !text;
  }

  function totalsTable(series) {
    var table = document.querySelector('[data-testid="type-totals"]');
    var body = table.querySelector('tbody');
    body.textContent = '';
    series.forEach(function (s) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-code', s.code);
      [english ? s.label_en : s.label_ko, s.code, s.total.toLocaleString()].forEach(function (v) {
        var td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.hidden = !series.length;
  }

  function drawChart(data) {
    totalsTable(data.series);
    if (!data.series.length) { message(root.dataset.empty); return; }
    message('');
    if (!window.Chart) return;
    var datasets = data.series.map(function (s, i) {
      var color = PALETTE[i % PALETTE.length];
      return {
        label: (english ? s.label_en : s.label_ko) + ' (' + s.code + ')',
        data: s.counts, backgroundColor: color, borderColor: color, hidden: s.is_end, stack: 'events'
      };
    });
    new window.Chart(document.getElementById('events-chart'), {
      type: 'bar',
      data: { labels: data.days.map(function (d) { return d.slice(5); }), datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: 'bottom' } }
      }
    });
  }

  function refreshLive() {
    getJSON(root.dataset.liveUrl).then(function (res) {
      var count = document.querySelector('[data-testid="live-count"]');
      var status = document.querySelector('[data-testid="install-status"]');
      if (!res.ok || !res.body.available) {
        count.textContent = '–';
        if (res.body && res.body.message) status.textContent = res.body.message;
        return;
      }
      count.textContent = res.body.last_5_minutes.toLocaleString();
      status.textContent = res.body.installed_text;
      status.dataset.installed = res.body.installed ? 'true' : 'false';
      status.className = res.body.installed ? 'status-ok' : 'status-missing';
    })['catch'](function () { /* keep the last figure; the next tick tries again */ });
  }

  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest('[data-copy]');
    if (!btn || !navigator.clipboard) return;
    navigator.clipboard.writeText(btn.dataset.copy).then(function () { btn.textContent = root.dataset.copied; });
  });

  getJSON(root.dataset.dailyUrl).then(function (res) {
    if (res.ok) drawChart(res.body); else message((res.body && res.body.message) || root.dataset.error);
  })['catch'](function () { message(root.dataset.error); });
  setInterval(refreshLive, 10000);
})();
