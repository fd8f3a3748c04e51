/* A segment's page: size history chart, who entered / left since the last refresh (paged),
   refresh now, webhook push, delete. */
(function () {
  "use strict";
  const U = window.UntitleAsk;
  const cfg = JSON.parse(document.getElementById("segment-config").textContent);
  U.setText(cfg.text);
  const T = U.T, el = U.el;
  const $ = function (id) { return document.getElementById(id); };
  let kind = "entered", page = 1;
  const PAGE = 50;

  if (window.Chart && cfg.history.length) {
    new window.Chart($("size-chart"), {
      type: "line",
      data: { labels: cfg.history.map(function (h) { return h.at.slice(0, 16).replace("T", " "); }),
        datasets: [{ label: T("size"), data: cfg.history.map(function (h) { return h.size; }), tension: 0.2 }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false },
    });
  }

  async function loadChanges() {
    const body = $("changes").querySelector("tbody");
    try {
      const res = await U.api(cfg.urls.changes + "?kind=" + kind + "&page=" + page + "&page_size=" + PAGE);
      body.textContent = "";
      if (!res.rows.length) body.appendChild(el("tr", {}, [el("td", { colspan: "2", class: "muted", text: T("no_rows") })]));
      res.rows.forEach(function (r) { body.appendChild(el("tr", {}, [el("td", { text: r.uuid }), el("td", { text: r.member_id })])); });
      const pages = Math.max(1, Math.ceil(res.total / PAGE));
      $("page-info").textContent = T(kind) + " " + res.total.toLocaleString() + T("people") + " · " + page + " / " + pages;
      $("prev").disabled = page <= 1; $("next").disabled = page >= pages;
    } catch (err) { $("action-status").textContent = err.message; }
  }
  document.querySelectorAll(".tab").forEach(function (b) {
    b.addEventListener("click", function () { kind = b.dataset.kind; page = 1; loadChanges(); });
  });
  $("prev").addEventListener("click", function () { page -= 1; loadChanges(); });
  $("next").addEventListener("click", function () { page += 1; loadChanges(); });

  async function act(url, method, okText) {
    try { await U.api(url, method); $("action-status").textContent = okText; return true; }
    catch (err) { $("action-status").textContent = err.message; return false; }
  }
  if ($("refresh")) $("refresh").addEventListener("click", async function () {
    if (await act(cfg.urls.refresh, "POST", T("queued"))) setTimeout(function () { window.location.reload(); }, 1500);
  });
  if ($("push")) $("push").addEventListener("click", function () { act(cfg.urls.webhook, "POST", T("pushed")); });
  if ($("delete")) $("delete").addEventListener("click", async function () {
    if (!window.confirm(T("confirm_delete"))) return;
    if (await act(cfg.urls.detail, "DELETE", "")) window.location.href = cfg.urls.builder;
  });
  loadChanges();
})();
