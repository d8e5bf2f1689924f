// The what-if panel answers 400 with the message naming the field at fault: show it in
// place like any other answer (htmx leaves 4xx answers unswapped by default).
(function () {
  "use strict";
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400 && event.detail.target.id === "what-if-panel") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
