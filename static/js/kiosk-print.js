// The print page: send the sealed PDF in the frame to the kiosk's printer when the 打印 button is tapped.
(function () {
  "use strict";
  var frame = document.getElementById("proof-pdf");
  var button = document.getElementById("print-button");
  if (!frame || !button) { return; }
  function printIt() {
    try { frame.contentWindow.focus(); frame.contentWindow.print(); } catch (e) { window.print(); }
  }
  button.addEventListener("click", printIt);
}());
