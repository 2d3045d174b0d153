from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from beffroi.sim import ShardedServer, make_cameras
from beffroi.sim.cli import add_parser
from beffroi.sim.rawclient import drain_many

from .sizes import SMALL


def test_parser_accepts_the_documented_options() -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        [
            "sim",
            "cameras",
            "12",
            "--host",
            "0.0.0.0",
            "--port",
            "9554",
            "--codec",
            "h265",
            "--size",
            "640x360",
            "--fps",
            "10",
            "--bitrate",
            "1.2M",
            "--source",
            "vtest",
            "--username",
            "u",
            "--password",
            "p",
            "--processes",
            "3",
        ]
    )
    assert (args.count, args.host, args.port, args.codec) == (12, "0.0.0.0", 9554, "h265")
    assert (args.size, args.fps, args.bitrate) == ((640, 360), 10, 1_200_000)
    assert (args.source, args.username, args.password, args.processes) == ("vtest", "u", "p", 3)
    assert callable(args.func)
    defaults = parser.parse_args(["sim", "cameras", "2"])
    assert (defaults.port, defaults.size, defaults.bitrate) == (8554, (1280, 720), 1_500_000)


def test_module_entry_point_serves_until_sigint(clip_cache: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    command = [sys.executable, "-m", "beffroi.sim", "cameras", "3", "--port", "0"]
    command += ["--size", "320x240", "--bitrate", "300k", "--duration", "3"]
    command += ["--cache-dir", str(clip_cache)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        urls = [process.stdout.readline().strip() for _ in range(3)]
        assert urls[0].startswith("rtsp://127.0.0.1:") and urls[2].endswith("/cam2")
        results = asyncio.run(drain_many(urls, 1.0, parse=True))
        assert all(r.frames >= 12 and not r.error for r in results), results
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_sharded_server_spreads_connections(clip_cache: Path) -> None:
    cameras = make_cameras(4, **SMALL)
    with ShardedServer(cameras, port=0, processes=2, cache_dir=clip_cache) as server:
        urls = server.urls * 4
        results = asyncio.run(drain_many(urls, 1.0, parse=True))
        assert all(r.frames >= 12 and r.sender_reports >= 1 for r in results), results
        stats = server.stats()
    sessions = [int(s["sessions_started"]) for s in stats]
    assert sum(sessions) == 16
    assert all(count > 0 for count in sessions), sessions  # chance of failure: 2**-15
