// The show's video over WHEP: started only while the show is live (never a POST before), restarted with
// backoff when the connection fails, muted autoplay with an explicit unmute control. No rejected play()
// or failed POST reaches the console: they become the status the viewer sees.
import { watch } from "/static/js/media.js";

const MAX_BACKOFF_MS = 15000;

export function createPlayer(showId, { video, unmute, onStatus = () => {} }) {
  let wanted = false;
  let session = null;
  let starting = false;
  let attempt = 0;
  let timer = null;
  const countFrames = () => {
    onStatus("playing");
    video.requestVideoFrameCallback(countFrames);
  };
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(countFrames);
  else video.addEventListener("playing", () => onStatus("playing"));

  const play = () => video.play().catch(() => { /* autoplay refused: the unmute button starts it */ });

  function retry() {
    if (!wanted) return;
    clearTimeout(timer);
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt);
    attempt += 1;
    onStatus("retrying", delay);
    timer = setTimeout(start, delay);
  }

  // hangUp: DELETE the session; not when the show ended (the server already closed every peer of it).
  function drop(hangUp = true) {
    const old = session;
    session = null;
    if (!old) return;
    if (hangUp) old.stop().catch(() => {});
    else old.pc.close();
  }

  async function start() {
    if (!wanted || session || starting) return;
    starting = true;
    onStatus("connecting");
    try {
      const opened = await watch(`/api/shows/${encodeURIComponent(showId)}/whep`);
      if (!wanted) {
        opened.stop().catch(() => {});
        return;
      }
      session = opened;
      attempt = 0;
      onStatus("waiting");
      opened.pc.addEventListener("connectionstatechange", () => {
        if (session === opened && ["failed", "closed"].includes(opened.pc.connectionState)) {
          drop();
          retry();
        }
      });
      video.srcObject = opened.stream;
      play();
    } catch (_) {
      retry();
    } finally {
      starting = false;
    }
  }

  function setWanted(on) {
    if (on === wanted) return;
    wanted = on;
    clearTimeout(timer);
    if (on) start();
    else {
      drop(false);
      video.srcObject = null;
    }
  }

  function renderUnmute() {
    unmute.setAttribute("aria-pressed", String(!video.muted));
    unmute.querySelector(".label").textContent = video.muted ? "Tap to unmute" : "Mute";
    unmute.querySelector("use").setAttribute("href", video.muted ? "#i-muted" : "#i-sound");
    unmute.classList.toggle("quiet", !video.muted);
  }
  unmute.addEventListener("click", () => {
    video.muted = !video.muted;
    play();
    renderUnmute();
  });
  renderUnmute();
  addEventListener("pagehide", () => drop());
  return { setWanted, hasPicture: () => video.readyState >= 2 && video.videoWidth > 0 };
}
