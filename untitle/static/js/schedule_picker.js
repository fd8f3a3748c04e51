/* The schedule picker in words (tenants/_schedule_picker.html): 매일 / 매주 + 요일 / 매월 N일 + 시각
   write the five-field cron into the page's own input (the one the API takes), kept under 고급.
   A cron the words cannot say (steps, months) opens 고급 and stays as typed. */
(function () {
  "use strict";
  var EN = (document.documentElement.lang || "ko").indexOf("en") === 0;
  var DAYS_KO = ["일", "월", "화", "수", "목", "금", "토"];
  var DAYS_EN = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function num(s, lo, hi) { return /^\d+$/.test(s) && +s >= lo && +s <= hi ? +s : null; }

  /* cron -> {freq, dow, dom, time} or {freq: "custom"} ("" -> none); mirrors untitle/display.py */
  function parse(cron) {
    cron = (cron || "").trim();
    if (!cron) return { freq: "none" };
    var f = cron.split(/\s+/);
    if (f.length !== 5) return { freq: "custom" };
    var m = num(f[0], 0, 59), h = num(f[1], 0, 23);
    if (m === null || h === null || f[3] !== "*") return { freq: "custom" };
    var time = pad(h) + ":" + pad(m);
    if (f[2] === "*" && f[4] === "*") return { freq: "daily", time: time };
    if (f[2] === "*" && (/^[0-7]$/.test(f[4]) || f[4] === "1-5")) {
      return { freq: "weekly", dow: f[4] === "7" ? "0" : f[4], time: time };
    }
    if (f[4] === "*" && num(f[2], 1, 31) !== null) return { freq: "monthly", dom: String(+f[2]), time: time };
    return { freq: "custom" };
  }
  function words(cron, noneLabel) {
    var p = parse(cron);
    if (p.freq === "none") return noneLabel || (EN ? "None" : "없음");
    if (p.freq === "custom") return (EN ? "Custom schedule (" : "사용자 지정 일정 (") + cron.trim() + ")";
    var at = p.time;
    if (p.freq === "daily") return EN ? "Every day at " + at : "매일 " + at;
    if (p.freq === "monthly") return EN ? "Monthly on day " + p.dom + " at " + at : "매월 " + p.dom + "일 " + at;
    if (p.dow === "1-5") return EN ? "Every weekday at " + at : "매주 평일(월~금) " + at;
    return EN ? "Every " + DAYS_EN[+p.dow] + " at " + at : "매주 " + DAYS_KO[+p.dow] + "요일 " + at;
  }
  function setup(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    function q(k) { return box.querySelector("[data-sp=" + k + "]"); }
    var freq = q("freq"), dow = q("dow"), dom = q("dom"), time = q("time"), cron = q("cron"),
      out = q("words"), adv = q("advanced");
    var noneLabel = out.dataset.none || null;
    function show() {
      box.querySelectorAll("[data-sp-when]").forEach(function (el) {
        el.hidden = el.dataset.spWhen.split(" ").indexOf(freq.value) < 0;
      });
      out.textContent = words(cron.value, noneLabel);
    }
    function toCron() {
      var t = (time.value || "09:00").split(":"), m = +t[1] || 0, h = +t[0] || 0;
      if (freq.value === "none") cron.value = "";
      else if (freq.value === "daily") cron.value = m + " " + h + " * * *";
      else if (freq.value === "weekly") cron.value = m + " " + h + " * * " + dow.value;
      else if (freq.value === "monthly") cron.value = m + " " + h + " " + dom.value + " * *";
      else adv.open = true;
      cron.dispatchEvent(new Event("input", { bubbles: true }));
      show();
    }
    function fromCron() {
      var p = parse(cron.value);
      if (p.freq === "none" && !freq.querySelector("option[value=none]")) p = { freq: "custom" };
      freq.value = p.freq;
      if (p.time) time.value = p.time;
      if (p.dow) dow.value = p.dow;
      if (p.dom) dom.value = p.dom;
      if (p.freq === "custom") adv.open = true;
      show();
    }
    [freq, dow, dom, time].forEach(function (el) { el.addEventListener("change", toCron); });
    cron.addEventListener("input", function (e) { if (e.isTrusted) fromCron(); else show(); });
    fromCron();
  }
  function all() { document.querySelectorAll("[data-schedule-picker]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
  window.UntitleSchedule = { words: words, parse: parse };
})();
