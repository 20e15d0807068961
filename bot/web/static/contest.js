// 竞赛 page's chart: each question's correct rate, read from the JSON block the page carries (no inline script: the
// CSP forbids it). A question nobody answered has no bar.
(function () {
  "use strict";
  var holder = document.getElementById("rates-chart");
  var block = document.getElementById("rates-data");
  if (!holder || !block || typeof echarts === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var chart = echarts.init(holder, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "无人作答" : v + "%"; } },
    grid: { left: 40, right: 10, top: 20, bottom: 30 },
    xAxis: { type: "category", data: data.labels },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [{ name: "正确率", type: "bar", data: data.rates, itemStyle: { color: "#b71c1c" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
