// Live preview of the campaign message: the server renders it with the advertising frame and
// the compliance checks, so what the marketer sees is exactly what the rules allow.
(function () {
  'use strict';
  var form = document.getElementById('campaign-form');
  var out = document.getElementById('preview-out');
  if (!form || !out) return;
  var timer = null;
  function render(data) {
    out.textContent = '';
    (data.previews || []).forEach(function (p) {
      var box = document.createElement('div');
      var h = document.createElement('strong');
      h.textContent = p.variant + (p.sms_type ? ' · ' + p.sms_type + ' ' + p.bytes + 'B' : '');
      box.appendChild(h);
      var pre = document.createElement('pre');
      pre.style.whiteSpace = 'pre-wrap';
      pre.textContent = p.error || p.text;
      if (p.error) pre.className = 'status-failed';
      box.appendChild(pre);
      (p.problems || []).forEach(function (m) {
        var e = document.createElement('p');
        e.className = 'status-failed';
        e.textContent = m;
        box.appendChild(e);
      });
      out.appendChild(box);
    });
  }
  function refresh() {
    fetch(form.dataset.previewUrl, { method: 'POST', body: new FormData(form), credentials: 'same-origin' })
      .then(function (r) { return r.json(); }).then(render).catch(function () {});
  }
  form.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  refresh();
})();
