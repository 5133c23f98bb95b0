// The host studio /studio/<show id>: sign in (host or the show's merchant), then the camera, the lineup with
// live counters, the orders ticker and the moderated chat, all kept current by the show's socket room.
import { api, ApiError } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { logout, requireLogin } from "/static/js/login.js";
import { connectRoom } from "/static/js/room.js";
import { createStudioChat } from "/static/js/studio-chat.js";
import { createBroadcast, CONNECTION_WORDS } from "/static/js/studio-media.js";
import { createLineup } from "/static/js/studio-lineup.js";
import { createOrdersTicker } from "/static/js/studio-orders.js";
import { createQuestionQueue } from "/static/js/studio-questions.js";
import { SERVER } from "/static/js/events.js";

const app = document.getElementById("app");
const showId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");

function message(title, text) {
  app.replaceChildren(el("section", { class: "card login" },
    el("h1", { text: title }), el("p", { text }),
    el("button", { type: "button", text: "Sign in as someone else", onclick: () => logout() })));
}

const STAFF_ROLES = ["host", "merchant"];
const ROOM_EVENTS = [SERVER.SHOW, SERVER.CARD, SERVER.STOCK, SERVER.VIEWERS, SERVER.CHAT, SERVER.CHAT_REMOVED,
  SERVER.STAFF_ORDERS, SERVER.OFFER_COUNTERS, SERVER.ANSWERING];

// Who is asking comes from the room's join snapshot (`you`), not from /api/me: an anonymous /api/me answers
// 401, which Chromium logs as a console error. After signing in, the socket reconnects with the new cookie.
async function boot() {
  let show;
  try {
    show = await api("GET", `/api/shows/${encodeURIComponent(showId)}`);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 422)) {
      message("Show not found", "There is no show at this address. Check the link in your dashboard.");
      return;
    }
    throw error;
  }
  let studio = null;
  let signingIn = false;
  const signIn = async () => {
    if (signingIn) return;
    signingIn = true;
    await requireLogin(app, STAFF_ROLES, { title: `Sign in to host “${show.title}”`, user: null });
    app.replaceChildren(loading());
    signingIn = false;
    room.socket.disconnect().connect();
  };
  const room = connectRoom(show.id, {
    onSnapshot: (snapshot) => {
      if (studio) studio.snapshot(snapshot);
      else if (snapshot.you.staff) studio = createStudio(show, room, snapshot);
      else if (STAFF_ROLES.includes(snapshot.you.role)) notYours(show);
      else signIn();
    },
    onStatus: (status, error) => {
      if (studio) studio.roomStatus(status, error);
      else if (status === "error") signIn(); // e.g. a viewer's cookie banned from this show
    },
    on: Object.fromEntries(ROOM_EVENTS.map((event) => [event, (payload) => studio && studio.on[event](payload)])),
  });
}

function loading() {
  return el("p", { class: "muted", role: "status", text: "Opening the studio…" });
}

function notYours(show) {
  message("Not your show", `“${show.title}” is hosted by ${show.host.display_name}. Only its host and its merchant can open this studio.`);
}

