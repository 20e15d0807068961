// 总览's chart: reads its data from the JSON block the page carries (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var holder = document.getElementById("points-chart");
  var block = document.getElementById("points-data");
  if (!holder || !block || typeof echarts === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var chart = echarts.init(holder, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 40, right: 10, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.weeks },
    yAxis: { type: "value", minInterval: 1 },
    series: data.series.map(function (s) { return { name: s.name, type: "bar", stack: "points", data: s.data }; })
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
