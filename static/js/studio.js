// The host studio /studio/<show id>: sign in (host or the show's merchant), then the camera, the lineup with
// live counters, the orders ticker and the moderated chat, all kept current by the show's socket room.
import { api, ApiError } from "/static/js/api.js";
import { logout, requireLogin } from "/static/js/login.js";
import { connectRoom } from "/static/js/room.js";
import { StudioChat } from "/static/js/studio-chat.js";
import { Broadcast, CONNECTION_WORDS } from "/static/js/studio-media.js";
import { Lineup } from "/static/js/studio-lineup.js";
import { OrdersTicker } from "/static/js/studio-orders.js";
import { QuestionQueue } from "/static/js/studio-questions.js";

const app = document.getElementById("app");
const showId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");

function message(title, text) {
  const box = document.createElement("section");
  box.className = "card login";
  const h1 = document.createElement("h1");
  h1.textContent = title;
  const p = document.createElement("p");
  p.textContent = text;
  const out = document.createElement("button");
  out.type = "button";
  out.textContent = "Sign in as someone else";
  out.addEventListener("click", () => logout());
  box.append(h1, p, out);
  app.replaceChildren(box);
}

const STAFF_ROLES = ["host", "merchant"];
const ROOM_EVENTS = ["show", "card", "stock", "viewers", "chat", "chat_removed", "staff_orders", "offer_counters",
  "answering"];

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
      else if (snapshot.you.staff) studio = new Studio(show, room, snapshot);
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
  const p = document.createElement("p");
  p.className = "muted";
  p.setAttribute("role", "status");
  p.textContent = "Opening the studio…";
  return p;
}

function notYours(show) {
  message("Not your show", `“${show.title}” is hosted by ${show.host.display_name}. Only its host and its merchant can open this studio.`);
}

class Studio {
  constructor(show, room, snapshot) {
    app.className = "studio";
    app.replaceChildren(document.getElementById("studio-template").content.cloneNode(true));
    this.show = show;
    this.room = room;
    this.state = show.state;
    this.$ = (selector) => app.querySelector(selector);
    document.title = `Studio · ${show.title}`;
    this.$("#show-title").textContent = show.title;
    this.errorBox = this.$("#studio-error");
    this.goLiveButton = this.$("[data-testid=go-live]");
    this.endButton = this.$("[data-testid=end-show]");
    const act = (event, payload) => this.room.emit(event, payload);
    const onError = (text) => this.error(text);
    this.lineup = new Lineup(this.$("#lineup"), this.$("#unpin"), {
      act, onTotals: ({ sold }) => { this.$("#total-sold").textContent = String(sold); },
    });
    this.orders = new OrdersTicker(this.$("[data-testid=orders]"), this.$("#orders-empty"),
      (offerId) => this.lineup.title(offerId));
    this.chat = new StudioChat({
      list: this.$("[data-testid=chat-list]"), form: this.$("#chat-form"), input: this.$("#chat-input"),
      slowSelect: this.$("#slow-mode"), act, onError,
    });
    this.questions = new QuestionQueue(this.$("[data-testid=question-queue]"), this.$("#questions-empty"), act);
    this.broadcast = new Broadcast({
      video: this.$("#preview"), cameraSelect: this.$("#camera"), micSelect: this.$("#microphone"),
      onState: (state) => this.connectionState(state), onBitrate: (kbps) => this.bitrate(kbps), onError,
    });
    this.goLiveButton.addEventListener("click", () => this.goLive());
    this.endButton.addEventListener("click", () => this.$("#end-dialog").showModal());
    this.$("#end-dialog").addEventListener("close", () => {
      if (this.$("#end-dialog").returnValue === "end") this.endShow();
    });
    this.$("#sign-out").addEventListener("click", () => logout());
    window.addEventListener("beforeunload", (event) => {
      if (this.broadcast.wanted) event.preventDefault(); // leaving would take the show off air
    });
    this.on = {
      show: ({ show: changed }) => {
        this.setState(changed.state);
        this.chat.setSlowMode(changed.slow_mode_seconds);
      },
      card: ({ card }) => this.lineup.setCard(card),
      stock: ({ stock }) => this.lineup.setRemaining(stock),
      viewers: ({ count }) => { this.$("[data-testid=viewer-count]").textContent = String(count); },
      chat: ({ message: posted }) => { this.chat.add(posted); this.questions.add(posted); },
      chat_removed: ({ message_id: id }) => { this.chat.remove(id); this.questions.remove(id); },
      answering: ({ message: answering }) => this.questions.setAnswering(answering),
      staff_orders: ({ orders }) => orders.forEach((order) => this.orders.update(order)),
      offer_counters: ({ offers }) => this.lineup.setCounters(offers),
    };
    this.snapshot(snapshot);
    this.startCamera();
  }

