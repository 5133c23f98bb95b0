"""Settings read from the environment (prefix ``LIVE_``); the defaults are the embedded mode."""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the server can be told. Unset URLs mean: embedded SQLite file and embedded Redis."""

    model_config = SettingsConfigDict(env_prefix="LIVE_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = Field(default="", description="Prefix of every Redis key and channel (isolates tenants/tests).")
    redis_appendfsync: Literal["everysec", "always"] = "everysec"

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://localhost:8080"

    secret_key: str | None = Field(
        default=None, min_length=32, description="Signs tokens; generated into the data folder if unset."
    )
    token_ttl_seconds: int = 7 * 24 * 3600
    cookie_secure: bool = False

    reservation_ttl_seconds: int = 600
    payment_provider: Literal["sandbox"] = "sandbox"
    payment_webhook_secret: str | None = Field(default=None, description="Defaults to one derived from secret_key.")
    payment_async_delay_seconds: float = 1.0
    payment_webhook_url: str | None = Field(
        default=None, description="Where the sandbox provider posts its webhooks; defaults to this server."
    )

    run_workers: bool = Field(default=True, description="Run background workers (persistence, payments, expiry).")

    ice_servers: list[str] = Field(default_factory=list, description="stun:/turn: URLs offered to peers.")
    ice_username: str | None = None
    ice_credential: str | None = None
    public_ip: str | None = Field(default=None, description="Address announced in ICE candidates behind NAT.")
    max_viewers_per_show: int = Field(default=1000, ge=1, description="WebRTC viewers one server takes per show.")

    socketio_fast_broadcast: bool = Field(
        default=True, description="Room events written straight to idle websockets (False: python-socketio's own "
        "emit, kept for comparison in bench/fanout.py).")

    embed_allowed_origins: list[str] = Field(default_factory=list, description="Sites allowed to frame /watch.")

    log_level: str = "INFO"

    # Beyond one process (issue 13): roles, media nodes, placement.
    role: Literal["all", "web", "media"] = Field(
        default="all", description="all: one process does everything; web: HTTP and socket.io, media goes to "
        "media nodes; media: also takes WebRTC sessions and announces itself in Redis.")
    node_url: str | None = Field(
        default=None, description="Base URL clients use to reach this media node (absolute Location URLs and "
        "redirects); defaults to the URL the request came to.")
    media_capacity: int = Field(default=500, ge=1, description="WebRTC viewers this media node takes in all.")
    node_heartbeat_seconds: float = Field(default=0.5, gt=0, description="How often a media node announces "
                                          "itself; it counts as gone after four missed beats.")

    @property
    def takes_media(self) -> bool:
        return self.role in ("all", "media")

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "live.db"

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.sqlite_path}"

    def resolved_secret_key(self) -> str:
        """The configured key, or one kept in the data folder so tokens survive restarts."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def resolved_webhook_secret(self) -> str:
        """A Standard Webhooks secret (``whsec_`` + base64 key), derived from the secret key if unset."""
        if self.payment_webhook_secret:
            return self.payment_webhook_secret
        digest = hashlib.sha256(b"webhooks:" + self.resolved_secret_key().encode()).digest()
        return "whsec_" + base64.b64encode(digest).decode()

    def resolved_webhook_url(self) -> str:
        return self.payment_webhook_url or f"http://127.0.0.1:{self.port}/api/payments/webhook"