// The studio once the room said who is asking is staff: a handle with `snapshot`, `roomStatus` and `on`
// (the room's events).
function createStudio(show, room, firstSnapshot) {
  app.className = "studio";
  app.replaceChildren(document.getElementById("studio-template").content.cloneNode(true));
  const byId = (id) => document.getElementById(id);
  document.title = `Studio · ${show.title}`;
  byId("show-title").textContent = show.title;
  const [errorBox, goLiveButton, endButton, endDialog] = ["studio-error", "go-live", "end-show", "end-dialog"].map(byId);
  const [viewerCount, pill, chatInput, chatSend, slowMode] =
    ["viewer-count", "show-state", "chat-input", "chat-send", "slow-mode"].map(byId);
  let state = show.state;
  const error = (text) => { errorBox.textContent = text; };
  const act = (event, payload) => room.emit(event, payload);
  const lineup = createLineup(byId("lineup"), byId("unpin"), {
    act, onTotals: ({ sold }) => { byId("total-sold").textContent = String(sold); },
  });
  const orders = createOrdersTicker(byId("orders"), byId("orders-empty"), (offerId) => lineup.title(offerId));
  const chat = createStudioChat({
    list: byId("chat-list"), form: byId("chat-form"), input: chatInput, slowSelect: slowMode, act, onError: error,
  });
  const questions = createQuestionQueue(byId("question-queue"), byId("questions-empty"), act);
  const broadcast = createBroadcast({
    video: byId("preview"), cameraSelect: byId("camera"), micSelect: byId("microphone"),
    onState: connectionState, onBitrate: bitrate, onError: error,
  });

  function updateButtons() {
    const publishing = broadcast.wanted;
    goLiveButton.disabled = state === "ended" || publishing || !broadcast.stream;
    let label = state === "live" ? "Resume video" : "Go live";
    if (publishing) label = "On air";
    if (state === "ended") label = "Show ended";
    goLiveButton.textContent = label;
    endButton.disabled = state === "ended";
    for (const control of [chatInput, chatSend, slowMode]) control.disabled = state === "ended";
  }

  function setState(next) {
    state = next;
    pill.dataset.state = next;
    pill.textContent = next;
    lineup.setShowState(next);
    if (next === "ended" && broadcast.wanted) broadcast.stop();
    updateButtons();
  }

  function connectionState(connection) {
    const box = byId("connection-state");
    box.dataset.state = connection;
    box.textContent = CONNECTION_WORDS[connection] || connection;
    byId("video-help").textContent = connection === "connected"
      ? "Viewers see this picture now." : "Viewers see this picture once you go live.";
    updateButtons();
  }

  function bitrate(kbps) {
    const box = byId("bitrate");
    box.dataset.kbps = String(kbps);
    box.textContent = `${kbps} kbit/s`;
  }

  async function goLive() {
    error("");
    goLiveButton.disabled = true;
    try {
      if (state === "scheduled") {
        const started = await api("POST", `/api/shows/${encodeURIComponent(show.id)}/start`);
        setState(started.state);
      }
      await broadcast.goLive(`/api/shows/${encodeURIComponent(show.id)}/whip`);
    } catch (caught) {
      error(`Could not go live: ${caught.message}`);
    } finally {
      updateButtons();
    }
  }

  async function endShow() {
    endButton.disabled = true;
    await broadcast.stop();
    try {
      const ended = await api("POST", `/api/shows/${encodeURIComponent(show.id)}/end`);
      setState(ended.state);
    } catch (caught) {
      error(`Could not end the show: ${caught.message}`);
      updateButtons();
    }
  }

  function snapshot(current) {
    lineup.setOffers(current.offers);
    lineup.setCard(current.card);
    lineup.setRemaining(current.stock);
    if (current.staff) {
      lineup.setCounters(current.staff.counters);
      orders.setAll(current.staff.orders);
    }
    chat.setAll(current.chat);
    questions.setAll(current.chat);
    questions.setAnswering(current.answering || null);
    chat.setSlowMode(current.show.slow_mode_seconds);
    viewerCount.textContent = String(current.viewers);
    setState(current.show.state);
  }

  async function startCamera() {
    const ready = await broadcast.startPreview();
    const note = byId("preview-note");
    note.hidden = ready;
    if (!ready) note.textContent = "No camera";
    updateButtons();
  }

  goLiveButton.addEventListener("click", () => goLive());
  endButton.addEventListener("click", () => endDialog.showModal());
  endDialog.addEventListener("close", () => {
    if (endDialog.returnValue === "end") endShow();
  });
  byId("sign-out").addEventListener("click", () => logout());
  window.addEventListener("beforeunload", (event) => {
    if (broadcast.wanted) event.preventDefault(); // leaving would take the show off air
  });
  snapshot(firstSnapshot);
  startCamera();

  return {
    snapshot,
    roomStatus(status, problem) {
      if (status === "reconnecting") error("Reconnecting to the show room…");
      else if (status === "error") error(`The show room refused: ${problem.message}`);
      else error("");
    },
    on: {
      [SERVER.SHOW]: ({ show: changed }) => {
        setState(changed.state);
        chat.setSlowMode(changed.slow_mode_seconds);
      },
      [SERVER.CARD]: ({ card }) => lineup.setCard(card),
      [SERVER.STOCK]: ({ stock }) => lineup.setRemaining(stock),
      [SERVER.VIEWERS]: ({ count }) => { viewerCount.textContent = String(count); },
      [SERVER.CHAT]: ({ message: posted }) => { chat.add(posted); questions.add(posted); },
      [SERVER.CHAT_REMOVED]: ({ message_id: id }) => { chat.remove(id); questions.remove(id); },
      [SERVER.ANSWERING]: ({ message: answering }) => questions.setAnswering(answering),
      [SERVER.STAFF_ORDERS]: ({ orders: changed }) => changed.forEach((order) => orders.update(order)),
      [SERVER.OFFER_COUNTERS]: ({ offers }) => lineup.setCounters(offers),
    },
  };
}

boot().catch((error) => {
  message("Something went wrong", `The studio could not load (${error.message}). Reload the page to try again.`);
});
