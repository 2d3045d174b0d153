"""Prometheus text exposition (format 0.0.4), written by hand: no client library needed.

Per-camera series carry `camera` and `commune` labels and follow the caller's commune
scope. A value the recorder has not measured yet is left out, not reported as 0.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.clock import utc_ms
from beffroi.ingest.state import CameraState, Status
from beffroi.live.hub import LiveCounters
from beffroi.web.camera_info import visible_camera_rows
from beffroi.web.deps import Ctx, require

router = APIRouter(tags=["metrics"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Getter = Callable[[CameraState, int], float | None]

CAMERA_METRICS: list[tuple[str, str, str, Getter]] = [
    (
        "beffroi_camera_up",
        "gauge",
        "1 while the camera is recording, else 0",
        lambda s, _now: 1.0 if s.status == Status.RECORDING else 0.0,
    ),
    ("beffroi_camera_fps", "gauge", "Measured frame rate", lambda s, _now: s.fps),
    (
        "beffroi_camera_bitrate_bps",
        "gauge",
        "Measured bitrate in bits per second",
        lambda s, _now: s.bitrate_bps,
    ),
    (
        "beffroi_camera_reconnects_total",
        "counter",
        "Reconnections of the camera's RTSP session since start",
        lambda s, _now: float(s.reconnects),
    ),
    (
        "beffroi_camera_last_packet_age_seconds",
        "gauge",
        "Seconds since the last packet was received",
        lambda s, now: None if s.last_packet_ms is None else (now - s.last_packet_ms) / 1000,
    ),
    (
        "beffroi_camera_segment_write_lag_seconds",
        "gauge",
        "Delay between the end of a fragment and its bytes being on disk",
        lambda s, _now: None if s.segment_write_lag_ms is None else s.segment_write_lag_ms / 1000,
    ),
    (
        "beffroi_camera_timestamp_jumps_total",
        "counter",
        "Discontinuities seen in the camera's timestamps since start",
        lambda s, _now: float(s.timestamp_jumps),
    ),
    (
        "beffroi_camera_time_from_rtcp",
        "gauge",
        "1 while frame times come from the camera's RTCP clock, 0 from arrival at the server",
        lambda s, _now: None if s.time_source is None else float(s.time_source == "rtcp"),
    ),
    (
        "beffroi_camera_clock_error_seconds",
        "gauge",
        "The camera's RTCP clock minus the server's, latency included (absent without RTCP)",
        lambda s, _now: None if s.camera_clock_error_ms is None else s.camera_clock_error_ms / 1000,
    ),
]


LIVE_METRICS: list[tuple[str, str, str, Callable[[LiveCounters], int]]] = [
    ("beffroi_live_viewers", "gauge", "Live viewers of the camera now", lambda c: c.viewers),
    (
        "beffroi_live_sent_bytes_total",
        "counter",
        "Bytes of live video sent to viewers since start",
        lambda c: c.bytes_sent,
    ),
    (
        "beffroi_live_dropped_fragments_total",
        "counter",
        "Live fragments dropped for viewers too slow to keep up (they resume at a keyframe)",
        lambda c: c.dropped_fragments,
    ),
]


def live_lines(cameras: list[tuple[str, str]], counters: dict[str, LiveCounters]) -> list[str]:
    """Live view per camera; a camera nobody watched since start is left out."""
    lines: list[str] = []
    for name, kind, help_text, getter in LIVE_METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for camera_id, commune_id in cameras:
            found = counters.get(camera_id)
            if found is not None:
                labels = f'camera="{escape_label(camera_id)}",commune="{escape_label(commune_id)}"'
                lines.append(f"{name}{{{labels}}} {getter(found)}")
    return lines


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def format_value(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def _existing(path: Path) -> Path:
    # The archive folder may not exist yet on a fresh install: measure its volume.
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def render(
    cameras: list[tuple[str, str]],
    states: dict[str, CameraState],
    now_ms: int,
    disk: Path,
    live: dict[str, LiveCounters] | None = None,
) -> str:
    """The exposition text for `cameras` ((camera_id, commune_id) pairs)."""
    lines: list[str] = []
    for name, kind, help_text, getter in CAMERA_METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for camera_id, commune_id in cameras:
            state = states.get(camera_id) or CameraState(camera_id=camera_id)
            value = getter(state, now_ms)
            if value is None:
                continue
            labels = f'camera="{escape_label(camera_id)}",commune="{escape_label(commune_id)}"'
            lines.append(f"{name}{{{labels}}} {format_value(value)}")
    usage = shutil.disk_usage(_existing(disk))
    lines += [
        "# HELP beffroi_disk_free_bytes Free bytes on the archive's volume",
        "# TYPE beffroi_disk_free_bytes gauge",
        f"beffroi_disk_free_bytes {usage.free}",
        "# HELP beffroi_disk_total_bytes Size of the archive's volume in bytes",
        "# TYPE beffroi_disk_total_bytes gauge",
        f"beffroi_disk_total_bytes {usage.total}",
    ]
    lines += live_lines(cameras, live or {})
    return "\n".join(lines) + "\n"


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(
    ctx: Ctx, principal: Annotated[Principal, Depends(require(Permission.METRICS_READ))]
) -> PlainTextResponse:
    with ctx.engine.connect() as conn:
        rows = visible_camera_rows(conn, principal)
    text = render(
        [(r.id, r.commune_id) for r in rows],
        ctx.recorder.camera_states(),
        utc_ms(ctx.clock.now()),
        ctx.archive_root,
        ctx.live.counters() if ctx.live is not None else None,
    )
    return PlainTextResponse(text, media_type=CONTENT_TYPE)
