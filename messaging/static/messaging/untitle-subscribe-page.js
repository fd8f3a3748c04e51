/* The subscribe page on UNTITLE's own origin (/push/<ingest key>/) and the marketers' test-device
 * page: wires the button to untitlePush.subscribe (no inline script, so a strict CSP holds) and
 * shows the Home Screen guide on iOS, where Safari delivers web push only to a web app added to
 * the Home Screen (iOS/iPadOS 16.4+, https://webkit.org/blog/13878/web-push-for-web-apps-on-ios-and-ipados/). */
(function (w, d) {
  'use strict';
  function $(id) { return d.getElementById(id); }
  function say(text) { var el = $('push-status'); if (el) el.textContent = text; }
  var nav = w.navigator;
  var ios = /iP(hone|ad|od)/.test(nav.userAgent) || (nav.platform === 'MacIntel' && nav.maxTouchPoints > 1);
  var standalone = nav.standalone === true || (w.matchMedia && w.matchMedia('(display-mode: standalone)').matches);
  d.addEventListener('DOMContentLoaded', function () {
    var button = $('push-subscribe');
    var guide = $('ios-guide');
    if (ios && !standalone && guide) guide.hidden = false;
    if (!button) return;
    if (!w.untitlePush || !w.untitlePush.supported()) {
      button.disabled = true;
      say(button.getAttribute('data-unsupported') || '');
      return;
    }
    button.addEventListener('click', function () {
      var ad = $('push-ad'), night = $('push-night');
      button.disabled = true;
      w.untitlePush.subscribe({ adConsent: !!(ad && ad.checked), nightConsent: !!(night && night.checked) })
        .then(function () { say(button.getAttribute('data-done') || 'OK'); })
        .catch(function (e) { button.disabled = false; say((button.getAttribute('data-failed') || '') + ' (' + e.message + ')'); });
    });
  });
})(window, document);
