/* UNTITLE web push add-on: loaded beside the SDK (untitle.js) on the shop's pages, or on the
 * subscribe page UNTITLE serves on its own origin (/push/<ingest key>/).
 *
 *   <script src="https://<untitle>/static/messaging/untitle-push.js" data-key="<ingest key>"
 *           data-sw="/web/upload/untitle-sw.js" data-vapid="<FCM web push key>"
 *           data-firebase='{"apiKey":"...","projectId":"...","messagingSenderId":"...","appId":"..."}'></script>
 *
 * Optional: data-endpoint (where the token is POSTed; default <untitle>/api/v1/push/subscribe),
 * data-csrf (a CSRF token, for UNTITLE's own signed-in pages), data-visitor (the visitor id when
 * the SDK is not on the page), data-refresh="off".
 *
 * The permission prompt is only ever shown from a user gesture: the shop calls
 * untitlePush.subscribe({adConsent, nightConsent}) from a button's click handler. Advertising
 * consent is asked in the shop's own words and sent with the token: the OS permission alone is
 * not ad consent.
 *
 * A service worker must come from the page's origin. Cafe24 serves uploaded files from the
 * shop's own domain (/web/upload/...), so the shop uploads untitle-sw.js there; a worker at
 * /web/upload/untitle/ does not control the shop's pages, which push does not need.
 *
 * Two things the Firebase SDK leaves to us:
 * - getToken() right after register() races the worker's activation ("Subscription failed - no
 *   active Service Worker", firebase-js-sdk #5797, #6013, #7575): we wait for THIS registration's
 *   worker to be activated first.
 * - Token freshness (https://firebase.google.com/docs/cloud-messaging/manage-tokens): tokens of
 *   devices unseen for a month are stale, and the guide asks apps to re-fetch the token and send it
 *   with a timestamp. On later visits we call getToken() again (at most daily) and re-send it when
 *   it changed or our copy on the server is older than a month.
 */
