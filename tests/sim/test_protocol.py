"""RTSP conformance with a raw socket client, so each protocol detail is checked directly."""

from __future__ import annotations

import hashlib
import itertools
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from beffroi.sim import Credentials, Fault, SimulatedCameraServer, make_cameras
from beffroi.sim.auth import parse_auth_params
from beffroi.sim.bitstream import load_clip
from beffroi.sim.rtp import NTP_EPOCH_OFFSET

from .rawrtsp import RawRtsp
from .sizes import SMALL


@pytest.fixture
def raw(sim_server: SimulatedCameraServer) -> Iterator[RawRtsp]:
    client = RawRtsp(sim_server.port)
    yield client
    client.close()


def test_options_and_describe(sim_server: SimulatedCameraServer, raw: RawRtsp) -> None:
    status, headers, _ = raw.request("OPTIONS", sim_server.url("cam0"))
    assert status == 200
    assert "GET_PARAMETER" in headers["public"] and "TEARDOWN" in headers["public"]
    status, headers, body = raw.request("DESCRIBE", sim_server.url("cam0"))
    assert status == 200
    assert headers["content-type"] == "application/sdp"
    assert headers["content-base"] == sim_server.url("cam0") + "/"
    sdp = body.decode()
    assert "m=video 0 RTP/AVP 96" in sdp
    assert "a=rtpmap:96 H264/90000" in sdp
    assert "packetization-mode=1;profile-level-id=" in sdp and "sprop-parameter-sets=" in sdp
    assert "a=control:trackID=0" in sdp and "a=framerate:15" in sdp
    assert "a=x-dimensions:320,240" in sdp


def test_unknown_path_is_404(sim_server: SimulatedCameraServer, raw: RawRtsp) -> None:
    assert raw.request("DESCRIBE", sim_server.url("cam99"))[0] == 404
    assert raw.request("DESCRIBE", sim_server.url("nope/cam0"))[0] == 404


def test_udp_transport_is_refused(sim_server: SimulatedCameraServer, raw: RawRtsp) -> None:
    status, _, _ = raw.request(
        "SETUP",
        sim_server.url("cam0") + "/trackID=0",
        {"Transport": "RTP/AVP;unicast;client_port=5000-5001"},
    )
    assert status == 461


def test_play_streams_paced_rtp_and_sender_reports(
    sim_server: SimulatedCameraServer, raw: RawRtsp
) -> None:
    headers = raw.play(sim_server.url("cam0"))
    rtp_info = headers["rtp-info"]
    assert rtp_info.startswith(f"url={sim_server.url('cam0')}/trackID=0;seq=")
    first_seq = int(rtp_info.split("seq=")[1].split(";")[0])
    first_ts = int(rtp_info.split("rtptime=")[1])
    started = time.monotonic()
    # A client RTCP receiver report in the middle of requests must not disturb parsing.
    receiver_report = struct.pack(">BBHI", 0x80, 201, 1, 0x1234)
    raw.send_raw(b"$\x01" + struct.pack(">H", len(receiver_report)) + receiver_report)
    raw.read_media(0.5)
    assert raw.request("GET_PARAMETER", sim_server.url("cam0"))[0] == 200
    raw.read_media(1.0)
    elapsed = time.monotonic() - started
    packets = raw.rtp()
    assert packets[0][0] == first_seq and packets[0][1] == first_ts
    seqs = [p[0] for p in packets]
    assert all((b - a) & 0xFFFF == 1 for a, b in itertools.pairwise(seqs))
    frame_ts = [ts for _, ts, _, marker, _ in packets if marker]
    assert all((b - a) & 0xFFFFFFFF == 6000 for a, b in itertools.pairwise(frame_ts))
    # Real-time pacing: about 15 frames per second of wall time, no initial burst.
    assert 0.8 * 15 * elapsed <= len(frame_ts) <= 15 * elapsed + 2
    reports = [p for channel, p, _ in raw.frames if channel == 1]
    assert reports, "an RTCP sender report is sent when playing starts"
    _, pt, _, ssrc, ntp_sec, ntp_frac, sr_ts = struct.unpack(">BBHIIII", reports[0][:20])
    assert pt == 200 and ssrc == packets[0][2]
    assert abs(ntp_sec - NTP_EPOCH_OFFSET + ntp_frac / 2**32 - time.time()) < elapsed + 1
    assert abs(((sr_ts - first_ts + 2**31) & 0xFFFFFFFF) - 2**31) < 9000
    assert raw.request("TEARDOWN", sim_server.url("cam0"))[0] == 200


def test_timestamps_continue_across_clip_loops(make_server: Any) -> None:
    server = make_server(make_cameras(1, **{**SMALL, "duration": 1.0}))
    client = RawRtsp(server.port)
    try:
        client.play(server.url("cam0"))
        client.read_media(1.6)
    finally:
        client.close()
    frame_ts = [ts for _, ts, _, marker, _ in client.rtp() if marker]
    assert len(frame_ts) > 17  # more than one 15-frame loop
    assert all((b - a) & 0xFFFFFFFF == 6000 for a, b in itertools.pairwise(frame_ts))


