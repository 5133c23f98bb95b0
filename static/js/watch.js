// The viewer's page /watch/{show_id} (also framed by static/embed.js with ?embed=1): the show's state
// (upcoming, live, off air, ended) from the room's snapshot and `show` events, and the wiring of the video,
// the product card, buying and chat. The socket is reopened as the new viewer after a sign-up.
import { api, formatPrice, idempotencyKey, rememberToken } from "/static/js/api.js";
import { connectRoom } from "/static/js/room.js";
import { createCard } from "/static/js/watch-card.js";
import { createChat } from "/static/js/watch-chat.js";
import { calendarLink, everySecond, formatLeft } from "/static/js/watch-time.js";
import { createPlayer } from "/static/js/watch-video.js";
import { createCheckout } from "/static/js/checkout.js";
import { createProductSheet } from "/static/js/watch-product.js";
import { createSignIn } from "/static/js/watch-signin.js";
import { SERVER } from "/static/js/events.js";

const root = document;
const $ = (id) => root.getElementById(id);
const showId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const BADGE = { scheduled: "Upcoming", live: "LIVE", paused: "Off air", ended: "Ended" };
const VIDEO_TEXT = { connecting: "Connecting to the video…", retrying: "Reconnecting to the video…",
  waiting: "Waiting for the host's camera…" };

if (new URLSearchParams(location.search).get("embed") === "1") document.body.classList.add("embed");

let show = null; // the show as GET /api/shows/{id} and the room's `show` events describe it
let user = null;
let room = null;
let joined = null; // resolves on the current socket's first snapshot
let stopCountdown = () => {};
let videoStatus = "connecting";

const player = createPlayer(showId, {
  video: root.getElementById("player"), unmute: $("unmute"),
  onStatus: (status) => { videoStatus = status; renderScreens(); },
});

const identity = {
  user: () => user,
  showLive: () => Boolean(show && show.state === "live"),
  newKey: idempotencyKey,
  // Sign up (or complete) the viewer, then reopen the room so the server sees who is asking.
  async register(body) {
    const path = user && user.role === "viewer" ? ["PATCH", "/api/viewers/me"] : ["POST", "/api/viewers"];
    const { viewer } = await api(...path, body);
    user = viewer;
    await connect();
  },
  async saveLogin(email, password) {
    const { viewer } = await api("PUT", "/api/viewers/me/credentials", { email, password });
    user = viewer;
    signIn.refresh(user);
  },
  async signedIn(account) {
    user = account;
    signIn.refresh(user);
    checkout.refresh();
    await connect();
  },
};

const card = createCard(root, { onChange: (changed) => (changed ? checkout.cardChanged() : checkout.refresh()) });
const checkout = createCheckout(root, { showId, card, identity });
const chat = createChat(root, { identity, emit: (event, payload) => room.emit(event, payload) });
const signIn = createSignIn(root, { identity });
const sheet = createProductSheet(root);
$("card-details").addEventListener("click", () => card.current() && sheet.open(card.current()).catch(() => {}));

// A merchant's answer to a problem the buyer reported (a refund, a decline) arrives with the order.
function orderNotice(order) {
  if (!order.issue) return;
  const notice = $("order-notice");
  const refund = order.refunded_cents ? `Refunded ${formatPrice(order.refunded_cents, order.currency)}. ` : "";
  notice.textContent = `${refund}Your problem report is ${order.issue.state}.`;
  notice.hidden = false;
}

function renderScreens() {
  const state = show ? show.state : "";
  const paused = state === "live" && Boolean(show.paused);
  const picture = player.hasPicture() || videoStatus === "playing";
  $("upcoming").hidden = state !== "scheduled";
  $("ended").hidden = state !== "ended";
  $("paused").hidden = !paused;
  $("connecting").hidden = state !== "live" || paused || picture;
  $("video-status").textContent = VIDEO_TEXT[videoStatus] || VIDEO_TEXT.waiting;
  $("unmute").hidden = state !== "live";
  const badge = $("show-state");
  const key = paused ? "paused" : state;
  badge.dataset.state = key;
  badge.textContent = BADGE[key] || "…";
}

