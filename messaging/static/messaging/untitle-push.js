/* UNTITLE web push add-on: loaded beside the SDK (untitle.js) on the shop's pages.
 *
 *   <script src="https://<untitle>/static/messaging/untitle-push.js" data-key="<ingest key>"
 *           data-sw="/web/upload/untitle-sw.js" data-vapid="<FCM web push key>"
 *           data-firebase='{"apiKey":"...","projectId":"...","messagingSenderId":"...","appId":"..."}'></script>
 *
 * The browser's permission prompt is only ever shown from a user gesture: the shop calls
 * untitlePush.subscribe({adConsent, nightConsent}) from a button's click handler (a prompt on
 * page load is blocked by browsers and annoys shoppers). Advertising consent is asked by the
 * shop's own wording and sent with the token: the OS permission alone is not ad consent.
 *
 * A service worker must come from the shop's origin. Cafe24 lets a shop upload files it then
 * serves from its own domain (/web/upload/...), so the shop uploads untitle-sw.js there; a
 * worker registered at /web/upload/untitle/ only "controls" that path, which does not matter:
 * push delivery and notification clicks need a registration, not control of the pages.
 */
(function (w, d) {
  'use strict';
  if (!w || !d || w.untitlePush) return;
  var FIREBASE = 'https://www.gstatic.com/firebasejs/10.12.2/';
  var script = d.currentScript || d.querySelector('script[src*="untitle-push"]');
  var cfg = {
    key: script && script.getAttribute('data-key'),
    sw: (script && script.getAttribute('data-sw')) || '/web/upload/untitle-sw.js',
    vapid: script && script.getAttribute('data-vapid'),
    endpoint: script ? new URL(script.src, w.location.href).origin : '',
    firebase: null
  };
  try { cfg.firebase = JSON.parse((script && script.getAttribute('data-firebase')) || 'null'); } catch (e) { cfg.firebase = null; }

  function load(src) {
    return new Promise(function (resolve, reject) {
      var s = d.createElement('script'); s.src = src; s.async = true;
      s.onload = resolve; s.onerror = function () { reject(new Error('load ' + src)); };
      d.head.appendChild(s);
    });
  }
  function visitorId() {
    return new Promise(function (resolve) {
      if (typeof w.untitle === 'function') w.untitle('visitor', resolve); else resolve(null);
    });
  }
  function supported() {
    return 'serviceWorker' in w.navigator && 'PushManager' in w && 'Notification' in w;
  }
  function scopeOf(path) { return path.replace(/[^/]*$/, '') + 'untitle/'; }

  function subscribe(opts) {
    opts = opts || {};
    if (!supported()) return Promise.reject(new Error('push unsupported'));
    if (!cfg.firebase || !cfg.vapid) return Promise.reject(new Error('data-firebase / data-vapid missing'));
    // requestPermission first, synchronously inside the click: later awaits lose the gesture.
    var permission = w.Notification.requestPermission();
    return Promise.resolve(permission).then(function (p) {
      if (p !== 'granted') throw new Error('permission ' + p);
      return w.navigator.serviceWorker.register(cfg.sw, { scope: scopeOf(cfg.sw) });
    }).then(function (reg) {
      return load(FIREBASE + 'firebase-app-compat.js').then(function () {
        return load(FIREBASE + 'firebase-messaging-compat.js');
      }).then(function () {
        var app = w.firebase.apps.length ? w.firebase.app() : w.firebase.initializeApp(cfg.firebase);
        return app.messaging().getToken({ vapidKey: cfg.vapid, serviceWorkerRegistration: reg });
      });
    }).then(function (token) {
      return visitorId().then(function (uuid) {
        if (!uuid) throw new Error('visitor not known yet');
        return fetch(cfg.endpoint + '/api/v1/push/subscribe', {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'omit',
          body: JSON.stringify({ ingest_key: cfg.key, uuid: uuid, token: token, kind: 'fcm',
            ad_consent: !!opts.adConsent, night_consent: !!opts.nightConsent })
        });
      });
    }).then(function (res) {
      if (!res.ok) throw new Error('subscribe ' + res.status);
      if (typeof w.untitle === 'function') w.untitle('track', 'push_subscribe', {});
      return true;
    });
  }
  w.untitlePush = { subscribe: subscribe, supported: supported, config: cfg };
})(typeof window !== 'undefined' ? window : null, typeof document !== 'undefined' ? document : null);
