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

  // Move focus to an error summary so keyboard and screen-reader users land on it.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