function renderUpcoming() {
  stopCountdown();
  if (show.state !== "scheduled") return;
  const starts = new Date(show.starts_at);
  $("upcoming-title").textContent = show.title;
  $("starts-at").textContent = starts.toLocaleString(undefined, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  stopCountdown = everySecond(() => {
    const left = formatLeft(starts);
    $("countdown").textContent = left ? `Starts in ${left}` : "Starting any moment";
  });
  const watchUrl = `${location.origin}/watch/${encodeURIComponent(show.id)}`;
  const link = $("calendar-link");
  link.href = calendarLink(show, watchUrl);
  link.download = `${show.title.replace(/[^\w-]+/g, "-").slice(0, 60) || "show"}.ics`;
  $("calendar-feed").href = `/merchants/${encodeURIComponent(show.merchant_id)}/shows.ics`;
  $("calendar-feed").textContent = `Follow all shows from ${show.merchant_name || "this shop"}`;
}

function applyShow(next) {
  const before = show && show.state;
  show = { ...show, ...next };
  document.title = `${show.title} · Live shopping`;
  $("show-title").textContent = show.title;
  $("show-host").textContent = show.host ? `with ${show.host.display_name}` : "";
  if (before !== show.state) renderUpcoming();
  player.setWanted(show.state === "live");
  renderScreens();
  checkout.refresh();
}

function setViewers(count) {
  $("viewer-count").textContent = String(count);
}

function connect() {
  if (room) room.socket.disconnect();
  let ready;
  joined = new Promise((resolve) => { ready = resolve; });
  room = connectRoom(showId, {
    onSnapshot(snapshot) {
      document.body.dataset.room = "joined";
      applyShow(snapshot.show);
      card.setLineup(snapshot.offers, snapshot.stock);
      card.setCard(snapshot.card);
      setViewers(snapshot.viewers);
      chat.reset(snapshot.chat);
      chat.answering(snapshot.answering || null);
      ready();
    },
    onStatus(status, error) {
      document.body.dataset.room = status;
      if (status === "error" && error && error.code === "banned") chat.moderated("ban");
      if (status === "error") ready();
    },
    on: {
      [SERVER.SHOW]: ({ show: next }) => applyShow(next),
      [SERVER.CARD]: ({ card: next }) => card.setCard(next),
      [SERVER.STOCK]: ({ stock }) => card.setStock(stock),
      [SERVER.VIEWERS]: ({ count }) => setViewers(count),
      [SERVER.CHAT]: ({ message }) => chat.add(message),
      [SERVER.CHAT_REMOVED]: ({ message_id: id }) => chat.remove(id),
      [SERVER.REACTIONS]: ({ counts }) => chat.reactions(counts),
      [SERVER.ORDER]: ({ order }) => { checkout.onOrder(order); orderNotice(order); },
      [SERVER.ANSWERING]: ({ message }) => chat.answering(message),
      [SERVER.MODERATED]: ({ action }) => chat.moderated(action),
    },
  });
  return joined;
}

function setupLineupToggle() {
  const toggle = root.querySelector(".lineup-toggle");
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.closest(".lineup-panel").classList.toggle("open", open);
  });
}

// Who is watching. A dead token (expired, or from another secret) would make the room refuse the socket, so
// it is dropped and the page watches anonymously.
async function whoAmI() {
  try {
    return await api("GET", "/api/me");
  } catch (error) {
    if (error.status !== 401) throw error;
    if (["token_expired", "invalid_token"].includes(error.code)) {
      rememberToken(null);
      await api("DELETE", "/api/sessions");
    }
    return null;
  }
}

async function main() {
  setupLineupToggle();
  let info;
  try {
    user = await whoAmI(); // first: a dead cookie fails every request, the public ones too
    signIn.refresh(user);
    info = await api("GET", `/api/shows/${encodeURIComponent(showId)}`);
  } catch (error) {
    const text = error.status === 404 ? "Show not found" : "The show cannot be loaded";
    $("show-title").textContent = text;
    $("missing").querySelector(".big").textContent = text;
    $("missing").querySelector(".muted-light").textContent =
      error.status === 404 ? "Check the link you were given." : error.message;
    $("missing").hidden = false;
    return;
  }
  const { offers, ...rest } = info;
  card.setLineup(offers, Object.fromEntries(offers.map((o) => [o.id, o.remaining])));
  applyShow(rest);
  connect();
}

main();
