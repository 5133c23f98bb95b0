"""Docker does not run on these machines, so the compose file is checked by reading it: the services,
ports, volumes and environment it promises, and that every LIVE_ variable is a setting the app knows."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from live.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default} with the defaults."""
    return re.sub(r"\$\{[A-Z_]+(?::-([^}]*))?\}", lambda m: m.group(1) or "", value)


def load() -> dict:  # type: ignore[type-arg]
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


def test_app_environment_is_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {k: _interpolate(str(v)) for k, v in load()["services"]["web"]["environment"].items()}
    known = {f"LIVE_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= known, f"unknown settings: {set(env) - known}"
    for name in list(os.environ):
        if name.startswith("LIVE_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if value != "":
            monkeypatch.setenv(name, value)
    settings = Settings()
    db = make_url(settings.resolved_database_url())
    assert db.drivername == "postgresql+asyncpg" and db.host == "postgres" and db.database == "live"
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.host == "0.0.0.0" and settings.port == 8080
    assert all(server.startswith(("stun:", "turn:")) for server in settings.ice_servers)
    postgres_env = load()["services"]["postgres"]["environment"]
    assert db.username == postgres_env["POSTGRES_USER"] and db.database == postgres_env["POSTGRES_DB"]


def test_dockerfile_runs_migrations_then_serves() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "live migrate && live serve" in dockerfile
    for folder in ("live", "db", "streams", "static"):
        assert f"COPY {folder} ./{folder}" in dockerfile