def _digest(params: dict[str, str], method: str, uri: str, user: str, password: str) -> str:
    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5(f"{user}:{params['realm']}:{password}")
    response = md5(f"{ha1}:{params['nonce']}:{md5(f'{method}:{uri}')}")
    return (
        f'Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
        f'uri="{uri}", response="{response}"'
    )


def test_digest_challenge_and_response(make_server: Any) -> None:
    server = make_server(make_cameras(1, **SMALL), credentials=Credentials("admin", "s3cret"))
    client = RawRtsp(server.port)
    url = server.url("cam0")
    try:
        status, headers, _ = client.request("DESCRIBE", url)
        assert status == 401
        scheme, params = parse_auth_params(headers["www-authenticate"])
        assert scheme == "digest" and params["realm"] and params["nonce"]
        bad = _digest(params, "DESCRIBE", url, "admin", "wrong")
        assert client.request("DESCRIBE", url, {"Authorization": bad})[0] == 401
        good = _digest(params, "DESCRIBE", url, "admin", "s3cret")
        assert client.request("DESCRIBE", url, {"Authorization": good})[0] == 200
        forged = good.replace(params["nonce"], "0" * 32)
        assert client.request("DESCRIBE", url, {"Authorization": forged})[0] == 401
    finally:
        client.close()


def test_refuse_503_and_close(make_server: Any) -> None:
    cameras = make_cameras(2, **SMALL)
    server = make_server(cameras)
    server.set_fault("cam0", Fault(refuse="503"))
    server.set_fault("cam1", Fault(refuse="close"))
    client = RawRtsp(server.port)
    try:
        assert client.request("DESCRIBE", server.url("cam0"))[0] == 503
        with pytest.raises(ConnectionError):
            client.request("DESCRIBE", server.url("cam1"))
    finally:
        client.close()
    server.set_fault("cam0", None)
    client = RawRtsp(server.port)
    try:
        assert client.request("DESCRIBE", server.url("cam0"))[0] == 200
    finally:
        client.close()


def test_stall_keeps_connection_but_stops_media(make_server: Any) -> None:
    server = make_server(make_cameras(1, **SMALL, fault=Fault(stall_after=0.6)))
    client = RawRtsp(server.port)
    try:
        client.play(server.url("cam0"))
        client.read_media(1.0)
        count = len(client.frames)
        assert count > 10
        client.read_media(0.8)
        assert len(client.frames) == count, "no RTP nor RTCP while stalled"
        assert client.request("GET_PARAMETER", server.url("cam0"))[0] == 200
    finally:
        client.close()


def test_garbage_replaces_payloads_of_a_few_frames(make_server: Any, clip_cache: Path) -> None:
    cameras = make_cameras(1, **SMALL, fault=Fault(garbage_after=0.5, garbage_frames=3))
    server = make_server(cameras)
    clip = load_clip(cameras[0].clip, clip_cache)
    client = RawRtsp(server.port)
    try:
        client.play(server.url("cam0"))
        client.read_media(1.5)
    finally:
        client.close()
    frames: list[bytes] = []
    current = b""
    for _, _, _, marker, payload in client.rtp():
        current += payload
        if marker:
            frames.append(current)
            current = b""
    assert len(frames) > 15
    from beffroi.sim.rtp import packetize_nal

    def expected(index: int) -> bytes:
        unit = clip.access_units[index % len(clip.access_units)]
        return b"".join(p for nal in unit.nals for p in packetize_nal("h264", nal, 1388))

    corrupted = [i for i, data in enumerate(frames) if data != expected(i)]
    assert len(corrupted) == 3
    assert corrupted == list(range(corrupted[0], corrupted[0] + 3))
    assert 6 <= corrupted[0] <= 10  # about 0.5 s at 15 fps


def test_pause_then_play_resumes_without_timestamp_gap(
    sim_server: SimulatedCameraServer, raw: RawRtsp
) -> None:
    url = sim_server.url("cam2")
    raw.play(url)
    raw.read_media(0.5)
    assert raw.request("PAUSE", url)[0] == 200
    raw.read_media(0.3)  # drain what was in flight
    paused_count = len(raw.rtp())
    raw.read_media(0.5)
    assert len(raw.rtp()) == paused_count
    status, headers, _ = raw.request("PLAY", url)
    assert status == 200
    resumed_ts = int(headers["rtp-info"].split("rtptime=")[1])
    raw.read_media(0.5)
    frame_ts = [ts for _, ts, _, marker, _ in raw.rtp() if marker]
    assert len(frame_ts) > paused_count // 2
    assert all((b - a) & 0xFFFFFFFF == 6000 for a, b in itertools.pairwise(frame_ts))
    assert resumed_ts in frame_ts


def test_requests_need_the_session_id(sim_server: SimulatedCameraServer, raw: RawRtsp) -> None:
    url = sim_server.url("cam3")
    raw.play(url)
    raw.session = "deadbeef"
    assert raw.request("PLAY", url)[0] == 454
    assert raw.request("TEARDOWN", url)[0] == 454
