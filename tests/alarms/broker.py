"""A Mosquitto broker the test can stop and start again on the same port (the
receiver's reconnection is the point). Built on tests/oncall/peers.py's helpers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.oncall.peers import MOSQUITTO, free_port, wait_port


class Broker:
    def __init__(self, tmp: Path) -> None:
        if not Path(MOSQUITTO).exists():
            pytest.fail("mosquitto is not installed: run scripts/system-deps.sh")
        self.port = free_port()
        self.conf = tmp / "mosquitto-restartable.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Broker:
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
