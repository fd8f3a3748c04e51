/* Saved questions: run now, poll run progress, show run history and a run's result pages. */
(function () {
  "use strict";
  const U = window.UntitleAsk;
  const cfg = JSON.parse(document.getElementById("ask-config").textContent);
  U.setText(cfg.text);
  const T = U.T;
  const $ = function (id) { return document.getElementById(id); };
  const FINISHED = { succeeded: 1, failed: 1 };
  const statusLabel = function (s) { return T(s === "failed" ? "failed_run" : s); };

  function runUrl(id) { return cfg.runDetailUrl ? cfg.runDetailUrl.replace(/\/0$/, "/" + id) : null; }

  async function poll(url, onUpdate) {
    let delay = 500;
    for (;;) {
      const run = await U.api(url);
      onUpdate(run);
      if (FINISHED[run.status]) return run;
      await new Promise(function (r) { setTimeout(r, delay); });
      delay = Math.min(delay * 1.5, 4000);
    }
  }

  /* ---- list page ---- */
  document.querySelectorAll(".run-now[data-run-url]").forEach(function (btn) {
    btn.addEventListener("click", async function () {
      const cell = btn.closest("tr").querySelector(".last-run");
      btn.disabled = true;
      try {
        const run = await U.api(btn.dataset.runUrl, "POST", {});
        await poll(run.url, function (r) {
          cell.dataset.status = r.status;
          cell.textContent = statusLabel(r.status) + (r.progress && !FINISHED[r.status] ? " " + r.progress + "%" : "") +
            (r.error ? " \u2014 " + r.error : r.summary ? " \u2014 " + r.summary : "");
          cell.className = "last-run status-" + r.status;
        });
      } catch (e) { cell.textContent = e.message; }
      finally { btn.disabled = false; }
    });
  });

  /* ---- detail page ---- */
  const irEl = $("saved-ir");
  if (irEl && $("saved-rules")) U.renderRules($("saved-rules"), JSON.parse(irEl.textContent));
  const history = $("run-history");

  function historyRow(r) {
    let tr = history.querySelector("tr[data-run-id='" + r.id + "']");
    const empty = history.querySelector("tr.empty");
    if (empty) empty.remove();
    if (!tr) { tr = document.createElement("tr"); tr.dataset.runId = r.id; history.querySelector("tbody").prepend(tr); }
    tr.dataset.status = r.status;
    tr.innerHTML = "";
    const prog = U.el("progress", { class: "progress", max: "100", value: String(r.progress || 0) });
    const note = r.error ? U.el("span", { class: "status-failed", text: r.error }) : document.createTextNode(r.summary || "");
    const cells = [String(r.id), null, null, r.started_at_local || "\u2014",
      r.duration_ms == null ? "\u2014" : U.fmt(r.duration_ms), U.fmt(r.rows_read), U.fmt(r.row_count)];
    // rows read is hidden (column and cell) when the store cannot say it (chDB): never a wrong figure
    if (!cfg.rowsReadKnown) cells.splice(5, 1);
    cells.forEach(function (c, i) {
      if (i === 1) tr.appendChild(U.el("td", { class: "status-" + r.status, text: statusLabel(r.status) }));
      else if (i === 2) tr.appendChild(U.el("td", null, [prog]));
      else tr.appendChild(U.el("td", { text: c, class: i >= 4 ? "num" : "" }));
    });
    tr.appendChild(U.el("td", null, [note]));
    const last = U.el("td");
    if (r.status === "succeeded") {
      const b = U.el("button", { type: "button", class: "linklike show-result", "data-run-id": String(r.id), text: T("show_result") });
      b.addEventListener("click", function () { showResult(r.id, 1); });
      last.appendChild(b);
    }
    tr.appendChild(last);
  }

  let shown = null;
  async function showResult(id, page) {
    const run = await U.api(runUrl(id) + "?page=" + page + "&page_size=50");
    if (!run.result) return;
    shown = { id: id, page: run.result.page, pages: run.result.num_pages };
    $("run-result").hidden = false;
    $("run-result-title").textContent = "#" + id + " " + (run.summary || "");
    $("run-result-window").textContent = run.window ? T("window") + ": " + run.window.start + " ~ " + run.window.end : "";
    U.renderTable($("run-result-table"), run.result.columns, run.result.rows, run.kind === "A" ? (run.result.member_ids || null) : null);
    $("rr-info").textContent = run.result.page + " / " + run.result.num_pages + " (" + T("total") + " " + U.fmt(run.result.row_count) + ")";
    $("rr-prev").disabled = run.result.page <= 1;
    $("rr-next").disabled = run.result.page >= run.result.num_pages;
  }
  if ($("rr-prev")) {
    $("rr-prev").addEventListener("click", function () { if (shown) showResult(shown.id, shown.page - 1); });
    $("rr-next").addEventListener("click", function () { if (shown) showResult(shown.id, shown.page + 1); });
  }
  document.querySelectorAll(".show-result").forEach(function (b) {
    b.addEventListener("click", function () { showResult(b.dataset.runId, 1); });
  });
  if (history) {
    // Runs that were still going when the page loaded keep updating.
    history.querySelectorAll("tr[data-run-id]").forEach(function (tr) {
      if (!FINISHED[tr.dataset.status]) poll(runUrl(tr.dataset.runId), historyRow).catch(function () {});
    });
  }
  const runBtn = $("run-now");
  if (runBtn && cfg.runUrl) runBtn.addEventListener("click", async function () {
    const status = $("run-status");
    runBtn.disabled = true; status.textContent = "";
    try {
      const run = await U.api(cfg.runUrl, "POST", {});
      status.textContent = T("run_started");
      historyRow(run);
      const done = await poll(run.url, historyRow);
      status.textContent = statusLabel(done.status);
    } catch (e) { status.textContent = e.message; }
    finally { runBtn.disabled = false; }
  });
  const edit = $("edit-form");
  if (edit) {
    edit.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      try {
        await U.api(cfg.detailUrl, "PATCH", { name: edit.elements.name.value, schedule: edit.elements.schedule.value });
        window.location.reload();
      } catch (e) { $("edit-status").textContent = e.message; }
    });
    $("delete-saved").addEventListener("click", async function () {
      if (!window.confirm(T("confirm_delete"))) return;
      try { await U.api(cfg.detailUrl, "DELETE"); window.location.href = cfg.listUrl; }
      catch (e) { $("edit-status").textContent = e.message; }
    });
  }
})();
