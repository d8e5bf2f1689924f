/* Calibration: the stacked bar chart of the share of each grade per supervisor and
   overall (its data in the json_script element #grade-chart-data). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var source = document.getElementById("grade-chart-data");
  var canvas = document.getElementById("grade-chart");
  if (!source || !canvas || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {labels: data.labels, datasets: data.datasets},
    options: {indexAxis: "y", scales: {x: {stacked: true, max: 100, ticks: {callback: function (v) { return v + " %"; }}}, y: {stacked: true}}, plugins: {legend: {position: "bottom"}}}
  });
});
