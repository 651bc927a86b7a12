/* Progressive enhancement only: every page works without this file.
 * - [data-copy-from="<input id>"] buttons copy that input's value (the award page address)
 *   and announce the result in the nearby role="status" element;
 * - [data-print] buttons open the print dialog (the print stylesheet gives a one-page summary).
 * Buttons are `hidden` in the HTML and shown here, so nothing useless appears without JS.
 * No inline script or handler anywhere, so a strict Content-Security-Policy can be used.
 */
(function () {
  "use strict";

  function announce(button, text) {
    var box = button.closest(".copy-link");
    var status = box && box.querySelector("[role=status]");
    if (status) {
      status.textContent = "";
      // A fresh text node is announced again by screen readers on a second click.
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
  }

  function copyWithSelection(input) {
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function setUpCopy(button) {
    var input = document.getElementById(button.getAttribute("data-copy-from"));
    if (!input) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var copied = button.getAttribute("data-copied") || "";
      var failed = button.getAttribute("data-copy-failed") || "";
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(
          function () { announce(button, copied); },
          function () { announce(button, copyWithSelection(input) ? copied : failed); }
        );
      } else {
        announce(button, copyWithSelection(input) ? copied : failed);
      }
    });
  }

  function setUpPrint(button) {
    if (typeof window.print !== "function") {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy-from]"), setUpCopy);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), setUpPrint);
    // A click in the read-only address field selects it whole, ready to copy by hand.
    Array.prototype.forEach.call(document.querySelectorAll(".copy-link__input"), function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
