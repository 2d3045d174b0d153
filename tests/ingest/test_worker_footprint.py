"""What a recording worker costs in memory before it records anything: what it imports,
and how its allocator is set (`beffroi.malloc`, `docs/design/ingest.md`, *Memory*)."""

from __future__ import annotations

import subprocess
import sys

from beffroi.malloc import Trimmer, tune_allocator


def test_a_worker_loads_no_database_code() -> None:
    # What a spawned worker imports: the main module, the target's, the sinks' (pickled).
    code = (
        "import sys, beffroi.cli, beffroi.ingest.worker, beffroi.archive.sink\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'fastapi', 'pydantic', 'numpy', 'psycopg'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_the_allocator_is_set_on_glibc() -> None:
    assert tune_allocator()


def test_the_heap_is_trimmed_at_most_once_a_period() -> None:
    now = [0.0]
    trim = Trimmer(period_s=10.0, now=lambda: now[0])
    trim()
    assert trim.trims == 0  # not at start: the first sessions are still settling
    now[0] = 9.9
    trim()
    assert trim.trims == 0
    now[0] = 10.0
    trim()
    trim()
    assert trim.trims == 1
    now[0] = 25.0
    trim()
    assert trim.trims == 2
