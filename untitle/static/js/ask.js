/* 질문하기 page: ask, show the answer (summary, window, table, chart, rules, SQL), page, re-run edited rules, save. */
(function () {
  "use strict";
  const U = window.UntitleAsk;
  const cfg = JSON.parse(document.getElementById("ask-config").textContent);
  U.setText(cfg.text);
  const T = U.T;
  const $ = function (id) { return document.getElementById(id); };
  const form = $("ask-form"), q = $("ask-question"), engine = $("ask-engine");
  const errBox = $("ask-error"), busy = $("ask-busy"), card = $("answer");
  let last = null;       // the last answer shown
  let chart = null;

  function showError(msg) { errBox.textContent = msg; errBox.hidden = !msg; }
  function setBusy(on) { busy.hidden = !on; $("ask-submit").disabled = on; }

  const TIME_RE = /^\d{4}-\d{2}-\d{2}([ T]\d{2}(:\d{2})?)?/;
  function drawChart(ans) {
    const wrap = $("answer-chart-wrap");
    if (chart) { chart.destroy(); chart = null; }
    const rows = ans.rows || [];
    const isSeries = ans.kind === "B" && rows.length > 1 && TIME_RE.test(String(rows[0][0]));
    if (!isSeries || !window.Chart) { wrap.hidden = true; return; }
    const numeric = [];
    ans.columns.forEach(function (c, i) { if (i > 0 && rows.every(function (r) { return typeof r[i] === "number" || r[i] === null; })) numeric.push(i); });
    if (!numeric.length) { wrap.hidden = true; return; }
    wrap.hidden = false;
    chart = new window.Chart($("answer-chart"), {
      type: "line",
      data: { labels: rows.map(function (r) { return String(r[0]).replace("T", " ").slice(0, 16); }),
        datasets: numeric.map(function (i) { return { label: U.colLabel(ans.columns[i]), data: rows.map(function (r) { return r[i]; }), tension: 0.2 }; }) },
      options: { responsive: true, maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false } },
    });
  }

  function render(ans) {
    last = ans;
    card.hidden = false;
    $("answer-kind").textContent = (cfg.text.kinds || {})[ans.kind] || ans.kind;
    $("answer-window").textContent = ans.window ? T("window") + ": " + (ans.window.label ? ans.window.label + " · " : "") +
      ans.window.start + " ~ " + ans.window.end : "";
    $("answer-engine").textContent = ans.engine ? T("engine") + ": " + ((cfg.text.engines || {})[ans.engine] || ans.engine) + (ans.engine_fallback ? " (" + T("fallback") + ")" : "") : "";
    $("answer-summary").textContent = ans.summary || ans.reason || "";
    const sug = $("answer-suggestion");
    const suggestion = ans.ir && ans.ir.suggestion;
    sug.hidden = !(ans.kind === "C" && suggestion);
    sug.textContent = suggestion ? T("try") + ": " + suggestion : "";
    U.renderTable($("answer-table"), ans.columns || [], ans.rows || [], ans.kind === "A" ? (ans.member_ids || null) : null);
    $("answer-table").parentElement.hidden = ans.kind === "C";
    const pager = $("answer-pager");
    pager.hidden = !(ans.kind === "A" && ans.num_pages > 1);
    $("page-info").textContent = ans.kind === "A" ? ans.page + " / " + ans.num_pages + " (" + T("total") + " " + U.fmt(ans.row_count) + (ans.truncated ? "+" : "") + ")" : "";
    $("page-prev").disabled = !(ans.page > 1);
    $("page-next").disabled = !(ans.page < ans.num_pages);
    U.renderRules($("answer-rules"), ans.ir);
    $("ir-editor").value = JSON.stringify(ans.ir || {}, null, 2);
    $("answer-sql").textContent = ans.sql || "";
    const save = $("save-form");
    if (save) save.hidden = ans.kind === "C";
    drawChart(ans);
  }

  async function ask(body) {
    showError(""); setBusy(true);
    try { render(await U.api(cfg.urls.ask, "POST", body)); }
    catch (e) { showError(e.message); }
    finally { setBusy(false); }
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const text = q.value.trim();
    if (!text) { showError(T("empty")); return; }
    ask({ question: text, engine: engine.value, page: 1 });
  });
  q.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
  });
  document.querySelectorAll(".ask-examples .example").forEach(function (b) {
    b.addEventListener("click", function () { q.value = b.textContent.trim(); form.requestSubmit(); });
  });
  // Pages re-run the same IR, so a model that answers differently twice cannot shuffle pages.
  function goto(page) { if (last) ask({ ir: last.ir, question: last.question, page: page }); }
  $("page-prev").addEventListener("click", function () { goto(last.page - 1); });
  $("page-next").addEventListener("click", function () { goto(last.page + 1); });
  $("ir-rerun").addEventListener("click", function () {
    let ir;
    try { ir = JSON.parse($("ir-editor").value); } catch (e) { showError(T("bad_json")); return; }
    ask({ ir: ir, question: last ? last.question : "", page: 1 });
  });
  const save = $("save-form");
  if (save) save.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const status = $("save-status");
    status.textContent = "";
    if (!last) return;
    try {
      const sq = await U.api(cfg.urls.queries, "POST", { name: $("save-name").value, question: last.question || "",
        ir: last.ir, schedule: $("save-schedule").value });
      status.textContent = T("saved");
      status.appendChild(document.createTextNode(" "));
      status.appendChild(U.el("a", { href: cfg.savedUrl + sq.id + "/", text: T("open_saved") }));
    } catch (e) { status.textContent = e.message; }
  });
  const update = $("save-update");
  if (update && cfg.preset) {
    update.hidden = false;
    update.addEventListener("click", async function () {
      const status = $("save-status");
      status.textContent = "";
      if (!last || last.kind === "C") return;
      try {
        await U.api(cfg.urls.queries + cfg.preset.id, "PATCH", { ir: last.ir });
        status.textContent = T("saved");
      } catch (e) { status.textContent = e.message; }
    });
  }
  if (cfg.preset) {
    q.value = cfg.preset.question || "";
    ask({ ir: cfg.preset.ir, question: cfg.preset.question || "", page: 1 });
  }
})();
