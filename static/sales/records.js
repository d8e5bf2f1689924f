/* The credit split of the sales record form: add and remove people, show the total.
   Without JavaScript the formset still works: an empty row to fill in and a
   "remove" box on every row. */
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  if (!form) return;
  var rows = form.querySelector(".js-credit-rows");
  var template = form.querySelector(".js-credit-template");
  var addButton = form.querySelector(".js-add-credit");
  var totalField = form.querySelector("input[name$='-TOTAL_FORMS']");
  var maxField = form.querySelector("input[name$='-MAX_NUM_FORMS']");
  var totalOut = form.querySelector(".js-credit-total");

  function total() {
    var sum = 0;
    rows.querySelectorAll(".js-credit-row").forEach(function (row) {
      if (row.hidden) return;
      var input = row.querySelector("input[name$='-share_pct']");
      var value = parseFloat(input && input.value);
      if (!isNaN(value)) sum += Math.round(value * 100);
    });
    totalOut.textContent = (sum / 100).toFixed(2).replace(/\.00$/, "");
    totalOut.classList.toggle("text-danger", sum !== 10000);
    totalOut.classList.toggle("text-success", sum === 10000);
  }

  function enhance(row) {
    var box = row.querySelector(".js-delete-box");
    var remove = row.querySelector(".js-remove-credit");
    if (box) box.classList.add("d-none");
    if (!remove) return;
    remove.classList.remove("d-none");
    remove.addEventListener("click", function () {
      var check = row.querySelector("input[name$='-DELETE']");
      if (check) check.checked = true;
      row.hidden = true;
      total();
    });
  }

  rows.querySelectorAll(".js-credit-row").forEach(enhance);
  rows.addEventListener("input", total);
  rows.addEventListener("change", total);
  addButton.classList.remove("d-none");
  addButton.addEventListener("click", function () {
    var index = parseInt(totalField.value, 10);
    if (maxField && index >= parseInt(maxField.value, 10)) return;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    rows.appendChild(row);
    totalField.value = String(index + 1);
    enhance(row);
    var select = row.querySelector("select");
    if (select) select.focus();
    total();
  });
  total();
})();
