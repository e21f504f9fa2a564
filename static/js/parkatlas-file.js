/*
 * File pickers of templates/partials/file_input.html: show the chosen file's name beside our own button
 * (as text: file names come from the user's disk), or the "no file" text when the choice is cleared.
 */
(function () {
  "use strict";

  function show(input) {
    var label = input.parentNode.querySelector(".pa-file-name");
    if (!label) {
      return;
    }
    var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
    label.textContent = names.length ? names.join(", ") : label.getAttribute("data-empty");
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".pa-file-input"), function (input) {
      input.addEventListener("change", function () { show(input); });
      show(input);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
