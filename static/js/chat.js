// Live chat (web page and staff console): asks the gateway for new messages every few seconds and appends them,
// with the status and the place in the queue. Progressive enhancement: without it the page's refresh works.
(function () {
  "use strict";
  var queue = document.getElementById("chat-queue");
  if (queue) {  // the console's queue: look again every little while (without JS: its <noscript> refresh)
    setTimeout(function () { window.location.reload(); }, (parseInt(queue.getAttribute("data-seconds"), 10) || 15) * 1000);
  }
  var log = document.getElementById("chat-log");
  var url = log ? log.getAttribute("data-poll-url") : null;
  if (!url) { return; }  // no log here, or a closed conversation: nothing new will come
  var last = parseInt(log.getAttribute("data-last"), 10) || 0;
  var seconds = parseInt(log.getAttribute("data-seconds"), 10) || 3;
  var status = document.getElementById("chat-status");
  var place = document.getElementById("chat-position");
  var shownStatus = status ? status.getAttribute("data-status") || "" : "";

  function add(m) {
    if (m.id <= last) { return; }
    var item = document.createElement("li");
    item.className = "chat-" + m.sender;
    item.setAttribute("data-id", String(m.id));
    var who = document.createElement("strong");
    who.textContent = m.sender_label;
    item.appendChild(who);
    item.appendChild(document.createTextNode(" · " + m.at));
    var text = document.createElement("div");
    text.textContent = m.text;
    item.appendChild(text);
    log.appendChild(item);
    last = m.id;
  }

  function poll() {
    var sep = url.indexOf("?") >= 0 ? "&" : "?";
    fetch(url + sep + "since=" + last, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        data.messages.forEach(add);
        if (status) { status.textContent = data.status_label; }
        if (place) {
          if (data.position) {
            place.hidden = false;
            place.textContent = "您前面还有 " + (data.position - 1) + " 位，排在第 " + data.position + " 位，请稍候。" +
              (data.agent_online === false ? "目前暂无客服在线，您可以继续等候，或改为在线留言。" : "");
          } else {
            place.hidden = true;
          }
        }
        if (data.status === "closed") {
          if (shownStatus !== "closed") { window.location.reload(); }  // ended: the page's forms go with it
          return;
        }
        setTimeout(poll, seconds * 1000);
      })
      .catch(function () { setTimeout(poll, seconds * 3000); });
  }
  setTimeout(poll, seconds * 1000);
})();
