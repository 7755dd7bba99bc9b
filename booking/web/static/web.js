// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // "Copy" buttons next to feed links.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input) { return; }
      input.select();
      var done = function () {
        var status = document.getElementById(button.getAttribute("data-copy") + "-status");
        if (status) { status.textContent = button.getAttribute("data-copied"); }
      };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(input.value).then(done, function () {});
      }
    });
  });

  // A table wider than the screen scrolls in its wrapper: let keyboard users reach and scroll it.
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    if (wrap.scrollWidth > wrap.clientWidth && !wrap.hasAttribute("tabindex")) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      var caption = wrap.querySelector("caption");
      var heading = caption ? caption.textContent : document.title;
      wrap.setAttribute("aria-label", heading.trim());
    }
  });

  // The case form: a Forum internal case has no customer, so its customer fields are hidden
  // (unless one holds a message to read); without this file they show and say "empty".
  var categories = document.querySelectorAll('input[name="category"]');
  var customerFields = document.querySelectorAll("[data-customer-fields]");
  var showCustomer = function () {
    var internal = document.querySelector('input[name="category"][value="internal"]:checked');
    customerFields.forEach(function (block) {
      block.hidden = Boolean(internal) && !block.querySelector(".field--error");
    });
  };
  categories.forEach(function (input) { input.addEventListener("change", showCustomer); });
  if (categories.length) { showCustomer(); }

  // Move focus to an error summary so keyboard and screen-reader users land on it.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
