"""The SPS reader (ingest/rtsp/parameter_sets.py) against FFmpeg, not against itself.

Streams come from x264 and x265 through PyAV; each SPS is read here and compared with
what FFmpeg makes of the same bytes: the size of the pictures its decoder outputs and
the reorder depth it settles on, and the fields its own bitstream reader traces (the
`trace_headers` filter), which also prove that each case exercises what it claims.
What the encoders never write (SPS scaling matrices, pic_order_cnt_type 1, VCL HRD, a
VUI without bitstream restriction, sub-layer profiles, separate colour planes) is
spliced into a real stream by rebuilding its SPS from FFmpeg's traced bits, and the
stream traced and decoded again.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import av
import av.bitstream
import av.logging
import numpy as np
import pytest
from av.codec.context import Flags

from beffroi.ingest.rtsp.parameter_sets import (
    BitReader,
    ParameterSetError,
    SequenceInfo,
    h264_sps,
    hevc_sps,
)

TRACED = re.compile(r"^\d+\s+(\S+)\s+([01]+) = (-?\d+)$")
FORMAT = {"libx264": "h264", "libx265": "hevc"}
PARSE = {"h264": h264_sps, "hevc": hevc_sps}


@cache
def encode(
    codec: str,
    width: int,
    height: int,
    pix_fmt: str = "yuv420p",
    params: str = "",
    profile: str = "",
) -> bytes:
    """Four frames of raw Annex B from x264 or x265."""
    if codec == "libx265":
        params = ":".join(p for p in (params, "log-level=error") if p)
    buf = io.BytesIO()
    with av.open(buf, "w", format=FORMAT[codec]) as out:
        stream = out.add_stream(codec, rate=25)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        options: dict[str, object] = {f"{codec[3:]}-params": params} if params else {}
        if profile:
            options["profile"] = profile
        stream.options = options
        grey = np.full((height, width, 3), 100, np.uint8)
        frame = av.VideoFrame.from_ndarray(grey, format="rgb24").reformat(format=pix_fmt)
        for pts in range(4):
            frame.pts = pts
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buf.getvalue()


def nal_units(stream: bytes) -> list[bytes]:
    # Zero bytes before a start code are the next unit's zero_byte, not this unit's.
    return [unit.rstrip(b"\x00") for unit in stream.split(b"\x00\x00\x01")[1:]]


def sps_of(stream: bytes, fmt: str) -> bytes:
    for unit in nal_units(stream):
        kind = unit[0] & 0x1F if fmt == "h264" else (unit[0] >> 1) & 0x3F
        if kind == (7 if fmt == "h264" else 33):
            return unit
    raise AssertionError("no SPS in the stream")


@dataclass(frozen=True)
class Field:
    name: str
    bits: str
    value: int


def ffmpeg_sps(stream: bytes, fmt: str) -> list[Field]:
    """The first SPS as FFmpeg's own bitstream reader (trace_headers) reads it."""
    with av.open(io.BytesIO(stream), "r", format=fmt) as container:
        bsf = av.bitstream.BitStreamFilterContext(
            "trace_headers", in_stream=container.streams.video[0]
        )
        level = av.logging.get_level()
        av.logging.set_level(av.logging.INFO)
        try:
            with av.logging.Capture() as logs:
                bsf.filter(av.Packet(stream))
        finally:
            av.logging.set_level(level)
    lines = [text.rstrip("\n") for _, name, text in logs if name == "trace_headers"]
    start = lines.index("Sequence Parameter Set") + 1
    fields = []
    for line in lines[start:]:
        match = TRACED.match(line)
        if match is None:  # the next structure's title
            break
        fields.append(Field(match[1], match[2], int(match[3])))
    return fields


def ffmpeg_decoded(stream: bytes, fmt: str, unaligned: bool = False) -> tuple[int, int, int]:
    """FFmpeg's decoder on the whole stream: the first picture's size, then its reorder
    depth (has_b_frames) once every picture is out."""
    with av.open(io.BytesIO(stream), "r", format=fmt) as container:
        video = container.streams.video[0]
        if unaligned:  # crop on the left exactly, not to the nearest aligned column
            video.codec_context.flags |= Flags.unaligned
        sizes = [(frame.width, frame.height) for frame in container.decode(video)]
        return *sizes[0], video.codec_context.reorder_depth


