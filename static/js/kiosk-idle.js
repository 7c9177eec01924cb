// Kiosk idle timeout: after the channel's idle seconds without a touch or key, go back to the start
// screen, showing a countdown for the last 15 seconds so the person can stay (DESIGN "Identity").
(function () {
  "use strict";
  var body = document.body;
  var limit = parseInt(body.getAttribute("data-idle-seconds"), 10) || 90;
  var home = body.getAttribute("data-home") || "/kiosk/";
  var shown = document.getElementById("idle-countdown");
  var last = Date.now();
  function reset() { last = Date.now(); if (shown) { shown.hidden = true; } }
  ["pointerdown", "keydown", "touchstart", "input"].forEach(function (name) {
    document.addEventListener(name, reset, { passive: true });
  });
  setInterval(function () {
    var left = limit - Math.floor((Date.now() - last) / 1000);
    if (left <= 0) { window.location.assign(home); return; }
    if (shown && left <= 15) {
      shown.hidden = false;
      shown.textContent = left + " 秒后返回首页，触摸屏幕可继续操作";
    }
  }, 1000);
}());
