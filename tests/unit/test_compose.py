"""Docker does not run on these machines, so the compose file is checked by reading it: the services,
ports, volumes and environment it promises, and that every LIVE_ variable is a setting the app knows."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from live.config import Settings

ROOT = Path(__file__).resolve().parents[2]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class MissingVariable(Exception):
    """What compose does with ``${VAR:?message}`` when VAR is unset or empty: it refuses to start."""


def _interpolate(value: str, env: dict[str, str] | None = None) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} against ``env`` (the defaults when None)."""
    def one(m: re.Match[str]) -> str:
        name, kind, rest = m.group(1), m.group(2), m.group(3) or ""
        given = (env or {}).get(name, "")
        if kind == "?" and env is not None and not given:
            raise MissingVariable(f"{name}: {rest}")
        if kind == "?" and env is None:
            return f"<{name}>"
        return given or (rest if kind == "-" else "")

    return re.sub(r"\$\{([A-Z_]+)(?::([-?])([^}]*))?\}", one, value)


STRONG = {name: "x" + secrets.token_urlsafe(32)
          for name in ("LIVE_SECRET_KEY", "REDIS_PASSWORD", "POSTGRES_PASSWORD", "TURN_SECRET")}


def load() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_ports() -> None:
    compose = load()
    assert set(compose["services"]) == {"lb", "web", "media-1", "media-2", "worker", "migrate", "redis", "postgres",
                                        "coturn"}
    app = compose["services"]["web"]
    assert app["build"] == "." and (ROOT / "Dockerfile").exists()
    assert "8080:8080" in compose["services"]["lb"]["ports"]
    migrate = compose["services"]["migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["depends_on"]["redis"]["condition"] == "service_healthy"
    assert {"3478:3478/udp", "3478:3478/tcp"} <= set(compose["services"]["coturn"]["ports"])


def test_redis_keeps_an_append_only_file_on_a_volume() -> None:
    compose = load()
    redis = compose["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command and "--appendfsync" in command
    assert any(v.endswith(":/data") for v in redis["volumes"])
    assert "redis-data" in compose["volumes"] and "postgres-data" in compose["volumes"]


def _settings_from_compose(monkeypatch: pytest.MonkeyPatch, shell: dict[str, str]) -> Settings:
    env = {k: _interpolate(str(v), shell) for k, v in load()["services"]["web"]["environment"].items()}
    known = {f"LIVE_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= known, f"unknown settings: {set(env) - known}"
    for name in list(os.environ):
        if name.startswith("LIVE_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if value != "":
            monkeypatch.setenv(name, value)
    return Settings()


def test_app_environment_is_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings_from_compose(monkeypatch, STRONG)
    db = make_url(settings.resolved_database_url())
    assert db.drivername == "postgresql+asyncpg" and db.host == "postgres" and db.database == "live"
    assert db.password == STRONG["POSTGRES_PASSWORD"]
    redis = make_url(settings.redis_url or "")
    assert (redis.host, redis.port, redis.database) == ("redis", 6379, "0")
    assert redis.password == STRONG["REDIS_PASSWORD"], "the app's Redis URL carries the password"
    assert settings.host == "0.0.0.0" and settings.port == 8080
    assert settings.secret_key == STRONG["LIVE_SECRET_KEY"] and settings.turn_secret == STRONG["TURN_SECRET"]
    assert all(server.startswith(("stun:", "turn:")) for server in settings.ice_servers)
    postgres_env = load()["services"]["postgres"]["environment"]
    assert db.username == postgres_env["POSTGRES_USER"] and db.database == postgres_env["POSTGRES_DB"]


@pytest.mark.parametrize("missing", sorted(STRONG))
def test_compose_refuses_to_start_without_each_secret(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    shell = {k: v for k, v in STRONG.items() if k != missing}
    with pytest.raises(MissingVariable, match=missing):
        _settings_from_compose(monkeypatch, shell)


def test_no_secret_has_a_default_anywhere_in_the_compose_file() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for name in STRONG:
        assert re.search(rf"\$\{{{name}:-", text) is None, f"{name} has a default"
        assert f"${{{name}:?" in text
    assert "change-me" not in text and "live-turn-secret" not in text


def test_the_published_key_is_refused_even_when_compose_passes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for published in ("change-me-to-a-long-random-secret-of-32-chars", "short-but-unique-0123456789"):
        with pytest.raises(ValidationError, match="secret key"):
            _settings_from_compose(monkeypatch, {**STRONG, "LIVE_SECRET_KEY": published})


def test_redis_requires_a_password_and_its_healthcheck_sends_it() -> None:
    redis = load()["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--requirepass") + 1] == "${REDIS_PASSWORD:?set it}"
    assert redis["environment"]["REDISCLI_AUTH"] == "${REDIS_PASSWORD:?set it}", "redis-cli ping authenticates"


def _within(ip: IPAddress, lo: IPAddress, hi: IPAddress) -> bool:
    return lo.version == ip.version and int(lo) <= int(ip) <= int(hi)


def test_coturn_hands_out_only_short_lived_credentials_and_relays_to_no_private_peer() -> None:
    args = load()["services"]["coturn"]["command"]
    assert "--use-auth-secret" in args and "--static-auth-secret=${TURN_SECRET:?set it}" in args
    assert not any(a.startswith(("--user=", "--lt-cred-mech")) for a in args), "no static TURN user"
    assert "--no-multicast-peers" in args and "--allow-loopback-peers" not in args
    denied = []
    for arg in args:
        if arg.startswith("--denied-peer-ip="):
            first, _, last = arg.removeprefix("--denied-peer-ip=").partition("-")
            denied.append((ipaddress.ip_address(first), ipaddress.ip_address(last or first)))
    for peer in ("10.1.2.3", "172.18.0.5", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1",
                 "0.0.0.0", "224.0.0.1", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1"):
        ip = ipaddress.ip_address(peer)
        assert any(_within(ip, lo, hi) for lo, hi in denied), f"{peer} is relayed"
    for peer in ("8.8.8.8", "2001:4860:4860::8888"):
        ip = ipaddress.ip_address(peer)
        assert not any(_within(ip, lo, hi) for lo, hi in denied), f"{peer} is denied"


def test_dockerfile_runs_migrations_then_serves() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "live migrate && live serve" in dockerfile
    for folder in ("live", "db", "streams", "static"):
        assert f"COPY {folder} ./{folder}" in dockerfile
