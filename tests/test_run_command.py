"""`beffroi run` and `beffroi check` as a town's administrator runs them: real processes,
real simulated cameras, SQLite or PostgreSQL, stopped cleanly or killed."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from beffroi.access.totp import code_at
from beffroi.sim.runner import run_in_thread
from beffroi.sim.specs import make_cameras
from tests.ingest.harness import wait_for
from tests.oncall.peers import HttpPeer

PASSWORD = "Correct-Horse-Battery-42"
OPERATOR_PASSWORD = "Vigie-Place-Mitterrand-2026!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cameras(sim_cache: Path) -> Iterator:
    cams = make_cameras(3, width=320, height=240, fps=15, bitrate=300_000, duration=4.0)
    with run_in_thread(cams, cache_dir=sim_cache) as server:
        yield server


@pytest.fixture(scope="session")
def sim_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


def write_site(path: Path, sim_port: int, extra: str = "") -> Path:
    cams = "\n".join(
        f"  - {{id: jlt-00{i}, name: Caméra {i}, commune: joue-les-tours, district: Centre,"
        f" stream: 'rtsp://127.0.0.1:{sim_port}/cam{i}', retention: 15d,"
        f" location: {{lat: 47.35, lon: 0.66}},"
        f" authorisation: {{reference: '2019-37-004{i}', expires: 2029-06-30}}}}"
        for i in range(3)
    )
    path.write_text(
        "communes:\n  - {id: joue-les-tours, name: Joué-lès-Tours}\n"
        "recording:\n  segment_seconds: 10\n"
        f"cameras:\n{cams}\n" + extra
    )
    return path


class Running:
    def __init__(self, site: Path, data: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "beffroi.cli",
                "run",
                "--site",
                str(site),
                "--data",
                str(data),
                "--listen",
                f"127.0.0.1:{self.port}",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_for(self._up, 60, "the API")
        self.data, self.env = data, env
        self.headers = self.login("admin", PASSWORD)

    def login(self, username: str, password: str, totp: str | None = None) -> dict[str, str]:
        body = {"username": username, "password": password, "totp": totp}
        r = httpx.post(f"{self.base}/api/auth/login", json=body)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def add_operator(self) -> None:
        """An operator made as a town's administrator would, while the server runs:
        `beffroi user add` then `beffroi user totp`; then signed in with its TOTP."""
        cli = [sys.executable, "-m", "beffroi.cli", "user"]
        data = ["--data", str(self.data)]
        add = [*cli, "add", *data, "agent", "--role", "operator", "--commune", "joue-les-tours"]
        subprocess.run(
            [*add, "--police", "--password-stdin"],
            input=OPERATOR_PASSWORD,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        out = subprocess.run(
            [*cli, "totp", *data, "agent"], env=self.env, check=True, capture_output=True, text=True
        ).stdout
        uri = re.search(r"otpauth://\S+", out)
        assert uri is not None, out
        secret = parse_qs(urlsplit(uri[0]).query)["secret"][0]
        self.headers = self.login("agent", OPERATOR_PASSWORD, code_at(secret, datetime.now(UTC)))

    def _up(self) -> bool:
        assert self.proc.poll() is None, self.proc.stdout.read() if self.proc.stdout else ""
        try:
            return httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def get(self, path: str, **params: str) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=self.headers, params=params, timeout=10)

    def statuses(self) -> dict[str, str]:
        return {c["id"]: c["status"] for c in self.get("/api/cameras").json()}


def _listen(sock: socket.socket, said: list[str]) -> None:
    """systemd's side of NOTIFY_SOCKET: read every notification as it comes."""
    with contextlib.suppress(OSError):
        while True:
            said.append(sock.recv(4096).decode())


