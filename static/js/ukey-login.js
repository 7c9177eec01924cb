// Unit certificate login: asks the USB key's middleware (a local HTTP service) to sign the gateway's nonce,
// then posts the certificate and the signature. CSP-safe: no inline script; the page's CSP allows connect-src
// to the middleware's origin only.
(function () {
  "use strict";
  var form = document.getElementById("cert-login");
  if (!form) { return; }
  var base = form.getAttribute("data-ukey-url");
  var nonce = form.getAttribute("data-nonce");
  var status = document.getElementById("ukey-status");
  var button = document.getElementById("cert-login-button");
  var NO_MIDDLEWARE = "未能连接数字证书助手，或没有插入证书介质（USB Key）。请确认已安装并启动数字证书助手、插好 USB Key 后重试。";
  document.getElementById("ukey-js").hidden = false;

  function say(text) { status.textContent = text; }

  function json(response) {
    if (!response.ok) { throw new Error("middleware " + response.status); }
    return response.json();
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    say("正在读取数字证书，请在证书助手中确认…");
    fetch(base + "/certs", { headers: { "Accept": "application/json" } })
      .then(json)
      .then(function (data) {
        if (!data.certs || !data.certs.length) { throw new Error("no certificate"); }
        // The nonce is URL-safe ASCII, so btoa() of it is the base64 of exactly the bytes the gateway checks.
        return fetch(base + "/sign", {
          method: "POST",
          headers: { "Content-Type": "application/json", "Accept": "application/json" },
          body: JSON.stringify({ certId: data.certs[0].id, data: window.btoa(nonce) })
        });
      })
      .then(json)
      .then(function (signed) {
        // The certificate, then the intermediate CAs the key holds with it: the gateway validates the chain.
        form.elements.certificate.value = [signed.certificate].concat(signed.chain || []).join(",");
        form.elements.signature.value = signed.signature;
        say("正在登录…");
        form.submit();
      })
      .catch(function () {
        say(NO_MIDDLEWARE);
        button.disabled = false;
      });
  });
})();
