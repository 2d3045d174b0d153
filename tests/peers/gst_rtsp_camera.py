"""A third-party RTSP camera: gst-rtsp-server serving a live test pattern on `/cam`.

Run with Debian's `/usr/bin/python3` (GStreamer's bindings are not in the venv); stdlib
and gi only, no beffroi imports, so the recorder is tested against code it did not write:

    /usr/bin/python3 tests/peers/gst_rtsp_camera.py --port 0 --codec h264 --audio aac

Prints `ready <port>` once listening (port 0 lets the kernel choose: no race between
picking a port and binding it), serves until SIGTERM, then exits 0.

Every encoded picture carries, in an SEI NAL in front of its slices, the wall-clock
instant (Unix µs) it was captured, in the format `beffroi.sim.stamp.read_stamp` reads.
"""

from __future__ import annotations

import argparse
import signal
import struct
import sys
import time
from collections.abc import Callable

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

STAMP_UUID = b"beffroi-latency!"  # what beffroi.sim.stamp reads
START_CODE = b"\x00\x00\x00\x01"
# NAL header of an SEI: H.264 type 6 (nal_ref_idc 0); H.265 prefix SEI, type 39, layer 0,
# temporal id 1.
SEI_HEADER = {"h264": b"\x06", "h265": b"\x4e\x01"}
AUD_TYPE = {"h264": 9, "h265": 35}


def escape(payload: bytes) -> bytes:
    """Emulation prevention: 0x000000..0x000003 may not appear in a NAL unit's body."""
    out = bytearray()
    zeros = 0
    for byte in payload:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def sei_nal(codec: str, captured_us: int) -> bytes:
    """user_data_unregistered (payload type 5): the UUID, then the µs as big-endian u64."""
    body = STAMP_UUID + struct.pack(">Q", captured_us)
    message = bytes([5, len(body)]) + body
    return SEI_HEADER[codec] + escape(message + b"\x80")  # + RBSP trailing bits


def nal_type(codec: str, first_byte: int) -> int:
    return first_byte & 0x1F if codec == "h264" else (first_byte >> 1) & 0x3F


def insert_sei(codec: str, data: bytes, sei: bytes) -> bytes:
    """`data` (Annex B) with the SEI after a leading access unit delimiter, else in front.

    The AUD must stay the first NAL of an access unit, and SEI must precede the slices.
    """
    first_nal = data.startswith(START_CODE) and len(data) > 4
    if first_nal and nal_type(codec, data[4]) == AUD_TYPE[codec]:
        end = data.find(b"\x00\x00\x01", 5)
        if end > 0:
            end = end - 1 if data[end - 1] == 0 else end  # a 4-byte start code
            return data[:end] + START_CODE + sei + data[end:]
    return START_CODE + sei + data


def captured_at(pad: Gst.Pad, buf: Gst.Buffer) -> float | None:
    """The wall-clock instant (Unix s) the picture in `buf` was captured, if known."""
    element = pad.get_parent_element()
    clock = element.get_clock() if element is not None else None
    event = pad.get_sticky_event(Gst.EventType.SEGMENT, 0)
    if clock is None or event is None or buf.pts == Gst.CLOCK_TIME_NONE:
        return None
    # A live source stamps each picture with its running time at capture. Encoders shift
    # PTS (x264enc by 1000 h, to keep DTS positive) and their output segment with it, so
    # convert back through the segment. On the pipeline clock the capture was at running
    # time + base_time: how long ago that was, subtracted from now.
    running = event.parse_segment().to_running_time(Gst.Format.TIME, buf.pts)
    if running == Gst.CLOCK_TIME_NONE:
        return None
    return time.time() - (clock.get_time() - (running + element.get_base_time())) / 1e9


