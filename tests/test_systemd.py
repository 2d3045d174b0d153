"""The systemd unit is valid, and the notification protocol speaks as systemd expects
(the whole server's READY, pings and STOPPING: tests/test_run_command.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from beffroi.systemd import Notifier

UNIT = Path(__file__).resolve().parents[1] / "deploy" / "systemd" / "beffroi.service"


def test_the_unit_file_is_valid(tmp_path: Path) -> None:
    beffroi = Path(sys.executable).with_name("beffroi")
    assert beffroi.is_file(), "the beffroi command of this environment"
    # Installed under /opt/beffroi by the guide; verified here against this environment.
    unit = tmp_path / "beffroi.service"
    text = UNIT.read_text()
    assert "UMask=0027" in text and "Type=notify" in text and "WatchdogSec=" in text
    unit.write_text(text.replace("/opt/beffroi/.venv/bin/beffroi", str(beffroi)))
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    # verify answers 0 for a mistyped setting too, naming it on stderr: both must be clean.
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
    broken = tmp_path / "broken.service"
    broken.write_text(unit.read_text().replace("Type=notify", "Type=notfy"))
    r = subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True, text=True)
    assert "Failed to parse service type" in r.stderr


def test_notifications_and_watchdog_pings(tmp_path: Path) -> None:
    address = tmp_path / "notify"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(address))
    server.settimeout(5)
    notifier = Notifier({"NOTIFY_SOCKET": str(address), "WATCHDOG_USEC": "60000000"})
    assert notifier.interval_s == 30.0
    notifier.ready("serving")
    assert server.recv(100) == b"READY=1\nSTATUS=serving"
    notifier.tick(healthy=False)  # a wedged loop: no ping, systemd will restart us
    notifier.tick(healthy=True)
    notifier.tick(healthy=True)  # not due again yet
    notifier.stopping()
    assert server.recv(100) == b"WATCHDOG=1"
    assert server.recv(100) == b"STOPPING=1"
    server.close()
    quiet = Notifier({})
    assert quiet.send("READY=1") is False  # outside systemd, nothing


def test_a_full_queue_never_blocks_the_server(tmp_path: Path) -> None:
    """systemd reading late must not stall the main loop: past the socket's queue the
    notifications are dropped, not waited on."""
    address = tmp_path / "notify"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(address))
    notifier = Notifier({"NOTIFY_SOCKET": str(address)})
    sent = [notifier.send("WATCHDOG=1") for _ in range(500)]
    assert sent[0] is True and sent[-1] is False
    server.close()
