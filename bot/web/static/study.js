// 学习's funnel (推送到 → 其中已学) and, for several branches, a bar per branch: data from the page's JSON block
// (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var block = document.getElementById("study-data");
  if (!block || typeof echarts === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var charts = [];
  var funnel = document.getElementById("study-funnel");
  if (funnel) {
    var chart = echarts.init(funnel, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}：{c} 人次" },
      series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", top: 10, bottom: 10, minSize: "20%",
                 label: { show: true, position: "inside", formatter: "{b} {c}" }, data: data.stages }]
    });
    charts.push(chart);
  }
  var bars = document.getElementById("study-branches");
  if (bars && data.branches.length > 1) {
    var chart2 = echarts.init(bars, null, { renderer: "canvas" });
    chart2.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 90, right: 10, top: 30, bottom: 20 },
      yAxis: { type: "category", inverse: true, data: data.branches.map(function (b) { return b.name; }) },
      xAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "推送到", type: "bar", data: data.branches.map(function (b) { return b.reached; }) },
        { name: "其中已学", type: "bar", data: data.branches.map(function (b) { return b.read; }) }
      ]
    });
    charts.push(chart2);
  } else if (bars) {
    bars.parentNode.removeChild(bars);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
}());
