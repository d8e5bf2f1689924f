/* The sales plan form: the pipeline's total, added up as the amounts are typed (in
   cents, so that the sum has no float drift). The server adds them up again. */
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[name^=pipeline_]");
  var out = document.getElementById("pipeline-total");
  if (!out) return;
  function update() {
    var total = 0;
    inputs.forEach(function (el) { var n = parseFloat(el.value); if (!isNaN(n)) total += Math.round(n * 100); });
    out.textContent = (total / 100).toLocaleString(document.documentElement.lang, {minimumFractionDigits: 2, maximumFractionDigits: 2});
  }
  inputs.forEach(function (el) { el.addEventListener("input", update); });
  update();
})();
