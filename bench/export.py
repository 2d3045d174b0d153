"""Export throughput: one hour of one camera into a sealed package, against ffmpeg.

    python -m bench.export [--minutes 60] [--rounds 5]

The footage is what the recorder writes: the simulator's 720p, 15 fps, 1.5 Mbit/s
H.264 clip, fed through the recorder's own `SegmentWriter` into one-minute fragmented
MP4 segments, indexed in SQLite with their hash chain (generated once, cached under
/tmp). Each round, side by side:
- Beffroi: `build_package` of the hour (plan, read + SHA-256 check of every source
  segment, byte-level join, ZIP with SHA-256 of every output file, manifest, signature,
  fsync and rename): the whole export as an investigator gets it;
- baseline: `ffmpeg -f concat -safe 0 -i list -c copy out.mp4` over the same segments
  (no hashing at all), and the same plus `sha256sum` of the sources and the output
  (the same work as Beffroi's).
Prints the medians in × real time and the ratio to ffmpeg. Sources are in the page
cache for both (each round reads them).
"""

from __future__ import annotations

import argparse
import io
import resource
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import av
from sqlalchemy import Engine, insert, select

from beffroi.archive.index import index_segment
from beffroi.archive.segment import Segment
from beffroi.archive.tables import segments
from beffroi.archive.writer import SegmentWriter
from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.export.manifest import ExportOrder
from beffroi.export.package import build_package
from beffroi.ingest.spec import VideoTrack
from beffroi.journal.keys import load_or_create_key
from beffroi.requisitions.register import Authority, RequisitionItem
from beffroi.sim.clips import ClipSpec, ensure_clip
from beffroi.site.tables import cameras, communes

T0 = 1_793_523_600_000  # 2026-11-01T09:00Z
CAMERA = "jlt-001"
CLIP = ClipSpec(width=1280, height=720, fps=15, bitrate=1_500_000, duration=60.0)


@dataclass
class Round:
    beffroi_s: float
    ffmpeg_s: float
    ffmpeg_durable_s: float
    ffmpeg_hashed_s: float
    beffroi_cpu_s: float
    ffmpeg_cpu_s: float


def cpu_seconds(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def record_hour(engine: Engine, root: Path, minutes: int, cache: Path) -> None:
    """`minutes` one-minute segments, written by the recorder's writer, indexed."""
    clip = ensure_clip(CLIP, cache.parent / "clips")  # shared by every --minutes
    infos: list[Segment] = []
    writer: SegmentWriter | None = None
    with av.open(str(clip)) as probe:
        tb = float(probe.streams.video[0].time_base)
    wall = T0
    for loop in range(minutes + 1):
        with av.open(str(clip)) as src:
            stream = src.streams.video[0]
            if writer is None:
                writer = SegmentWriter(
                    root, CAMERA, VideoTrack.of_stream(stream), infos.append, segment_ms=60_000
                )
            writer.track = VideoTrack.of_stream(stream)  # the previous loop's container is closed
            first = None
            for packet in src.demux(stream):
                if packet.dts is None:
                    continue
                first = packet.dts if first is None else first
                # Wall time follows the media: the clip loops, the camera "runs" an hour.
                wall = T0 + loop * 60_000 + round((packet.dts - first) * tb * 1000)
                if wall >= T0 + minutes * 60_000:
                    break
                writer.write(packet, wall)
    assert writer is not None
    writer.close()
    with engine.begin() as conn:
        conn.execute(insert(communes).values(id="joue-les-tours", name="Joué", updated_ms=0))
        camera = {"id": CAMERA, "name": "Place de la Mairie", "commune_id": "joue-les-tours"}
        conn.execute(
            insert(cameras).values(
                **camera,
                stream_url="rtsp://x",
                retention_s=15 * 86400,
                view="general",
                enabled=True,
                updated_ms=0,
            )
        )
        for info in infos:
            index_segment(conn, info, info.end_ms)


def setup(cache: Path, minutes: int) -> tuple[Engine, Path, list[Path]]:
    cache.mkdir(parents=True, exist_ok=True)
    root = cache / "archive"
    db = cache / "index.sqlite3"
    if not db.exists():
        print(f"recording {minutes} min of {CLIP.width}x{CLIP.height} into {cache} (once)")
        shutil.rmtree(root, ignore_errors=True)
        tmp = db.with_suffix(".building")
        tmp.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{tmp}")
        upgrade(engine)
        record_hour(engine, root, minutes, cache)
        engine.dispose()
        tmp.rename(db)
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        paths = [
            root / p
            for p in conn.execute(select(segments.c.path).order_by(segments.c.start_ms)).scalars()
        ]
    return engine, root, paths


def run_beffroi(engine: Engine, root: Path, out: Path, minutes: int, n: int) -> tuple[float, float]:
    order = ExportOrder(
        export_id=n, number="2026-0001", procedure="2026/000001", legal_basis="60-1",
        authority=Authority("Martin", "Capitaine", "Commissariat", None), received_ms=T0,
        items=(RequisitionItem(CAMERA, T0, T0 + minutes * 60_000),), exported_by="bench",
        exported_role="supervisor",
    )  # fmt: skip
    key = load_or_create_key(out.parent / "key")
    started, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
    result = build_package(engine, root, out, key, order, T0 + 86_400_000)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu
    result.path.unlink()
    return elapsed, cpu


def run_ffmpeg(
    paths: list[Path], out: Path, hashed: bool = False, durable: bool = False
) -> tuple[float, float]:
    listing = out / "list.txt"
    listing.write_text("".join(f"file '{p}'\n" for p in paths))
    target = out / "out.mp4"
    started, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_CHILDREN)
    if hashed:
        subprocess.run(["sha256sum", *map(str, paths)], check=True, capture_output=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
         "-c", "copy", str(target)],
        check=True,
    )  # fmt: skip
    if hashed:
        subprocess.run(["sha256sum", str(target)], check=True, capture_output=True)
    if durable:  # what Beffroi does before calling a package done
        subprocess.run(["sync", "-d", str(target)], check=True)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
    target.unlink()
    return elapsed, cpu


