"""``beffroi sim cameras N``: serve simulated RTSP cameras until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import threading
from typing import Any

from beffroi.sim.specs import CameraSpec, Credentials, make_cameras, parse_bitrate, parse_size

__all__ = ["add_parser", "build_parser", "main", "run_cameras"]

SHOWN_URLS = 5


def add_parser(subparsers: Any) -> None:
    """Add the ``sim`` command to an argparse ``subparsers`` object."""
    sim = subparsers.add_parser(
        "sim", help="simulated RTSP cameras and alarm panels for demos and tests"
    )
    sim_sub = sim.add_subparsers(dest="sim_command", required=True)
    cams = sim_sub.add_parser("cameras", help="serve N looping cameras over RTSP")
    cams.add_argument("count", type=int, help="number of cameras (cam0 .. camN-1)")
    cams.add_argument("--host", default="127.0.0.1")
    cams.add_argument("--port", type=int, default=8554)
    cams.add_argument("--codec", choices=("h264", "h265"), default="h264")
    cams.add_argument("--size", type=parse_size, default=(1280, 720), metavar="WxH")
    cams.add_argument("--fps", type=int, default=15)
    cams.add_argument("--bitrate", type=parse_bitrate, default=1_500_000, metavar="RATE")
    cams.add_argument("--duration", type=float, default=10.0, help="clip length in seconds")
    cams.add_argument("--source", choices=("synthetic", "vtest"), default="synthetic")
    cams.add_argument("--username")
    cams.add_argument("--password")
    cams.add_argument("--processes", type=int, default=1, help="worker processes (SO_REUSEPORT)")
    cams.add_argument("--cache-dir", default=None)
    cams.set_defaults(func=run_cameras)
    from beffroi.sim import alarm as sim_alarm

    sim_alarm.add_parser(sim_sub)


def _cameras(args: argparse.Namespace) -> tuple[list[CameraSpec], Credentials | None]:
    if args.count < 1:
        raise SystemExit("count must be >= 1")
    if (args.username is None) != (args.password is None):
        raise SystemExit("--username and --password go together")
    width, height = args.size
    cameras = make_cameras(
        args.count,
        codec=args.codec,
        width=width,
        height=height,
        fps=args.fps,
        bitrate=args.bitrate,
        source=args.source,
        duration=args.duration,
    )
    credentials = Credentials(args.username, args.password) if args.username else None
    return cameras, credentials


def _print_urls(urls: list[str], credentials: Credentials | None) -> None:
    for url in urls[:SHOWN_URLS]:
        print(url, flush=True)
    if len(urls) > SHOWN_URLS:
        print(f"... {len(urls)} cameras in total (up to {urls[-1]})", flush=True)
    if credentials is not None:
        print(f"Digest authentication: user {credentials.username!r}", flush=True)


def run_cameras(args: argparse.Namespace) -> int:
    """Serve the cameras described by ``args`` until SIGINT or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cameras, credentials = _cameras(args)
    if args.processes > 1:
        return _run_sharded(args, cameras, credentials)
    return asyncio.run(_run_single(args, cameras, credentials))


async def _run_single(
    args: argparse.Namespace, cameras: list[CameraSpec], credentials: Credentials | None
) -> int:
    from beffroi.sim.rtsp_server import SimulatedCameraServer

    server = SimulatedCameraServer(
        args.host, args.port, cameras, credentials=credentials, cache_dir=args.cache_dir
    )
    await server.start()
    _print_urls(server.urls, credentials)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    return 0


def _run_sharded(
    args: argparse.Namespace, cameras: list[CameraSpec], credentials: Credentials | None
) -> int:
    from beffroi.sim.runner import ShardedServer

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with ShardedServer(
        cameras,
        args.host,
        args.port,
        args.processes,
        credentials=credentials,
        cache_dir=args.cache_dir,
    ) as server:
        _print_urls(server.urls, credentials)
        print(f"{args.processes} worker processes: {server.pids}", flush=True)
        while not stop.wait(1.0):
            pass
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m beffroi.sim")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    # ``python -m beffroi.sim cameras 4`` is shorthand for ``... sim cameras 4``.
    import sys

    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] != "sim":
        args_list.insert(0, "sim")
    args = build_parser().parse_args(args_list)
    result: int = args.func(args)
    return result
