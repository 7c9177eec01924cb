// The anonymous check-in's on-screen keypad: a kiosk has no physical keyboard, so each key types one character
// of the booking code into the field (up to its maxlength), 删除 takes the last one back and 清空 empties it.
// The keypad is hidden until this script runs, so without script the page is still a plain form.
(function () {
  "use strict";
  var input = document.getElementById("code");
  var pad = document.getElementById("code-keypad");
  var count = document.getElementById("code-count");
  if (!input || !pad) { return; }
  var max = parseInt(input.getAttribute("maxlength"), 10) || 12;
  var hint = count ? count.textContent : "";

  function announce() {
    if (!count) { return; }
    var n = input.value.length;
    count.textContent = n ? "已输入 " + n + " 位：" + input.value.split("").join(" ") : hint;
  }
  function type(ch) {
    if (input.value.length < max) { input.value += ch; }
  }
  pad.addEventListener("click", function (event) {
    var key = event.target.closest("button");
    if (!key || !pad.contains(key)) { return; }
    var ch = key.getAttribute("data-key");
    var action = key.getAttribute("data-action");
    if (ch) { type(ch); }
    else if (action === "back") { input.value = input.value.slice(0, -1); }
    else if (action === "clear") { input.value = ""; }
    // Tell the idle timer (and anything listening) the field changed, as typing would.
    input.dispatchEvent(new Event("input", { bubbles: true }));
    announce();
  });
  input.addEventListener("input", function () { input.value = input.value.toUpperCase(); });
  pad.hidden = false;
}());