  roomStatus(status, error) {
    if (status === "reconnecting") this.error("Reconnecting to the show room…");
    else if (status === "error") this.error(`The show room refused: ${error.message}`);
    else this.error("");
  }

  async startCamera() {
    const ready = await this.broadcast.startPreview();
    this.$("#preview-note").hidden = ready;
    if (!ready) this.$("#preview-note").textContent = "No camera";
    this.updateButtons();
  }

  snapshot(snapshot) {
    this.lineup.setOffers(snapshot.offers);
    this.lineup.setCard(snapshot.card);
    this.lineup.setRemaining(snapshot.stock);
    if (snapshot.staff) {
      this.lineup.setCounters(snapshot.staff.counters);
      this.orders.setAll(snapshot.staff.orders);
    }
    this.chat.setAll(snapshot.chat);
    this.questions.setAll(snapshot.chat);
    this.questions.setAnswering(snapshot.answering || null);
    this.chat.setSlowMode(snapshot.show.slow_mode_seconds);
    this.$("[data-testid=viewer-count]").textContent = String(snapshot.viewers);
    this.setState(snapshot.show.state);
  }

  setState(state) {
    this.state = state;
    const pill = this.$("[data-testid=show-state]");
    pill.dataset.state = state;
    pill.textContent = state;
    this.lineup.setShowState(state);
    if (state === "ended" && this.broadcast.wanted) this.broadcast.stop();
    this.updateButtons();
  }

  updateButtons() {
    const publishing = this.broadcast.wanted;
    this.goLiveButton.disabled = this.state === "ended" || publishing || !this.broadcast.stream;
    let label = this.state === "live" ? "Resume video" : "Go live";
    if (publishing) label = "On air";
    if (this.state === "ended") label = "Show ended";
    this.goLiveButton.textContent = label;
    this.endButton.disabled = this.state === "ended";
    this.$("#chat-input").disabled = this.state === "ended";
    this.$("[data-testid=chat-send]").disabled = this.state === "ended";
    this.$("#slow-mode").disabled = this.state === "ended";
  }

  async goLive() {
    this.error("");
    this.goLiveButton.disabled = true;
    try {
      if (this.state === "scheduled") {
        const show = await api("POST", `/api/shows/${encodeURIComponent(this.show.id)}/start`);
        this.setState(show.state);
      }
      await this.broadcast.goLive(`/api/shows/${encodeURIComponent(this.show.id)}/whip`);
    } catch (error) {
      this.error(`Could not go live: ${error.message}`);
    } finally {
      this.updateButtons();
    }
  }

  async endShow() {
    this.endButton.disabled = true;
    await this.broadcast.stop();
    try {
      const show = await api("POST", `/api/shows/${encodeURIComponent(this.show.id)}/end`);
      this.setState(show.state);
    } catch (error) {
      this.error(`Could not end the show: ${error.message}`);
      this.updateButtons();
    }
  }

  connectionState(state) {
    const box = this.$("[data-testid=connection-state]");
    box.dataset.state = state;
    box.textContent = CONNECTION_WORDS[state] || state;
    this.$("#video-help").textContent = state === "connected"
      ? "Viewers see this picture now." : "Viewers see this picture once you go live.";
    this.updateButtons();
  }

  bitrate(kbps) {
    const box = this.$("[data-testid=bitrate]");
    box.dataset.kbps = String(kbps);
    box.textContent = `${kbps} kbit/s`;
  }

  error(text) {
    this.errorBox.textContent = text;
  }
}

boot().catch((error) => {
  message("Something went wrong", `The studio could not load (${error.message}). Reload the page to try again.`);
});
