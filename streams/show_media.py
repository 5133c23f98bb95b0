"""One show's media on this server: its fan-out, who publishes and watches, whether it is on air, its pull
(on an edge) and its recording. Plain state plus what changes only the show itself; the registry
(streams/registry.py) owns the sessions and the lifecycle across shows."""

from __future__ import annotations

import asyncio
from pathlib import Path

from streams.codecs import VideoCodec
from streams.forward import Relay
from streams.peer import PeerSession
from streams.pull import Pull
from streams.recorder import Recorder


class ShowMedia:
    """One show's media on this server."""

    def __init__(self, show_id: str) -> None:
        self.show_id = show_id
        self.relay = Relay()
        self.publisher: PeerSession | None = None
        self.viewers: dict[str, PeerSession] = {}
        self.codec: VideoCodec | None = None  # what viewers negotiate; set by the host or the first viewer
        self.on_air = False
        self.record = False
        self.recorder: Recorder | None = None
        self.pull: Pull | None = None  # on an edge: the session at the origin that feeds ``relay``
        self.pulling = asyncio.Lock()
        self.nodes: set[str] = set()  # viewer sessions that are other nodes' pulls (not audience)

    @property
    def idle(self) -> bool:
        return self.publisher is None and not self.viewers and self.recorder is None and self.pull is None

    @property
    def audience(self) -> int:
        """Viewers here that are people (other nodes' pulls are not audience)."""
        return len(self.viewers) - len(self.nodes)

    def sync_recording(self, recordings_dir: Path, has_video: bool) -> None:
        """Start recording (at the next keyframe) if asked and published, or stop if no longer asked."""
        if self.record and self.recorder is None and self.publisher is not None:
            self.recorder = Recorder(recordings_dir / self.show_id, has_video)
            self.relay.listeners.append(self.recorder.frame)
            self.relay.keyframes.request()  # a file starts at a keyframe
        elif not self.record and self.recorder is not None:
            self.relay.listeners.remove(self.recorder.frame)
            self.recorder.close()
            self.recorder = None

    def mark(self, label: str) -> float | None:
        """Note a moment in the recording: seconds into the file, or None when not recording."""
        return self.recorder.mark(label) if self.recorder is not None else None
