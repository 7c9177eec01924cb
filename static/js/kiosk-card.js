// Social security card + PIN login (DESIGN "Identity"): talk to the card-reader bridge on this kiosk, wait
// while the holder types the PIN on the reader's own keypad, then post the bridge's signed result to the
// gateway. The PIN never passes through this page.
(function () {
  "use strict";
  var status = document.getElementById("card-status");
  if (!status) { return; }
  var bridge = status.getAttribute("data-bridge");
  var submitUrl = status.getAttribute("data-submit");
  var csrf = status.getAttribute("data-csrf");
  var errorBox = document.getElementById("card-error");
  var errorText = document.getElementById("card-error-text");

  function say(text) { if (status.textContent !== text) { status.textContent = text; } }
  function fail(text) {
    errorText.textContent = text;
    errorBox.hidden = false;
    errorBox.focus();
  }
  function json(r) { return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; }); }
  function later(fn, ms) { setTimeout(fn, ms); }

  function waitForCard() {
    fetch(bridge + "/status", { cache: "no-store" }).then(json).then(function (res) {
      if (!res.data.configured) { say("读卡器未就绪，请联系大厅工作人员。"); later(waitForCard, 3000); return; }
      if (res.data.card !== "present") {
        say("请将社保卡插入读卡口。");
        later(waitForCard, 800);
        return;
      }
      startRead();
    }).catch(function () { say("无法连接读卡器，正在重试…"); later(waitForCard, 3000); });
  }

  function startRead() {
    fetch(bridge + "/read", { method: "POST", cache: "no-store" }).then(json).then(function (res) {
      if (!res.ok) { later(waitForCard, 800); return; }
      say("已读取社保卡。请在读卡器键盘上输入社保卡密码，按“确认”键。");
      pollRead(res.data.read_id);
    }).catch(function () { later(waitForCard, 3000); });
  }

  function pollRead(readId) {
    fetch(bridge + "/read/" + encodeURIComponent(readId), { cache: "no-store" }).then(json).then(function (res) {
      if (!res.ok) { later(waitForCard, 800); return; }
      if (res.data.status !== "done") { later(function () { pollRead(readId); }, 500); return; }
      say("正在核验，请稍候…");
      submit(res.data.payload, res.data.signature);
    }).catch(function () { later(waitForCard, 3000); });
  }

  function submit(payload, signature) {
    fetch(submitUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ payload: payload, signature: signature })
    }).then(function (r) {
      return r.json().catch(function () { return { error: { message: "页面已过期，请返回首页重新登录。" } }; })
        .then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (res.ok && res.data.next) { say("登录成功，正在进入…"); window.location.assign(res.data.next); return; }
      fail((res.data.error && res.data.error.message) || "登录未成功，请重试。");
      later(waitForCard, 1500);
    }).catch(function () { fail("网络异常，请重试。"); later(waitForCard, 3000); });
  }

  waitForCard();
}());
