"""`beffroi demo`: the shared centre of the five communes, with simulated cameras.

Starts the simulated cameras of the demo site in a process of their own (so serving
them never competes with recording for the interpreter), then `beffroi run` on the
demo site. Everything lives in one data directory; deleting it starts afresh.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import string
import sys
from pathlib import Path

from beffroi.demo_oncall import demo_mailbox
from beffroi.server import ADMIN_PASSWORD_ENV, Options, serve
from beffroi.sim.runner import ShardedServer
from beffroi.sim.specs import make_cameras
from beffroi.site.demo import demo_site_path
from beffroi.site.loader import load_site
from beffroi.web.tls import DEMO_NAMES, TlsFiles, is_loopback, self_signed
from beffroi.web.tls import data_dir_pair as data_pair

log = logging.getLogger(__name__)

DEMO_PASSWORD_FILE = "demo-admin-password.txt"


def demo_admin_password(data_dir: Path) -> str:
    """The demo keeps its generated admin password in its data directory so every
    `make run` can print it; a real installation never writes a password down."""
    path = data_dir / DEMO_PASSWORD_FILE
    if path.exists():
        return path.read_text().strip()
    alphabet = string.ascii_letters + string.digits
    password = "Demo-" + "".join(secrets.choice(alphabet) for _ in range(14))
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


DEFAULT_SIM_PORT = 8554
DEFAULT_DC09_PORT = 12128
DEFAULT_MAIL_PORT = 2525
DEFAULT_URL = "http://127.0.0.1:8080"


def demo_site_for(
    data_dir: Path,
    sim_port: int,
    dc09_port: int,
    mail_port: int = DEFAULT_MAIL_PORT,
    url: str = DEFAULT_URL,
) -> Path:
    """The demo site file, or a copy in the data directory naming other ports, so two
    demos (a developer's and the end-to-end tests') can run side by side."""
    site = demo_site_path()
    ports = (sim_port, dc09_port, mail_port, url)
    if ports == (DEFAULT_SIM_PORT, DEFAULT_DC09_PORT, DEFAULT_MAIL_PORT, DEFAULT_URL):
        return site
    text = site.read_text()
    text = text.replace(f"rtsp://127.0.0.1:{DEFAULT_SIM_PORT}/", f"rtsp://127.0.0.1:{sim_port}/")
    text = text.replace(f'"127.0.0.1:{DEFAULT_DC09_PORT}"', f'"127.0.0.1:{dc09_port}"')
    text = text.replace(f"port: {DEFAULT_MAIL_PORT},", f"port: {mail_port},")
    text = text.replace(f'public_url: "{DEFAULT_URL}"', f'public_url: "{url}"')
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    copy = data_dir / "demo-site.yaml"
    copy.write_text(text)
    for geo in site.parent.glob("*.geojson"):  # the map's outlines, named relative to it
        (data_dir / geo.name).write_bytes(geo.read_bytes())
    return copy


def demo_certificate(data_dir: Path, host: str) -> TlsFiles:
    """The demo's self-signed pair in `DATA/tls/`, for 127.0.0.1, ::1, localhost and the
    address it listens on (when a specific one): `beffroi demo --tls` serves it, and so
    does `beffroi run --data DATA`, which uses a pair found there."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    names = list(DEMO_NAMES)
    try:
        if not ipaddress.ip_address(host).is_unspecified:
            names.append(host)
    except ValueError:
        names.append(host)
    return self_signed(data_pair(data_dir).cert.parent, names)


def run_demo(
    data_dir: Path,
    host: str,
    port: int,
    sim_port: int = DEFAULT_SIM_PORT,
    dc09_port: int = DEFAULT_DC09_PORT,
    mail_port: int = DEFAULT_MAIL_PORT,
    *,
    tls: bool = False,
    insecure_http: bool = False,
) -> int:
    """The demo; plain HTTP (on loopback, as `make run` and the console's end-to-end
    tests use it) unless `tls`, though its self-signed pair is always made, to try."""
    if not tls and not insecure_http and not is_loopback(host):
        print(
            f"beffroi demo: refusing plain HTTP on {host}: --tls serves the demo's self-signed "
            "certificate; --insecure-http serves plain HTTP anyway",
            file=sys.stderr,
            flush=True,
        )
        return 2
    certificate = demo_certificate(data_dir, host)
    url_host = f"[{host}]" if ":" in host else host
    url = f"{'https' if tls else 'http'}://{url_host}:{port}"
    site_path = demo_site_for(data_dir, sim_port, dc09_port, mail_port, url)
    cameras = len(load_site(site_path).site.cameras)
    password = os.environ.get(ADMIN_PASSWORD_ENV) or demo_admin_password(data_dir)
    os.environ[ADMIN_PASSWORD_ENV] = password
    sims = make_cameras(cameras, width=1280, height=720, fps=15, bitrate=1_500_000)
    with (
        ShardedServer(sims, "127.0.0.1", sim_port, processes=1),
        demo_mailbox(data_dir, mail_port) as mailbox,
    ):
        kept = data_dir / DEMO_PASSWORD_FILE
        print(
            f"Demo: {cameras} simulated cameras on "
            f"rtsp://127.0.0.1:{sim_port}/cam0..cam{cameras - 1}\n"
            f"Demo administrator (no video, by law): user 'admin', password '{password}' "
            f"(kept in {kept})\n"
            f"Demo mailbox (the on-call agents' e-mails): smtp://127.0.0.1:{mail_port}, "
            f"messages in {mailbox}\n"
            + (
                f"HTTPS with the demo's self-signed certificate {certificate.cert} "
                "(the browser warns: accept it for this demo only)"
                if tls
                else f"Plain HTTP on loopback; `beffroi demo --tls` serves HTTPS with the "
                f"self-signed certificate {certificate.cert}"
            ),
            flush=True,
        )
        return serve(
            Options(
                site=site_path,
                data_dir=data_dir,
                host=host,
                port=port,
                demo=True,
                tls_from_data_dir=tls,
                insecure_http=insecure_http,
            )
        )
