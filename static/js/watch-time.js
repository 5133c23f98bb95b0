// Countdowns (show start, flash deals) and the per-show calendar file: small pure helpers for the watch page.

// "2d 4h", "1h 02m 09s", "4:05": the time left until `target` (a Date), or "" once it passed.
export function formatLeft(target, now = Date.now()) {
  const total = Math.max(0, Math.floor((target.getTime() - now) / 1000));
  if (total <= 0) return "";
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (days) return `${days}d ${hours}h`;
  if (hours) return `${hours}h ${pad(minutes)}m ${pad(seconds)}s`;
  return `${minutes}:${pad(seconds)}`;
}

// Calls tick() now and every second until the returned function stops it.
export function everySecond(tick) {
  tick();
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
}

function icsText(value) {
  return String(value).replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\r?\n/g, "\\n");
}

function icsDate(date) {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

// A one-event calendar file as a data: link (the merchant's feed lists all their shows; this adds just this
// one). The UID matches the feed's, so a calendar holding both keeps one event.
export function calendarLink(show, watchUrl) {
  const starts = new Date(show.starts_at);
  const ends = new Date(starts.getTime() + 3600 * 1000);
  const lines = [
    "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//live-shopping//watch//EN", "BEGIN:VEVENT",
    `UID:${show.id}@live-shopping`, `DTSTAMP:${icsDate(new Date())}`, `DTSTART:${icsDate(starts)}`,
    `DTEND:${icsDate(ends)}`, `SUMMARY:${icsText(show.title)}`, `URL:${watchUrl}`,
    `DESCRIPTION:${icsText(`Live shopping with ${show.host.display_name}. Watch: ${watchUrl}`)}`,
    "BEGIN:VALARM", "ACTION:DISPLAY", `DESCRIPTION:${icsText(`${show.title} starts in 10 minutes`)}`,
    "TRIGGER:-PT10M", "END:VALARM", "END:VEVENT", "END:VCALENDAR", "",
  ];
  return `data:text/calendar;charset=utf-8,${encodeURIComponent(lines.join("\r\n"))}`;
}
