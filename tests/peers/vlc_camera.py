"""A camera served by VLC's RTSP server, looping a clip made beforehand with FFmpeg.

    with vlc_camera(tmp_path, bframes=2, audio="aac") as url:
        container = av.open(url, options={"rtsp_transport": "udp"})

VLC's RTSP server (modules/stream_out/rtsp.c) implements RTP over UDP only: a SETUP
asking for RTP/AVP/TCP (interleaved) is answered `461 Unsupported transport`, which
FFmpeg reports as EPROTONOSUPPORT. No VLC option changes that (`--rtsp-tcp` is for
VLC's RTSP *client*), so a recorder forcing TCP cannot record it: tests read it over
UDP to see what VLC's own packetizer sends, and check that TCP is refused.

VLC refuses to run as root: as root, it is run as `nobody`, from a world-readable
directory of its own (pytest's tmp_path is private to root).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, TypedDict, Unpack

from .harness import Peer, PeerError, describes_video, free_port, running

FFMPEG = "/usr/bin/ffmpeg"  # Debian's, with libx264 (the venv's PyAV has its own FFmpeg)
CVLC = "/usr/bin/cvlc"
APT_PACKAGES = "vlc-bin vlc-plugin-base ffmpeg"
READY_TIMEOUT_S = 20.0


class VlcOptions(TypedDict, total=False):
    """The clip VLC loops: H.264 (libx264) with or without B-frames, slices, AAC."""

    bframes: int  # 0: none; else -bf N (PTS != DTS)
    slices: int  # slice NAL units per picture
    audio: Literal["none", "aac"]
    size: str  # "640x360"
    fps: int
    gop: int
    duration_s: int  # the clip's length (VLC loops it)


@functools.cache
def check_vlc() -> None:
    missing = [path for path in (FFMPEG, CVLC) if not os.access(path, os.X_OK)]
    if missing:
        raise PeerError(f"{', '.join(missing)} missing: apt-get install {APT_PACKAGES}")


def clip_argv(out: Path, options: VlcOptions) -> list[str]:
    size = options.get("size", "640x360")
    fps = options.get("fps", 10)
    duration = options.get("duration_s", 60)
    argv = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y"]
    argv += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={duration}"]
    if options.get("audio", "none") == "aac":
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={duration}"]
        argv += ["-c:a", "aac", "-b:a", "64k"]
    x264 = f"slices={options.get('slices', 1)}"
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    argv += ["-g", str(options.get("gop", 20)), "-bf", str(options.get("bframes", 2))]
    return [*argv, "-x264-params", x264, "-shortest", str(out)]


def make_clip(workdir: Path, options: VlcOptions) -> Path:
    """The clip for `options`, made once per directory (about a second for 60 s)."""
    key = "-".join(f"{k}{v}" for k, v in sorted(options.items())) or "default"
    clip = workdir / f"vlc-{key}.mp4"
    if not clip.exists():
        partial = clip.with_suffix(".partial.mp4")
        result = subprocess.run(
            clip_argv(partial, options), capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise PeerError(f"ffmpeg could not make the clip: {result.stderr}")
        partial.rename(clip)
    return clip


def unprivileged(argv: list[str], home: Path) -> list[str]:
    """`argv` run as nobody when we are root (VLC exits at once under root)."""
    if os.geteuid() != 0:
        return argv
    os.chown(home, 65534, 65534)
    setpriv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
    return setpriv + argv


@contextmanager
def vlc_peer(workdir: Path, **options: Unpack[VlcOptions]) -> Iterator[Peer]:
    check_vlc()
    clip = make_clip(workdir, options)
    with tempfile.TemporaryDirectory(prefix="beffroi-vlc-") as served:
        root = Path(served)
        root.chmod(0o755)
        shutil.copyfile(clip, root / "clip.mp4")
        (root / "clip.mp4").chmod(0o644)
        home = root / "home"
        home.mkdir()
        port = free_port()
        url = f"rtsp://127.0.0.1:{port}/cam"
        argv = [CVLC, "--quiet", "--no-interact", "--loop", "--sout-keep", str(root / "clip.mp4")]
        argv += ["--sout", f"#rtp{{sdp={url}}}"]
        env = {**os.environ, "HOME": str(home)}
        with running(
            "VLC camera",
            unprivileged(argv, home),
            describes_video(url, READY_TIMEOUT_S),
            env=env,
            cwd=str(root),
            read_stdout=False,
        ) as peer:
            yield peer


@contextmanager
def vlc_camera(workdir: Path, **options: Unpack[VlcOptions]) -> Iterator[str]:
    """The RTSP URL (UDP only, see above) of VLC looping a fresh clip; stopped on exit.

    `workdir` (a test's tmp_path) keeps the generated clips. The port is picked free
    just before VLC binds it.
    """
    with vlc_peer(workdir, **options) as peer:
        yield peer.url
