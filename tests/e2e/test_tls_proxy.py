"""The pages behind a reverse proxy that terminates TLS (nginx from Debian, a self-signed certificate made
here): the merchant signs up and writes with the page cookie, an anonymous watcher chats (its socket signs
in with the cookie) and buys. ``LIVE_PUBLIC_URL`` is the proxy's https address; the app itself speaks plain
HTTP to nginx, which is why the origin checks must use the public URL."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from live.config import Settings
from tests.conftest import free_port, make_settings
from tests.e2e.conftest import DESKTOP, PHONE, OpenPage
from tests.e2e.flows import checkout
from tests.e2e.test_merchant_dashboard import fill_product
from tests.e2e.test_watch_page import live_with_card, push_card
from tests.helpers import Api, unique_email
from tests.services import Services

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PROXY_PORT = free_port()
PUBLIC = f"https://localhost:{PROXY_PORT}"

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (apt-get install -y "
                                "nginx-light); CI installs it")


@pytest.fixture
def settings(services: Services, tmp_path: Path) -> Settings:
    return make_settings(services, tmp_path / "data", production_limits=True, port=free_port(),
                         public_url=PUBLIC, trusted_proxies=["127.0.0.1"])


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user}
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name localhost;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://127.0.0.1:{app};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_read_timeout 300s;
    }}
  }}
}}
"""


@pytest.fixture
def tls_proxy(client: TestClient, tmp_path: Path, settings: Settings) -> Iterator[str]:
    folder = tmp_path / "nginx"
    folder.mkdir()
    cert, key = self_signed(folder)
    user = "user root root;" if os.geteuid() == 0 else ""  # nginx's workers read the temp folder here
    (folder / "nginx.conf").write_text(NGINX_CONF.format(dir=folder, user=user, port=PROXY_PORT, cert=cert,
                                                         key=key, app=settings.port))
    process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e",
                                str(folder / "error.log")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", PROXY_PORT), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    said = process.stderr.read().decode(errors="replace") if process.stderr else ""
                    raise RuntimeError(f"nginx did not start: {said}"
                                       ) from None
                time.sleep(0.05)
        yield PUBLIC
    finally:
        process.terminate()
        process.wait(10)


async def test_the_pages_work_in_chromium_through_a_tls_terminating_proxy(
        api: Api, client: TestClient, tls_proxy: str, open_page: OpenPage, shot: Any) -> None:
    # The dashboard: sign up, then write with the cookie (a product), which the origin check must accept.
    page = await open_page(f"{tls_proxy}/merchant", DESKTOP, ignore_https_errors=True)
    await page.click("[data-testid=show-signup]")
    await page.fill("#signup-name", "Proxy Shop")
    await page.fill("#signup-email", unique_email("proxy"))
    await page.fill("#signup-password", "dashboard-pass-1")
    await page.click("button[data-testid=signup-submit]")
    await page.locator("nav [data-testid=tab-products][aria-current=page]").wait_for()
    cookie = next(c for c in await page.context.cookies() if c["name"] == "live_token")
    assert cookie["secure"] and cookie["httpOnly"], "behind https the cookie is Secure"
    await fill_product(page, "TLS-1", "Padlock", "9.99", "5")
    await page.locator("[data-testid=product-row]", has_text="Padlock").wait_for()
    await shot(page, "dashboard-behind-tls")

    # The watch page: an anonymous watcher chats (sign-up, then the socket signs in with the cookie) and buys.
    _, host, show, offer = await live_with_card(api)
    watch = await open_page(f"{tls_proxy}/watch/{show['id']}", PHONE, ignore_https_errors=True, locale="en-US")
    await expect(watch.locator("body")).to_have_attribute("data-room", "joined")
    await watch.fill("#chat-input", "Hello through the proxy")
    await watch.click("button[data-testid=chat-send]")
    await watch.fill("#name-input", "Tess")
    await watch.click("button[data-testid=name-submit]")
    message = watch.locator("[data-testid=chat-message]", has_text="Hello through the proxy")
    await expect(message).to_contain_text("Tess")
    await push_card(api, host, show, offer)
    await watch.get_by_test_id("buy").click()
    await checkout(watch, "Tess")
    await expect(watch.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
    await shot(watch, "paid-behind-tls")
