"""The sealed package: clips, manifest, signature, SHA256SUMS, LISEZMOI and the player,
in one ZIP under DATA/exports/ (layout: docs/design/export.md).

Video is stored (ZIP_STORED: H.264 does not compress further, and stored entries keep
the clips byte-identical to what their SHA-256 covers); text is deflated. Clips stream
from the archive straight into the ZIP, hashed on the way: one pass over the footage.
The ZIP is written as `.part`, fsynced, then renamed, so a package that exists is
complete. An export never eats into the recorder's free-space floor.
"""

from __future__ import annotations

import base64
import ctypes
import hashlib
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select

from beffroi.archive.layout import PART_SUFFIX, fsync_dir
from beffroi.clock import PARIS
from beffroi.export.clips import ClipFile, ItemPlan, plan_item, write_clip
from beffroi.export.lisezmoi import lisezmoi
from beffroi.export.manifest import (
    DeliveredFile,
    ExportOrder,
    build_manifest,
    clip_entry,
    manifest_bytes,
    manifest_js,
    package_folder,
    zip_name,
)
from beffroi.site.tables import cameras, communes

PLAYER_DIR = Path(__file__).parent / "player"
SUMS = "SHA256SUMS"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
MANIFEST_JS = "player/manifest.js"
README = "LISEZMOI.txt"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class NotEnoughSpace(RuntimeError):
    pass


def _sync_file_range() -> Callable[..., int] | None:
    try:
        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None  # not Linux: the final fsync does all the work
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    return fn  # type: ignore[no-any-return]


_SYNC_FILE_RANGE = _sync_file_range()
SYNC_FILE_RANGE_WRITE = 2


def start_writeback(f: Any) -> None:
    """Have the kernel start writing what is written so far, without waiting: the disk
    works while the next segments are read and hashed, and the final fsync waits only
    for the tail instead of the whole package (measured: bench/export.py)."""
    if _SYNC_FILE_RANGE is None or f is None:
        return
    f.flush()
    _SYNC_FILE_RANGE(f.fileno(), 0, 0, SYNC_FILE_RANGE_WRITE)


@dataclass(frozen=True)
class PackageResult:
    path: Path
    bytes: int
    manifest_sha256: str
    cameras: tuple[str, ...]
    footage_start_ms: int | None  # first delivered frame, all items
    footage_end_ms: int | None
    footage_ms: int  # total duration of the delivered files


def plan_order(
    engine: Engine, archive_root: Path, order: ExportOrder, now_ms: int
) -> list[ItemPlan]:
    with engine.connect() as conn:
        return [
            plan_item(conn, archive_root, i.camera_id, i.start_ms, i.end_ms, now_ms)
            for i in order.items
        ]


