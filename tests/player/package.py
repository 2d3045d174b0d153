"""A sealed-export package laid out as docs contract section 3 says, built for the player
tests without the exporter: real H.264 MP4 clips (PyAV), manifest.json, player/manifest.js
and the player files copied verbatim from src/beffroi/export/player/.

Every frame carries its own identity as two rows of eight black/white cells: the upper
row is the file number, the lower row the frame index (bit i in column i), so a canvas
grab or a saved PNG tells exactly which frame of which file it shows.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import av
import numpy as np

import beffroi

PLAYER_SRC = Path(beffroi.__file__).parent / "export" / "player"
PARIS = ZoneInfo("Europe/Paris")
FPS = 25
SIZE = (320, 240)
CELL = SIZE[0] // 8
FILE_ROW, FRAME_ROW = 70, 180  # sample rows of the two bands
MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"


@dataclass(frozen=True)
class Clip:
    number: int  # written in the picture
    camera: str
    start: datetime
    frames: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.frames / FPS)

    @property
    def path(self) -> str:
        return f"clips/{self.camera}/{self.camera}_{self.start:%Y%m%dT%H%M%SZ}.mp4"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


CAMERAS = {
    "tst-001": {
        "name": "Place de la Mairie",
        "commune": "joue-les-tours",
        "commune_name": "Joué-lès-Tours",
        "location": {"lat": 47.35, "lon": 0.66, "address": "1 place de la Mairie"},
    },
    "tst-002": {
        "name": "Pont de l'Europe",
        "commune": "tours",
        "commune_name": "Tours",
        "location": {"lat": 47.39, "lon": 0.69, "address": "Pont de l'Europe"},
    },
}
# tst-001 (winter time, UTC+1): two runs with a 4 s gap; tst-002 (summer time, UTC+2): one run.
CLIPS = [
    Clip(1, "tst-001", utc(2026, 11, 1, 7, 0, 0), 3 * FPS),
    Clip(2, "tst-001", utc(2026, 11, 1, 7, 0, 7), 3 * FPS),
    Clip(3, "tst-002", utc(2026, 7, 14, 10, 0, 0), 5 * FPS),
]
GAP = (utc(2026, 11, 1, 7, 0, 3), utc(2026, 11, 1, 7, 0, 7))


def cells(bits_of: int, width: int = 8) -> list[bool]:
    return [bool(bits_of >> i & 1) for i in range(width)]


def picture(clip: Clip, i: int) -> np.ndarray:
    w, h = SIZE
    img = np.full((h, w, 3), 90, np.uint8)
    x = (i * 4) % (w - 20)
    img[5:35, x : x + 20] = 255  # a moving bar, for a human looking at it
    for col, on in enumerate(cells(clip.number)):
        img[45:100, col * CELL : (col + 1) * CELL] = 235 if on else 20
    for col, on in enumerate(cells(i)):
        img[120:240, col * CELL : (col + 1) * CELL] = 235 if on else 20
    return img


def read_identity(samples: list[int]) -> tuple[int, int]:
    """(file number, frame index) from 16 red samples: 8 on the file row, 8 on the frame row."""
    bits = [v > 128 for v in samples]
    number = sum(1 << i for i, on in enumerate(bits[:8]) if on)
    frame = sum(1 << i for i, on in enumerate(bits[8:]) if on)
    return number, frame


def identity_of(rgb: np.ndarray) -> tuple[int, int]:
    xs = [c * CELL + CELL // 2 for c in range(8)]
    return read_identity([int(rgb[y, x, 0]) for y in (FILE_ROW, FRAME_ROW) for x in xs])


def encode(clip: Clip, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4", options={"movflags": MOVFLAGS}) as out:
        stream = out.add_stream(
            "libx264",
            rate=FPS,
            options={
                "preset": "ultrafast",
                "x264-params": f"keyint={FPS}:min-keyint={FPS}:scenecut=0:bframes=0:crf=16"
                ":log-level=error",
            },
        )
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        stream.time_base = Fraction(1, FPS)
        for i in range(clip.frames):
            frame = av.VideoFrame.from_ndarray(picture(clip, i), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_local(t: datetime) -> str:
    return t.astimezone(PARIS).isoformat(timespec="milliseconds")


def span(start: datetime, end: datetime) -> dict[str, str]:
    return {
        "start": iso(start),
        "end": iso(end),
        "start_local": iso_local(start),
        "end_local": iso_local(end),
    }


def manifest() -> dict:
    clips = []
    for cam, info in CAMERAS.items():
        mine = [c for c in CLIPS if c.camera == cam]
        requested = span(mine[0].start, mine[-1].end)
        gap = {**span(*GAP), "seconds": (GAP[1] - GAP[0]).total_seconds()}
        gaps = [gap] if len(mine) > 1 else []
        files = [
            {
                **span(c.start, c.end),
                "path": c.path,
                "duration_s": c.frames / FPS,
                "frames": c.frames,
                "fps": float(FPS),
                "width": SIZE[0],
                "height": SIZE[1],
                "codec": "h264",
                "bytes": 0,
                "sha256": "0" * 64,
            }
            for c in mine
        ]
        clips.append(
            {
                "camera": {"id": cam, **info},
                "requested": requested,
                "delivered": requested,
                "gaps": gaps,
                "files": files,
                "segments": [],
            }
        )
    received = utc(2026, 11, 2, 9, 30, 0)
    return {
        "format": "beffroi-export/1",
        "software": {"name": "Beffroi", "version": "0.1.0"},
        "installation": {
            "signing_key": {"algorithm": "Ed25519", "fingerprint": "ab12cd34", "public_key": "AAAA"}
        },
        "requisition": {
            "number": "2026-0042",
            "procedure": "2026/001234",
            "legal_basis": "60-1",
            "authority": {
                "name": "Martin",
                "rank": "Capitaine",
                "service": "Commissariat de Tours",
                "unit": None,
            },
            "received_at": iso(received),
            "received_at_local": iso_local(received),
        },
        "export": {
            "id": 7,
            "exported_at": iso(received),
            "exported_at_local": iso_local(received),
            "exported_by": {"username": "superviseur", "role": "supervisor"},
        },
        "clips": clips,
    }


def build_package(root: Path) -> Path:
    """Write the package under root/requisition-2026-0042/ and return that folder."""
    pkg = root / "requisition-2026-0042"
    for clip in CLIPS:
        encode(clip, pkg / clip.path)
    text = json.dumps(manifest(), sort_keys=True, indent=2, ensure_ascii=False)
    (pkg / "manifest.json").write_text(text, encoding="utf-8")
    shutil.copytree(PLAYER_SRC, pkg / "player")
    (pkg / "player" / "manifest.js").write_text(
        "window.BEFFROI_MANIFEST = " + text + ";\n", encoding="utf-8"
    )
    return pkg
