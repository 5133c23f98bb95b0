// The host's camera and microphone: preview, device pickers, WHIP publishing with automatic re-publish
// (with backoff) while the show should be on air, and the outgoing bitrate from getStats().
import { request } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { publish } from "/static/js/media.js";

const STATS_INTERVAL_MS = 1000;
const RETRY_MS = [1000, 2000, 4000, 8000, 15000];
const UNSTABLE_GRACE_MS = 5000; // "disconnected" often heals by itself; re-publish only if it lasts

export const CONNECTION_WORDS = {
  idle: "Off air", new: "Starting", connecting: "Connecting…", connected: "Live: sending video",
  disconnected: "Unstable: waiting", failed: "Lost: reconnecting", closed: "Off air",
};

// onState(state), onBitrate(kbps), onError(message). The handle's `stream` is the preview's (null before
// startPreview) and `wanted` says whether the show should be on air from this device.
export function createBroadcast({ video, cameraSelect, micSelect, onState, onBitrate, onError }) {
  let stream = null;
  let session = null;
  let url = null;
  let wanted = false;
  let attempt = 0;
  let retryTimer = null;
  let unstableTimer = null;
  let lastBytes = null;

  const currentId = (kind) => {
    const track = stream && stream.getTracks().find((t) => t.kind === kind);
    return track ? track.getSettings().deviceId : null;
  };

  async function listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    fill(cameraSelect, devices.filter((d) => d.kind === "videoinput"), currentId("video"), "Camera");
    fill(micSelect, devices.filter((d) => d.kind === "audioinput"), currentId("audio"), "Microphone");
  }

  // Ask for the camera and microphone; the pickers fill in once permission gives the devices their names.
  async function startPreview() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: true,
      });
    } catch (error) {
      onError(`The camera or microphone is not available (${error.name}). Allow access and reload.`);
      return false;
    }
    video.srcObject = stream;
    video.play().catch(() => { /* autoplay refused: the picture starts on the next interaction */ });
    await listDevices();
    navigator.mediaDevices.addEventListener("devicechange", () => listDevices());
    return true;
  }

  // A new track from the chosen device replaces the old one in the preview and, while live, in the sender.
  async function switchDevice(kind, deviceId) {
    if (!stream || deviceId === currentId(kind)) return;
    let fresh;
    try {
      const constraints = { deviceId: { exact: deviceId } };
      const media = await navigator.mediaDevices.getUserMedia(kind === "video" ? { video: constraints } : { audio: constraints });
      [fresh] = media.getTracks();
    } catch (error) {
      onError(`That device cannot be used (${error.name}).`);
      return;
    }
    const old = stream.getTracks().find((t) => t.kind === kind);
    if (session) {
      const sender = session.pc.getSenders().find((s) => s.track && s.track.kind === kind);
      if (sender) await sender.replaceTrack(fresh);
    }
    if (old) {
      stream.removeTrack(old);
      old.stop();
    }
    stream.addTrack(fresh);
  }

  function retry() {
    if (!wanted) return;
    const delay = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
    attempt += 1;
    onState("failed");
    retryTimer = setTimeout(() => connect(), delay);
  }

  // The failed session is only closed here: the server drops a failed peer itself (a DELETE could 404).
  function republish() {
    const old = session;
    session = null;
    if (old) old.pc.close();
    retry();
  }

  function connectionChanged(changed) {
    if (changed !== session) return; // an old session closing
    const state = changed.pc.connectionState;
    onState(state);
    clearTimeout(unstableTimer);
    if (state === "connected") {
      attempt = 0;
      onError("");
    } else if (state === "failed") {
      republish();
    } else if (state === "disconnected") {
      unstableTimer = setTimeout(() => republish(), UNSTABLE_GRACE_MS);
    }
  }

  async function connect(retrying = true) {
    clearTimeout(retryTimer);
    if (!wanted) return;
    onState("connecting");
    try {
      const opened = await publish(url, stream);
      if (!wanted) {
        await hangUp(opened);
        return;
      }
      session = opened;
      lastBytes = null;
      opened.pc.addEventListener("connectionstatechange", () => connectionChanged(opened));
      // The server hanging up (a DTLS close) may leave connectionState "connected" until ICE times out.
      const dtls = opened.pc.getSenders().map((s) => s.transport).find(Boolean);
      if (dtls) dtls.addEventListener("statechange", () => {
        if (opened === session && ["closed", "failed"].includes(dtls.state)) republish();
      });
      onState(opened.pc.connectionState);
    } catch (error) {
      if (!retrying) throw error;
      onError(`Could not restart the video: ${error.message}. Retrying…`);
      retry();
    }
  }

  // Publish to the show (it must be live already). Resolves once the answer is applied; a refusal (another
  // device is publishing, the show ended) is thrown, not retried: only a session that dropped is re-published.
  async function goLive(whipUrl) {
    url = whipUrl;
    wanted = true;
    attempt = 0;
    try {
      await connect(false);
    } catch (error) {
      wanted = false;
      onState("idle");
      throw error;
    }
  }

  // Hang up (DELETE the WHIP session); the preview keeps running.
  async function stop() {
    wanted = false;
    clearTimeout(retryTimer);
    clearTimeout(unstableTimer);
    const old = session;
    session = null;
    if (old) await hangUp(old);
    onState("idle");
    onBitrate(0);
  }

  async function sampleBitrate() {
    const sampled = session;
    if (!sampled) return;
    let bytes = 0;
    const stats = await sampled.pc.getStats();
    stats.forEach((report) => {
      if (report.type === "outbound-rtp") bytes += report.bytesSent || 0;
    });
    const now = performance.now();
    if (lastBytes && sampled === session) {
      const seconds = (now - lastBytes.at) / 1000;
      onBitrate(Math.max(0, Math.round(((bytes - lastBytes.bytes) * 8) / 1000 / seconds)));
    }
    lastBytes = { bytes, at: now };
  }

  setInterval(sampleBitrate, STATS_INTERVAL_MS);
  cameraSelect.addEventListener("change", () => switchDevice("video", cameraSelect.value));
  micSelect.addEventListener("change", () => switchDevice("audio", micSelect.value));
  return {
    startPreview, goLive, stop,
    get stream() { return stream; },
    get wanted() { return wanted; },
  };
}

// DELETE first, then close: closing first sends a DTLS close that can make the server drop the session before
// the DELETE arrives, whose 404 Chromium logs as a console error.
async function hangUp(session) {
  try {
    await request("DELETE", session.location, { token: null }); // the cookie says who
  } catch (_) { /* offline, or already gone: the server drops a quiet session itself */ }
  session.pc.close();
}

function fill(select, devices, selectedId, noun) {
  const options = devices.map((device, i) => el("option", {
    value: device.deviceId, text: device.label || `${noun} ${i + 1}`, selected: device.deviceId === selectedId }));
  if (!options.length) options.push(el("option", { value: "", text: `No ${noun.toLowerCase()} found` }));
  select.replaceChildren(...options);
  select.disabled = devices.length === 0;
}
