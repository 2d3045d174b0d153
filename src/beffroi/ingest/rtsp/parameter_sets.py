"""What a camera's sequence parameter set says: picture size, profile, level, reordering.

A recorder that reads RTP itself, without FFmpeg's demuxer, still has to know the size
of the pictures before the first one is decoded, and whether decode order differs from
presentation order (B-frames), to give each sample a decode time. Both are in the SPS,
which arrives in the SDP (`sprop-parameter-sets` for H.264, `sprop-sps` for H.265) or
in-band. This module reads it: H.264 (ITU-T H.264 7.3.2.1.1 and the VUI, E.1.1) and
H.265 (ITU-T H.265 7.3.2.2, up to the sub-layer ordering info). Pure Python.

Deliberately not parsed: anything after the fields we need. For H.265 that is all that
follows `sps_max_latency_increase_plus1` (coding block sizes, scaling lists, short-term
reference picture sets, VUI, extensions): the VUI's own bitstream restriction is not
read, because `sps_max_num_reorder_pics` already answers the question. Neither are the
PPS, the VPS, multi-layer SPS (H.265 `nuh_layer_id` > 0, SVC/MVC subset SPS in H.264)
nor the values the H.264 VUI carries (aspect ratio, colour, timing, HRD): they are only
skipped, bit-exactly, to reach `max_num_reorder_frames`. The RBSP trailing bits are not
checked (FFmpeg does not either): bytes after the last field we read change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

# profile_idc values whose SPS carries chroma_format_idc, bit depths and scaling
# matrices (the condition in H.264 7.3.2.1.1).
_H264_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
# Intra profiles: with constraint_set3_flag they have no reordering (H.264 E.2.1).
_H264_INTRA_PROFILES = frozenset({44, 86, 100, 110, 122, 244})
_H264_BASELINE = 66
_H264_SPS, _HEVC_SPS = 7, 33
_MAX_DPB = 16  # the most frames either codec keeps for reference or reordering


class ParameterSetError(ValueError):
    """The bytes are not a sequence parameter set we can read: wrong NAL type,
    truncated, or values the standard forbids."""


@dataclass(frozen=True)
class SequenceInfo:
    """What a recorder needs from an SPS."""

    codec: str  # "h264" or "hevc" (FFmpeg's names)
    width: int  # displayed size: after the cropping (H.264) / conformance (H.265) window
    height: int
    profile: int  # profile_idc / general_profile_idc
    level: int  # level_idc / general_level_idc (H.265: 30 × the level number)
    # Frames that may precede a frame in decode order but follow it in output order:
    # max_num_reorder_frames (H.264 VUI) / sps_max_num_reorder_pics of the highest
    # sub-layer (H.265). None when an H.264 SPS does not say.
    reorder_frames: int | None


class BitReader:
    """Reads fixed-length and Exp-Golomb fields from an RBSP, most significant bit first."""

    def __init__(self, rbsp: bytes, what: str) -> None:
        self._value = int.from_bytes(rbsp, "big")
        self._size = len(rbsp) * 8
        self._pos = 0
        self._what = what  # names the structure in error messages

    def u(self, bits: int) -> int:
        end = self._pos + bits
        if end > self._size:
            raise ParameterSetError(
                f"{self._what} truncated: {bits} more bits needed at bit {self._pos} "
                f"of {self._size}"
            )
        self._pos = end
        return (self._value >> (self._size - end)) & ((1 << bits) - 1)

    def flag(self) -> bool:
        return self.u(1) == 1

    def skip(self, bits: int) -> None:
        self.u(bits)

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            # The standards' largest ue(v) value is 2^32 - 2: 31 leading zeros at most.
            if zeros > 31:
                raise ParameterSetError(f"{self._what}: Exp-Golomb code over 32 bits")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)

    def ue_max(self, limit: int, name: str) -> int:
        value = self.ue()
        if value > limit:
            raise ParameterSetError(f"{self._what}: {name} {value} out of range (at most {limit})")
        return value


def rbsp(payload: bytes) -> bytes:
    """The RBSP of a NAL unit's payload: emulation-prevention bytes removed.

    An encoder inserts 0x03 after two zero bytes whenever the next byte is 0x00-0x03, so
    every 00 00 03 in a conforming NAL unit is such an insertion; matches never overlap
    in a way that matters because the zero count restarts after the 0x03.
    """
    return bytes(payload).replace(b"\x00\x00\x03", b"\x00\x00")


def h264_sps(nal: bytes) -> SequenceInfo:
    """Reads an H.264 SPS NAL unit (1-byte header included, emulation prevention in)."""
    if not nal:
        raise ParameterSetError("empty NAL unit, not an H.264 SPS")
    if nal[0] & 0x80:
        raise ParameterSetError("H.264 NAL unit with forbidden_zero_bit set")
    if nal[0] & 0x1F != _H264_SPS:
        raise ParameterSetError(f"H.264 NAL unit type {nal[0] & 0x1F}, not an SPS (7)")
    r = BitReader(rbsp(nal[1:]), "H.264 SPS")
    profile, constraints, level = r.u(8), r.u(8), r.u(8)
    r.ue_max(31, "seq_parameter_set_id")
    chroma_format, separate_planes = 1, False  # 4:2:0 unless a high profile says
    if profile in _H264_HIGH_PROFILES:
        chroma_format, separate_planes = _h264_chroma_and_matrices(r)
    r.ue_max(12, "log2_max_frame_num_minus4")
    _skip_h264_pic_order_cnt(r)
    r.ue_max(_MAX_DPB, "max_num_ref_frames")
    r.skip(1)  # gaps_in_frame_num_value_allowed_flag
    width = (r.ue() + 1) * 16
    map_units = r.ue() + 1
    frame_mbs_only = r.flag()
    if not frame_mbs_only:
        r.skip(1)  # mb_adaptive_frame_field_flag
    # Without frame_mbs_only_flag the map units are a field's macroblock rows (7-18).
    field_factor = 1 if frame_mbs_only else 2
    height = map_units * 16 * field_factor
    r.skip(1)  # direct_8x8_inference_flag
    left, right, top, bottom = (r.ue(), r.ue(), r.ue(), r.ue()) if r.flag() else (0, 0, 0, 0)
    # Crop offsets count chroma samples (SubWidthC, SubHeightC), lines of a field when
    # field coding is allowed (CropUnitX, CropUnitY, 7-19 to 7-22).
    if separate_planes or chroma_format == 0:
        unit_x, unit_y = 1, field_factor
    else:
        unit_x = 1 if chroma_format == 3 else 2
        unit_y = (2 if chroma_format == 1 else 1) * field_factor
    width, height = _cropped(width, height, unit_x * (left + right), unit_y * (top + bottom))
    reorder = _h264_vui_reorder(r) if r.flag() else None
    if reorder is None and (
        profile == _H264_BASELINE or (constraints & 0x10 and profile in _H264_INTRA_PROFILES)
    ):
        reorder = 0  # no B-frames in baseline; intra-only streams are output in order
    return SequenceInfo("h264", width, height, profile, level, reorder)


def _h264_chroma_and_matrices(r: BitReader) -> tuple[int, bool]:
    """The high profiles' fields: chroma format, separate planes; skips the rest."""
    chroma_format = r.ue_max(3, "chroma_format_idc")
    separate_planes = chroma_format == 3 and r.flag()
    r.ue_max(6, "bit_depth_luma_minus8")
    r.ue_max(6, "bit_depth_chroma_minus8")
    r.skip(1)  # qpprime_y_zero_transform_bypass_flag
    if r.flag():  # seq_scaling_matrix_present_flag
        # Six 4x4 lists, then two 8x8 lists (six with 4:4:4, one per colour component).
        for i in range(12 if chroma_format == 3 else 8):
            if r.flag():  # seq_scaling_list_present_flag[i]
                _skip_scaling_list(r, 16 if i < 6 else 64)
    return chroma_format, separate_planes


