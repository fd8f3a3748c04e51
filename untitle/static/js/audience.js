/* 오디언스 builder: a sentence fills the rules, editing the rules rewrites the sentence; every edit
   recounts the audience (debounced 400 ms; the server caches a count for 5 minutes). */
(function () {
  "use strict";
  const U = window.UntitleAsk;
  const cfg = JSON.parse(document.getElementById("audience-config").textContent);
  U.setText(cfg.text);
  const T = U.T, el = U.el;
  const $ = function (id) { return document.getElementById(id); };
  const SPECS = {};
  cfg.catalog.forEach(function (s) { SPECS[s.key] = s; });

  let tree = { op: "and", not: false, items: [] };
  let timer = null, seq = 0;

  // --- parameter inputs from each filter's JSON schema -----------------------------------------
  function baseType(prop) {
    if (prop.anyOf) { const t = prop.anyOf.find(function (p) { return p.type !== "null"; }); return t || {}; }
    return prop;
  }
  function defaults(spec) {
    const out = {}, props = spec.schema.properties || {};
    Object.keys(props).forEach(function (k) { if (props[k].default !== undefined && props[k].default !== null) out[k] = props[k].default; });
    return out;
  }
  function paramInput(rule, name, prop, path) {
    const t = baseType(prop);
    const label = el("label", { class: "param" }, [prop.title || name, " "]);
    const value = rule.params[name];
    let input;
    if (t.type === "array" && t.items && t.items.enum) {
      input = el("span", { class: "choices" });
      t.items.enum.forEach(function (opt) {
        const cb = el("input", { type: "checkbox", value: opt });
        cb.checked = (value || []).indexOf(opt) >= 0;
        cb.addEventListener("change", function () {
          const cur = new Set(rule.params[name] || []);
          if (cb.checked) cur.add(opt); else cur.delete(opt);
          rule.params[name] = Array.from(cur); changed();
        });
        input.appendChild(el("label", {}, [cb, " " + opt]));
      });
    } else if (t.type === "array") {
      input = el("input", { type: "text", placeholder: "1, 2, 3", value: (value || []).join(", ") });
      input.addEventListener("input", function () {
        const parts = input.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
        rule.params[name] = parts.length ? parts : null; changed();
      });
    } else if (t.type === "integer") {
      input = el("input", { type: "number", value: value === null || value === undefined ? "" : value });
      if (t.minimum !== undefined) input.min = t.minimum;
      if (t.maximum !== undefined) input.max = t.maximum;
      input.addEventListener("input", function () {
        rule.params[name] = input.value === "" ? null : Number(input.value); changed();
      });
    } else if (t.type === "boolean") {
      input = el("input", { type: "checkbox" }); input.checked = !!value;
      input.addEventListener("change", function () { rule.params[name] = input.checked; changed(); });
    } else {
      input = el("input", { type: "text", value: value || "" });
      input.addEventListener("input", function () { rule.params[name] = input.value || null; changed(); });
    }
    input.setAttribute("data-param", name);
    label.appendChild(input);
    label.appendChild(el("span", { class: "field-error", "data-error": path + ".params." + name }));
    return label;
  }

  // --- the rule tree ----------------------------------------------------------------------------
  function filterSelect(rule) {
    const sel = el("select", { "aria-label": T("choose"), "data-testid": "filter-select" });
    sel.appendChild(el("option", { value: "", text: T("choose") }));
    Object.keys(cfg.categories).forEach(function (cat) {
      const g = el("optgroup", { label: cfg.categories[cat] });
      cfg.catalog.filter(function (s) { return s.category === cat; }).forEach(function (s) {
        const o = el("option", { value: s.key, text: s.label + (s.unavailable ? " (" + T("unavailable") + ")" : "") });
        if (s.key === rule.filter) o.selected = true;
        g.appendChild(o);
      });
      sel.appendChild(g);
    });
    sel.addEventListener("change", function () {
      rule.filter = sel.value; rule.params = sel.value ? defaults(SPECS[sel.value]) : {};
      draw(); changed();
    });
    return sel;
  }
  function notBox(node) {
    const cb = el("input", { type: "checkbox", "data-testid": "not" }); cb.checked = !!node.not;
    cb.addEventListener("change", function () { node.not = cb.checked; changed(); });
    return el("label", { class: "not" }, [cb, " " + T("not")]);
  }
  function removeBtn(parent, i) {
    const b = el("button", { type: "button", class: "linklike", text: T("remove") });
    b.addEventListener("click", function () { parent.items.splice(i, 1); draw(); changed(); });
    return b;
  }
  function ruleRow(rule, parent, i, path) {
    const row = el("li", { class: "rule", "data-path": path, "data-testid": "rule" });
    if (rule.raw) {
      row.appendChild(el("span", { class: "raw", text: T("raw") + ": " + JSON.stringify(rule.raw).slice(0, 160) }));
    } else {
      row.appendChild(filterSelect(rule));
      const spec = SPECS[rule.filter];
      if (spec) {
        if (spec.unavailable) row.appendChild(el("span", { class: "unavailable", text: spec.unavailable }));
        const props = spec.schema.properties || {};
        Object.keys(props).forEach(function (k) { row.appendChild(paramInput(rule, k, props[k], path)); });
        row.appendChild(el("span", { class: "field-error", "data-error": path + ".params" }));
      }
    }
    row.appendChild(notBox(rule));
    row.appendChild(removeBtn(parent, i));
    return row;
  }
  function groupBox(group, parent, i, path) {
    const box = el("div", { class: "group", "data-testid": "group" });
    const head = el("div", { class: "group-head" });
    const op = el("select", { "aria-label": "and/or", "data-testid": "group-op" });
    [["and", T("and")], ["or", T("or")]].forEach(function (p) {
      const o = el("option", { value: p[0], text: p[1] }); if (group.op === p[0]) o.selected = true; op.appendChild(o);
    });
    op.addEventListener("change", function () { group.op = op.value; changed(); });
    head.appendChild(op); head.appendChild(notBox(group));
    if (parent) head.appendChild(removeBtn(parent, i));
    box.appendChild(head);
    const list = el("ul", { class: "rules-list" });
    group.items.forEach(function (c, j) {
      const p = (path ? path + "." : "") + "items." + j;
      if (c.items) { const li = el("li"); li.appendChild(groupBox(c, group, j, p)); list.appendChild(li); }
      else list.appendChild(ruleRow(c, group, j, p));
    });
    box.appendChild(list);
    const add = el("button", { type: "button", text: "+ " + T("add_rule"), "data-testid": "add-rule" });
    add.addEventListener("click", function () { group.items.push({ filter: "", params: {}, not: false }); draw(); });
    box.appendChild(add);
    if (!parent) {
      const addG = el("button", { type: "button", text: "+ " + T("add_group"), "data-testid": "add-group" });
      addG.addEventListener("click", function () { group.items.push({ op: "or", not: false, items: [{ filter: "", params: {}, not: false }] }); draw(); });
      box.appendChild(addG);
    }
    return box;
  }
  function draw() {
    const root = $("rule-tree"); root.textContent = "";
    root.appendChild(groupBox(tree, null, 0, ""));
  }

  // --- live size --------------------------------------------------------------------------------
  function complete(node) {  // rules still being chosen are left out of the request
    if (node.items) return { op: node.op, not: !!node.not, items: node.items.map(complete).filter(Boolean) };
    if (node.raw) return node;
    return node.filter ? { filter: node.filter, params: node.params || {}, not: !!node.not } : null;
  }
  function clearErrors() {
    document.querySelectorAll("[data-error]").forEach(function (e) { e.textContent = ""; });
    $("audience-error").hidden = true;
  }
  function showErrors(err) {
    const errors = (err.data && err.data.fields) || {};
    let placed = false;
    Object.keys(errors).forEach(function (path) {
      const spot = document.querySelector('[data-error="' + path + '"]');
      if (spot) { spot.textContent = errors[path]; placed = true; }
    });
    $("audience-error").textContent = err.message; $("audience-error").hidden = false;
  }
  function changed() {
    clearTimeout(timer);
    timer = setTimeout(count, 400);
  }
  async function count() {
    const rules = complete(tree);
    clearErrors();
    if (!rules.items.length) {
      $("size").textContent = "–"; $("members").textContent = ""; $("description").textContent = T("no_rules");
      $("sample").querySelector("tbody").textContent = ""; $("size-message").hidden = true;
      return;
    }
    const mine = ++seq;
    $("size-busy").hidden = false;
    try {
      const res = await U.api(cfg.urls.size, "POST", { rules: rules });
      if (mine !== seq) return;  // a newer edit already asked
      $("size").textContent = res.size.toLocaleString();
      $("members").textContent = T("members") + " " + res.members.toLocaleString() + T("people");
      $("window").textContent = T("window") + ": " + res.window.start + " ~ " + res.window.end + (res.cached ? " · " + T("cached") : "");
      $("description").textContent = cfg.lang === "en" ? res.description_en : res.description;
      const msg = $("size-message");
      msg.textContent = res.message || ""; msg.hidden = !res.message;
      const body = $("sample").querySelector("tbody"); body.textContent = "";
      res.sample.forEach(function (s) { body.appendChild(el("tr", {}, [el("td", { text: s.uuid }), el("td", { text: s.member_id })])); });
    } catch (err) {
      if (mine !== seq) return;
      $("size").textContent = "–"; showErrors(err);
    } finally {
      if (mine === seq) $("size-busy").hidden = true;
    }
  }

  // --- sentence -> rules ------------------------------------------------------------------------
  $("nl-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    const q = $("nl-question").value.trim();
    if (!q) return;
    $("nl-busy").hidden = false; clearErrors();
    try {
      const res = await U.api(cfg.urls.parse, "POST", { question: q, engine: $("nl-engine") ? $("nl-engine").value : undefined });
      tree = res.rules; draw(); count();
    } catch (err) { showErrors(err); }
    finally { $("nl-busy").hidden = true; }
  });
  document.querySelectorAll(".example").forEach(function (b) {
    b.addEventListener("click", function () { $("nl-question").value = b.textContent; $("nl-form").requestSubmit(); });
  });

  // --- save ---------------------------------------------------------------------------------------
  const save = $("save-form");
  if (save) save.addEventListener("submit", async function (e) {
    e.preventDefault();
    const status = $("save-status");
    try {
      const res = await U.api(cfg.urls.segments, "POST", { name: $("save-name").value, rules: complete(tree),
        schedule: $("save-schedule").value, webhook_url: $("save-webhook").value });
      status.textContent = T("saved");
      window.location.href = cfg.urls.segmentPage.replace(/\/0\/$/, "/" + res.id + "/");
    } catch (err) { status.textContent = err.message; showErrors(err); }
  });

  if (cfg.preset) { tree = cfg.preset.rules; if ($("save-name")) $("save-name").value = cfg.preset.name; }
  draw();
  if (cfg.preset) count();
})();
