"""A camera that offers RTP over UDP only, as a town's administrator meets it with
`beffroi run`: over the default transport (tcp) it is shown refused, with the reason;
`transport: udp` in the site file and a reload, and it records. The camera is VLC's RTSP
server, which answers 461 to a TCP SETUP."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.ingest.harness import wait_for
from tests.peers.vlc_camera import vlc_camera
from tests.test_run_command import PASSWORD, Running, check

pytestmark = pytest.mark.slow


def write_site(path: Path, url: str, transport: str | None) -> Path:
    option = f" transport: {transport}," if transport else ""
    path.write_text(
        "communes:\n  - {id: joue-les-tours, name: Joué-lès-Tours}\n"
        "recording:\n  segment_seconds: 10\n"
        "cameras:\n"
        f"  - {{id: jlt-001, name: Parvis, commune: joue-les-tours, stream: '{url}',{option}"
        " retention: 15d, location: {lat: 47.35, lon: 0.66},"
        " authorisation: {reference: '2019-37-0041', expires: 2029-06-30}}\n"
    )
    return path


def test_a_udp_only_camera_is_refused_over_tcp_then_records_over_udp(
    tmp_path: Path, db_url: str
) -> None:
    env = dict(os.environ, BEFFROI_ADMIN_PASSWORD=PASSWORD)
    env.pop("BEFFROI_DATABASE_URL", None)
    if db_url.startswith("postgresql"):
        env["BEFFROI_DATABASE_URL"] = db_url
    data = tmp_path / "data"
    with vlc_camera(tmp_path, bframes=2, duration_s=30) as url:
        site = write_site(tmp_path / "site.yaml", url, None)
        run = Running(site, data, env)
        try:

            def camera() -> dict:
                return {c["id"]: c for c in run.get("/api/cameras").json()}["jlt-001"]

            wait_for(lambda: camera()["reason"] == "transport_refused", 60, "the refusal")
            assert camera()["status"] == "offline"
            write_site(site, url, "udp")
            run.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: camera()["status"] == "recording", 60, "recording over udp")
            wait_for(lambda: any((data / "archive").rglob("*.mp4")), 60, "a finished segment")
        finally:
            run.proc.send_signal(signal.SIGTERM)
            out, _ = run.proc.communicate(timeout=60)
    assert run.proc.returncode == 0, out
    result = check(data, env)
    assert result.returncode == 0, result.stdout + result.stderr
