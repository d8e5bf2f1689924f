// Sales reports: the chart of the rows (data from json_script "report-chart") and the
// period/dates filter (a period clears the dates, a date clears the period). Runs on
// load and again after htmx swaps the report in place.
(function () {
  "use strict";
  var chart = null;
  var colours = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1"];

  function drawChart() {
    if (chart) {
      chart.destroy();
      chart = null;
    }
    var source = document.getElementById("report-chart");
    var canvas = document.getElementById("report-chart-canvas");
    if (!source || !canvas || typeof Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    chart = new Chart(canvas, {
      type: data.kind,
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, i) {
          return {
            label: series.label,
            data: series.data.map(function (v) { return v === null ? null : Number(v); }),
            backgroundColor: colours[i % colours.length],
            borderColor: colours[i % colours.length],
            tension: 0.2
          };
        })
      },
      options: {
        responsive: true,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true } }
      }
    });
  }

  function wirePeriodAndDates() {
    document.querySelectorAll(".js-report-filters").forEach(function (form) {
      var period = form.querySelector("[name=period]");
      var dates = form.querySelectorAll("[name=start], [name=end]");
      if (!period) {
        return;
      }
      period.addEventListener("change", function () {
        if (period.value) {
          dates.forEach(function (d) { d.value = ""; });
        }
      });
      dates.forEach(function (d) {
        d.addEventListener("change", function () {
          if (d.value) {
            period.value = "";
          }
        });
      });
    });
  }

  function init() {
    drawChart();
    wirePeriodAndDates();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.body.addEventListener("htmx:afterSettle", init);
  // Bad filters answer 400 with the page and the messages: show it like any other.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400 && event.detail.target.id === "report-page") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