def _skip_scaling_list(r: BitReader, size: int) -> None:
    # 7.3.2.1.1.1: each delta moves nextScale; once it reaches 0 the rest of the list
    # repeats the last value (or takes the default) and nothing more is coded.
    last = 8
    for _ in range(size):
        delta = r.se()
        if not -128 <= delta <= 127:
            raise ParameterSetError(f"H.264 SPS: delta_scale {delta} out of range")
        following = (last + delta) % 256
        if following == 0:
            return
        last = following


def _skip_h264_pic_order_cnt(r: BitReader) -> None:
    kind = r.ue_max(2, "pic_order_cnt_type")
    if kind == 0:
        r.ue_max(12, "log2_max_pic_order_cnt_lsb_minus4")
    elif kind == 1:
        r.skip(1)  # delta_pic_order_always_zero_flag
        r.se()  # offset_for_non_ref_pic
        r.se()  # offset_for_top_to_bottom_field
        for _ in range(r.ue_max(255, "num_ref_frames_in_pic_order_cnt_cycle")):
            r.se()  # offset_for_ref_frame[i]


def _h264_vui_reorder(r: BitReader) -> int | None:
    """Skips the VUI (E.1.1) to its bitstream restriction: max_num_reorder_frames."""
    # aspect_ratio_info_present_flag, then aspect_ratio_idc: Extended_SAR adds its ratio.
    if r.flag() and r.u(8) == 255:
        r.skip(32)  # sar_width, sar_height
    if r.flag():  # overscan_info_present_flag
        r.skip(1)  # overscan_appropriate_flag
    if r.flag():  # video_signal_type_present_flag
        r.skip(4)  # video_format, video_full_range_flag
        if r.flag():  # colour_description_present_flag
            r.skip(24)  # colour_primaries, transfer_characteristics, matrix_coefficients
    if r.flag():  # chroma_loc_info_present_flag
        r.ue()  # chroma_sample_loc_type_top_field
        r.ue()  # chroma_sample_loc_type_bottom_field
    if r.flag():  # timing_info_present_flag
        r.skip(65)  # num_units_in_tick, time_scale, fixed_frame_rate_flag
    nal_hrd = r.flag()
    if nal_hrd:
        _skip_h264_hrd(r)
    vcl_hrd = r.flag()
    if vcl_hrd:
        _skip_h264_hrd(r)
    if nal_hrd or vcl_hrd:
        r.skip(1)  # low_delay_hrd_flag
    r.skip(1)  # pic_struct_present_flag
    if not r.flag():  # bitstream_restriction_flag
        return None
    r.skip(1)  # motion_vectors_over_pic_boundaries_flag
    for _ in range(4):  # max_bytes_per_pic_denom, max_bits_per_mb_denom, log2_max_mv_length_*
        r.ue()
    reorder = r.ue_max(_MAX_DPB, "max_num_reorder_frames")
    r.ue_max(_MAX_DPB, "max_dec_frame_buffering")
    return reorder