def compare(stream: bytes, fmt: str, decodable: bool = True) -> tuple[SequenceInfo, dict[str, int]]:
    """Parses the stream's SPS and checks it against FFmpeg; returns it and FFmpeg's fields."""
    info = PARSE[fmt](sps_of(stream, fmt))
    fields = {f.name: f.value for f in ffmpeg_sps(stream, fmt)}
    if decodable:
        width, height, depth = ffmpeg_decoded(stream, fmt, unaligned=True)
        assert (info.width, info.height) == (width, height)
        if info.reorder_frames is not None:
            assert info.reorder_frames == depth
    if fmt == "h264":
        assert (info.profile, info.level) == (fields["profile_idc"], fields["level_idc"])
        if fields.get("bitstream_restriction_flag"):
            assert info.reorder_frames == fields["max_num_reorder_frames"]
    else:
        assert (info.profile, info.level) == (
            fields["general_profile_idc"],
            fields["general_level_idc"],
        )
        top = fields["sps_max_sub_layers_minus1"]
        assert info.reorder_frames == fields[f"sps_max_num_reorder_pics[{top}]"]
    return info, fields


# --- what x264 writes --------------------------------------------------------------

H264_CASES = [
    # id, (width, height, pix_fmt, x264-params, profile), profile_idc, FFmpeg fields
    ("720p", (1280, 720, "yuv420p", "", ""), 100, {"frame_cropping_flag": 0}),
    ("1080p", (1920, 1080, "yuv420p", "", ""), 100, {"frame_crop_bottom_offset": 4}),
    ("360p", (640, 360, "yuv420p", "", ""), 100, {"frame_crop_bottom_offset": 4}),
    ("1000x562", (1000, 562, "yuv420p", "", ""), 100, {"frame_crop_right_offset": 4}),
    ("cif", (352, 288, "yuv420p", "", ""), 100, {"frame_cropping_flag": 0}),
    ("baseline", (320, 240, "yuv420p", "", "baseline"), 66, {"max_num_reorder_frames": 0}),
    ("main", (320, 240, "yuv420p", "", "main"), 77, {"pic_order_cnt_type": 0}),
    # x264 writes its matrices in the PPS: SPS scaling lists are tested further down.
    ("cqm-jvt", (320, 240, "yuv420p", "cqm=jvt", ""), 100, {"seq_scaling_matrix_present_flag": 0}),
    ("high422", (1920, 1080, "yuv422p", "", ""), 122, {"frame_crop_bottom_offset": 8}),
    ("high444", (1920, 1080, "yuv444p", "", ""), 244, {"frame_crop_bottom_offset": 8}),
    ("gray", (1000, 562, "gray", "", ""), 100, {"chroma_format_idc": 0}),
    ("high10", (640, 360, "yuv420p10le", "", ""), 110, {"bit_depth_luma_minus8": 2}),
    ("interlaced", (1920, 1080, "yuv420p", "interlaced=1", ""), 100, {"frame_mbs_only_flag": 0}),
    (
        "interlaced444",
        (1000, 562, "yuv444p", "interlaced=1", ""),
        244,
        {"frame_crop_bottom_offset": 7},
    ),
    (
        "interlaced422",
        (1000, 562, "yuv422p10le", "interlaced=1", ""),
        122,
        {"frame_crop_bottom_offset": 7},
    ),
    (
        "vui",
        (
            640,
            360,
            "yuv420p",
            "sar=7/5:overscan=show:videoformat=pal:range=pc:colorprim=bt709:transfer=bt709:"
            "colormatrix=bt709:chromaloc=1:nal-hrd=vbr:vbv-maxrate=800:vbv-bufsize=1600:"
            "pic-struct=1:bframes=3",
            "",
        ),
        100,
        {
            "aspect_ratio_idc": 255,
            "overscan_info_present_flag": 1,
            "colour_description_present_flag": 1,
            "chroma_loc_info_present_flag": 1,
            "nal_hrd_parameters_present_flag": 1,
            "pic_struct_present_flag": 1,
        },
    ),
]


@pytest.mark.parametrize(
    ("args", "profile", "expect"), [c[1:] for c in H264_CASES], ids=[c[0] for c in H264_CASES]
)
def test_h264_agrees_with_ffmpeg(args: tuple, profile: int, expect: dict[str, int]) -> None:
    width, height = args[:2]
    info, fields = compare(encode("libx264", *args), "h264")
    assert info.codec == "h264"
    assert (info.width, info.height) == (width, height)
    assert info.profile == profile
    assert {name: fields.get(name) for name in expect} == expect
    assert info.reorder_frames is not None  # x264 always writes bitstream_restriction


