"""What the media library needs to know, and nothing else: the web app builds one from its own settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class MediaSettings:
    ice_servers: list[str] = field(default_factory=list)  # stun:/turn: URLs told to clients
    ice_username: str | None = None
    ice_credential: str | None = None
    public_ip: str | None = None  # announced next to the private host candidates (1:1 NAT)
    max_viewers_per_show: int = 1000
    recordings_dir: Path = Path("data/recordings")