def _skip_h264_hrd(r: BitReader) -> None:
    # E.1.2 hrd_parameters: one bit rate / buffer size / CBR entry per CPB.
    cpb_count = r.ue_max(31, "cpb_cnt_minus1") + 1
    r.skip(8)  # bit_rate_scale, cpb_size_scale
    for _ in range(cpb_count):
        r.ue()  # bit_rate_value_minus1
        r.ue()  # cpb_size_value_minus1
        r.skip(1)  # cbr_flag
    r.skip(20)  # the three delay lengths and time_offset_length, 5 bits each


def hevc_sps(nal: bytes) -> SequenceInfo:
    """Reads an H.265 SPS NAL unit (2-byte header included, emulation prevention in)."""
    if len(nal) < 2:
        raise ParameterSetError(f"{len(nal)}-byte NAL unit, not an H.265 SPS")
    if nal[0] & 0x80:
        raise ParameterSetError("H.265 NAL unit with forbidden_zero_bit set")
    if (nal[0] >> 1) & 0x3F != _HEVC_SPS:
        raise ParameterSetError(f"H.265 NAL unit type {(nal[0] >> 1) & 0x3F}, not an SPS (33)")
    if (nal[0] & 1) or (nal[1] >> 3):
        # Layers above the base (MV-HEVC, SHVC) use another SPS syntax (F.7.3.2.2.1).
        raise ParameterSetError("H.265 SPS of an enhancement layer (nuh_layer_id > 0)")
    r = BitReader(rbsp(nal[2:]), "H.265 SPS")
    r.skip(4)  # sps_video_parameter_set_id
    sub_layers = r.u(3) + 1  # sps_max_sub_layers_minus1 + 1
    if sub_layers > 7:
        raise ParameterSetError("H.265 SPS: sps_max_sub_layers_minus1 7 is reserved")
    r.skip(1)  # sps_temporal_id_nesting_flag
    profile, level = _hevc_profile_tier_level(r, sub_layers - 1)
    r.ue_max(15, "sps_seq_parameter_set_id")
    chroma_format = r.ue_max(3, "chroma_format_idc")
    separate_planes = chroma_format == 3 and r.flag()
    width, height = r.ue(), r.ue()  # pic_width/height_in_luma_samples
    if width == 0 or height == 0:
        raise ParameterSetError(f"H.265 SPS: picture size {width}×{height}")
    left, right, top, bottom = (r.ue(), r.ue(), r.ue(), r.ue()) if r.flag() else (0, 0, 0, 0)
    # Conformance window offsets count chroma samples (SubWidthC, SubHeightC).
    sub_width = 2 if chroma_format in (1, 2) and not separate_planes else 1
    sub_height = 2 if chroma_format == 1 else 1
    width, height = _cropped(width, height, sub_width * (left + right), sub_height * (top + bottom))
    r.ue_max(8, "bit_depth_luma_minus8")
    r.ue_max(8, "bit_depth_chroma_minus8")
    r.ue_max(12, "log2_max_pic_order_cnt_lsb_minus4")
    # Without sub_layer_ordering_info_present_flag only the highest sub-layer is coded
    # (the others take its values); either way the last one read is the highest.
    every_sub_layer = r.flag()
    reorder = 0
    for _ in range(sub_layers if every_sub_layer else 1):
        r.ue_max(_MAX_DPB - 1, "sps_max_dec_pic_buffering_minus1")
        reorder = r.ue_max(_MAX_DPB - 1, "sps_max_num_reorder_pics")
        r.ue()  # sps_max_latency_increase_plus1
    return SequenceInfo("hevc", width, height, profile, level, reorder)


