/* A form with data-confirm="question" asks the question before it is sent, and is not
   sent if the answer is no (instead of an inline onsubmit handler, which the
   Content-Security-Policy forbids). */
document.addEventListener("submit", function (event) {
  "use strict";
  var form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) { event.preventDefault(); }
});
