/* Attainment dashboards: the Chart.js charts (data from json_script elements), the
   metric switch above a chart, and the selectors that reload the page body (htmx).
   Runs on load and again on every body htmx swaps in. */
(function () {
  "use strict";

  var charts = {};

  function readData(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function color(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function trendDatasets(canvas, metric) {
    return [
      {
        type: "bar",
        label: canvas.dataset.labelActual,
        data: metric.actual,
        backgroundColor: color("--bs-primary", "#0d6efd"),
        order: 2
      },
      {
        type: "line",
        label: canvas.dataset.labelTarget,
        data: metric.target,
        borderColor: color("--bs-secondary", "#6c757d"),
        backgroundColor: color("--bs-secondary", "#6c757d"),
        borderDash: [6, 4],
        spanGaps: true,
        pointRadius: 3,
        order: 1
      }
    ];
  }

  function membersDatasets(canvas, data, metric) {
    var danger = color("--bs-danger", "#dc3545");
    var primary = color("--bs-primary", "#0d6efd");
    return [
      {
        type: "bar",
        label: canvas.dataset.labelValue,
        data: metric.values,
        backgroundColor: metric.risk.map(function (risk) { return risk ? danger : primary; }),
        order: 2
      },
      {
        type: "line",
        label: canvas.dataset.labelPace,
        data: metric.pace,
        borderColor: color("--bs-dark", "#212529"),
        borderDash: [4, 4],
        showLine: false,
        pointStyle: "line",
        pointRadius: 12,
        pointBorderWidth: 3,
        order: 1
      }
    ];
  }

  function datasets(canvas, data, index) {
    var metric = data.metrics[index];
    if (!metric) { return []; }
    return canvas.dataset.chart === "members"
      ? membersDatasets(canvas, data, metric)
      : trendDatasets(canvas, metric);
  }

  function build(canvas) {
    var data = readData(canvas.dataset.source);
    if (!data || typeof Chart === "undefined") { return; }
    if (charts[canvas.id]) { charts[canvas.id].destroy(); }
    charts[canvas.id] = new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets(canvas, data, 0) },
      options: {
        responsive: true,
        maintainAspectRatio: false,  // the .chart-box around the canvas sets the height
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true } },
        plugins: { legend: { position: "bottom" } }
      }
    });
    charts[canvas.id].salesData = data;
  }

  function switchMetric(group, button) {
    var chart = charts[group.dataset.chartSwitch];
    if (!chart) { return; }
    chart.data.datasets = datasets(chart.canvas, chart.salesData, Number(button.dataset.index));
    chart.update();
    group.querySelectorAll("button").forEach(function (b) {
      var on = b === button;
      b.classList.toggle("active", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  function init(root) {
    Object.keys(charts).forEach(function (id) {
      if (!document.body.contains(charts[id].canvas)) {
        charts[id].destroy();
        delete charts[id];
      }
    });
    root.querySelectorAll("canvas[data-chart]").forEach(build);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-chart-switch] button");
    if (button) { switchMetric(button.closest("[data-chart-switch]"), button); }
    // The team dashboard on a phone: a member's row shows its details on a tap.
    var expand = event.target.closest(".js-expand-row");
    if (expand) {
      var row = expand.closest("tr");
      var open = row.classList.toggle("expanded");
      expand.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });

  document.addEventListener("change", function (event) {
    var select = event.target.closest(".js-autosubmit");
    if (select && select.form) { select.form.requestSubmit(); }
  });

  // Every element htmx swaps in (the new dashboard body) announces itself with htmx:load.
  document.addEventListener("htmx:load", function (event) { init(event.target); });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
