// livingcircle portal: the one script. Pages work without it; it adds picking a starting
// point by clicking the map (the map's data-* attributes give its projection).
(function () {
  "use strict";
  function onMapClick(svg, ev) {
    var tpl = svg.getAttribute("data-click");
    if (!tpl) return;
    var pt = svg.createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    var ctm = svg.getScreenCTM();
    if (!ctm) return;
    var p = pt.matrixTransform(ctm.inverse());
    var minLon = parseFloat(svg.getAttribute("data-min-lon"));
    var maxLat = parseFloat(svg.getAttribute("data-max-lat"));
    var kx = parseFloat(svg.getAttribute("data-kx"));
    var ky = parseFloat(svg.getAttribute("data-ky"));
    var lon = (minLon + p.x / kx).toFixed(6);
    var lat = (maxLat - p.y / ky).toFixed(6);
    window.location.href = tpl.replace("{lon}", lon).replace("{lat}", lat);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var maps = document.querySelectorAll("svg[data-click]");
    for (var i = 0; i < maps.length; i++) {
      (function (svg) {
        svg.addEventListener("click", function (ev) { onMapClick(svg, ev); });
      })(maps[i]);
    }
  });
})();
