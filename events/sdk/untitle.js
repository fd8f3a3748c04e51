/*! UNTITLE storefront SDK v1 | records shopper behaviour as first-party events | no third-party requests */
/*
 * Install (the Events page prints this with the shop's key):
 *   <script async src="https://HOST/sdk/v1/untitle.js" data-key="pk_..."></script>
 * or, to call untitle() before the script has loaded:
 *   <script>window.untitle=window.untitle||function(){(untitle.q=untitle.q||[]).push(arguments)};
 *   untitle('init',{key:'pk_...'});</script>
 * Calls: untitle('track', 'cart_add' | 41, {product_id: '3'}), untitle('identify', member_id),
 *        untitle('flush').
 *
 * Rules this file keeps: every public entry point is wrapped so an error never reaches the shop's
 * page; the only requests go to the host the script came from (or `endpoint`); every event has a
 * client-made event_id, so a resend after a lost answer is counted once by the collector.
 */
(function (w, d) {
  'use strict';
  if (!w || !d || (w.untitle && w.untitle.loaded)) return;

  var VERSION = '1.0.0';
  var P = 'untitle:'; // localStorage prefix
  var SESSION_IDLE_MS = 30 * 60 * 1000;
  var FLUSH_MS = 2000;
  var BATCH = 20;
  var MAX_STORED = 300; // bounded retry queue: a shop page must never fill the visitor's storage
  var MAX_REQUEST = 100;
  var CODES = {
    session_start: 1, login: 10, signup: 11, search: 20,
    category_view_start: 21, category_view_end: 22, main_view_start: 31, main_view_end: 32,
    cart_add: 41, cart_remove: 42, wishlist_add: 51, checkout_start: 61, order_complete: 62,
    order_cancel: 63, board_view_start: 71, board_view_end: 72, review_write: 73,
    product_view_start: 82, product_view_end: 83, scroll: 91, page_view_start: 92,
    page_view_end: 93, push_subscribe: 101, message_click: 102
  };
  var STRINGS = ['order_id', 'tracking_id', 'product_id', 'product_option_id1', 'product_option_id2',
    'keyword', 'sort_by', 'board_id', 'article_id', 'login_id', 'page_url', 'category_id',
    'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'];
  var NUMBERS = { product_quantity: 255, price: 4294967295, amount: 4294967295, page: 255, scroll_bucket: 10 };

  var cfg = { key: null, endpoint: null, auto: true, debug: false };
  var queue = [];      // events not yet handed to the network
  var inflight = {};   // batch id -> events awaiting the collector's answer
  var seq = 0;
  var failures = 0;
  var retryAt = 0;
  var stopped = false; // wrong key or origin: sending again would only fail again
  var started = false;
  var timer = null;
  var visitor = null;  // {uuid, session_id} once the collector answered
  var sessionPending = false;
  var view = null;     // the current page view: {end: code, fields, ended}
  var sessions = {};   // local session key -> the collector's session id
  var signupPending = false;
  var clockOff = false; // the collector refused our timestamps: let it stamp events itself
  var MAX_AGE_MS = 7 * 24 * 3600 * 1000 - 3600 * 1000; // older than the collector takes
  var memory = {};

  // ---------------------------------------------------------------- helpers
  function log() {
    if (cfg.debug && w.console) try { w.console.log.apply(w.console, ['[untitle]'].concat([].slice.call(arguments))); } catch (e) {}
  }
  function safe(fn) {
    return function () {
      try { return fn.apply(this, arguments); } catch (e) { log('error', e); }
    };
  }
  // This page's own writes win: storage may be full or refuse writes (private mode).
  function get(k) {
    if (k in memory) return memory[k];
    try { var v = w.localStorage.getItem(P + k); return v == null ? undefined : JSON.parse(v); } catch (e) { return undefined; }
  }
  function set(k, v) {
    memory[k] = v;
    try { w.localStorage.setItem(P + k, JSON.stringify(v)); } catch (e) {}
  }
  function cookie(name, value) {
    try {
      if (value !== undefined) {
        d.cookie = name + '=' + value + ';path=/;max-age=63072000;SameSite=Lax';
        return value;
      }
      var m = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
      return m ? m[1] : null;
    } catch (e) { return null; }
  }
  function uuid() {
    var c = w.crypto;
    try { if (c && c.randomUUID) return c.randomUUID(); } catch (e) {}
    var b = new Array(16), i, h = '';
    if (c && c.getRandomValues) b = c.getRandomValues(new Uint8Array(16));
    else for (i = 0; i < 16; i++) b[i] = Math.random() * 256 | 0;
    b[6] = b[6] & 15 | 64;
    b[8] = b[8] & 63 | 128;
    for (i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1) + ([3, 5, 7, 9].indexOf(i) >= 0 ? '-' : '');
    return h;
  }
  function param(name, search) {
    var m = (search || w.location.search).match(new RegExp('[?&]' + name + '=([^&#]*)'));
    if (!m) return null;
    try { return decodeURIComponent(m[1].replace(/\+/g, ' ')); } catch (e) { return m[1]; }
  }
  function meta(prop) {
    var el = d.querySelector('meta[property="' + prop + '"],meta[name="' + prop + '"]');
    return el ? el.getAttribute('content') : null;
  }
  function int(v) {
    if (v == null || v === '') return null;
    var n = Math.round(Number(String(v).replace(/[^0-9.\-]/g, '')));
    return isFinite(n) && n >= 0 ? n : null;
  }
  function first() {
    for (var i = 0; i < arguments.length; i++) if (arguments[i] != null && arguments[i] !== '') return arguments[i];
    return null;
  }
  // Only the event table's columns leave the browser, in the types the collector validates.
  function clean(fields) {
    var out = {}, k, v;
    if (!fields) return out;
    for (var i = 0; i < STRINGS.length; i++) {
      k = STRINGS[i]; v = fields[k];
      if (v != null && v !== '') out[k] = String(v).slice(0, k === 'page_url' || k === 'referrer' ? 2048 : 512);
    }
    for (k in NUMBERS) {
      v = int(fields[k]);
      if (v != null) out[k] = Math.min(v, NUMBERS[k]);
    }
    return out;
  }

  // ---------------------------------------------------------------- identity and sessions
  function deviceId() {
    var id = get('did') || cookie('_untitle_did');
    if (!id || !/^[0-9a-f-]{36}$/.test(id)) id = uuid();
    set('did', id);
    cookie('_untitle_did', id);
    return id;
  }
  // A session ends after 30 idle minutes. The collector opens it (and records its session_start
  // from the landing page's fields), naming the visitor and the session in its answer.
  function touchSession() {
    var s = get('session') || {};
    var now = Date.now();
    if (!s.t || now - s.t > SESSION_IDLE_MS) {
      s = { local: uuid(), start: { page_url: w.location.href.slice(0, 2048), referrer: externalReferrer() } };
      var utm = ['source', 'medium', 'campaign', 'content', 'term'];
      for (var i = 0; i < utm.length; i++) s.start['utm_' + utm[i]] = param('utm_' + utm[i]);
    }
    s.t = now;
    set('session', s);
    visitor = s.id && get('uid') ? { uuid: get('uid'), session_id: s.id } : null;
    if (visitor) sessions[s.local] = s.id;
    else openSession(s);
    return s;
  }
  function externalReferrer() {
    var r = d.referrer;
    try { if (r && new URL(r).host === w.location.host) return null; } catch (e) {}
    return r || null;
  }
  function openSession(s) {
    if (sessionPending || stopped || !cfg.key || !cfg.endpoint || Date.now() < retryAt) return;
    sessionPending = true;
    var body = clean(s.start);
    body.device_id = deviceId();
    body.device_type = deviceType();
    send('/api/v1/sessions', body, function (status, res) {
      sessionPending = false;
      if (status >= 200 && status < 300 && res && res.uuid && res.session_id) {
        set('uid', res.uuid);
        var cur = get('session') || s;
        if (cur.local === s.local) { cur.id = res.session_id; delete cur.start; set('session', cur); }
        sessions[s.local] = res.session_id;
        visitor = { uuid: res.uuid, session_id: res.session_id };
        failures = 0;
        flush();
      } else fail(status);
    });
  }
  function deviceType() {
    var ua = w.navigator.userAgent || '';
    return /iPad|Tablet/i.test(ua) ? 'tablet' : /Mobi|Android|iPhone/i.test(ua) ? 'mobile' : 'desktop';
  }

  // ---------------------------------------------------------------- event queue and transport
  function push(name, fields) {
    var code = typeof name === 'number' ? name : CODES[name];
    // The collector records session_start itself when it opens a session.
    if (!code || code === 1) { log('unknown event', name); return; }
    var e = clean(fields);
    var s = get('session');
    if (s) { s.t = Date.now(); set('session', s); }
    e.event_type = code;
    e.event_id = uuid();
    e.at = Date.now();
    if (!clockOff) e.created_at = new Date(e.at).toISOString();
    e.device_type = deviceType();
    e._s = s && s.local;
    if (!e.login_id && get('mid')) e.login_id = get('mid');
    if (!e.page_url) e.page_url = w.location.href.slice(0, 2048);
    queue.push(e);
    if (queue.length > 1000) queue.splice(0, queue.length - 1000); // collector unreachable for long
    log('event', code, e);
    if (queue.length >= BATCH) flush();
    else schedule();
  }
  function schedule() {
    if (!timer) timer = setTimeout(safe(function () { timer = null; flush(); }), FLUSH_MS);
  }
  // Events are kept without uuid/session_id until the collector has named the visitor.
  function stamp(e) {
    if (!e.uuid && visitor) e.uuid = visitor.uuid;
    if (!e.session_id && visitor) e.session_id = sessions[e._s] || visitor.session_id;
    return !!(e.uuid && e.session_id);
  }
  function wire(events) {
    var out = [];
    for (var i = 0; i < events.length; i++) {
      var e = {}, k;
      for (k in events[i]) if (k !== '_s' && k !== 'at') e[k] = events[i][k];
      out.push(e);
    }
    return out;
  }
  function url(path) {
    return cfg.endpoint + path + '?key=' + encodeURIComponent(cfg.key);
  }
  // text/plain keeps the POST a "simple" CORS request: no preflight round trip per batch.
  function send(path, payload, done) {
    var body = JSON.stringify(payload);
    var cb = safe(done);
    if (w.fetch) {
      w.fetch(url(path), {
        method: 'POST', body: body, headers: { 'Content-Type': 'text/plain' },
        credentials: 'omit', mode: 'cors', keepalive: body.length < 60000
      }).then(function (r) {
        return r.text().then(function (t) {
          var j = null;
          try { j = JSON.parse(t); } catch (e) {}
          cb(r.status, j);
        });
      })['catch'](function () { cb(0, null); });
    } else {
      var x = new XMLHttpRequest();
      x.open('POST', url(path), true);
      x.setRequestHeader('Content-Type', 'text/plain');
      x.onreadystatechange = function () {
        if (x.readyState !== 4) return;
        var j = null;
        try { j = JSON.parse(x.responseText); } catch (e) {}
        cb(x.status, j);
      };
      x.send(body);
    }
  }
  function fail(status) {
    if (status === 401 || status === 403) { stopped = true; log('rejected: check the key and allowed origins'); return; }
    failures++;
    retryAt = Date.now() + Math.min(60000, 1000 * Math.pow(2, failures));
    setTimeout(safe(flush), retryAt - Date.now() + 10);
  }
  function flush() {
    if (stopped || !cfg.key || !cfg.endpoint || !queue.length) return;
    if (Date.now() < retryAt) return;
    if (!visitor) { touchSession(); return; }
    var ready = [], rest = [], now = Date.now();
    for (var i = 0; i < queue.length; i++) {
      if (!(now - queue[i].at < MAX_AGE_MS)) continue; // a week-old leftover: the collector would refuse it
      (stamp(queue[i]) && ready.length < MAX_REQUEST ? ready : rest).push(queue[i]);
    }
    queue = rest;
    if (!ready.length) return;
    var id = ++seq;
    inflight[id] = ready;
    send('/api/v1/events', { events: wire(ready) }, function (status, body) {
      delete inflight[id];
      if (status >= 200 && status < 300) {
        failures = 0;
        set('q', []);
        if (queue.length) schedule();
        return;
      }
      if (status === 400 && body && body.fields) {
        // The collector rejects a batch whole and names each bad event ("events.<index>.<field>"):
        // drop those, resend the rest. A refused timestamp on a fresh event means this device's
        // clock is off: resend it without one (the collector then uses its own time) instead of
        // losing it.
        var bad = {}, fixed = 0, j, m, at, name;
        for (name in body.fields) {
          m = /^events\.(\d+)(?:\.(.+))?$/.exec(name);
          if (!m) continue;
          at = +m[1];
          if (m[2] === 'created_at' && ready[at] && ready[at].created_at) {
            clockOff = true; fixed++; delete ready[at].created_at;
          } else bad[at] = 1;
        }
        var keep = [];
        for (j = 0; j < ready.length; j++) if (!bad[j]) keep.push(ready[j]);
        // Nothing named and nothing fixed: resending the same batch would loop.
        if (keep.length === ready.length && !fixed) keep = [];
        log('dropped invalid events', body.fields);
        queue = keep.concat(queue);
        if (keep.length) schedule();
        return;
      }
      if (status >= 400 && status < 500 && status !== 408 && status !== 429 && status !== 401 && status !== 403) {
        log('dropped a batch the collector will never take', status);
        return;
      }
      queue = ready.concat(queue);
      persist();
      fail(status);
    });
  }
  // What could not be delivered waits in localStorage for the next page of this shop.
  function persist() {
    var all = queue.slice();
    for (var id in inflight) all = inflight[id].concat(all);
    set('q', all.slice(-MAX_STORED));
  }
  // Left in storage until a batch succeeds: a tab that dies here loses nothing.
  function restore() {
    var saved = get('q');
    if (saved && saved.length) queue = saved.concat(queue);
  }
  // Leaving the page: the beacon survives the unload, fetch may not.
  function leave() {
    endView();
    if (stopped) return;
    if (!visitor || failures || !w.navigator.sendBeacon) { persist(); return; }
    var ready = [], keep = [], i;
    for (i = 0; i < queue.length; i++) (stamp(queue[i]) ? ready : keep).push(queue[i]);
    for (i = 0; i < ready.length; i += 50) {
      var chunk = ready.slice(i, i + 50), ok = false;
      try {
        ok = w.navigator.sendBeacon(url('/api/v1/events'),
          new Blob([JSON.stringify({ events: wire(chunk) })], { type: 'text/plain' }));
      } catch (e) {}
      if (!ok) keep = keep.concat(chunk);
    }
    queue = keep;
    persist();
  }

  // ---------------------------------------------------------------- the shop's pages
  // Cafe24 URLs: /product/detail.html?product_no=3, SEO /product/<name>/3/category/24/display/1/,
  // /product/list.html?cate_no=24 or /category/<name>/24/, /board/<name>/read.html?board_no=1&no=5
  // or /article/<name>/1/5/; mobile skins prefix /m/ or /skin-mobileN/.
  function page() {
    var loc = w.location;
    var path = loc.pathname.replace(/^\/(m|skin-[^/]+)(?=\/)/, '').replace(/\/+$/, '') || '/';
    var m, f = { page_url: loc.href };
    if (path === '/' || /^\/(index|main)\.html$/.test(path)) return { start: 31, end: 32, fields: f };
    if (/^\/product\/detail\.html$/.test(path) || (m = path.match(/^\/product\/[^/]+\/(\d+)(\/|$)/))) {
      f.product_id = first(w.iProductNo, meta('product:productId'), param('product_no'), m && m[1]);
      f.category_id = first(param('cate_no'), (path.match(/\/category\/(\d+)/) || [])[1], w.iCategoryNo);
      f.price = first(meta('product:sale_price:amount'), meta('product:price:amount'), w.product_price);
      if (f.product_id) return { start: 82, end: 83, fields: f };
    }
    if (/^\/product\/list\.html$/.test(path) || (m = path.match(/^\/category\/[^/]+\/(\d+)/))) {
      f.category_id = first(param('cate_no'), m && m[1]);
      f.sort_by = param('sort_method');
      f.page = param('page');
      if (f.category_id) return { start: 21, end: 22, fields: f };
    }
    if ((m = path.match(/^\/article\/[^/]+\/(\d+)\/(\d+)/)) || /^\/board\/.+\/read\.html$/.test(path)) {
      f.board_id = first(param('board_no'), m && m[1]);
      f.article_id = first(param('no'), m && m[2]);
      if (f.board_id) return { start: 71, end: 72, fields: f };
    }
    if (w.iProductNo && !/^\/product\/(list|search)\.html$/.test(path)) {
      // Custom or short product URLs: the page variable Cafe24 prints on product pages.
      f.product_id = String(w.iProductNo);
      f.category_id = first(param('cate_no'), w.iCategoryNo);
      f.price = first(meta('product:sale_price:amount'), meta('product:price:amount'), w.product_price);
      return { start: 82, end: 83, fields: f };
    }
    var other = { start: 92, end: 93, fields: f };
    if (/^\/product\/search\.html$/.test(path)) other.search = param('keyword');
    if (/^\/order\/orderform\.html$/.test(path)) other.checkout = true;
    if (/^\/order\/order_result\.html$/.test(path)) other.order = true;
    if (/^\/member\/join_result\.html$/.test(path)) other.signup = true;
    return other;
  }
  function startView() {
    var p = page();
    view = { end: p.end, fields: p.fields, ended: false };
    push(p.start, p.fields);
    if (p.search) push('search', { keyword: p.search, sort_by: param('order_by'), page: param('page') });
    if (p.checkout) push('checkout_start', { amount: orderData() && orderData().total_amount });
    if (p.order) watchOrder(0);
    // A link in one of our messages carries its delivery's tracking id: that visit is a click.
    var tid = param('untitle_tid');
    if (tid && (get('clicks') || []).indexOf(tid) < 0) {
      set('clicks', (get('clicks') || []).concat([tid]).slice(-20));
      push('message_click', { tracking_id: tid });
    }
    // signup needs the new member's id, which Cafe24's front API may tell a moment later.
    if (p.signup) { signupPending = true; if (get('mid')) identify(get('mid'), true); }
  }
  function endView() {
    if (!view || view.ended) return;
    view.ended = true;
    push(view.end, view.fields);
  }

  // Scroll depth in tenths of the page; one event per new deepest bucket, after scrolling settles.
  var deepest = 0, scrollTimer = null;
  function onScroll() {
    clearTimeout(scrollTimer);
    scrollTimer = setTimeout(safe(function () {
      var el = d.documentElement, body = d.body || {};
      var height = Math.max(el.scrollHeight, body.scrollHeight || 0);
      var seen = (w.pageYOffset || el.scrollTop) + w.innerHeight;
      var bucket = Math.min(10, Math.floor(seen / Math.max(height, 1) * 10 + 0.001));
      if (bucket > deepest) { deepest = bucket; push('scroll', { scroll_bucket: bucket }); }
    }), 300);
  }

  // Add to cart: the storefront calls the global action_basket(); wrap it, keep its behaviour.
  function wrapBasket() {
    var orig = w.action_basket;
    if (typeof orig !== 'function' || orig.__untitle) return;
    var wrapped = function () {
      try { cartAdd(); } catch (e) { log('error', e); }
      return orig.apply(this, arguments);
    };
    wrapped.__untitle = true;
    w.action_basket = wrapped;
  }
  function cartAdd() {
    var f = view && view.fields || {};
    var q = d.querySelector('#quantity,input[name="quantity_opt[]"],input[name="quantity"]');
    var o1 = d.querySelector('#product_option_id1,select[name="option1"]');
    var o2 = d.querySelector('#product_option_id2,select[name="option2"]');
    var pid = first(f.product_id, w.iProductNo, meta('product:productId'), param('product_no'));
    if (pid == null) return; // a basket call outside a product page: nothing to attribute it to
    push('cart_add', {
      product_id: pid,
      product_quantity: first(q && q.value, 1),
      price: f.price,
      product_option_id1: o1 && o1.value && o1.value !== '*' ? o1.value : null,
      product_option_id2: o2 && o2.value && o2.value !== '*' ? o2.value : null
    });
  }

  // Order complete: the order result page exposes the order in a page variable that may load late.
  function orderData() {
    var c = w.CAFE24 || {};
    return c.FRONT_EXTERNAL_SCRIPT_VARIABLE_DATA || w.EC_FRONT_EXTERNAL_SCRIPT_VARIABLE_DATA || null;
  }
  function watchOrder(tries) {
    var o = orderData();
    if (!o || !o.order_id || !o.order_product) {
      if (tries < 40) setTimeout(safe(function () { watchOrder(tries + 1); }), 250);
      return;
    }
    var done = get('orders') || [];
    var oid = String(o.order_id);
    if (done.indexOf(oid) >= 0) return; // a reload of the result page is not a second order
    set('orders', done.concat([oid]).slice(-20));
    var lines = o.order_product;
    for (var i = 0; i < lines.length; i++) {
      var l = lines[i] || {}, qty = int(l.quantity) || 1, unit = int(l.product_price);
      push('order_complete', {
        order_id: oid, product_id: l.product_no, product_quantity: qty, price: unit,
        amount: first(int(l.sub_total_price), unit != null ? unit * qty : null),
        product_option_id1: l.option_id
      });
    }
    flush();
  }

  // Members: Cafe24's front API tells the member id of a logged-in shopper.
  function lookupMember(opts) {
    var api = w.CAFE24API;
    if (!api) return;
    if (typeof api.getCustomerIDInfo !== 'function' && opts && opts.client_id && typeof api.init === 'function') {
      api = api.init({ client_id: opts.client_id, version: opts.version });
    }
    if (!api || typeof api.getCustomerIDInfo !== 'function') return;
    api.getCustomerIDInfo(safe(function (err, res) {
      var r = res || (err && err.id ? err : null);
      if (!r || !r.id) return;
      if (r.id.member_id) identify(r.id.member_id);
      else set('mid', null); // logged out: later events are a guest's, a new login is an event again
    }));
  }
  function identify(id, known) {
    id = id == null ? '' : String(id).slice(0, 512);
    if (!id) return;
    var prev = get('mid');
    set('mid', id);
    if (prev !== id && !known) push('login', { login_id: id });
    if (signupPending) { signupPending = false; push('signup', { login_id: id }); }
  }

  // ---------------------------------------------------------------- public API
  function init(opts) {
    opts = opts || {};
    if (opts.key) cfg.key = String(opts.key);
    if (opts.endpoint) cfg.endpoint = String(opts.endpoint).replace(/\/+$/, '');
    if (opts.auto === false) cfg.auto = false;
    if (opts.debug) cfg.debug = true;
    if (!cfg.key || !cfg.endpoint || started) return;
    started = true;
    restore();
    touchSession();
    // Listeners first, each feature on its own: one failing (a hostile page, a broken shop
    // global) must not take the others down.
    w.addEventListener('pagehide', safe(leave));
    d.addEventListener('visibilitychange', safe(function () {
      if (d.visibilityState === 'hidden') leave();
      else touchSession();
    }));
    w.addEventListener('pageshow', safe(function (ev) {
      // Back/forward cache restored the page: that is a new view of it.
      if (ev.persisted && cfg.auto) { restore(); touchSession(); startView(); }
    }));
    if (cfg.auto) {
      safe(startView)();
      w.addEventListener('scroll', safe(onScroll), { passive: true });
      safe(wrapBasket)();
      d.addEventListener('DOMContentLoaded', safe(wrapBasket));
      w.addEventListener('load', safe(wrapBasket));
      safe(lookupMember)(opts.cafe24);
    }
    flush();
  }
  var commands = {
    init: init,
    track: function (name, fields) { touchSession(); push(name, fields); },
    identify: identify,
    flush: flush,
    // For add-ons served beside the SDK (messaging's untitle-push.js): the visitor's uuid once
    // the collector has named it, else null.
    visitor: function (cb) { if (typeof cb === 'function') cb(visitor ? visitor.uuid : (get('uid') || null)); }
  };
  var api = safe(function (cmd) {
    var fn = commands[cmd];
    if (fn) fn.apply(null, [].slice.call(arguments, 1));
    else log('unknown command', cmd);
  });
  api.loaded = true;
  api.version = VERSION;

  safe(function () {
    var stub = w.untitle;
    var script = d.currentScript || d.querySelector('script[src*="/sdk/v1/untitle"]');
    if (script && script.src) cfg.endpoint = new URL(script.src, w.location.href).origin;
    w.untitle = api;
    var q = stub && stub.q || [];
    for (var i = 0; i < q.length; i++) api.apply(null, q[i]);
    // Cafe24 script tags carry only a src, so the key may also come as ?key= on the script URL.
    var key = script && (script.getAttribute('data-key') || param('key', '?' + (script.src.split('?')[1] || '')));
    if (key) init({ key: key, endpoint: script.getAttribute('data-endpoint'), debug: script.hasAttribute('data-debug') });
  })();
})(typeof window !== 'undefined' ? window : null, typeof document !== 'undefined' ? document : null);
