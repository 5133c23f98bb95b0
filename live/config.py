"""Settings read from the environment (prefix ``LIVE_``); the defaults are the embedded mode."""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from limits import parse as parse_rule
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from live.secret_keys import check_not_published, check_secret_key


def url_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


LOCAL_HOSTS = frozenset({"127.0.0.1", "0.0.0.0", "::", "::1", ""})  # loopback or every address


def served_url(host: str, port: int) -> str:
    """The URL a browser on this machine reaches a server bound to ``host:port`` at."""
    name = "localhost" if host in LOCAL_HOSTS else host
    return f"http://{f'[{name}]' if ':' in name else name}:{port}"


class Settings(BaseSettings):
    """Everything the server can be told. Unset URLs mean: embedded SQLite file and embedded Redis."""

    model_config = SettingsConfigDict(env_prefix="LIVE_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = None
    redis_url: str | None = None
    redis_cluster: bool = Field(
        default=False, description="LIVE_REDIS_URL names one node of a Redis Cluster (each show on its own slot).")
    redis_prefix: str = Field(default="", description="Prefix of every Redis key and channel (isolates tenants/tests).")
    redis_appendfsync: Literal["everysec", "always"] = Field(
        default="always", description="The embedded Redis's fsync policy: always means a 201 is on disk.")

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = Field(
        default="", description="Base of the links we print and serve; defaults to http://<host>:<port> (localhost "
        "when the host is a loopback or wildcard address). Set it behind a proxy.")

    secret_key: str | None = Field(
        default=None, description="Signs tokens; generated into the data folder if unset (see live/secret_keys.py)."
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

    web_workers: int | None = Field(
        default=None, ge=1, description="Web processes `live serve` runs on its port (SO_REUSEPORT); default: "
        "the number of cores.")
    run_workers: bool = Field(default=True, description="Run background workers (persistence, payments, expiry).")
    worker_nice: int = Field(
        default=10, ge=0, le=19, description="How much lower than the web processes `live worker` runs (its "
        "nice value; `live serve --workers N` starts one): in a purchase spike the CPU answers taps first and "
        "persistence and capture catch up after it, while reservation deadlines wait for them.")
    worker_holdback_seconds: float = Field(
        default=1.0, ge=0, le=10, description="In a process that answers taps and runs the background workers "
        "too (one web process), how long in a row the workers wait while taps are arriving (taps first; "
        "0: never). Reservation deadlines wait for them meanwhile.")

    ice_servers: list[str] = Field(default_factory=list, description="stun:/turn: URLs offered to peers.")
    public_ip: str | None = Field(default=None, description="Address announced in ICE candidates behind NAT.")
    max_viewers_per_show: int = Field(default=1000, ge=1, description="WebRTC viewers one server takes per show.")

    socketio_fast_broadcast: bool = Field(
        default=True, description="Room events written straight to idle websockets (False: python-socketio's own "
        "emit, kept for comparison in bench/fanout.py).")

    embed_allowed_origins: list[str] = Field(default_factory=list, description="Sites allowed to frame /watch.")

    log_level: str = "INFO"

    # Reach and attribution (live/reach).
    attribution_cookie_days: int = Field(default=30, ge=1, le=400,
                                         description="How long an affiliate's link attributes (live_ref cookie).")
    commission_hold_days: int = Field(default=30, ge=0, le=365,
                                      description="Commission stays pending this long (refunds may come) before "
                                      "it counts as earned and goes into the payouts.")

    # Redis reliability (issue 10, Redis half)
    redis_durability: Literal["checked", "unsafe"] = Field(
        default="checked", description="checked: refuse to serve taps unless Redis fsyncs every write before "
        "answering (appendonly yes, appendfsync always); unsafe: serve anyway (a host crash may lose 201s).")
    redis_timeout_seconds: float = Field(
        default=5.0, ge=1, description="Bound of every Redis call; past it the caller gets 503 retry.")
    redis_ended_show_ttl_seconds: int = Field(
        default=7 * 24 * 3600, ge=1, description="Lifetime of an ended show's Redis keys once all is in SQL.")
    redis_recovery: bool = Field(
        default=True, description="After every Redis restart, rebuild from SQL each live show Redis is behind on "
        "(off only where deployments with their own Redis prefixes share one database, as the test suite does).")

    # -- Security (issue 11): key rotation, TURN, abuse limits (live/limits.py), client addresses ------------
    secret_keys_previous: list[str] = Field(
        default_factory=list, description="Earlier signing keys: their tokens still verify (key rotation).")
    turn_secret: str | None = Field(
        default=None, description="coturn's static-auth-secret: per-session TURN credentials (use-auth-secret).")
    turn_credential_ttl_seconds: int = Field(default=4 * 3600, ge=60, le=24 * 3600)
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses or networks whose X-Forwarded-For names the client.")
    limit_signups_per_address: str = "30/minute"
    limit_signups_per_email: str = "5/hour"
    limit_logins_per_address: str = "60/minute"
    limit_login_failures_per_email_and_address: str = "5/5minutes"
    limit_login_failures_per_email: str = "20/minute"
    limit_viewers_per_address: str = "60/minute"
    limit_taps_per_buyer: str = "30/10seconds"
    limit_sockets_per_address: str = "600/minute"
    limit_sockets_per_visitor: str = "30/minute"
    limit_joins_per_visitor: str = "60/minute"
    limit_joins_per_address: str = "1200/minute"
    limit_whep_offers_per_address: str = "300/minute"
    whep_pending_per_address: int = Field(default=20, ge=1, description="Viewing sessions not yet connected.")
    whep_connect_timeout_seconds: float = Field(default=8.0, gt=0, description="Then an unconnected viewer goes.")
    ice_candidates_per_session: int = Field(default=30, ge=1)
    ice_allow_loopback: bool = Field(
        default=False, description="Accept loopback and link-local ICE candidates (tests on one machine).")

    @field_validator("secret_key")
    @classmethod
    def _strong_key(cls, value: str | None) -> str | None:
        if value is not None:
            check_secret_key(value)
        return value

    @field_validator("secret_keys_previous", "turn_secret")
    @classmethod
    def _no_published_keys(cls, value: list[str] | str | None) -> list[str] | str | None:
        for key in [value] if isinstance(value, str) else value or []:
            check_not_published(key)
        return value

    @model_validator(mode="after")
    def _public_url_defaults_to_served_address(self) -> Settings:
        if not self.public_url:
            self.public_url = served_url(self.host, self.port)
        return self

    @model_validator(mode="after")
    def _limits_are_readable(self) -> Settings:
        for name in type(self).model_fields:
            if name.startswith("limit_"):
                try:
                    parse_rule(getattr(self, name))
                except ValueError as exc:
                    raise ValueError(f"{name}: write it as N/period, e.g. 30/minute or 5/10seconds") from exc
        return self

    @model_validator(mode="after")
    def _cluster_has_a_node(self) -> Settings:
        if self.redis_cluster and not self.redis_url:  # the embedded Redis is one server, never a cluster
            raise ValueError("LIVE_REDIS_CLUSTER=true needs LIVE_REDIS_URL: the URL of one of its masters")
        return self

    @property
    def public_origin(self) -> str:
        """``scheme://host[:port]`` of ``public_url``: what our pages send as their Origin."""
        return url_origin(self.public_url)

    # Reliability: database and payments (issue 10, SQL half).
    worker_max_deliveries: int = Field(
        default=5, ge=1, description="Deliveries of a stream entry that keeps failing before it goes to the dead "
        "letters (`live orders dead-letters`).")
    expiry_hold_lag_seconds: float = Field(
        default=3.0, gt=0, description="Reservations do not expire while an order has waited longer than this "
        "to be persisted and captured (e.g. the database is down): an outage never makes an order expire.")

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