@pytest.mark.parametrize("bframes", [0, 1, 3])
def test_h264_b_frames_set_reordering(bframes: int) -> None:
    info, _ = compare(encode("libx264", 160, 96, params=f"bframes={bframes}"), "h264")
    assert info.reorder_frames is not None
    assert (info.reorder_frames >= 1) == (bframes > 0)


def test_emulation_prevention_is_removed() -> None:
    # 1 in the 32-bit num_units_in_tick means three zero bytes: x264 must escape them.
    nal = sps_of(encode("libx264", 1920, 1080), "h264")
    assert b"\x00\x00\x03" in nal
    assert (h264_sps(nal).width, h264_sps(nal).height) == (1920, 1080)


# --- what x265 writes --------------------------------------------------------------

HEVC_CASES = [
    # id, (width, height, pix_fmt, x265-params), general_profile_idc, FFmpeg fields
    ("720p", (1280, 720, "yuv420p", ""), 1, {"conformance_window_flag": 0}),
    ("1080p", (1920, 1080, "yuv420p", "min-cu-size=16"), 1, {"conf_win_bottom_offset": 4}),
    ("1002x562", (1002, 562, "yuv420p", ""), 1, {"conf_win_right_offset": 3}),
    ("main10", (640, 360, "yuv420p10le", ""), 2, {"bit_depth_luma_minus8": 2}),
    ("444", (1002, 562, "yuv444p", ""), 4, {"conf_win_right_offset": 6}),
    ("422-10", (1002, 562, "yuv422p10le", ""), 4, {"conf_win_bottom_offset": 6}),
    ("gray", (1002, 562, "gray", ""), 4, {"chroma_format_idc": 0}),
    ("sub-layers", (320, 240, "yuv420p", "temporal-layers=3"), 1, {"sps_max_sub_layers_minus1": 2}),
]


@pytest.mark.parametrize(
    ("args", "profile", "expect"), [c[1:] for c in HEVC_CASES], ids=[c[0] for c in HEVC_CASES]
)
def test_hevc_agrees_with_ffmpeg(args: tuple, profile: int, expect: dict[str, int]) -> None:
    width, height = args[:2]
    info, fields = compare(encode("libx265", *args), "hevc")
    assert info.codec == "hevc"
    assert (info.width, info.height) == (width, height)
    assert info.profile == profile
    assert {name: fields.get(name) for name in expect} == expect


@pytest.mark.parametrize("bframes", [0, 4])
def test_hevc_b_frames_set_reordering(bframes: int) -> None:
    info, _ = compare(encode("libx265", 160, 96, params=f"bframes={bframes}"), "hevc")
    assert info.reorder_frames is not None
    assert (info.reorder_frames >= 1) == (bframes > 0)


# --- what the encoders never write: SPS rebuilt from FFmpeg's trace -----------------


def ue(value: int) -> str:
    return f"{value + 1:b}".rjust(2 * (value + 1).bit_length() - 1, "0")


def se(value: int) -> str:
    return ue(2 * value - 1 if value > 0 else -2 * value)


def u(bits: int, value: int) -> str:
    return f"{value:0{bits}b}"


