// The ALTCHA widget (static/vendor/altcha, MIT, see LICENSE.txt there), served from our own origin: its SHA-256
// worker from /static as well (no blob: workers, no CDN), and its words in Chinese. Loaded after altcha.js.
(function () {
  "use strict";
  var registry = globalThis.$altcha;
  if (!registry) return;
  registry.algorithms.set("SHA-256", function () {
    return new Worker("/static/vendor/altcha/workers/sha.js");
  });
  registry.i18n.set("zh-cn", {
    ariaLinkLabel: "ALTCHA",
    enterCode: "输入代码",
    enterCodeAria: "输入您听到的代码。按空格键播放音频。",
    error: "验证没有完成，请稍后再试。",
    expired: "验证已过期，请再勾选一次。",
    footer: "",
    getAudioChallenge: "获取语音验证码",
    label: "我不是自动程序（勾选后浏览器自动完成验证）",
    loading: "正在加载…",
    reload: "重新验证",
    verify: "验证",
    verificationRequired: "请先勾选“我不是自动程序”完成验证。",
    verified: "验证已完成",
    verifying: "正在验证，请稍候…",
    waitAlert: "正在验证，请稍候…",
    cancel: "取消",
    enterCodeFromImage: "请输入下图中显示的验证码。"
  });
})();