def _hevc_profile_tier_level(r: BitReader, max_sub_layers_minus1: int) -> tuple[int, int]:
    """7.3.3 profile_tier_level(1, max_sub_layers_minus1): general profile and level."""
    r.skip(3)  # general_profile_space, general_tier_flag
    profile = r.u(5)  # general_profile_idc
    r.skip(32 + 48)  # compatibility flags; source flags and constraint bits (4 + 43 + 1)
    level = r.u(8)  # general_level_idc
    present = [(r.flag(), r.flag()) for _ in range(max_sub_layers_minus1)]
    if max_sub_layers_minus1 > 0:
        r.skip(2 * (8 - max_sub_layers_minus1))  # reserved_zero_2bits up to eight entries
    for profile_present, level_present in present:
        # A sub-layer's profile fields are the general ones without the level (88 bits).
        r.skip(88 * profile_present + 8 * level_present)
    return profile, level


def _cropped(width: int, height: int, crop_x: int, crop_y: int) -> tuple[int, int]:
    width, height = width - crop_x, height - crop_y
    if width <= 0 or height <= 0:
        raise ParameterSetError(f"cropping window leaves a {width}×{height} picture")
    # FFmpeg's av_image_check_size: a larger picture cannot be decoded, so it is garbage.
    if (width + 128) * (height + 128) >= (2**31 - 1) // 8:
        raise ParameterSetError(f"picture size {width}×{height} too large")
    return width, height
