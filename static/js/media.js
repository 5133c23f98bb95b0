// WHIP/WHEP clients for the studio, the watch page and the embeddable player (RFC 9725 and WHEP): one POST
// of a complete offer (ICE gathered first, like the server), the answer applied, DELETE on the session URL
// to hang up.
import { request } from "/static/js/api.js";

const GATHER_TIMEOUT_MS = 1500;

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", done);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHER_TIMEOUT_MS); // send what we have: the server's candidates usually suffice
  });
}

async function exchange(pc, url, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  let response;
  try {
    response = await request("POST", url, {
      body: pc.localDescription.sdp, headers: { "Content-Type": "application/sdp" }, token: token || null });
  } catch (error) {
    pc.close();
    throw error; // an ApiError: the server's message
  }
  const location = new URL(response.headers.get("Location"), response.url).toString();
  await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
  const stop = async () => {
    pc.close();
    try {
      await request("DELETE", location, { token: token || null });
    } catch (error) {
      if (error.status === 0) throw error; // unreachable; an HTTP answer (even 404: gone already) is hung up
    }
  };
  return { pc, location, stop };
}

// Publish a MediaStream (camera and microphone) to a show: url is /api/shows/<id>/whip.
export async function publish(url, stream, { token, iceServers = [] } = {}) {
  const pc = new RTCPeerConnection({ iceServers, bundlePolicy: "max-bundle" });
  for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
  return exchange(pc, url, token);
}

// Watch a show: url is /api/shows/<id>/whep. The returned stream gets the host's video and audio.
export async function watch(url, { token, iceServers = [] } = {}) {
  const pc = new RTCPeerConnection({ iceServers, bundlePolicy: "max-bundle" });
  const stream = new MediaStream();
  pc.addEventListener("track", (event) => stream.addTrack(event.track));
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  return { ...(await exchange(pc, url, token)), stream };
}