def clip_path(clip: ClipFile, taken: set[str]) -> str:
    cam = _UNSAFE.sub("_", clip.camera_id)
    stamp_utc = datetime.fromtimestamp(clip.start_ms / 1000, tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    path, n = f"clips/{cam}/{cam}_{stamp_utc}.mp4", 1
    while path in taken:
        n += 1
        path = f"clips/{cam}/{cam}_{stamp_utc}-{n}.mp4"
    taken.add(path)
    return path


def player_files(player_dir: Path) -> dict[str, bytes]:
    """The offline player's files, copied verbatim (none when not installed)."""
    if not player_dir.is_dir():
        return {}
    return {
        f"player/{p.name}": p.read_bytes()
        for p in sorted(player_dir.iterdir())
        if p.is_file() and not p.name.startswith((".", "_")) and p.name != "manifest.js"
    }


def build_package(
    engine: Engine,
    archive_root: Path,
    exports_dir: Path,
    key: Ed25519PrivateKey,
    order: ExportOrder,
    exported_ms: int,
    *,
    plans: list[ItemPlan] | None = None,
    progress: Callable[[float], None] | None = None,
    free_floor_bytes: int = 0,
    player_dir: Path = PLAYER_DIR,
    fingerprint_published_at: str | None = None,
) -> PackageResult:
    plans = plans if plans is not None else plan_order(engine, archive_root, order, exported_ms)
    exports_dir.mkdir(parents=True, exist_ok=True)
    needed = sum(f.size() for p in plans for f in p.files) + (1 << 20)
    free = shutil.disk_usage(exports_dir).free
    if free - needed < free_floor_bytes:
        raise NotEnoughSpace(
            f"not enough disk space for the package: {needed} bytes needed, {free} free, "
            f"{free_floor_bytes} reserved for recording"
        )
    total = max(1, sum(p.source_bytes for p in plans))
    done = 0

    final = exports_dir / zip_name(order)
    part = final.with_name(final.name + PART_SUFFIX)
    folder = package_folder(order) + "/"
    when = datetime.fromtimestamp(exported_ms / 1000, tz=PARIS).timetuple()[:6]
    sums: dict[str, str] = {}

    def add_text(zf: zipfile.ZipFile, path: str, data: bytes) -> None:
        info = zipfile.ZipInfo(folder + path, when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, data)
        sums[path] = hashlib.sha256(data).hexdigest()

    key_public = key.public_key()
    with engine.connect() as conn:
        rows = {
            r.id: r
            for r in conn.execute(
                select(cameras, communes.c.name.label("commune_name"))
                .join(communes, communes.c.id == cameras.c.commune_id)
                .where(cameras.c.id.in_(sorted({p.camera_id for p in plans})))
            )
        }
    try:
        with zipfile.ZipFile(part, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:

            def on_source(n: int) -> None:
                nonlocal done
                done += n
                start_writeback(zf.fp)
                if progress is not None:
                    progress(min(1.0, done / total))

            delivered: list[list[DeliveredFile]] = []
            taken: set[str] = set()
            for plan in plans:
                out: list[DeliveredFile] = []
                for clip in plan.files:
                    path = clip_path(clip, taken)
                    info = zipfile.ZipInfo(folder + path, when)
                    info.external_attr = 0o644 << 16
                    with zf.open(info, "w", force_zip64=True) as entry:
                        sha, size = write_clip(clip, archive_root, entry, on_source)
                    sums[path] = sha
                    out.append(DeliveredFile(path, clip, sha, size))
                delivered.append(out)
            readme = lisezmoi(order, exported_ms, plans, key_public, fingerprint_published_at)
            add_text(zf, README, readme)
            for path, data in player_files(player_dir).items():
                add_text(zf, path, data)
            bound = dict(sums)
            clips = [
                clip_entry(p.camera_id, rows.get(p.camera_id), p, files)
                for p, files in zip(plans, delivered, strict=True)
            ]
            for path in (f.path for files in delivered for f in files):
                bound.pop(path)  # clips are bound by their own entries
            manifest = manifest_bytes(build_manifest(order, exported_ms, key_public, clips, bound))
            add_text(zf, MANIFEST, manifest)
            add_text(zf, MANIFEST_JS, manifest_js(manifest))
            add_text(zf, SIGNATURE, base64.b64encode(key.sign(manifest)) + b"\n")
            listing = "".join(f"{sums[p]}  {p}\n" for p in sorted(sums))
            info = zipfile.ZipInfo(folder + SUMS, when)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, listing.encode("utf-8"))
        with part.open("rb+") as f:
            os.fsync(f.fileno())
        os.chmod(part, 0o640)
        os.replace(part, final)
        fsync_dir(final.parent)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    files = [f for p in plans for f in p.files]
    return PackageResult(
        path=final,
        bytes=final.stat().st_size,
        manifest_sha256=hashlib.sha256(manifest).hexdigest(),
        cameras=tuple(sorted({p.camera_id for p in plans})),
        footage_start_ms=min((f.start_ms for f in files), default=None),
        footage_end_ms=max((f.end_ms for f in files), default=None),
        footage_ms=sum(f.end_ms - f.start_ms for f in files),
    )
