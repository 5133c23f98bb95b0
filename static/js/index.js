// Lists the public shows (GET /api/shows) with a link to each one's watch page.
const list = document.getElementById("shows");
const response = await fetch("/api/shows");
const { shows } = await response.json();
if (shows.length === 0) {
  list.innerHTML = "<li>No shows are scheduled.</li>";
}
for (const show of shows) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `/watch/${show.id}`;
  link.textContent = show.title;
  const when = document.createElement("span");
  when.className = "muted";
  when.textContent = show.state === "live" ? " · live now" : ` · ${new Date(show.starts_at).toLocaleString()}`;
  item.append(link, when);
  list.append(item);
}
