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
// Spot-check announcements: the seed secret's SHA-256 commitment is computed here (WebCrypto,
// available on https and localhost), and the secret itself is not sent. Elsewhere the server
// computes it from the secret and keeps nothing.
(function () {
  "use strict";
  function hex(buf) {
    var b = new Uint8Array(buf), s = "";
    for (var i = 0; i < b.length; i++) s += ("0" + b[i].toString(16)).slice(-2);
    return s;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-commit]");
    for (var i = 0; i < forms.length; i++) {
      (function (form) {
        if (!(window.crypto && window.crypto.subtle && window.TextEncoder)) return;
        var done = false;
        form.addEventListener("submit", function (ev) {
          if (done) return;
          var secret = form.querySelector("[data-secret]");
          var out = form.querySelector("input[name=seed_commitment]");
          if (!secret || !out || !secret.value.trim()) return;
          ev.preventDefault();
          window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret.value.trim())).then(function (d) {
            out.value = hex(d);
            secret.removeAttribute("name");
            done = true;
            form.submit();
          });
        });
      })(forms[i]);
    }
  });
})();
// A running job's page reloads itself (data-poll, milliseconds) until the job ends.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-poll]");
    if (!el) return;
    var ms = parseInt(el.getAttribute("data-poll"), 10) || 2000;
    window.setTimeout(function () { window.location.reload(); }, ms);
  });
})();