def escaped(rbsp: bytes) -> bytes:
    """Inserts emulation-prevention bytes as an encoder does."""
    out, zeros = bytearray(), 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def rebuilt(
    stream: bytes, fmt: str, edits: dict[str, str], tail_from: str = "", tail: str = ""
) -> bytes:
    """The stream with its SPS rebuilt from FFmpeg's traced bits: a field named in edits
    takes those bits instead ("" drops it); from the field tail_from on, tail replaces
    the rest."""
    bits = []
    for field in ffmpeg_sps(stream, fmt):
        if field.name in (tail_from, "rbsp_stop_one_bit"):
            break
        bits.append(edits.get(field.name, field.bits))
    payload = "".join(bits) + tail + "1"  # rbsp_stop_one_bit
    payload += "0" * (-len(payload) % 8)
    sps = escaped(int(payload, 2).to_bytes(len(payload) // 8, "big"))
    return stream.replace(sps_of(stream, fmt), sps, 1)


def scaling_list(values: list[int]) -> str:
    # Coded as deltas from the previous value; a 0 ends the list (at once: the default).
    last, out = 8, []
    for value in values:
        out.append(se((value - last + 128) % 256 - 128))
        if value == 0:
            break
        last = value
    return "".join(out)


def scaling_matrices(count: int) -> str:
    """seq_scaling_matrix_present_flag and `count` lists: explicit, default (a first
    delta of -8), cut short by a 0, absent; deltas across the whole -128..127 range."""
    lists = [
        scaling_list([6, 13, 20, 28, 13, 20, 28, 32, 20, 28, 32, 37, 28, 32, 37, 42]),
        scaling_list([0]),
        scaling_list([16, 200, 3, 255, 1, 0]),
        None,
        scaling_list([(i * 37) % 255 + 1 for i in range(16)]),
        scaling_list([255] * 16),
    ]
    lists += [scaling_list([(i * 53) % 254 + 1 for i in range(64)]), scaling_list([0])]
    lists += [None, scaling_list([64, 1, 128, 0]), scaling_list([9] * 64), None][: count - 8]
    return "1" + "".join("0" if bits is None else "1" + bits for bits in lists)


def test_rebuilding_an_untouched_sps_gives_the_same_bytes() -> None:
    for codec, args in (("libx264", (1920, 1080)), ("libx265", (1002, 562))):
        stream = encode(codec, *args)
        assert rebuilt(stream, FORMAT[codec], {}) == stream


@pytest.mark.parametrize(("pix_fmt", "lists"), [("yuv420p", 8), ("yuv444p", 12)])
def test_h264_scaling_matrices(pix_fmt: str, lists: int) -> None:
    # x264 writes its matrices (cqm) in the PPS; the SPS lists come from here.
    stream = encode("libx264", 1000, 562, pix_fmt, "bframes=2")
    changed = rebuilt(stream, "h264", {"seq_scaling_matrix_present_flag": scaling_matrices(lists)})
    info, fields = compare(changed, "h264")
    assert fields["seq_scaling_matrix_present_flag"] == 1
    assert f"seq_scaling_list_present_flag[{lists - 1}]" in fields
    assert (info.width, info.height, info.reorder_frames) == (1000, 562, 2)


def hrd(cpb_count: int) -> str:
    entries = "".join(ue(1000 * i + 7) + ue(3000 * i) + u(1, i % 2) for i in range(cpb_count))
    return ue(cpb_count - 1) + u(4, 2) + u(4, 3) + entries + u(5, 23) * 3 + u(5, 24)


def full_vui(nal_hrd: bool) -> str:
    """Every VUI field, the VCL HRD that x264 never writes included; no bitstream restriction."""
    return (
        "1" + u(8, 255) + u(16, 4) + u(16, 3)  # Extended_SAR 4:3
        + "1" + "0"  # overscan_info_present, overscan_appropriate
        + "1" + u(3, 5) + "0" + "1" + u(8, 1) * 3  # video signal type, colour description
        + "1" + ue(1) + ue(2)  # chroma sample locations
        + "1" + u(32, 1) + u(32, 50) + "1"  # timing info
        + ("1" + hrd(2) if nal_hrd else "0")  # NAL HRD
        + "1" + hrd(3)  # VCL HRD
        + "0"  # low_delay_hrd_flag, there as soon as either HRD is
        + "1"  # pic_struct_present_flag
        + "0"  # bitstream_restriction_flag: no reordering information
    )  # fmt: skip


@pytest.mark.parametrize("nal_hrd", [True, False])
def test_h264_poc_type_1_full_vui_and_cropping(nal_hrd: bool) -> None:
    # Without B-frames x264 uses pic_order_cnt_type 2: its slices carry no POC fields,
    # as with type 1 and delta_pic_order_always_zero_flag, so the stream still decodes.
    stream = encode("libx264", 1000, 562, params="bframes=0")
    assert {f.name: f.value for f in ffmpeg_sps(stream, "h264")}["pic_order_cnt_type"] == 2
    poc = ue(1) + "1" + se(-3) + se(2) + ue(3) + se(1) + se(-1) + se(5)
    crop = {"frame_crop_left_offset": ue(16), "frame_crop_top_offset": ue(1)}
    edits = {"pic_order_cnt_type": poc, "frame_crop_bottom_offset": ue(9), **crop}
    changed = rebuilt(stream, "h264", edits, "vui_parameters_present_flag", "1" + full_vui(nal_hrd))
    info, fields = compare(changed, "h264")
    assert fields["offset_for_ref_frame[2]"] == 5
    assert fields["vcl_hrd_parameters_present_flag"] == 1
    assert "max_num_reorder_frames" not in fields
    # 63×36 macroblocks, less 2×(16+4) columns and 2×(1+9) rows of 4:2:0 crop units.
    assert info == SequenceInfo("h264", 968, 556, 100, fields["level_idc"], None)


@pytest.mark.parametrize(
    ("profile", "vui", "reorder"),
    [
        ("baseline", "0", 0),
        ("baseline", "1" + "0" * 9, 0),
        ("main", "0", None),
        ("main", "1" + "0" * 9, None),
    ],
)
def test_h264_reordering_unsaid(profile: str, vui: str, reorder: int | None) -> None:
    # Baseline has no B-frames: nothing to reorder even when the SPS does not say so.
    stream = encode("libx264", 320, 240, profile=profile, params="bframes=0")
    changed = rebuilt(stream, "h264", {}, "vui_parameters_present_flag", vui)
    info, _ = compare(changed, "h264")
    assert info.reorder_frames == reorder


def test_h264_separate_colour_planes() -> None:
    # FFmpeg's decoder refuses separate planes; its bitstream reader still reads the
    # SPS, and the crop unit is one sample as in 4:4:4.
    stream = encode("libx264", 1000, 562, "yuv444p", "interlaced=1")
    changed = rebuilt(stream, "h264", {"separate_colour_plane_flag": "1"})
    info, fields = compare(changed, "h264", decodable=False)
    assert fields["separate_colour_plane_flag"] == 1
    assert (info.width, info.height, info.reorder_frames) == (
        1000,
        562,
        fields["max_num_reorder_frames"],
    )


@pytest.mark.parametrize("every_sub_layer", [True, False])
def test_hevc_sub_layer_profiles_and_ordering(every_sub_layer: bool) -> None:
    stream = encode("libx265", 320, 240, params="temporal-layers=3:bframes=3")
    fields = {f.name: f.bits for f in ffmpeg_sps(stream, "hevc")}
    sub_layer_profile = u(3, 0) + u(5, 1) + u(32, 0x6000_0000) + "1001" + "0" * 44
    edits = {
        "sub_layer_profile_present_flag[0]": "1",
        "sub_layer_level_present_flag[1]": "1",
        # Sub-layer profile and level come after all the flags and the alignment bits.
        "sps_seq_parameter_set_id": sub_layer_profile
        + u(8, 60)
        + fields["sps_seq_parameter_set_id"],
    }
    if every_sub_layer:  # lower sub-layers reorder less: the highest one counts
        edits |= {"sps_max_num_reorder_pics[0]": ue(0), "sps_max_num_reorder_pics[1]": ue(1)}
    else:
        edits["sps_sub_layer_ordering_info_present_flag"] = "0"
        for i in (0, 1):
            for name in ("dec_pic_buffering_minus1", "num_reorder_pics", "latency_increase_plus1"):
                edits[f"sps_max_{name}[{i}]"] = ""
    info, traced = compare(rebuilt(stream, "hevc", edits), "hevc")
    assert traced["sub_layer_profile_idc[0]"] == 1
    assert traced["sub_layer_level_idc[1]"] == 60
    assert ("sps_max_num_reorder_pics[0]" in traced) == every_sub_layer
    assert info.reorder_frames == traced["sps_max_num_reorder_pics[2]"] >= 1


@pytest.mark.parametrize("codec", ["libx264", "libx265"])
def test_left_cropping(codec: str) -> None:
    # FFmpeg's decoder keeps the left-cropped columns unless it may output unaligned
    # frames (AV_CODEC_FLAG_UNALIGNED, set in compare): it shows more rather than copy.
    # The SPS says what to display, and that is what the parser reports.
    fmt = FORMAT[codec]
    field = "frame_crop_left_offset" if fmt == "h264" else "conf_win_left_offset"
    changed = rebuilt(encode(codec, 1000, 562), fmt, {field: ue(3)})
    info, _ = compare(changed, fmt)
    assert (info.width, info.height) == (994, 562)
    assert ffmpeg_decoded(changed, fmt)[0] >= info.width


# --- what is not an SPS ---------------------------------------------------------------

H264_REAL = ("libx264", (1920, 1080, "yuv420p", "nal-hrd=vbr:vbv-maxrate=800:vbv-bufsize=1600"))
HEVC_REAL = ("libx265", (1002, 562, "yuv420p", "temporal-layers=3"))


@pytest.mark.parametrize(("codec", "args"), [H264_REAL, HEVC_REAL], ids=["h264", "hevc"])
def test_every_prefix_parses_the_same_or_raises(codec: str, args: tuple) -> None:
    fmt = FORMAT[codec]
    nal = sps_of(encode(codec, *args), fmt)
    whole = PARSE[fmt](nal)
    raised = 0
    for end in range(len(nal)):
        try:
            # A prefix holding every field read cannot say anything else.
            assert PARSE[fmt](nal[:end]) == whole
        except ParameterSetError:
            raised += 1
    assert raised >= 20


@pytest.mark.parametrize(("codec", "args"), [H264_REAL, HEVC_REAL], ids=["h264", "hevc"])
def test_other_nal_units_are_refused(codec: str, args: tuple) -> None:
    fmt = FORMAT[codec]
    stream = encode(codec, *args)
    sps = sps_of(stream, fmt)
    others = [unit for unit in nal_units(stream) if unit != sps]
    assert len(others) >= 3  # PPS, SEI, slices (and the VPS)
    for unit in others:
        with pytest.raises(ParameterSetError, match="not an SPS"):
            PARSE[fmt](unit)
    other_parse = hevc_sps if fmt == "h264" else h264_sps
    with pytest.raises(ParameterSetError, match="not an SPS"):
        other_parse(sps)


def test_empty_and_malformed_headers() -> None:
    for parse in (h264_sps, hevc_sps):
        with pytest.raises(ParameterSetError):
            parse(b"")
    with pytest.raises(ParameterSetError, match="truncated"):
        h264_sps(b"\x67")
    with pytest.raises(ParameterSetError, match="NAL unit"):
        hevc_sps(b"\x42")
    with pytest.raises(ParameterSetError, match="forbidden_zero_bit"):
        h264_sps(b"\xe7\x64\x00\x1f")
    with pytest.raises(ParameterSetError, match="enhancement layer"):
        hevc_sps(b"\x42\x09" + sps_of(encode("libx265", 320, 240), "hevc")[2:])
    with pytest.raises(ParameterSetError, match="Exp-Golomb"):
        h264_sps(b"\x67\x64\x00\x1f" + b"\x00\x00\x03" * 4 + b"\x01")


def test_garbage_never_raises_anything_else() -> None:
    rng = random.Random(14)
    outcomes = {"parsed": 0, "refused": 0}

    def attempt(parse: Callable[[bytes], SequenceInfo], data: bytes) -> None:
        try:
            result = parse(data)
        except ParameterSetError:
            outcomes["refused"] += 1
            return
        assert result.width > 0 and result.height > 0
        outcomes["parsed"] += 1

    for _ in range(2000):
        body = rng.randbytes(rng.randrange(48))
        attempt(h264_sps, b"\x67" + body)
        attempt(hevc_sps, b"\x42\x01" + body)
        attempt(rng.choice([h264_sps, hevc_sps]), body)
    # Single bit flips of real parameter sets: the same or another SPS, or refused.
    for codec, args in (H264_REAL, HEVC_REAL):
        fmt = FORMAT[codec]
        nal = bytearray(sps_of(encode(codec, *args), fmt))
        for bit in range(8 * len(nal)):
            flipped = bytearray(nal)
            flipped[bit // 8] ^= 0x80 >> (bit % 8)
            attempt(PARSE[fmt], bytes(flipped))
    assert outcomes["parsed"] > 100 and outcomes["refused"] > 1000


def test_exp_golomb_reader() -> None:
    codes = "1" + "010" + "011" + "00100" + "00101" + "010" + "011" + "0" * 31 + "1" + "1" * 31
    codes += "0" * (-len(codes) % 8)
    reader = BitReader(int(codes, 2).to_bytes(len(codes) // 8, "big"), "test")
    assert [reader.ue() for _ in range(5)] == [0, 1, 2, 3, 4]
    assert (reader.se(), reader.se()) == (1, -1)
    assert reader.ue() == 2**32 - 2
    with pytest.raises(ParameterSetError, match="truncated"):
        reader.u(8)
    with pytest.raises(ParameterSetError, match="over 32 bits"):
        BitReader(bytes(5), "test").ue()
