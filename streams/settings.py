"""What the media library needs to know, and nothing else: the web app builds one from its own settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class MediaSettings:
    ice_servers: list[str] = field(default_factory=list)  # stun:/turn: URLs told to clients
    turn_secret: str | None = None  # coturn's static-auth-secret: per-session TURN credentials
    turn_credential_ttl_seconds: int = 4 * 3600
    public_ip: str | None = None  # announced next to the private host candidates (1:1 NAT)
    max_viewers_per_show: int = 1000
    recordings_dir: Path = Path("data/recordings")
    whep_pending_per_address: int = 20  # viewing sessions not connected yet, per client address
    whep_connect_timeout_seconds: float = 8.0  # then an unconnected viewer is dropped
    ice_candidates_per_session: int = 30
    ice_allow_loopback: bool = False  # loopback and link-local candidates (tests on one machine)
