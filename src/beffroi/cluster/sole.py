"""One recorder per centre: a second `beffroi run` on the same data or the same
database refuses to start, instead of recording every camera a second time.

The classic mistake (a `beffroi run` by hand while systemd's one runs; a second server
pointed at the same PostgreSQL) would give every camera two writers: duplicate
segments, broken hash chains, retention racing itself. Two guards:

- **the data directory** is locked (`flock` on `DATA/beffroi.lock`, which names the
  process holding it) for the life of the process; the kernel drops the lock when the
  process dies, however it dies;
- **the database** holds the lease `centre:recorder` (`beffroi.cluster.leases`), taken
  before anything records and renewed by a `Leadership` loop. A second server with
  another data directory finds it held: it waits once for the lease to run out (a
  server that died a moment ago leaves a lease of at most 15 s), then refuses if it is
  still renewed. The same data directory on the same host is the same holder, so a
  restart after a crash takes the lease back at once.

Several recorders on one database is the cluster's matter (issue 16), with a lease per
camera instead of this one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import IO

from sqlalchemy import Engine

from beffroi.clock import Clock, utc_ms
from beffroi.cluster.leader import TTL_S, Leadership
from beffroi.cluster.leases import holders

log = logging.getLogger(__name__)

LOCK_FILE = "beffroi.lock"
LEASE = "recorder"  # the lease is `loop:recorder`: one recorder leads the centre


class AnotherCentreError(RuntimeError):
    """Another Beffroi records this centre; the message says which and what to do."""


def lock_data_dir(data_dir: Path) -> IO[str]:
    """Hold `DATA/beffroi.lock` until the process ends (keep the returned file open)."""
    path = data_dir / LOCK_FILE
    handle = path.open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise AnotherCentreError(
            f"another Beffroi runs with the data directory {data_dir} ({holder}): stop it "
            "first (systemctl stop beffroi)"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
    handle.flush()
    return handle


def node_name(data_dir: Path) -> str:
    """Who records, as the lease names it: this host and this data directory."""
    return f"{socket.gethostname()}:{data_dir.resolve()}"[-64:]


def claim_recorder(
    engine: Engine, clock: Clock, data_dir: Path, ttl_s: float = TTL_S
) -> Leadership:
    """The centre's recorder lease, held and renewed from now on (stop it at the end);
    `AnotherCentreError` when another server renews it."""
    lead = Leadership(engine, LEASE, node_name(data_dir), clock, ttl_s=ttl_s)
    for attempt in range(2):
        lead.renew()
        if lead.leads():
            return lead.start()
        if attempt == 0:
            held = [h for h in holders(engine, lead.name) if h.holder]
            left_ms = max((h.expires_ms for h in held), default=0) - utc_ms(clock.now())
            log.warning(
                "another server holds this centre's recorder lease (%s): waiting %.0f s "
                "for it to run out",
                ", ".join(h.holder for h in held) or "?",
                max(0, left_ms) / 1000,
            )
            clock.sleep(max(0.0, left_ms / 1000) + 1.0)
    holder = ", ".join(h.holder for h in holders(engine, lead.name) if h.holder) or "?"
    raise AnotherCentreError(
        f"another Beffroi records this centre's database ({holder}): two recorders would "
        "write every camera twice. Stop the other server first; several servers on one "
        "database is the cluster (docs/design/cluster.md)"
    )
