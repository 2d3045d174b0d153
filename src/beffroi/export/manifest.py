"""manifest.json of a sealed package: what was asked, what is delivered, and the proof.

The manifest is the signed statement: requisition, exporter, and per requested item the
camera, the requested and delivered ranges, the gaps, the files (with their SHA-256)
and the source segments (with their hash-chain links). `package_files` binds the other
files (LISEZMOI, the player) to the signature too, so rewriting SHA256SUMS after
editing any file of the package is detected (see verify.py).

Times are UTC ISO 8601 with "Z" and milliseconds, each with a `_local` twin in
Europe/Paris with its offset (the time the court reads on the town's clocks).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from beffroi import __version__
from beffroi.clock import PARIS
from beffroi.export.clips import ClipFile, ItemPlan
from beffroi.journal.keys import fingerprint
from beffroi.requisitions.register import Authority, RequisitionItem

FORMAT = "beffroi-export/1"
MANIFEST_JS_PREFIX = "window.BEFFROI_MANIFEST = "
MANIFEST_JS_SUFFIX = ";\n"


@dataclass(frozen=True)
class ExportOrder:
    """Everything a package states about why and by whom it was made."""

    export_id: int
    number: str  # the requisition's register number, e.g. 2026-0042
    procedure: str
    legal_basis: str
    authority: Authority
    received_ms: int
    items: tuple[RequisitionItem, ...]
    exported_by: str
    exported_role: str


@dataclass(frozen=True)
class DeliveredFile:
    path: str  # relative to the package root
    clip: ClipFile
    sha256: str
    bytes: int


def package_folder(order: ExportOrder) -> str:
    """The ZIP's root folder, e.g. requisition-2026-0042."""
    return f"requisition-{order.number}"


def zip_name(order: ExportOrder) -> str:
    return f"{package_folder(order)}-export-{order.export_id}.zip"


def iso_utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{ms % 1000:03d}Z"
    )


def iso_local(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=PARIS).isoformat(timespec="milliseconds")


def instant(name: str, ms: int) -> dict[str, str]:
    return {name: iso_utc(ms), f"{name}_local": iso_local(ms)}


def interval(start_ms: int, end_ms: int) -> dict[str, str]:
    return {**instant("start", start_ms), **instant("end", end_ms)}


def signing_key_info(public_key: Ed25519PublicKey) -> dict[str, str]:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "algorithm": "Ed25519",
        "fingerprint": fingerprint(public_key),
        "public_key": base64.b64encode(raw).decode("ascii"),
    }


def camera_entry(camera_id: str, camera: Any) -> dict[str, Any]:
    """`camera`: a row of cameras joined with its commune's name (None if unknown)."""
    if camera is None:
        keys = ("name", "commune", "commune_name", "location")
        return {"id": camera_id, **dict.fromkeys(keys)}
    location = None
    if camera.lat is not None and camera.lon is not None:
        location = {"lat": camera.lat, "lon": camera.lon, "address": camera.district}
    return {
        "id": camera.id,
        "name": camera.name,
        "commune": camera.commune_id,
        "commune_name": camera.commune_name,
        "location": location,
    }


def file_entry(f: DeliveredFile) -> dict[str, Any]:
    clip, first = f.clip, f.clip.first
    return {
        "path": f.path,
        **interval(clip.start_ms, clip.end_ms),
        "duration_s": round(clip.duration_s, 3),
        "frames": clip.frames,
        "fps": round(clip.frames / clip.duration_s, 3) if clip.duration_s > 0 else first.fps,
        "width": first.width,
        "height": first.height,
        "codec": first.codec,
        "bytes": f.bytes,
        "sha256": f.sha256,
    }


def clip_entry(
    camera_id: str, camera: Any, plan: ItemPlan, files: list[DeliveredFile]
) -> dict[str, Any]:
    delivered = None
    if files:
        delivered = interval(min(f.clip.start_ms for f in files), max(f.clip.end_ms for f in files))
    return {
        "camera": camera_entry(camera_id, camera),
        "requested": interval(plan.start_ms, plan.end_ms),
        "delivered": delivered,
        "gaps": [{**interval(s, e), "seconds": (e - s) / 1000} for s, e in plan.gaps],
        "files": [file_entry(f) for f in files],
        "segments": [
            {
                "sha256": s.sha256,
                "prev_sha256": s.prev_sha256,
                **interval(s.start_ms, s.end_ms),
                "bytes": s.bytes,
                "salvaged": s.salvaged,
                # Where its frame times come from: the camera's RTCP clock checked
                # against the server's, or the server's clock at arrival (TIME_SOURCES).
                "time_source": s.time_source,
                # Recorded while the server's clock was stepped by this many ms: the
                # times of an arrival-stamped segment may be off by that much.
                "clock_step_ms": s.clock_step_ms,
            }
            for s in plan.segments
        ],
    }


def build_manifest(
    order: ExportOrder,
    exported_ms: int,
    public_key: Ed25519PublicKey,
    clips: list[dict[str, Any]],
    package_files: dict[str, str],
) -> dict[str, Any]:
    a = order.authority
    return {
        "format": FORMAT,
        "software": {"name": "Beffroi", "version": __version__},
        "installation": {"signing_key": signing_key_info(public_key)},
        "requisition": {
            "number": order.number,
            "procedure": order.procedure,
            "legal_basis": order.legal_basis,
            "authority": {"name": a.name, "rank": a.rank, "service": a.service, "unit": a.unit},
            **instant("received_at", order.received_ms),
        },
        "export": {
            "id": order.export_id,
            **instant("exported_at", exported_ms),
            "exported_by": {"username": order.exported_by, "role": order.exported_role},
        },
        "clips": clips,
        "package_files": [
            {"path": path, "sha256": sha} for path, sha in sorted(package_files.items())
        ],
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False).encode("utf-8")


def manifest_js(manifest_json: bytes) -> bytes:
    """file:// pages cannot fetch() JSON: the player reads the manifest as a script."""
    return MANIFEST_JS_PREFIX.encode() + manifest_json + MANIFEST_JS_SUFFIX.encode()
