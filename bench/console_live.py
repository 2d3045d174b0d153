"""The console's live view measured in the browser: camera → screen latency, and the
server's CPU per live viewer with a 16-camera wall.

    .venv/bin/python -m bench.console_live [--cameras 16] [--seconds 40] [--reader native]

Everything real: simulated RTSP cameras (720p, 15 fps, 1.5 Mbit/s H.264, a keyframe a
second) that stamp each frame with the time it leaves the camera (an SEI message,
`beffroi.sim.stamp`), `beffroi run` recording them in its own processes, and the console
in Debian's Chromium (headless, Playwright) signed in as an operator through its form.

Latency, per presented frame: a script injected before the console loads
(`bench/console/latency_probe.js`) reads the stamps out of the fragments the page hands
to Media Source Extensions, and when Chromium presents a frame
(`requestVideoFrameCallback`: `expectedDisplayTime`), records display wall time − send
time. The first seconds of each tile (the GOP it starts on) are left out.

CPU per viewer: the server's process tree (API, recorder workers) over the same window
with the wall open and with no viewer; (wall − idle) / tiles. (Chromium decodes every
tile: that cost is the viewing workstation's, not the server's.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from beffroi.sim.runner import ShardedServer
from beffroi.sim.specs import make_cameras
from bench.procstat import cpu_seconds, tree
from tests.browser import launch_chromium
from tests.console.harness import ADMIN_PASSWORD, ConsoleServer, ConsoleUser, sign_in_form

PROBE = Path(__file__).with_name("console") / "latency_probe.js"
WARMUP_S = 4.0
GRIDS = (1, 4, 9, 16)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_site(path: Path, cameras: int, sim_port: int, reader: str = "ffmpeg") -> None:
    lines = ["communes:", "  - {id: joue-les-tours, name: Joué-lès-Tours}", "cameras:"]
    for i in range(cameras):
        lines.append(
            f"  - {{id: jlt-{i + 1:03d}, name: 'Caméra {i + 1}', commune: joue-les-tours,"
            f" district: Centre, stream: 'rtsp://127.0.0.1:{sim_port}/cam{i}', retention: 1d,"
            f" location: {{lat: 47.35, lon: 0.66}}, reader: {reader}}}"
        )
    path.write_text("\n".join(lines) + "\n")


def tree_cpu(pid: int) -> float:
    return sum(cpu_seconds(p) for p in tree([pid]))


def wait_recording(server: ConsoleServer, cameras: int) -> None:
    admin = ConsoleUser("admin", ADMIN_PASSWORD, "admin")
    with server.api(admin) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            cams = client.get("/api/cameras").json()
            if len(cams) == cameras and all(c["status"] == "recording" for c in cams):
                return
            time.sleep(0.5)
    raise SystemExit(f"cameras not recording: {cams}")


def open_wall(page: Page, base: str, user: str, cameras: list[str]) -> None:
    """The wall with `cameras` in the smallest grid that holds them (the console keeps
    each user's wall in localStorage: `components/wall/layout.ts`)."""
    grid = next(g for g in GRIDS if g >= len(cameras))
    wall = {"grid": grid, "tiles": cameras + [None] * (grid - len(cameras))}
    page.evaluate(
        "([key, wall]) => localStorage.setItem(key, JSON.stringify(wall))",
        [f"beffroi.wall.{user}", wall],
    )
    page.goto(base + "/#/wall")
    page.reload()
    page.wait_for_function(
        "n => document.querySelectorAll('video').length >= n"
        " && [...document.querySelectorAll('video')].every(v => v.currentTime > 0.5)",
        arg=len(cameras),
        timeout=60_000,
    )


def measure(page: Page, seconds: float) -> list[float]:
    page.evaluate("() => { window.__beffroiLatency.samples.length = 0 }")
    time.sleep(seconds)
    samples = page.evaluate("() => window.__beffroiLatency.samples.map(s => s.latency_ms)")
    return [float(s) for s in samples]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--reader", default="ffmpeg", help="the cameras' RTSP client")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="beffroi-console-bench-"))
    sim_port, port = _free_port(), _free_port()
    site = tmp / "site.yaml"
    write_site(site, args.cameras, sim_port, args.reader)
    sims = make_cameras(args.cameras, stamp_send_time=True, width=1280, height=720, fps=15,
                        bitrate=1_500_000)  # fmt: skip
    env = dict(os.environ, BEFFROI_ADMIN_PASSWORD=ADMIN_PASSWORD)
    env.pop("BEFFROI_DATABASE_URL", None)
    results: dict[str, object] = {
        "cameras": args.cameras, "seconds": args.seconds, "reader": args.reader,
    }  # fmt: skip
    with ShardedServer(sims, "127.0.0.1", sim_port, processes=1):
        log = (tmp / "server.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "beffroi.cli", "run", "--site", str(site), "--data",
             str(tmp / "data"), "--listen", f"127.0.0.1:{port}"],
            env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        server = ConsoleServer(f"http://127.0.0.1:{port}", tmp / "data", env, proc)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(server.base + "/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit((tmp / "server.log").read_text()[-2000:])
                time.sleep(0.3)
            wait_recording(server, args.cameras)
            operator = server.add_user("bench.operateur", "operator", ["joue-les-tours"])
            ids = [f"jlt-{i + 1:03d}" for i in range(args.cameras)]

            time.sleep(5)
            idle_0, t0 = tree_cpu(proc.pid), time.monotonic()
            time.sleep(args.seconds / 2)
            idle_cpu = (tree_cpu(proc.pid) - idle_0) / (time.monotonic() - t0)

            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                context = browser.new_context(viewport={"width": 1920, "height": 1080})
                context.add_init_script(path=str(PROBE))
                page = context.new_page()
                sign_in_form(page, operator, server.base)

                open_wall(page, server.base, operator.username, ids[:1])
                time.sleep(WARMUP_S)
                one = measure(page, args.seconds / 2)

                open_wall(page, server.base, operator.username, ids)
                time.sleep(WARMUP_S)
                busy_0, t0 = tree_cpu(proc.pid), time.monotonic()
                wall = measure(page, args.seconds)
                wall_cpu = (tree_cpu(proc.pid) - busy_0) / (time.monotonic() - t0)
                playing = page.evaluate(
                    "() => [...document.querySelectorAll('video')].filter(v => !v.paused).length"
                )
                browser.close()
            for name, values in (("one_camera", one), ("wall", wall)):
                if not values:
                    raise SystemExit(f"no latency sample for {name}: are stamps reaching the page?")
                results[name] = {
                    "frames": len(values),
                    "median_ms": round(statistics.median(values)),
                    "p95_ms": round(pct(values, 0.95)),
                    "max_ms": round(max(values)),
                }
            results["tiles_playing"] = playing
            results["server_cpu_idle_percent"] = round(idle_cpu * 100, 1)
            results["server_cpu_wall_percent"] = round(wall_cpu * 100, 1)
            results["server_cpu_per_viewer_percent"] = round(
                (wall_cpu - idle_cpu) * 100 / args.cameras, 2
            )
        finally:
            proc.terminate()
            proc.wait(30)
            log.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