def check(data: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "check", "--data", str(data)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def env(db_url: str) -> dict[str, str]:
    e = dict(os.environ, BEFFROI_ADMIN_PASSWORD=PASSWORD)
    e.pop("BEFFROI_DATABASE_URL", None)
    if db_url.startswith("postgresql"):
        e["BEFFROI_DATABASE_URL"] = db_url
    return e


def test_run_records_serves_and_stops_cleanly(cameras, tmp_path: Path, env) -> None:
    data = tmp_path / "data"
    # A dead man's switch: an outside monitor called while the centre records.
    monitor = HttpPeer()
    heartbeat = "notifications:\n  heartbeat: {url_env: BEFFROI_MONITOR, every_seconds: 10}\n"
    site = write_site(tmp_path / "site.yaml", cameras.port, heartbeat)
    # As under systemd's Type=notify with WatchdogSec=1: READY, pings, STOPPING.
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    said: list[str] = []
    listener = threading.Thread(target=_listen, args=(notify, said), daemon=True)
    listener.start()
    env = {**env, "NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "1000000"}
    env["BEFFROI_MONITOR"] = f"{monitor.url}/ping/centre"
    run = Running(site, data, env)
    try:
        assert run.get("/api/cameras").status_code == 200
        run.add_operator()  # the administrator sees no video: an operator does
        wait_for(lambda: set(run.statuses().values()) == {"recording"}, 30, "3 cameras recording")
        now = time.time()
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 120))
        end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 60))

        def visible() -> bool:
            body = run.get("/api/cameras/jlt-000/recordings", start=start, end=end).json()
            return bool(body["ranges"]) and body["segments"][-1]["in_progress"]

        wait_for(visible, 10, "footage of the segment being written")
        # A whole second after every camera sent pictures (a keyframe a second): each
        # camera's footage covers it once its pictures are written, which may wait for
        # the camera's first RTCP report (up to 5 s), so the snapshot is polled for.
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time()) + 2))
        snaps: list[httpx.Response] = []

        def snapshot() -> bool:
            snaps.append(run.get("/api/cameras/jlt-001/snapshot", at=at))
            return snaps[-1].status_code != 404

        wait_for(snapshot, 20, f"jlt-001's footage at {at}")
        snap = snaps[-1]
        assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8", snap.text
        assert run.get("/api/cameras/jlt-999").status_code == 404
        wait_for(lambda: any((data / "archive").rglob("*.mp4")), 30, "a finished segment")
        # The administrator removes a camera and reloads: it stops, the others go on.
        site.write_text(site.read_text().replace("  - {id: jlt-002", "  # - {id: jlt-002"))
        run.proc.send_signal(signal.SIGHUP)

        def removed() -> bool:
            cams = {c["id"]: c for c in run.get("/api/cameras").json()}
            return (
                cams["jlt-002"]["status"] == "disabled" and cams["jlt-002"]["reason"] == "removed"
            )

        wait_for(removed, 15, "jlt-002 removed by the reload")
        assert run.statuses()["jlt-000"] == "recording"

        def called() -> bool:
            bodies = [json.loads(r.body) for r in monitor.requests if r.path == "/ping/centre"]
            return any(b["status"] in ("ok", "degraded") and b["cameras_recording"] for b in bodies)

        wait_for(called, 30, "the monitor called by the running centre")
        # A second `beffroi run` on the same data refuses to record it a second time.
        second = subprocess.run(
            [sys.executable, "-m", "beffroi.cli", "run", "--site", str(site), "--data",
             str(data), "--listen", f"127.0.0.1:{free_port()}"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 1, second.stdout + second.stderr
        assert "another Beffroi runs with the data directory" in second.stderr
        assert run.statuses()["jlt-000"] == "recording"
    finally:
        run.proc.send_signal(signal.SIGTERM)
        out, _ = run.proc.communicate(timeout=60)
        monitor.close()
    assert run.proc.returncode == 0, out
    wait_for(lambda: bool(said) and said[-1] == "STOPPING=1", 10, "STOPPING=1")
    notify.close()
    assert said[0].startswith("READY=1\nSTATUS=serving http://127.0.0.1:"), said
    assert "WATCHDOG=1" in said and said[-1] == "STOPPING=1", said
    assert not list((data / "archive").rglob("*.part")), "a clean stop closes every segment"
    # Footage, database, keys: nothing in the data directory is open to other users.
    assert data.stat().st_mode & 0o777 == 0o700
    written = [p for p in data.rglob("*")]
    assert any(p.suffix == ".mp4" for p in written) and any(p.suffix == ".pem" for p in written)
    assert not [p for p in written if p.stat().st_mode & 0o007], "world-readable files"
    result = check(data, env)
    assert result.returncode == 0, result.stdout + result.stderr
    journal = subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "journal", "verify", "--data", str(data)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert journal.returncode == 0, journal.stdout + journal.stderr


def test_run_killed_with_sigkill_restarts_without_loss(cameras, tmp_path: Path, env) -> None:
    data = tmp_path / "data"
    site = write_site(tmp_path / "site.yaml", cameras.port)
    run = Running(site, data, env)
    wait_for(lambda: set(run.statuses().values()) == {"recording"}, 30, "recording")
    time.sleep(4)
    os.killpg(os.getpgid(run.proc.pid), 0)  # still alive
    for pid in _tree(run.proc.pid):
        os.kill(pid, signal.SIGKILL)  # a power cut, as far as these processes can tell
    run.proc.wait(10)
    parts = list((data / "archive").rglob("*.part"))
    assert parts, "the kill left segments being written"
    again = Running(site, data, env)
    try:
        wait_for(lambda: set(again.statuses().values()) == {"recording"}, 30, "recording again")
        assert not [p for p in parts if p.exists()], "every .part was salvaged"
    finally:
        again.proc.send_signal(signal.SIGTERM)
        again.proc.communicate(timeout=60)
    result = check(data, env)
    assert result.returncode == 0, result.stdout + result.stderr


def _tree(pid: int) -> list[int]:
    out = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            out.extend(_tree(int(child)))
    return out
