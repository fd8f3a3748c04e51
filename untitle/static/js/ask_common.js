/* Shared helpers of the 질문하기 pages: JSON calls with the CSRF token, tables, IR as rules. */
(function () {
  "use strict";
  function cookie(name) {
    const m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function csrfToken() {
    const el = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (el && el.value) return el.value;
    const body = document.body.getAttribute("hx-headers");
    if (body) { try { return JSON.parse(body)["X-CSRFToken"] || cookie("csrftoken"); } catch (e) { /* fall through */ } }
    return cookie("csrftoken");
  }
  async function api(url, method, body) {
    const opts = { method: method || "GET", credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    let res;
    try { res = await fetch(url, opts); } catch (e) { throw new Error(T("network")); }
    let data = null;
    if (res.status !== 204) { try { data = await res.json(); } catch (e) { data = null; } }
    if (!res.ok) {
      const msg = (data && (data.detail || data.error)) || (T("failed") + " (HTTP " + res.status + ")");
      const err = new Error(msg); err.status = res.status; err.data = data; throw err;
    }
    return data;
  }
  let TEXT = {};
  function T(key) { return TEXT[key] || key; }
  function setText(t) { TEXT = t || {}; }

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    if (attrs) for (const k in attrs) { if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
    (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "number") {
      if (!Number.isInteger(v)) return v.toLocaleString("ko-KR", { maximumFractionDigits: 4 });
      return v.toLocaleString("ko-KR");
    }
    return String(v);
  }
  function colLabel(c) { return (TEXT.columns && TEXT.columns[c]) || c; }
  /* columns + rows (+ optional member ids keyed by the first column, for audiences). */
  function renderTable(table, columns, rows, memberIds) {
    const thead = table.querySelector("thead"), tbody = table.querySelector("tbody");
    thead.innerHTML = ""; tbody.innerHTML = "";
    const cols = columns.slice();
    if (memberIds) cols.push(T("member_id"));
    thead.appendChild(el("tr", null, cols.map(function (c) { return el("th", { scope: "col", title: c, text: colLabel(c) }); })));
    rows.forEach(function (r) {
      const cells = r.map(function (v) { return el("td", { text: fmt(v), class: typeof v === "number" ? "num" : "" }); });
      if (memberIds) cells.push(el("td", { text: memberIds[String(r[0])] || "" }));
      tbody.appendChild(el("tr", null, cells));
    });
    if (!rows.length) tbody.appendChild(el("tr", null, [el("td", { colspan: String(cols.length), text: T("no_rows") })]));
  }

  /* ---- the IR as a readable list of rules ---- */
  function evLabel(name) { return (TEXT.events && TEXT.events[name]) || name; }
  function range(r) {
    if (!r) return "";
    if (r.gte != null && r.lte != null) return r.gte + "~" + r.lte;
    if (r.gte != null) return r.gte + " " + T("or_more");
    return r.lte + " " + T("or_less");
  }
  function filters(f) {
    if (!f) return "";
    const parts = [];
    Object.keys(f).forEach(function (k) {
      const v = f[k];
      if (v == null) return;
      const label = (TEXT.fields && TEXT.fields[k]) || k;
      if (Array.isArray(v)) parts.push(label + " " + v.join(", "));
      else if (typeof v === "object") parts.push(label + " " + range(v));
      else parts.push(label + " \u201c" + v + "\u201d");
    });
    return parts.length ? " (" + parts.join(" · ") + ")" : "";
  }
  function count(c) {
    if (!c) return "";
    const ops = { ">=": T("cnt_gte"), "<=": T("cnt_lte"), "=": T("cnt_eq") };
    if (c.op === "between") return " " + c.value + "~" + c.value2 + T("times");
    if (c.op === ">=" && c.value === 1) return "";
    return " " + c.value + T("times") + " " + (ops[c.op] || c.op);
  }
  function windowText(w) {
    if (!w || w.type === "default") return T("win_default");
    if (w.type === "absolute") return w.start + " ~ " + w.end;
    if (w.type === "last_n") return T("recent") + " " + w.n + ((TEXT.units || {})[w.unit] || w.unit);
    return (TEXT.named || {})[w.name] || w.name;
  }
  function duration(d) { return d ? " " + T("within") + " " + d.value + ((TEXT.units || {})[d.unit] || d.unit) : ""; }
  function node(n) {
    if (!n) return el("li", { text: "?" });
    if (n.type === "event") {
      return el("li", { text: evLabel(n.event) + filters(n.filters) + count(n.count) + (n.window ? " [" + windowText(n.window) + "]" : "") });
    }
    if (n.type === "sequence") {
      return el("li", { text: T("sequence") + ": " + n.steps.map(function (s) { return evLabel(s.event) + filters(s.filters); }).join(" \u2192 ") + duration(n.within) });
    }
    if (n.type === "not") {
      return el("li", null, [el("span", { class: "op", text: T("not") }), el("ul", null, [node(n.item)])]);
    }
    if (n.type === "group") {
      return el("li", null, [el("span", { class: "op", text: n.op === "or" ? T("any_of") : T("all_of") }),
        el("ul", null, (n.items || []).map(node))]);
    }
    return el("li", { text: JSON.stringify(n) });
  }
  function renderRules(box, ir) {
    box.innerHTML = "";
    box.className = "rules";
    const ul = el("ul");
    if (!ir || !ir.kind) { box.appendChild(el("p", { text: "-" })); return; }
    if (ir.kind === "C") {
      ul.appendChild(el("li", { text: T("cannot") + ": " + (ir.reason || "") }));
      box.appendChild(ul); return;
    }
    ul.appendChild(el("li", { text: T("period") + ": " + windowText(ir.window) }));
    if (ir.aggregate) {
      const a = ir.aggregate;
      let t = T("measure") + ": " + ((TEXT.metrics || {})[a.metric] || a.metric);
      if (a.event) t += " \u2014 " + evLabel(a.event.event) + filters(a.event.filters);
      if (a.steps) t += " \u2014 " + a.steps.map(function (s) { return evLabel(s.event) + filters(s.filters); }).join(" \u2192 ") + duration(a.within);
      ul.appendChild(el("li", { text: t }));
      if (a.numerator) ul.appendChild(el("li", null, [el("span", { class: "op", text: T("numerator") }), el("ul", null, [node(a.numerator)])]));
      if (a.denominator) ul.appendChild(el("li", null, [el("span", { class: "op", text: T("denominator") }), el("ul", null, [node(a.denominator)])]));
      if (a.group_by && a.group_by.length) ul.appendChild(el("li", { text: T("group_by") + ": " + a.group_by.map(function (g) { return (TEXT.groups || {})[g] || g; }).join(", ") }));
      if (a.top_n) ul.appendChild(el("li", { text: T("top_n") + ": " + a.top_n + (a.order === "asc" ? " (" + T("asc") + ")" : "") }));
    }
    if (ir.audience) ul.appendChild(el("li", null, [el("span", { class: "op", text: ir.kind === "A" ? T("who") : T("among") }), el("ul", null, [node(ir.audience)])]));
    box.appendChild(ul);
  }
  window.UntitleAsk = { api: api, el: el, fmt: fmt, renderTable: renderTable, renderRules: renderRules, colLabel: colLabel, T: T, setText: setText };
})();
