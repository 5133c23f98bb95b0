// The host's camera and microphone: preview, device pickers, WHIP publishing with automatic re-publish
// (with backoff) while the show should be on air, and the outgoing bitrate from getStats().
import { publish } from "/static/js/media.js";

const STATS_INTERVAL_MS = 1000;
const RETRY_MS = [1000, 2000, 4000, 8000, 15000];
const UNSTABLE_GRACE_MS = 5000; // "disconnected" often heals by itself; re-publish only if it lasts

export const CONNECTION_WORDS = {
  idle: "Off air", new: "Starting", connecting: "Connecting…", connected: "Live: sending video",
  disconnected: "Unstable: waiting", failed: "Lost: reconnecting", closed: "Off air",
};

export class Broadcast {
  // onState(state), onBitrate(kbps), onError(message)
  constructor({ video, cameraSelect, micSelect, onState, onBitrate, onError }) {
    Object.assign(this, { video, cameraSelect, micSelect, onState, onBitrate, onError });
    this.stream = null;
    this.session = null;
    this.url = null;
    this.wanted = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.unstableTimer = null;
    this.lastBytes = null;
    this.statsTimer = setInterval(() => this.sampleBitrate(), STATS_INTERVAL_MS);
    cameraSelect.addEventListener("change", () => this.switchDevice("video", cameraSelect.value));
    micSelect.addEventListener("change", () => this.switchDevice("audio", micSelect.value));
  }

  get live() {
    return this.session !== null;
  }

  // Ask for the camera and microphone; the pickers fill in once permission gives the devices their names.
  async startPreview() {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: true,
      });
    } catch (error) {
      this.onError(`The camera or microphone is not available (${error.name}). Allow access and reload.`);
      return false;
    }
    this.video.srcObject = this.stream;
    this.video.play().catch(() => { /* autoplay refused: the picture starts on the next interaction */ });
    await this.listDevices();
    navigator.mediaDevices.addEventListener("devicechange", () => this.listDevices());
    return true;
  }

  async listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    fill(this.cameraSelect, devices.filter((d) => d.kind === "videoinput"), this.currentId("video"), "Camera");
    fill(this.micSelect, devices.filter((d) => d.kind === "audioinput"), this.currentId("audio"), "Microphone");
  }

  currentId(kind) {
    const track = this.stream && this.stream.getTracks().find((t) => t.kind === kind);
    return track ? track.getSettings().deviceId : null;
  }

  // A new track from the chosen device replaces the old one in the preview and, while live, in the sender.
  async switchDevice(kind, deviceId) {
    if (!this.stream || deviceId === this.currentId(kind)) return;
    let fresh;
    try {
      const constraints = { deviceId: { exact: deviceId } };
      const media = await navigator.mediaDevices.getUserMedia(kind === "video" ? { video: constraints } : { audio: constraints });
      [fresh] = media.getTracks();
    } catch (error) {
      this.onError(`That device cannot be used (${error.name}).`);
      return;
    }
    const old = this.stream.getTracks().find((t) => t.kind === kind);
    if (this.session) {
      const sender = this.session.pc.getSenders().find((s) => s.track && s.track.kind === kind);
      if (sender) await sender.replaceTrack(fresh);
    }
    if (old) {
      this.stream.removeTrack(old);
      old.stop();
    }
    this.stream.addTrack(fresh);
  }

  // Publish to the show (it must be live already). Resolves once the answer is applied; a refusal (another
  // device is publishing, the show ended) is thrown, not retried: only a session that dropped is re-published.
  async goLive(url) {
    this.url = url;
    this.wanted = true;
    this.attempt = 0;
    try {
      await this.connect(false);
    } catch (error) {
      this.wanted = false;
      this.onState("idle");
      throw error;
    }
  }

  async connect(retrying = true) {
    clearTimeout(this.retryTimer);
    if (!this.wanted) return;
    this.onState("connecting");
    try {
      const session = await publish(this.url, this.stream);
      if (!this.wanted) {
        await hangUp(session);
        return;
      }
      this.session = session;
      this.lastBytes = null;
      session.pc.addEventListener("connectionstatechange", () => this.connectionChanged(session));
      // The server hanging up (a DTLS close) may leave connectionState "connected" until ICE times out.
      const dtls = session.pc.getSenders().map((s) => s.transport).find(Boolean);
      if (dtls) dtls.addEventListener("statechange", () => {
        if (session === this.session && ["closed", "failed"].includes(dtls.state)) this.republish();
      });
      this.onState(session.pc.connectionState);
    } catch (error) {
      if (!retrying) throw error;
      this.onError(`Could not restart the video: ${error.message}. Retrying…`);
      this.retry();
    }
  }

  connectionChanged(session) {
    if (session !== this.session) return; // an old session closing
    const state = session.pc.connectionState;
    this.onState(state);
    clearTimeout(this.unstableTimer);
    if (state === "connected") {
      this.attempt = 0;
      this.onError("");
    } else if (state === "failed") {
      this.republish();
    } else if (state === "disconnected") {
      this.unstableTimer = setTimeout(() => this.republish(), UNSTABLE_GRACE_MS);
    }
  }

  // The failed session is only closed here: the server drops a failed peer itself (a DELETE could 404).
  republish() {
    const old = this.session;
    this.session = null;
    if (old) old.pc.close();
    this.retry();
  }

  retry() {
    if (!this.wanted) return;
    const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt += 1;
    this.onState("failed");
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  // Hang up (DELETE the WHIP session); the preview keeps running.
  async stop() {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    clearTimeout(this.unstableTimer);
    const old = this.session;
    this.session = null;
    if (old) await hangUp(old);
    this.onState("idle");
    this.onBitrate(0);
  }

  async sampleBitrate() {
    const session = this.session;
    if (!session) return;
    let bytes = 0;
    const stats = await session.pc.getStats();
    stats.forEach((report) => {
      if (report.type === "outbound-rtp") bytes += report.bytesSent || 0;
    });
    const now = performance.now();
    if (this.lastBytes && session === this.session) {
      const seconds = (now - this.lastBytes.at) / 1000;
      this.onBitrate(Math.max(0, Math.round(((bytes - this.lastBytes.bytes) * 8) / 1000 / seconds)));
    }
    this.lastBytes = { bytes, at: now };
  }
}

// DELETE first, then close: closing first sends a DTLS close that can make the server drop the session before
// the DELETE arrives, whose 404 Chromium logs as a console error.
async function hangUp(session) {
  try {
    await fetch(session.location, { method: "DELETE" });
  } catch (_) { /* offline: the server drops the quiet session itself */ }
  session.pc.close();
}

function fill(select, devices, selectedId, noun) {
  const options = devices.map((device, i) => {
    const option = document.createElement("option");
    option.value = device.deviceId;
    option.textContent = device.label || `${noun} ${i + 1}`;
    option.selected = device.deviceId === selectedId;
    return option;
  });
  if (!options.length) {
    const none = document.createElement("option");
    none.textContent = `No ${noun.toLowerCase()} found`;
    none.value = "";
    options.push(none);
  }
  select.replaceChildren(...options);
  select.disabled = devices.length === 0;
}
