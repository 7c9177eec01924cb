// Kiosk idle timeout: after the channel's idle seconds without a touch or key, log out (when someone is
// logged in) and go back to the start screen, showing a countdown for the last 15 seconds so the person can
// stay (DESIGN "Identity"). Touches also keep the server-side session alive (at most every 15 seconds), and
// the page leaves two seconds before the server's own limit, so the logout still finds the session to log it.
(function () {
  "use strict";
  var body = document.body;
  var limit = parseInt(body.getAttribute("data-idle-seconds"), 10) || 90;
  var home = body.getAttribute("data-home") || "/kiosk/";
  var touchUrl = body.getAttribute("data-touch-url");
  var sessionLeft = parseInt(body.getAttribute("data-session-left"), 10);
  var logout = document.getElementById("kiosk-logout");
  var shown = document.getElementById("idle-countdown");
  var started = Date.now();
  var last = started;
  var lastTouchSent = started;
  var leaving = false;
  var EARLY = logout ? 2 : 0;

  function touchServer() {
    if (!touchUrl || Date.now() - lastTouchSent < Math.min(15000, limit * 1000 / 3)) { return; }
    lastTouchSent = Date.now();
    var token = logout ? logout.querySelector("input[name=csrf_token]") : null;
    fetch(touchUrl, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" }
    }).catch(function () { /* the countdown still ends the session */ });
  }
  function reset() { last = Date.now(); if (shown) { shown.hidden = true; } touchServer(); }
  function leave() {
    if (leaving) { return; }
    leaving = true;
    if (logout) { logout.submit(); } else { window.location.assign(home); }
  }
  ["pointerdown", "keydown", "touchstart", "input"].forEach(function (name) {
    document.addEventListener(name, reset, { passive: true });
  });
  setInterval(function () {
    var left = limit - EARLY - Math.floor((Date.now() - last) / 1000);
    if (!isNaN(sessionLeft)) {
      // The absolute limit since login (10 minutes) ends the session however busy the person is.
      left = Math.min(left, sessionLeft - EARLY - Math.floor((Date.now() - started) / 1000));
    }
    if (left <= 0) { leave(); return; }
    if (shown && left <= 15) {
      shown.hidden = false;
      shown.textContent = left + " 秒后" + (logout ? "自动退出" : "返回首页") + "，触摸屏幕可继续操作";
    }
  }, 1000);
}());
