// The embeddable player for a merchant's own site:
//   <script src="https://live.example/embed.js" data-show="SHOW_ID" async></script>
// inserts an iframe of the watch page (/watch/SHOW_ID?embed=1) where the script tag is. The server is the
// script's own origin. Options: data-height="640" (else a responsive 9:16 box), data-width (max width,
// default 420px), data-title (the frame's accessible name). The server must list the site's origin in
// LIVE_EMBED_ALLOWED_ORIGINS (the watch page's frame-ancestors).
(function () {
  "use strict";

  function scripts() {
    if (document.currentScript) return [document.currentScript];
    return Array.prototype.filter.call(document.querySelectorAll("script[data-show]"),
      function (s) { return /\/embed\.js(\?|#|$)/.test(s.src); });
  }

  function embed(script) {
    var showId = script.getAttribute("data-show");
    if (!showId || script.getAttribute("data-embedded")) return;
    script.setAttribute("data-embedded", "1");
    var origin = new URL(script.src, location.href).origin;
    var height = parseInt(script.getAttribute("data-height") || "", 10);
    var box = document.createElement("div");
    box.className = "live-shopping-embed";
    box.style.cssText = "position:relative;width:100%;max-width:" + (script.getAttribute("data-width") || "420px") +
      ";" + (height > 0 ? "height:" + height + "px;" : "aspect-ratio:9/16;") +
      "border-radius:12px;overflow:hidden;background:#000;";
    var frame = document.createElement("iframe");
    frame.src = origin + "/watch/" + encodeURIComponent(showId) + "?embed=1";
    frame.title = script.getAttribute("data-title") || "Live shopping show";
    frame.setAttribute("allow", "autoplay; fullscreen");
    frame.setAttribute("allowfullscreen", "");
    frame.style.cssText = "position:absolute;inset:0;width:100%;height:100%;border:0;";
    box.appendChild(frame);
    script.parentNode.insertBefore(box, script);
  }

  scripts().forEach(embed);
})();
