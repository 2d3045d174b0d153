"""Reading and rewriting the recorder's own segment files, as live view does."""

from __future__ import annotations

import io
import itertools
import shutil
from pathlib import Path

import av
import pytest

from beffroi.archive.fmp4 import complete_prefix, parse_init, parse_moof, rewritten
from beffroi.live.fragments import FileTail
from tests.ingest.harness import wait_for
from tests.live.conftest import H264, H265, Live

AVC_PROFILES = {"Baseline": 66, "Constrained Baseline": 66, "Main": 77, "High": 100}


def finished_segment(live: Live, camera_id: str) -> Path:
    """A segment file the recorder has closed."""
    wait_for(lambda: any(live.rig.root.joinpath(camera_id).rglob("*.mp4")), 30, "a segment")
    return sorted(live.rig.root.joinpath(camera_id).rglob("*.mp4"))[0]


@pytest.mark.parametrize("camera_id", [H264, H265])
def test_a_file_written_piecemeal_yields_whole_fragments_only(
    live: Live, camera_id: str, tmp_path: Path
) -> None:
    source = finished_segment(live, camera_id)
    data = source.read_bytes()
    with source.open("rb") as f:
        end, fragments = complete_prefix(f, len(data))
    growing = tmp_path / "growing.mp4.part"
    growing.touch()
    tail = FileTail(growing)
    got: list[bytes] = []
    with growing.open("ab", buffering=0) as out:
        for at in range(0, len(data), 777):  # cuts boxes anywhere, headers included
            out.write(data[at : at + 777])
            got += tail.read()
            assert tail.init is None or tail.init == data[: len(tail.init)]
    tail.close()
    assert len(got) == fragments > 1
    assert tail.init is not None
    served = tail.init + b"".join(got)
    assert data.startswith(served) and len(served) <= end  # what follows is no media (mfra)
    assert b"moof" not in data[len(served) :]
    track = parse_init(tail.init)
    parsed = [parse_moof(g, track) for g in got]
    assert parsed[0].keyframe
    for before, after in itertools.pairwise(parsed):
        assert after.decode_time == before.decode_time + before.duration


def test_codec_strings_name_what_the_decoder_sees(live: Live) -> None:
    for camera_id, prefix in ((H264, "avc1."), (H265, "hvc1.")):
        path = finished_segment(live, camera_id)
        track = parse_init(path.read_bytes())
        assert track.codec.startswith(prefix)
        assert (track.width, track.height) == (320, 240)
        assert track.timescale > 0
        with av.open(str(path)) as container:
            ctx = container.streams.video[0].codec_context
            if camera_id == H264:
                assert int(track.codec[5:7], 16) == AVC_PROFILES[ctx.profile]
            else:
                assert ctx.profile == "Main" and track.codec.startswith("hvc1.1.6.L")
                assert track.is_hevc


def test_rewriting_changes_decode_time_and_sequence_only(live: Live, tmp_path: Path) -> None:
    path = tmp_path / "seg.mp4"
    shutil.copy(finished_segment(live, H264), path)
    tail = FileTail(path)
    raw = tail.read()
    tail.close()
    assert tail.init is not None
    track = parse_init(tail.init)
    # A keyframe fragment, so that it plays on its own after the init part.
    data = next(b for b in raw[1:] if parse_moof(b, track).keyframe)
    frag = parse_moof(data, track)
    moved = rewritten(data, frag, 77, 10**12)
    again = parse_moof(moved, track)
    assert (again.decode_time, again.duration) == (10**12, frag.duration)
    assert again.keyframe == frag.keyframe
    assert int.from_bytes(moved[again.sequence_at : again.sequence_at + 4], "big") == 77
    changed = [i for i, (a, b) in enumerate(zip(data, moved, strict=True)) if a != b]
    fields = set(range(frag.tfdt_at, frag.tfdt_at + 8))
    fields |= set(range(frag.sequence_at, frag.sequence_at + 4))
    assert set(changed) <= fields
    # The rewritten fragment still plays after the init part.
    with av.open(io.BytesIO(tail.init + moved), format="mp4") as c:
        assert sum(1 for _ in c.decode(video=0)) == frag.samples