def check_output_plays(engine: Engine, root: Path, out: Path, minutes: int) -> str:
    """One package's clip, decoded at its start and after a seek near its end."""
    import zipfile

    order = ExportOrder(
        0, "2026-0001", "x", "60-1", Authority("a", None, "s", None), T0,
        (RequisitionItem(CAMERA, T0, T0 + minutes * 60_000),), "bench", "supervisor",
    )  # fmt: skip
    path = build_package(engine, root, out, load_or_create_key(out.parent / "key"), order, T0).path
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".mp4"))
        data = zf.read(name)
    path.unlink()
    with av.open(io.BytesIO(data)) as c:
        s = c.streams.video[0]
        duration = c.duration / 1e6
        c.seek(int((duration - 5) / s.time_base), stream=s)
        late = next(c.decode(s))
    return (
        f"one file of {len(data) / 1e6:.0f} MB, {duration:.1f} s; "
        f"a seek to {float(late.time):.1f} s decodes"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/beffroi-bench-export"))
    args = ap.parse_args()
    engine, root, paths = setup(args.cache / f"{args.minutes}min", args.minutes)
    size = sum(p.stat().st_size for p in paths)
    seconds = args.minutes * 60
    out = args.cache / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    print(f"{len(paths)} segments, {size / 1e6:.0f} MB, {size * 8 / seconds / 1e6:.2f} Mbit/s")
    print(check_output_plays(engine, root, out, args.minutes))
    rounds = []
    for n in range(args.rounds):
        (b, b_cpu), (f, f_cpu) = (
            run_beffroi(engine, root, out, args.minutes, n + 1),
            run_ffmpeg(paths, out),
        )
        fd, _ = run_ffmpeg(paths, out, durable=True)
        fh, _ = run_ffmpeg(paths, out, hashed=True, durable=True)
        rounds.append(Round(b, f, fd, fh, b_cpu, f_cpu))
        print(
            f"  round {n + 1}: beffroi {b:.2f} s ({b_cpu:.2f} s CPU), ffmpeg {f:.2f} s "
            f"({f_cpu:.2f} s CPU), +fsync {fd:.2f} s, +sha256sum+fsync {fh:.2f} s"
        )
    med = {k: statistics.median(getattr(r, k) for r in rounds) for k in Round.__annotations__}
    b, f, fd, fh = (
        med[k] for k in ("beffroi_s", "ffmpeg_s", "ffmpeg_durable_s", "ffmpeg_hashed_s")
    )
    print(f"median of {args.rounds} rounds, {args.minutes} min of footage (wall clock):")
    for label, t in (
        ("beffroi export (hashes, ZIP, signature, fsync)", b),
        ("ffmpeg -f concat -c copy (no hashing, no fsync)", f),
        ("ffmpeg concat + fsync", fd),
        ("ffmpeg concat + sha256sum in and out + fsync", fh),
    ):
        print(f"  {label:<48} {t:6.2f} s = {seconds / t:7,.0f}x real time")
    print(
        f"  beffroi / ffmpeg throughput: {f / b:.2f} (target >= 0.8); "
        f"vs ffmpeg+fsync: {fd / b:.2f}; vs the same work: {fh / b:.2f}"
    )
    bc, fc = med["beffroi_cpu_s"], med["ffmpeg_cpu_s"]
    print(f"  CPU: beffroi {bc:.2f} s, ffmpeg {fc:.2f} s (ratio {fc / bc:.2f})")


if __name__ == "__main__":
    main()
