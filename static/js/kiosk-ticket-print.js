// The queue ticket goes to the kiosk's receipt printer through its local printer bridge (a loopback service, like
// the card reader's): the ticket's lines are sent once when the page opens; the person is told whether it
// printed, and can print again. If the printer is out of paper or offline, the number stays on the screen.
(function () {
  "use strict";
  var ticket = document.getElementById("ticket");
  var shown = document.getElementById("print-status");
  var again = document.getElementById("print-again");
  if (!ticket || !shown) return;
  var url = ticket.getAttribute("data-printer");
  var lines = JSON.parse(ticket.getAttribute("data-lines") || "[]");

  function say(text) { shown.textContent = text; }

  function send() {
    say("正在打印排队凭条……");
    if (again) again.hidden = true;
    fetch(url + "/print", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ lines: lines }),
    }).then(function (res) {
      if (!res.ok) throw new Error("printer " + res.status);
      say("排队凭条已打印，请从出纸口取走。");
    }).catch(function () {
      say("打印机暂时不可用，请记下屏幕上的排队号，或到咨询台取号。");
    }).then(function () {
      if (again) again.hidden = false;
    });
  }

  if (again) again.addEventListener("click", send);
  send();
})();
