/* A select marked .js-autosubmit sends its form as soon as it changes (the fiscal
   year on "My targets"). Without JavaScript the form's own button does it. */
(function () {
  "use strict";
  document.querySelectorAll(".js-autosubmit").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
})();
