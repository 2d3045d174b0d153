"""Where a process's CPU goes: py-spy on a running process, summarised by stage.

    python -m bench.profile PID --seconds 30

`bench.ingest --profile` runs it on the supervisor and on one worker during its
measurement. py-spy samples the Python stacks (with `--native`, the C frames under
them too: FFmpeg's demuxer, muxer, the SHA-256); each stack is charged to the first
stage whose marker it contains, innermost first, so the stages add up to 100 % of the
samples where the process was busy.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

# (stage, markers): a stack goes to the first stage one of whose markers a frame
# contains, looking from the innermost frame outwards.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("sha256", ("sha256", "hashlib", "SHA256", "update (hashlib")),
    ("file write", ("write (beffroi/archive/writer.py", "__libc_write", "os.write")),
    ("mux (FFmpeg mp4)", ("mux (av/", "av_interleaved", "av_write_frame", "mov_", "ff_mov")),
    ("live notify", ("on_live", "live (beffroi/ingest/worker.py")),
    ("state publish", ("_publish", "state (beffroi/ingest/worker.py")),
    ("queue/pickle", ("multiprocessing", "pickle", "_feed", "_send_bytes", "_recv_bytes")),
    ("whole pictures", ("beffroi/ingest/access_units.py",)),
    ("frame clock", ("beffroi/ingest/frame_clock.py", "beffroi/ingest/arrival.py")),
    ("pictures", ("beffroi/ingest/pictures.py",)),
    ("demux (FFmpeg rtsp)", ("demux (av/", "av_read_frame", "ff_rtsp", "rtp_", "ff_rtp")),
    ("writer (Python)", ("beffroi/archive/writer.py",)),
    ("recorder loop", ("beffroi/ingest/camera.py",)),
    ("index / events", ("beffroi/archive/index.py", "beffroi/ingest/supervisor.py")),
    ("live hub", ("beffroi/live/",)),
]


def record(pid: int, seconds: float, native: bool = False) -> Path:
    """Samples of the thread holding the GIL (`--gil`), 100 a second: where the Python
    side spends its time. With `native`, every thread's C frames too (FFmpeg's, which
    run without the GIL), at the price of stopping the process at each sample."""
    out = Path(tempfile.mkdtemp(prefix="beffroi-spy-")) / f"{pid}.txt"
    # py-spy installs next to the interpreter (a virtual environment's bin/).
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    cmd = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds))]
    cmd += ["--rate", "100", "--format", "raw", "--output", str(out)]
    cmd.append("--native" if native else "--gil")
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"py-spy failed on {pid}: {done.stderr.strip()[-500:]}")
    return out


def stage_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for stage, markers in STAGES:
            if any(m in frame for m in markers):
                return stage
    return "other"


def summarise(path: Path, top: int = 15) -> str:
    stages: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if any("wait" in f.split(" (")[0] or "select" in f for f in frames[-2:]):
            continue  # idle: blocked in a wait, not working
        total += n
        stages[stage_of(frames)] += n
        leaves[frames[-1]] += n
    lines = [f"{total} busy samples ({total / 100:.1f} s with the GIL at 100 Hz)"]
    lines += [f"  {100 * n / total:5.1f} %  {stage}" for stage, n in stages.most_common()]
    lines.append("  innermost frames:")
    lines += [f"  {100 * n / total:5.1f} %  {leaf[:110]}" for leaf, n in leaves.most_common(top)]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("pid", type=int)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--native", action="store_true")
    args = ap.parse_args()
    print(summarise(record(args.pid, args.seconds, args.native)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
