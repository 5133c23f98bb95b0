"""What docker-compose.yml and deploy/haproxy.cfg promise for running beyond one process, checked by reading
them (Docker does not run here): two web replicas behind HAProxy with health checks on /readyz, websocket
upgrades and sticky long-polling; two media nodes on host networking, each with its own port and node URL;
a worker; the migration once before everything; every LIVE_ variable a setting the app knows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from live.config import Settings

ROOT = Path(__file__).resolve().parents[2]
MEDIA = ("media-1", "media-2")


def services() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])


def haproxy() -> dict[str, list[str]]:
    """deploy/haproxy.cfg as {section header: its directives}."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for raw in (ROOT / "deploy" / "haproxy.cfg").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line:
            continue
        if not raw[0].isspace():
            current = sections.setdefault(line.strip(), [])
        else:
            current.append(" ".join(line.split()))
    return sections


def test_roles_and_replicas() -> None:
    svc = services()
    assert svc["web"]["deploy"]["replicas"] == 2
    assert svc["web"]["command"] == ["live", "serve", "--role", "web"]
    assert svc["web"]["environment"]["LIVE_RUN_WORKERS"] == "false"
    assert svc["worker"]["command"] == ["live", "worker"] and svc["worker"]["environment"]["LIVE_RUN_WORKERS"] == "true"
    assert svc["migrate"]["command"] == ["live", "migrate"] and svc["migrate"]["restart"] == "no"
    workers = re.sub(r"\$\{[A-Z_0-9]+:-([^}]*)\}", r"\1", svc["web"]["environment"]["LIVE_WEB_WORKERS"])
    assert int(workers) >= 2, "each web replica runs several web processes on its port"
    assert all("LIVE_WEB_WORKERS" not in svc[name]["environment"] for name in MEDIA), "a media node is one process"
    for name in ("web", "worker", *MEDIA):
        assert svc[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    shared = {"LIVE_SECRET_KEY", "LIVE_DATABASE_URL", "LIVE_REDIS_URL"}
    for name in ("web", "worker", *MEDIA):
        assert shared <= set(svc[name]["environment"]), f"{name} shares the secret, database and Redis"


def test_media_nodes_are_reachable_on_their_own_ports() -> None:
    svc = services()
    ports, urls = set(), set()
    for name in MEDIA:
        node = svc[name]
        env = node["environment"]
        assert node["network_mode"] == "host", "WebRTC's UDP ports are the host's own"
        assert node["command"] == ["live", "serve", "--role", "media"] and env["LIVE_ROLE"] == "media"
        assert "127.0.0.1:6379" in env["LIVE_REDIS_URL"] and "@127.0.0.1:5432/" in env["LIVE_DATABASE_URL"]
        ports.add(env["LIVE_PORT"])
        urls.add(re.sub(r"\$\{[A-Z_0-9]+:-([^}]*)\}", r"\1", env["LIVE_NODE_URL"]))
        assert f"127.0.0.1:{env['LIVE_PORT']}/readyz" in " ".join(node["healthcheck"]["test"])
    assert len(ports) == 2 and {u.rsplit(":", 1)[1] for u in urls} == ports, "one port and URL per node"
    assert "127.0.0.1:6379:6379" in svc["redis"]["ports"] and "127.0.0.1:5432:5432" in svc["postgres"]["ports"]


def test_the_load_balancer_fronts_the_web_replicas_with_health_checks() -> None:
    svc = services()
    lb = svc["lb"]
    assert lb["image"].startswith("haproxy:")
    assert "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in lb["volumes"]
    assert lb["ports"] == ["8080:8080"] and lb["depends_on"]["web"]["condition"] == "service_healthy"
    assert "ports" not in svc["web"], "the web replicas are reached through the load balancer only"
    assert "/readyz" in " ".join(svc["web"]["healthcheck"]["test"])

    cfg = haproxy()
    assert "mode http" in cfg["defaults"] and "timeout tunnel 1h" in cfg["defaults"], "websockets stay open"
    assert cfg["frontend public"] == ["bind :8080", "default_backend web"]
    backend = cfg["backend web"]
    assert "option httpchk GET /readyz" in backend and "http-check expect status 200" in backend
    template = next(line for line in backend if line.startswith("server-template "))
    count = template.split()[2]
    assert template.split()[3] == "web:8080" and " check" in template and "resolvers docker" in template
    assert int(count.split("-")[1]) >= svc["web"]["deploy"]["replicas"], "a slot for every replica"
    assert any(line.startswith("cookie ") and "insert" in line for line in backend), "long-polling is sticky"
    assert "nameserver dns1 127.0.0.11:53" in cfg["resolvers docker"]


def test_every_live_variable_is_a_setting() -> None:
    known = {f"LIVE_{name.upper()}" for name in Settings.model_fields}
    for name, service in services().items():
        env = set(service.get("environment", {}))
        live = {v for v in env if v.startswith("LIVE_")}
        assert live <= known, f"{name}: unknown settings {live - known}"