(function (w, d) {
  'use strict';
  if (!w || !d || w.untitlePush) return;
  var FIREBASE = 'https://www.gstatic.com/firebasejs/10.12.2/';
  var STORE = 'untitle_push';
  var DAY = 24 * 3600 * 1000;
  var REFRESH_MS = 30 * DAY;   // manage-tokens: "stale" after a month without an update
  var CHECK_MS = DAY;          // how often a later visit asks Firebase for the current token
  var script = d.currentScript || d.querySelector('script[src*="untitle-push"]');
  function attr(name) { return script ? script.getAttribute(name) : null; }
  var origin = script ? new URL(script.src, w.location.href).origin : '';
  var cfg = {
    key: attr('data-key'),
    sw: attr('data-sw') || '/web/upload/untitle-sw.js',
    vapid: attr('data-vapid'),
    endpoint: attr('data-endpoint') ? new URL(attr('data-endpoint'), w.location.href).href : origin + '/api/v1/push/subscribe',
    csrf: attr('data-csrf'),
    visitor: attr('data-visitor'),
    refresh: attr('data-refresh') !== 'off',
    firebase: null
  };
  try { cfg.firebase = JSON.parse(attr('data-firebase') || 'null'); } catch (e) { cfg.firebase = null; }

  function now() { return Date.now(); }
  function load(src) {
    return new Promise(function (resolve, reject) {
      var s = d.createElement('script'); s.src = src; s.async = true;
      s.onload = resolve; s.onerror = function () { reject(new Error('load ' + src)); };
      d.head.appendChild(s);
    });
  }
  function stored() {
    try { return JSON.parse(w.localStorage.getItem(STORE) || 'null'); } catch (e) { return null; }
  }
  function store(value) {
    try { w.localStorage.setItem(STORE, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  function visitorId() {
    if (cfg.visitor === 'auto') {
      // Our own subscribe page opened without the shop's visitor id: this browser's own id here.
      var id = null;
      try { id = w.localStorage.getItem(STORE + '_visitor'); } catch (e) { id = null; }
      if (!id) { id = w.crypto.randomUUID(); try { w.localStorage.setItem(STORE + '_visitor', id); } catch (e) { /* ok */ } }
      return Promise.resolve(id);
    }
    if (cfg.visitor) return Promise.resolve(cfg.visitor);
    return new Promise(function (resolve) {
      if (typeof w.untitle === 'function') w.untitle('visitor', resolve); else resolve(null);
    });
  }
  function supported() {
    return 'serviceWorker' in w.navigator && 'PushManager' in w && 'Notification' in w;
  }
  function scopeOf(path) { return path.replace(/[^/]*$/, '') + 'untitle/'; }

  // Resolves with the registration once ITS worker is activated. navigator.serviceWorker.ready
  // is not enough: it waits for a worker controlling this page, which ours (narrow scope) never is.
  function registerActive() {
    return w.navigator.serviceWorker.register(cfg.sw, { scope: scopeOf(cfg.sw) }).then(function (reg) {
      var worker = reg.installing || reg.waiting || reg.active;
      if (reg.active && !reg.installing && !reg.waiting && reg.active.state === 'activated') return reg;
      return new Promise(function (resolve, reject) {
        var timer = w.setTimeout(function () { reject(new Error('service worker did not activate')); }, 30000);
        function check() {
          if (reg.active && reg.active.state === 'activated') { w.clearTimeout(timer); resolve(reg); }
          else if (worker && worker.state === 'redundant') { w.clearTimeout(timer); reject(new Error('service worker redundant')); }
        }
        if (worker) worker.addEventListener('statechange', check);
        check();
      });
    });
  }

  function getToken(reg) {
    return load(FIREBASE + 'firebase-app-compat.js').then(function () {
      return load(FIREBASE + 'firebase-messaging-compat.js');
    }).then(function () {
      var app = w.firebase.apps.length ? w.firebase.app() : w.firebase.initializeApp(cfg.firebase);
      return app.messaging().getToken({ vapidKey: cfg.vapid, serviceWorkerRegistration: reg });
    });
  }

  function send(token, consents) {
    return visitorId().then(function (uuid) {
      if (!uuid) throw new Error('visitor not known yet');
      var headers = { 'Content-Type': 'application/json' };
      if (cfg.csrf) headers['X-CSRFToken'] = cfg.csrf;
      return w.fetch(cfg.endpoint, {
        method: 'POST', headers: headers, credentials: cfg.csrf ? 'same-origin' : 'omit',
        body: JSON.stringify({ ingest_key: cfg.key, uuid: uuid, token: token, kind: 'fcm',
          ad_consent: !!consents.adConsent, night_consent: !!consents.nightConsent })
      });
    }).then(function (res) {
      if (!res.ok) throw new Error('subscribe ' + res.status);
      var t = now();
      store({ token: token, at: t, checked: t, adConsent: !!consents.adConsent, nightConsent: !!consents.nightConsent });
      return res;
    });
  }

  function subscribe(opts) {
    opts = opts || {};
    if (!supported()) return Promise.reject(new Error('push unsupported'));
    if (!cfg.firebase || !cfg.vapid) return Promise.reject(new Error('data-firebase / data-vapid missing'));
    // requestPermission first, synchronously inside the click: later awaits lose the gesture.
    var permission = w.Notification.requestPermission();
    return Promise.resolve(permission).then(function (p) {
      if (p !== 'granted') throw new Error('permission ' + p);
      return registerActive();
    }).then(getToken).then(function (token) {
      return send(token, opts);
    }).then(function () {
      if (typeof w.untitle === 'function') w.untitle('track', 'push_subscribe', {});
      return true;
    });
  }

  // A later visit: keep the server's copy of the token current (changed or a month old).
  function refresh() {
    var s = stored();
    if (!s || !s.token || !supported() || w.Notification.permission !== 'granted') return Promise.resolve(false);
    if (s.checked && now() - s.checked < CHECK_MS && now() - s.at < REFRESH_MS) return Promise.resolve(false);
    return registerActive().then(getToken).then(function (token) {
      if (token !== s.token || now() - s.at >= REFRESH_MS) {
        return send(token, s).then(function () { return true; });
      }
      s.checked = now(); store(s);
      return false;
    });
  }

  w.untitlePush = { subscribe: subscribe, refresh: refresh, supported: supported, config: cfg };
  if (cfg.refresh && cfg.firebase && cfg.vapid) {
    var run = function () { refresh().catch(function () { /* retried on the next visit */ }); };
    if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', run); else run();
  }
})(typeof window !== 'undefined' ? window : null, typeof document !== 'undefined' ? document : null);
