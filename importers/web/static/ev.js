// ev-import serve: draw each chart whose data the page put in a
// <script type="application/json" data-plot="ID"> block into the element ID.
// Data is parsed as JSON (never evaluated) and every string in it was escaped by the server.
// Navigation never depends on this script: every view is a plain link or GET form.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var blocks = document.querySelectorAll('script[type="application/json"][data-plot]');
  blocks.forEach(function (block) {
    var target = document.getElementById(block.getAttribute("data-plot"));
    if (!target || typeof Plotly === "undefined") { return; }
    var fig = JSON.parse(block.textContent);
    Plotly.newPlot(target, fig.data, fig.layout, {
      responsive: true, displaylogo: false, showLink: false, showSendToCloud: false,
      showEditInChartStudio: false, modeBarButtonsToRemove: ["sendDataToCloud"]
    }).then(function () { target.setAttribute("data-drawn", "1"); });
  });
});
