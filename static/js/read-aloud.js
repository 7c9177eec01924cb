// 长辈版: read the page's main content aloud where the browser can (Web Speech API), MIIT 2021 elder-friendly
// rules. Where speechSynthesis is missing the button stays hidden; nothing else depends on it.
(function () {
  'use strict';
  var button = document.getElementById('read-aloud');
  if (!button || !('speechSynthesis' in window) || typeof window.SpeechSynthesisUtterance !== 'function') { return; }
  var bar = button.closest('.read-aloud-bar');
  var label = button.textContent;
  var stopLabel = button.getAttribute('data-stop');
  var synth = window.speechSynthesis;
  if (bar) { bar.hidden = false; }

  function reset() {
    button.textContent = label;
  }

  function pageText() {
    var main = document.getElementById('main');
    return Array.prototype.filter.call(main.children, function (el) { return el !== bar; })
      .map(function (el) { return el.innerText; })
      .join('\n');
  }

  button.addEventListener('click', function () {
    if (synth.speaking || synth.pending) {
      synth.cancel();
      reset();
      return;
    }
    // Short pieces: some browsers stop a long utterance after a few seconds.
    var pieces = pageText().split(/[。！？\n]+/).map(function (s) { return s.trim(); }).filter(Boolean);
    if (!pieces.length) { return; }
    pieces.forEach(function (piece, n) {
      var utterance = new window.SpeechSynthesisUtterance(piece);
      utterance.lang = 'zh-CN';
      utterance.rate = 0.9;
      if (n === pieces.length - 1) { utterance.onend = reset; }
      utterance.onerror = reset;
      synth.speak(utterance);
    });
    button.textContent = stopLabel;
  });
})();