def stamp_probe(codec: str) -> Callable[[Gst.Pad, Gst.PadProbeInfo], Gst.PadProbeReturn]:
    """A buffer probe for the encoder's src pad that inserts the capture-time SEI.

    Buffers seen by a Python probe are never writable (the bindings hold references), so
    the probe builds a new buffer, pushes it into the peer itself and drops the original.
    The peer's flow return is lost that way: harmless, the pipeline is stopped from the
    server's side (state NULL), not by a downstream error reaching the encoder.
    """
    copy = Gst.BufferCopyFlags.FLAGS | Gst.BufferCopyFlags.TIMESTAMPS | Gst.BufferCopyFlags.META

    def probe(pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
        buf = info.get_buffer()
        peer = pad.get_peer()
        captured = captured_at(pad, buf) if buf is not None else None
        if captured is None or peer is None:
            return Gst.PadProbeReturn.OK
        data = buf.extract_dup(0, buf.get_size())
        new = Gst.Buffer.new_wrapped(insert_sei(codec, data, sei_nal(codec, int(captured * 1e6))))
        new.copy_into(buf, copy, 0, buf.get_size())
        peer.chain(new)
        return Gst.PadProbeReturn.DROP

    return probe


def report_capture_time(media: GstRtspServer.RTSPMedia) -> None:
    """Make `media`'s sender reports map RTP time to the capture instant, as an ONVIF
    camera's do. rtpsession's default (`rtcp-sync-send-time`) maps it to when the packet
    is sent: one frame of live source plus the encoder later (120 ms at 10 fps).

    The rtpbin is made when the media is prepared, and its sessions take the setting
    when they are made, so it is set as the rtpbin joins the media's pipeline.
    (Subclassing GstRTSPMedia for its setup_rtpbin hook fails under PyGObject.)
    """

    def added(_pipeline: Gst.Bin, element: Gst.Element) -> None:
        if element.get_factory() and element.get_factory().get_name() == "rtpbin":
            element.set_property("rtcp-sync-send-time", False)

    media.get_element().get_parent().connect("element-added", added)


def video_branch(args: argparse.Namespace) -> str:
    width, height = args.size.split("x")
    source = (
        f"videotestsrc is-live=true pattern={args.pattern} horizontal-speed=4 "
        f"! video/x-raw,width={width},height={height},framerate={args.fps}/1"
    )
    options = [f"slices={args.slices}"] if args.slices > 1 else []
    bitrate = f" bitrate={args.bitrate}" if args.bitrate else ""
    if args.codec == "h264":
        # zerolatency encodes with sliced threads, one slice per thread whatever `slices=`
        # says: N slices need N threads (auto: one per CPU, at most 5 at 640x360).
        threads = args.threads or (args.slices if args.slices > 1 else 0)
        tune = "tune=zerolatency"
        if args.bframes:
            # zerolatency disables B-frames. Without it, each frame thread (auto: 1.5 per
            # CPU) and lookahead frame delays output: keep the camera's delay a few frames
            # whatever the machine.
            tune = "rc-lookahead=2 sync-lookahead=0 b-adapt=false"
            threads = threads or 1
        extra = f" threads={threads}" if threads else ""
        extra += f" option-string={':'.join(options)}" if options else ""
        encoder = (
            f"x264enc name=enc {tune} speed-preset=ultrafast key-int-max={args.gop} "
            f"bframes={args.bframes}{bitrate}{extra}"
        )
    else:
        options += [f"bframes={args.bframes}", f"keyint={args.gop}", "open-gop=0"]
        if args.bframes:
            options += ["rc-lookahead=4", "b-adapt=0"]
        tune = "tune=zerolatency " if args.bframes == 0 else ""
        encoder = (
            f"x265enc name=enc {tune}speed-preset=ultrafast key-int-max={args.gop}"
            f"{bitrate} option-string={':'.join(options)}"
        )
    caps = f"video/x-{args.codec},stream-format=byte-stream"
    if args.codec == "h264" and args.bframes:
        # Inside gst-rtsp-server the payloader lets x264enc pick Constrained Baseline,
        # which has no B-frames: ask for Main.
        caps += ",profile=main"
    payloader = f"rtp{args.codec}pay name=pay0 pt=96 config-interval=-1"
    return f"{source} ! {encoder} ! {caps} ! {payloader}"


def audio_branch(audio: str) -> str:
    if audio == "none":
        return ""
    source = "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample"
    if audio == "aac":
        encode = "audio/x-raw,rate=48000,channels=1 ! avenc_aac ! rtpmp4gpay name=pay1 pt=97"
    else:
        encode = "audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8"
    return f" {source} ! {encode}"


def launch_line(args: argparse.Namespace) -> str:
    return f"( {video_branch(args)}{audio_branch(args.audio)} )"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--codec", choices=["h264", "h265"], default="h264")
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--gop", type=int, default=20, help="key-int-max, in frames")
    parser.add_argument("--bframes", type=int, default=0)
    parser.add_argument("--slices", type=int, default=1, help="slice NALs per picture")
    parser.add_argument("--audio", choices=["none", "aac", "pcma"], default="none")
    parser.add_argument("--threads", type=int, default=0, help="x264 threads; 0: auto")
    parser.add_argument("--bitrate", type=int, default=0, help="kbps; 0: encoder default")
    parser.add_argument("--pattern", default="smpte", help="videotestsrc pattern")
    parser.add_argument(
        "--rtcp-time", choices=["capture", "send"], default="capture",
        help="what sender reports map RTP time to: the capture instant (as ONVIF "
        "cameras) or when packets are sent (rtpsession's default)",
    )  # fmt: skip
    parser.add_argument("--print-pipeline", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    Gst.init(None)
    launch = launch_line(args)
    if args.print_pipeline:
        print(launch, file=sys.stderr, flush=True)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(False)  # each client its own pipeline, as a camera's own encoder

    def configure(_factory: object, media: GstRtspServer.RTSPMedia) -> None:
        encoder = media.get_element().get_by_name("enc")
        encoder.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, stamp_probe(args.codec))
        if args.rtcp_time == "capture":
            report_capture_time(media)

    factory.connect("media-configure", configure)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print(f"ready {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
