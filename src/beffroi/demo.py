"""`beffroi demo`: the shared centre of the five communes, with simulated cameras.

Starts the simulated cameras of the demo site in a process of their own (so serving
them never competes with recording for the interpreter), then `beffroi run` on the
demo site. Everything lives in one data directory; deleting it starts afresh.
"""

from __future__ import annotations

import logging
import os
import secrets
import string
from pathlib import Path

from beffroi.server import ADMIN_PASSWORD_ENV, Options, serve
from beffroi.sim.runner import ShardedServer
from beffroi.sim.specs import make_cameras
from beffroi.site.demo import demo_site_path
from beffroi.site.loader import load_site

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
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


DEFAULT_SIM_PORT = 8554
DEFAULT_DC09_PORT = 12128


def demo_site_for(data_dir: Path, sim_port: int, dc09_port: int) -> Path:
    """The demo site file, or a copy in the data directory naming other ports, so two
    demos (a developer's and the end-to-end tests') can run side by side."""
    site = demo_site_path()
    if (sim_port, dc09_port) == (DEFAULT_SIM_PORT, DEFAULT_DC09_PORT):
        return site
    text = site.read_text()
    text = text.replace(f"rtsp://127.0.0.1:{DEFAULT_SIM_PORT}/", f"rtsp://127.0.0.1:{sim_port}/")
    text = text.replace(f'"127.0.0.1:{DEFAULT_DC09_PORT}"', f'"127.0.0.1:{dc09_port}"')
    data_dir.mkdir(parents=True, exist_ok=True)
    copy = data_dir / "demo-site.yaml"
    copy.write_text(text)
    return copy


def run_demo(
    data_dir: Path,
    host: str,
    port: int,
    sim_port: int = DEFAULT_SIM_PORT,
    dc09_port: int = DEFAULT_DC09_PORT,
) -> int:
    site_path = demo_site_for(data_dir, sim_port, dc09_port)
    cameras = len(load_site(site_path).site.cameras)
    password = os.environ.get(ADMIN_PASSWORD_ENV) or demo_admin_password(data_dir)
    os.environ[ADMIN_PASSWORD_ENV] = password
    sims = make_cameras(cameras, width=1280, height=720, fps=15, bitrate=1_500_000)
    with ShardedServer(sims, "127.0.0.1", sim_port, processes=1):
        kept = data_dir / DEMO_PASSWORD_FILE
        print(
            f"Demo: {cameras} simulated cameras on "
            f"rtsp://127.0.0.1:{sim_port}/cam0..cam{cameras - 1}\n"
            f"Demo administrator (no video, by law): user 'admin', password '{password}' "
            f"(kept in {kept})",
            flush=True,
        )
        return serve(Options(site=site_path, data_dir=data_dir, host=host, port=port, demo=True))
