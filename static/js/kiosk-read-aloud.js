// 朗读 (read aloud) on every kiosk screen, for people who cannot read the screen well (Regulation Art. 30): the
// browser's speechSynthesis speaks the screen's main text with a Chinese voice of the machine itself (a voice
// whose localService is true is preferred, so the audio is made on the kiosk, not sent to a cloud service).
// The button stays hidden where the browser has no speech engine. A second tap stops; leaving the page stops.
(function () {
  "use strict";
  var button = document.getElementById("read-aloud");
  var synth = window.speechSynthesis;
  if (!button || !synth || typeof window.SpeechSynthesisUtterance !== "function") return;
  button.hidden = false;

  function chineseVoice() {
    var voices = synth.getVoices ? synth.getVoices() : [];
    var chinese = voices.filter(function (v) { return /^zh/i.test(v.lang || ""); });
    var local = chinese.filter(function (v) { return v.localService; });
    return local[0] || chinese[0] || null;
  }

  function screenText() {
    var main = document.getElementById("main");
    return main ? (main.innerText || main.textContent || "").replace(/\s+/g, " ").trim() : "";
  }

  function stopped() {
    button.setAttribute("aria-pressed", "false");
    button.textContent = "朗读";
  }

  button.addEventListener("click", function () {
    if (button.getAttribute("aria-pressed") === "true") {
      synth.cancel();
      stopped();
      return;
    }
    var utterance = new window.SpeechSynthesisUtterance(screenText());
    utterance.lang = "zh-CN";
    utterance.rate = 0.9; // a little slower than usual
    var voice = chineseVoice();
    if (voice) utterance.voice = voice;
    utterance.onend = stopped;
    utterance.onerror = stopped;
    synth.cancel();
    synth.speak(utterance);
    button.setAttribute("aria-pressed", "true");
    button.textContent = "停止朗读";
  });
  window.addEventListener("pagehide", function () { synth.cancel(); });
})();
