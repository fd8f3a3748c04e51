/* Stand-in for Firebase's messaging-compat SDK in the browser test (served for the gstatic URL;
 * no network here). getToken fails the way the real one does when the registration's worker is
 * not active yet ("Subscription failed - no active Service Worker", firebase-js-sdk #5797/#7575),
 * and returns window.__fakeFcmToken otherwise; every call is recorded. */
(function (w) {
  if (w.firebase && w.firebase.__fake) return;
  var apps = [];
  w.__getTokenCalls = w.__getTokenCalls || [];
  function messaging() {
    return {
      getToken: function (opts) {
        var reg = opts && opts.serviceWorkerRegistration;
        var state = reg && reg.active ? reg.active.state : 'none';
        w.__getTokenCalls.push(state);
        if (!reg || !reg.active || state !== 'activated') {
          return Promise.reject(new DOMException(
            "Failed to execute 'subscribe' on 'PushManager': Subscription failed - no active Service Worker", 'AbortError'));
        }
        return Promise.resolve(w.__fakeFcmToken || 'tok-1');
      }
    };
  }
  var app = { messaging: messaging };
  w.firebase = { __fake: true, apps: apps, initializeApp: function () { apps.push(app); return app; },
                 app: function () { return app; } };
})(window);
