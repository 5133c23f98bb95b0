// The show's live room over socket.io (protocol: README "Live room (socket.io)"). Joins on every (re)connect
// and hands the snapshot to onSnapshot, so a page never shows stale state after a network blip.
import { io } from "/static/vendor/socket.io/socket.io.esm.min.js";
import { storedToken } from "/static/js/api.js";
import { attribution } from "/static/js/attribution.js";
import { CLIENT } from "/static/js/events.js";

export class RoomError extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.code;
    this.details = error;
  }
}

// A random id this browser keeps: an anonymous watcher who reloads the page is still one viewer.
function deviceId() {
  try {
    let id = localStorage.getItem("live_device");
    if (!id) {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      localStorage.setItem("live_device", id);
    }
    return id;
  } catch {
    return undefined; // storage blocked (some embedded frames): counted once per address
  }
}

// connectRoom(showId, {onSnapshot, on: {card(payload) {...}, chat(payload) {...}}, name})
export function connectRoom(showId, { onSnapshot, on = {}, name, onStatus } = {}) {
  const token = storedToken();
  const device_id = deviceId();
  const auth = { ...(token ? { token } : name ? { name } : {}), ...(device_id ? { device_id } : {}) };
  const socket = io({ auth, transports: ["websocket", "polling"] });
  for (const [event, handler] of Object.entries(on)) socket.on(event, handler);

  const emit = (event, payload) => new Promise((resolve, reject) => {
    socket.timeout(10000).emit(event, { show_id: showId, ...payload }, (timeoutError, answer) => {
      if (timeoutError) reject(new RoomError({ code: "timeout", message: "The server did not answer in time." }));
      else if (answer && answer.error) reject(new RoomError(answer.error));
      else resolve(answer);
    });
  });

  socket.on("connect", async () => {
    if (onStatus) onStatus("connected");
    try {
      const snapshot = await emit(CLIENT.JOIN, { ...attribution(), ...(device_id ? { device_id } : {}) });
      if (onSnapshot) onSnapshot(snapshot);
    } catch (error) {
      if (onStatus) onStatus("error", error);
    }
  });
  socket.on("disconnect", () => onStatus && onStatus("reconnecting"));
  socket.on("connect_error", () => onStatus && onStatus("reconnecting"));
  return { socket, emit };
}
