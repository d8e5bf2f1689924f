/* The dimension form: show only the sections the chosen scoring method uses (the
   metric and curve for attainment, the curve for satisfaction and training, the
   scale for rated) and only the chosen kind of curve. Without JavaScript every
   section shows; the server ignores the ones the method does not use. */
(function () {
  "use strict";
  var form = document.getElementById("dimension-form");
  if (!form) return;
  var method = form.querySelector(".js-method");
  var curveKind = form.querySelector(".js-curve-kind");

  function update() {
    var chosen = method ? method.value : "";
    form.querySelectorAll(".js-for-method").forEach(function (section) {
      var methods = (section.getAttribute("data-methods") || "").split(" ");
      section.hidden = methods.indexOf(chosen) === -1;
    });
    var kind = curveKind ? curveKind.value : "linear";
    form.querySelectorAll(".js-for-curve").forEach(function (section) {
      section.hidden = section.getAttribute("data-curve") !== kind;
    });
  }

  // The running total of the weights: the other dimensions' (from the server) plus
  // the one being typed, in cents to stay exact.
  var weight = form.querySelector("input[name='weight']");
  var others = Math.round(parseFloat(form.getAttribute("data-others-weight") || "0") * 100);
  var totalBox = form.querySelector(".js-weight-total");
  var sumOut = form.querySelector(".js-weight-sum");
  var warning = form.querySelector(".js-weight-warning");

  function total() {
    if (!weight || !totalBox) return;
    var typed = parseFloat(weight.value);
    var cents = others + (isNaN(typed) ? 0 : Math.round(typed * 100));
    sumOut.textContent = (cents / 100).toFixed(2);
    totalBox.classList.remove("d-none");
    warning.classList.toggle("d-none", cents === 10000);
    sumOut.classList.toggle("text-danger", cents !== 10000);
    sumOut.classList.toggle("text-success", cents === 10000);
  }

  if (weight) weight.addEventListener("input", total);
  total();
  if (method) method.addEventListener("change", update);
  if (curveKind) curveKind.addEventListener("change", update);
  update();
})();
