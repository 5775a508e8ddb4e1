/* Copy buttons: <button data-copy="text" data-copied="Copied" hidden>.
   The buttons stay hidden where the clipboard cannot be written to; the text
   beside them is selectable either way. */
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  var buttons = document.querySelectorAll("button[data-copy]");
  if (!buttons.length) {
    return;
  }
  // One polite live region, made before any click so that it is announced.
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  document.body.appendChild(status);

  function copied(button, text, long) {
    var label = button.firstChild;
    var before = label.nodeValue;
    var done = button.getAttribute("data-copied");
    label.nodeValue = done;
    status.textContent = long ? done : done + ": " + text;
    window.setTimeout(function () {
      label.nodeValue = before;
    }, 2000);
  }

  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = button.getAttribute("data-copy-from");
      var text = source ? document.getElementById(source).value : button.getAttribute("data-copy");
      navigator.clipboard.writeText(text).then(function () {
        copied(button, text, Boolean(source));
      });
    });
  });
})();
