// The product page is rendered on the server (link previews run no script); this keeps the visitor's
// attribution (attribution.js, on import) and turns the upcoming show's start into a live countdown.
import "/static/js/attribution.js";
import { everySecond, formatLeft } from "/static/js/watch-time.js";

for (const node of document.querySelectorAll("time[data-countdown]")) {
  const starts = new Date(node.getAttribute("datetime"));
  everySecond(() => { node.textContent = formatLeft(starts) || "a moment"; });
}
