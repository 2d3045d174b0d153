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


class _PackageZip:
    """The package's ZIP being written: every entry under one folder, at the export's
    time, and the SHA-256 of each for SHA256SUMS."""

    def __init__(self, zf: zipfile.ZipFile, folder: str, exported_ms: int) -> None:
        self.zf = zf
        self.folder = folder
        self.when = datetime.fromtimestamp(exported_ms / 1000, tz=PARIS).timetuple()[:6]
        self.sums: dict[str, str] = {}
        self.taken: set[str] = set()

    def _info(self, path: str, compress: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(self.folder + path, self.when)
        info.compress_type = compress
        info.external_attr = 0o644 << 16
        return info

    def add_text(self, path: str, data: bytes) -> None:
        self.zf.writestr(self._info(path, zipfile.ZIP_DEFLATED), data)
        self.sums[path] = hashlib.sha256(data).hexdigest()

    def add_clip(
        self, clip: ClipFile, archive_root: Path, on_source: Callable[[int], None]
    ) -> DeliveredFile:
        """Stream the clip from the archive into a stored entry, hashed on the way."""
        path = clip_path(clip, self.taken)
        with self.zf.open(self._info(path, zipfile.ZIP_STORED), "w", force_zip64=True) as entry:
            sha, size = write_clip(clip, archive_root, entry, on_source)
        self.sums[path] = sha
        return DeliveredFile(path, clip, sha, size)

    def add_sums(self) -> None:
        """SHA256SUMS, last: every other entry, by path (not itself listed)."""
        listing = "".join(f"{self.sums[p]}  {p}\n" for p in sorted(self.sums))
        self.zf.writestr(self._info(SUMS, zipfile.ZIP_DEFLATED), listing.encode("utf-8"))


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
    """Plan (unless given), check the space, write the clips, seal them with the signed
    manifest, then rename the finished `.part` into place."""
    plans = plans if plans is not None else plan_order(engine, archive_root, order, exported_ms)
    exports_dir.mkdir(parents=True, exist_ok=True)
    _check_space(plans, exports_dir, free_floor_bytes)
    rows = _camera_rows(engine, plans)
    final = exports_dir / zip_name(order)
    part = final.with_name(final.name + PART_SUFFIX)
    total, done = max(1, sum(p.source_bytes for p in plans)), 0
    try:
        with zipfile.ZipFile(part, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            package = _PackageZip(zf, package_folder(order) + "/", exported_ms)

            def on_source(n: int) -> None:
                nonlocal done
                done += n
                start_writeback(zf.fp)
                if progress is not None:
                    progress(min(1.0, done / total))

            delivered = [
                [package.add_clip(clip, archive_root, on_source) for clip in plan.files]
                for plan in plans
            ]
            readme = lisezmoi(order, exported_ms, plans, key.public_key(), fingerprint_published_at)
            package.add_text(README, readme)
            for path, data in player_files(player_dir).items():
                package.add_text(path, data)
            manifest = _seal(package, key, order, exported_ms, plans, delivered, rows)
            package.add_sums()
        _put_in_place(part, final)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return _result(final, manifest, plans)


def _check_space(plans: list[ItemPlan], exports_dir: Path, free_floor_bytes: int) -> None:
    needed = sum(f.size() for p in plans for f in p.files) + (1 << 20)
    free = shutil.disk_usage(exports_dir).free
    if free - needed < free_floor_bytes:
        raise NotEnoughSpace(
            f"not enough disk space for the package: {needed} bytes needed, {free} free, "
            f"{free_floor_bytes} reserved for recording"
        )


def _camera_rows(engine: Engine, plans: list[ItemPlan]) -> dict[str, Any]:
    with engine.connect() as conn:
        return {
            r.id: r
            for r in conn.execute(
                select(cameras, communes.c.name.label("commune_name"))
                .join(communes, communes.c.id == cameras.c.commune_id)
                .where(cameras.c.id.in_(sorted({p.camera_id for p in plans})))
            )
        }


def _seal(
    package: _PackageZip,
    key: Ed25519PrivateKey,
    order: ExportOrder,
    exported_ms: int,
    plans: list[ItemPlan],
    delivered: list[list[DeliveredFile]],
    rows: dict[str, Any],
) -> bytes:
    """The manifest binding every clip (by its own entry) and every other file (by its
    hash), its copy for the player, and its signature; returns the manifest."""
    clips = [
        clip_entry(p.camera_id, rows.get(p.camera_id), p, files)
        for p, files in zip(plans, delivered, strict=True)
    ]
    clip_paths = {f.path for files in delivered for f in files}
    bound = {path: sha for path, sha in package.sums.items() if path not in clip_paths}
    manifest = manifest_bytes(build_manifest(order, exported_ms, key.public_key(), clips, bound))
    package.add_text(MANIFEST, manifest)
    package.add_text(MANIFEST_JS, manifest_js(manifest))
    package.add_text(SIGNATURE, base64.b64encode(key.sign(manifest)) + b"\n")
    return manifest


def _put_in_place(part: Path, final: Path) -> None:
    """A package that exists is complete: fsynced as `.part`, then renamed."""
    with part.open("rb+") as f:
        os.fsync(f.fileno())
    os.chmod(part, 0o640)
    os.replace(part, final)
    fsync_dir(final.parent)


def _result(final: Path, manifest: bytes, plans: list[ItemPlan]) -> PackageResult:
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
