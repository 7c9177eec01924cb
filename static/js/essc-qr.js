// Polls the gateway until the e-SSC QR was approved on the phone, then follows the login (CSP-safe: no inline JS).
(function () {
  "use strict";
  var status = document.getElementById("essc-qr-status");
  if (!status) { return; }
  var url = status.getAttribute("data-status-url");
  var left = parseInt(status.getAttribute("data-seconds"), 10) || 120;
  var started = Date.now();
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.status === "done") {
          status.textContent = "登录成功，正在跳转…";
          window.location.assign(data.next);
        } else if (data.status === "pending") {
          var remaining = Math.max(0, left - Math.round((Date.now() - started) / 1000));
          status.textContent = "等待扫码确认，剩余 " + remaining + " 秒。";
          setTimeout(poll, 2000);
        } else {
          status.textContent = data.message || "二维码已失效，请刷新页面。";
        }
      })
      .catch(function () { setTimeout(poll, 4000); });
  }
  setTimeout(poll, 1000);
})();
