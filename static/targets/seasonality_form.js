/* The seasonality profile form: the weights' sum as they are typed, whether it makes
   100 %, and the weights shown only for the "custom" method. The server checks again. */
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[name^=weight_]");
  var sumEl = document.getElementById("weight-sum");
  var ok = document.getElementById("weight-ok"), off = document.getElementById("weight-off");
  var fieldset = document.getElementById("weights");
  if (!sumEl || !fieldset) return;
  function cents(value) {  // sum in hundredths of a percent to avoid float drift
    var n = parseFloat(value);
    return isNaN(n) ? 0 : Math.round(n * 10000);
  }
  function update() {
    var total = 0;
    inputs.forEach(function (el) { total += cents(el.value); });
    sumEl.textContent = (total / 10000).toLocaleString(document.documentElement.lang, {maximumFractionDigits: 4});
    ok.classList.toggle("d-none", total !== 1000000);
    off.classList.toggle("d-none", total === 1000000);
  }
  function toggle() {
    var checked = document.querySelector(".js-method:checked");
    fieldset.hidden = !(checked && checked.value === "custom");
  }
  inputs.forEach(function (el) { el.addEventListener("input", update); });
  document.querySelectorAll(".js-method").forEach(function (el) { el.addEventListener("change", toggle); });
  update(); toggle();
})();
