// 朗读 (read aloud) on every kiosk screen, for people who cannot read the screen well (Regulation Art. 30): the
// browser's speechSynthesis speaks the screen's main text with a Chinese voice the machine makes itself
// (localService): what is on a kiosk's screen is personal, and must not be sent to a cloud speech service. The
// button shows only once such a voice is there (voices may arrive after the page); a second tap stops; leaving
// the page stops.
(function () {
  "use strict";
  var button = document.getElementById("read-aloud");
  var synth = window.speechSynthesis;
  if (!button || !synth || typeof window.SpeechSynthesisUtterance !== "function") return;

  function localChineseVoice() {
    var voices = synth.getVoices ? synth.getVoices() : [];
    return voices.filter(function (v) { return /^zh/i.test(v.lang || "") && v.localService; })[0] || null;
  }

  function offer() { button.hidden = !localChineseVoice(); }
  offer();
  if (synth.addEventListener) synth.addEventListener("voiceschanged", offer);

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
    var voice = localChineseVoice();
    if (!voice) { offer(); return; }
    utterance.voice = voice;
    utterance.onend = stopped;
    utterance.onerror = stopped;
    synth.cancel();
    synth.speak(utterance);
    button.setAttribute("aria-pressed", "true");
    button.textContent = "停止朗读";
  });
  window.addEventListener("pagehide", function () { synth.cancel(); });
})();
