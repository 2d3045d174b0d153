"""Alarm storm: alarm received → incident stored → first notification sent, while the
recorder records.

    python -m bench.alarms --cameras 170 --accounts 50 --rate 100 --seconds 60

`beffroi run` (a subprocess, as in production) records simulated cameras (ShardedServer,
as bench/ingest.py) and receives a storm of SIA DC-09 messages: `--accounts` panels,
one TCP connection each, `--rate` messages a second in all, for `--seconds`. Measured:
- **ACK**: panel sends → ACK back, for every message. The receiver ACKs only once the
  message and its incident are stored, so this is "received → incident stored";
- **first notification**: the first alarm of an incident sent → the on-call agent's
  notification received (a webhook contact served by this script: the real on-call
  path, rota, escalation loop and channel). `--until incident` leaves the on-call
  path out (no rota: only the ACK is measured), for a build without it;
- **losses**: every ACKed message must be in `alarm_messages` (accepted) and in an
  incident; every incident must have been notified;
- the recording's coverage of the storm window (any lost second shows).

With the site's default grouping (300 s) a storm is one incident per building, as the
issue wants ("not a hundred notifications"); `--group-seconds 0` makes every alarm an
incident and a notification, the worst case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from beffroi.clock import SystemClock
from beffroi.db.engine import database_url, make_engine
from beffroi.db.migrate import upgrade
from beffroi.sim.alarm import build_message
from beffroi.sim.runner import ShardedServer
from beffroi.sim.specs import make_cameras
from beffroi.site.apply import apply_site
from beffroi.site.loader import load_site_text
from bench.ingest import site_yaml

API = "127.0.0.1:18081"
WEBHOOK_SECRET_ENV = "BENCH_NOTIFY_SECRET"


def bench_site(args: argparse.Namespace, dc09: int, with_oncall: bool) -> str:
    lines = [site_yaml(args.cameras, args.rtsp_port).rstrip("\n"), "buildings:"]
    for i in range(args.accounts):
        cam = f"cam-{i % max(args.cameras, 1):03d}"
        lines += [
            f"  - id: batiment-{i:02d}",
            f"    name: Bâtiment {i}",
            "    commune: bench",
            f'    alarm_account: "{1000 + i}"',
            f"    zones: [{{zone: 1, name: Hall, cameras: [{cam}]}}]",
        ]
    lines += [
        "alarms:",
        f'  sia_dc09: {{listen: "127.0.0.1:{dc09}"}}',
        f"  group_seconds: {args.group_seconds}",
    ]
    if with_oncall:
        lines += ["notifications:", f"  webhook: {{secret_env: {WEBHOOK_SECRET_ENV}}}"]
    return "\n".join(lines) + "\n"


def seed_oncall(data: Path, site_text: str, peer_url: str) -> None:
    """The agent on call around the clock, reached by a webhook contact (this script)."""
    from sqlalchemy import insert

    from beffroi.access.tables import user_communes, users
    from beffroi.oncall.store import ContactIn, RotaIn, write_contacts, write_rota

    clock = SystemClock()
    data.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url(data))
    upgrade(engine)
    apply_site(engine, load_site_text(site_text, today=clock.now().date()).site, clock)
    with engine.begin() as conn:
        uid = conn.execute(
            insert(users)
            .values(
                username="astreinte", password_hash="x", role="patrol", disabled=False, created_ms=0
            )
            .returning(users.c.id)
        ).scalar_one()
        conn.execute(insert(user_communes).values(user_id=uid, commune_id="bench"))
        write_contacts(conn, uid, [ContactIn(channel="webhook", address=peer_url)])
        days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        rota = RotaIn(
            name="Astreinte bench",
            communes=["bench"],
            shifts=[{"days": days, "start": "00:00", "end": "24:00", "user": "astreinte"}],
        )
        write_rota(conn, "astreinte-bench", rota, None, "bench", clock.now())
    engine.dispose()


class Peer:
    """The agent's phone: records when each notification arrives."""

    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, Any]]] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                peer.received.append((time.time(), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


async def panel(
    account: str, port: int, count: int, period: float, offset: float, sent: dict[Any, Any]
) -> None:
    """One panel: a message every `period` seconds on one connection, each waiting its
    ACK (DC-09 panels answer in order). `sent[(account, seq)] = (t_send, t_ack, reply)`."""
    await asyncio.sleep(offset)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    start = time.monotonic()
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n * period - time.monotonic()))
        seq = n % 9999 + 1
        message = build_message(account, 1, "BA", sequence=seq, now=datetime.now(UTC))
        t0 = time.time()
        writer.write(message)
        await writer.drain()
        reply = await asyncio.wait_for(reader.readuntil(b"\r"), 30)
        sent[(account, f"{seq:04d}")] = (t0, time.time(), reply)
    writer.close()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def line(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no samples"
    ms = [v * 1000 for v in values]
    return (
        f"{name}: n={len(ms)} p50 {statistics.median(ms):.0f} ms  p95 {pct(ms, 95):.0f} ms  "
        f"p99 {pct(ms, 99):.0f} ms  max {max(ms):.0f} ms"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cameras", type=int, default=170)
    ap.add_argument("--accounts", type=int, default=50)
    ap.add_argument("--rate", type=float, default=100, help="messages a second, all panels")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--group-seconds", type=int, default=300)
    ap.add_argument("--until", choices=["notification", "incident"], default="notification")
    ap.add_argument("--warmup", type=float, default=20)
    ap.add_argument("--rtsp-port", type=int, default=18654)
    ap.add_argument("--dc09-port", type=int, default=18128)
    ap.add_argument("--sim-processes", type=int, default=2)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    args = ap.parse_args()
    notify = args.until == "notification"
    cams = make_cameras(
        args.cameras, width=args.width, height=args.height, fps=15, bitrate=1_500_000
    )
    peer = Peer()
    with (
        tempfile.TemporaryDirectory(prefix="beffroi-bench-alarms-") as tmp,
        ShardedServer(cams, "127.0.0.1", args.rtsp_port, processes=args.sim_processes),
    ):
        work = Path(tmp)
        data = work / "data"
        text = bench_site(args, args.dc09_port, notify)
        (work / "site.yaml").write_text(text)
        if notify:
            seed_oncall(data, text, peer.url)
        env = dict(
            os.environ,
            BEFFROI_ADMIN_PASSWORD="Bench-password-2026!",
            **{WEBHOOK_SECRET_ENV: "bench-secret-of-the-notifications-1234"},
        )
        log = (work / "beffroi.log").open("w")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "beffroi.cli",
                "run",
                "--site",
                str(work / "site.yaml"),
                "--data",
                str(data),
                "--listen",
                API,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        time.sleep(args.warmup)
        total = int(args.rate * args.seconds)
        per_panel = total // args.accounts
        period = args.accounts / args.rate
        sent: dict[Any, Any] = {}
        t_start = time.time()

        async def storm() -> list[Any]:
            return await asyncio.gather(
                *(
                    panel(
                        str(1000 + i),
                        args.dc09_port,
                        per_panel,
                        period,
                        i * period / args.accounts,
                        sent,
                    )
                    for i in range(args.accounts)
                ),
                return_exceptions=True,
            )

        failures = [r for r in asyncio.run(storm()) if isinstance(r, BaseException)]
        t_end = time.time()
        time.sleep(5 if notify else 1)  # the last notifications
        proc.send_signal(signal.SIGINT)
        proc.wait(120)
        log.close()
        db = sqlite3.connect(data / "beffroi.sqlite3")
        report(db, args, sent, failures, peer, t_start, t_end, notify)
    return 0


def report(
    db: sqlite3.Connection,
    args: argparse.Namespace,
    sent: dict[Any, Any],
    failures: list[Any],
    peer: Peer,
    t_start: float,
    t_end: float,
    notify: bool,
) -> None:
    acked = {k: v for k, v in sent.items() if v[2].startswith(b"\n") and b'"ACK"' in v[2]}
    stored = {
        (a, s)
        for a, s in db.execute(
            "select account, sequence from alarm_messages"
            " where receiver = 'sia-dc09' and outcome = 'accepted'"
        )
    }
    in_incident = db.execute("select count(distinct message_id) from incident_alarms").fetchone()[0]
    lost = [k for k in acked if k not in stored]
    print(
        f"storm: {len(sent)} sent in {t_end - t_start:.1f} s "
        f"({len(sent) / (t_end - t_start):.0f}/s)"
        f" from {args.accounts} accounts; {len(acked)} ACKed; {len(failures)} panel errors"
        f"{' (' + repr(failures[0])[:80] + ')' if failures else ''}"
    )
    print(f"lost: {len(lost)} ACKed but not stored; {in_incident} messages in incidents")
    print(line("ACK (received -> incident stored)", [v[1] - v[0] for v in acked.values()]))
    incidents = db.execute("select count(*) from incidents").fetchone()[0]
    print(f"incidents opened: {incidents} (group_seconds {args.group_seconds})")
    if notify:
        first_alarm = {
            iid: (acct, seq)
            for iid, acct, seq in db.execute(
                "select ia.incident_id, m.account, m.sequence from incident_alarms ia"
                " join alarm_messages m on m.id = ia.message_id"
                " where ia.id in (select min(id) from incident_alarms group by incident_id)"
            )
        }
        firsts: dict[int, float] = {}
        for at, body in peer.received:
            iid = body.get("incident")
            if isinstance(iid, int) and iid not in firsts:
                firsts[iid] = at
        latencies = [
            at - sent[first_alarm[i]][0] for i, at in firsts.items() if first_alarm.get(i) in sent
        ]
        print(line("alarm sent -> first notification received", latencies))
        print(f"incidents not notified: {incidents - len(firsts)}")
    n = args.cameras
    covered = db.execute(
        "select coalesce(sum(min(end_ms, :e) - max(start_ms, :s)), 0) from segments"
        " where end_ms > :s and start_ms < :e",
        {"s": t_start * 1000, "e": t_end * 1000},
    ).fetchone()[0]
    print(
        f"recording during the storm: {n} cameras, coverage of the window "
        f"{100 * covered / ((t_end - t_start) * 1000 * n):.2f}% (the segment being written "
        "at the stop is indexed at shutdown)"
    )


if __name__ == "__main__":
    sys.exit(main())
