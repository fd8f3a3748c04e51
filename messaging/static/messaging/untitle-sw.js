/* UNTITLE push service worker. The SHOP hosts this file on its own origin (Cafe24 admin >
 * 디자인 > 파일 업로드 -> /web/upload/untitle-sw.js): browsers only run service workers from the
 * page's origin. It shows FCM notifications and opens the tracked link on click; the link
 * carries untitle_tid=, from which the SDK records message_click on landing. */
/* global clients */
// No Firebase import needed: FCM delivers a standard push event, and showing it ourselves keeps
// one code path for FCM and VAPID pushes.

self.addEventListener('push', function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  var n = (data.notification || data.webpush && data.webpush.notification) || {};
  var link = (data.fcmOptions && data.fcmOptions.link) || (data.data && data.data.link) || '/';
  if (!n.title) return;
  event.waitUntil(self.registration.showNotification(n.title, { body: n.body || '', data: { link: link } }));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var link = (event.notification.data && event.notification.data.link) || '/';
  event.waitUntil(clients.openWindow(link));
});
