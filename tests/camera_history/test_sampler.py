"""The sampler on the fake clock: one row per camera per minute, pruned after 8 days."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select

from beffroi.camera_history.sampler import CameraSampler
from beffroi.camera_history.tables import camera_samples
from beffroi.clock import FakeClock, utc_ms
from beffroi.ingest.state import CameraState, Reason, Status
from tests.web.conftest import FakeRecorder, seed_site

MINUTE = 60_000


def _rows(engine: Engine) -> list[tuple[str, int, str, str | None, float | None]]:
    t = camera_samples
    with engine.connect() as conn:
        return [
            (r.camera_id, r.at_ms, r.status, r.reason, r.fps)
            for r in conn.execute(
                select(t.c.camera_id, t.c.at_ms, t.c.status, t.c.reason, t.c.fps).order_by(
                    t.c.at_ms, t.c.camera_id
                )
            )
        ]


def _recorder() -> FakeRecorder:
    rec = FakeRecorder()
    rec.states["jlt-001"] = CameraState(
        "jlt-001", Status.RECORDING, fps=25.0, bitrate_bps=2e6, width=1920, height=1080
    )
    # A stale measure of a camera gone offline is not a measure.
    rec.states["jlt-002"] = CameraState(
        "jlt-002", Status.OFFLINE, Reason.UNREACHABLE, fps=12.0, bitrate_bps=9e5
    )
    return rec


def test_one_sample_per_camera_per_minute(engine: Engine, clock: FakeClock) -> None:
    seed_site(engine, clock)
    clock.advance(15)  # 08:00:15: the sample belongs to the minute 08:00
    sampler = CameraSampler(engine, clock, _recorder())
    t0 = utc_ms(clock.now()) - 15_000
    assert sampler.tick() == 4  # jlt-003 left the site: not sampled
    assert _rows(engine) == [
        ("cha-001", t0, "unknown", None, None),  # enabled, but no recorder state yet
        ("jlt-001", t0, "recording", None, 25.0),
        ("jlt-002", t0, "offline", "unreachable", None),
        ("jlt-004", t0, "disabled", None, None),  # enabled: false in the site file
    ]
    assert sampler.tick() == 0
    clock.advance(44)  # 08:00:59
    assert sampler.tick() == 0
    clock.advance(1)  # 08:01:00
    assert sampler.tick() == 4
    clock.advance(60 * 10)  # ten minutes without a round (server busy): one sample, not ten
    assert sampler.tick() == 4
    assert sorted({r[1] for r in _rows(engine)}) == [t0, t0 + MINUTE, t0 + 11 * MINUTE]
    # A restart within the same minute writes nothing twice.
    assert CameraSampler(engine, clock, _recorder()).tick() == 0


def test_a_day_of_minutes_then_pruned_after_eight_days(engine: Engine, clock: FakeClock) -> None:
    seed_site(engine, clock)
    rec = _recorder()
    sampler = CameraSampler(engine, clock, rec)
    start = utc_ms(clock.now())
    for _ in range(24 * 60):  # a day, minute by minute
        sampler.tick()
        clock.advance(60)
    with engine.connect() as conn:
        per_camera = dict(
            conn.execute(
                select(camera_samples.c.camera_id, func.count()).group_by(
                    camera_samples.c.camera_id
                )
            ).all()
        )
    assert per_camera == {"cha-001": 1440, "jlt-001": 1440, "jlt-002": 1440, "jlt-004": 1440}
    # Seven more days in big steps: the first day is still there (kept 8 days)...
    for _ in range(7 * 4):
        clock.advance(timedelta(hours=6))
        sampler.tick()
    assert min(r[1] for r in _rows(engine)) == start
    # ...and goes minute by minute once older than 8 days.
    clock.advance(timedelta(minutes=1))
    sampler.tick()
    assert min(r[1] for r in _rows(engine)) == start + MINUTE
    clock.advance(timedelta(hours=1))
    sampler.tick()
    oldest = min(r[1] for r in _rows(engine))
    assert oldest == start + 61 * MINUTE
    assert utc_ms(clock.now()) - oldest <= 8 * 86_400_000


def test_the_thread_samples_at_start_and_stops(engine: Engine, clock: FakeClock) -> None:
    seed_site(engine, clock)
    sampler = CameraSampler(engine, clock, _recorder())
    sampler.start()
    try:
        assert sampler.loop.wait_rounds(1)
    finally:
        sampler.stop()
    assert len(_rows(engine)) == 4  # the first sample is taken at once, not after a minute
    assert not sampler.loop.running


def test_the_first_sample_waits_for_the_recorder_to_settle(
    engine: Engine, clock: FakeClock
) -> None:
    seed_site(engine, clock)
    rec = FakeRecorder()
    rec.states["jlt-001"] = CameraState("jlt-001", Status.CONNECTING)
    rec.states["jlt-002"] = CameraState("jlt-002", Status.RECORDING, fps=25.0)
    sampler = CameraSampler(engine, clock, rec, settle_s=30)
    sampler.start()
    try:
        # Ten seconds of clock time, in quarter-second rounds: still settling.
        for n in range(1, 41):
            assert sampler.loop.wait_rounds(n)
            clock.advance(0.25)
        assert sampler.loop.wait_rounds(41)
        assert _rows(engine) == []  # jlt-001's first attempt has not ended
        rec.states["jlt-001"] = CameraState("jlt-001", Status.RECORDING, fps=12.0)
        clock.advance(0.25)
        assert sampler.loop.wait_rounds(42)
    finally:
        sampler.stop()
    statuses = {r[0]: r[2] for r in _rows(engine)}
    assert statuses["jlt-001"] == statuses["jlt-002"] == "recording"
    # A camera that never settles does not hold the sampling back past `settle_s`.
    rec.states["jlt-001"] = CameraState("jlt-001", Status.CONNECTING)
    clock.advance(60)
    late = CameraSampler(engine, clock, rec, settle_s=30)
    late.start()
    try:
        for n in range(1, 120):
            assert late.loop.wait_rounds(n)
            assert len(_rows(engine)) == 4, "sampled before the settling time ran out"
            clock.advance(0.25)
        assert late.loop.wait_rounds(120)
        clock.advance(0.25)  # 30 s of clock time
        assert late.loop.wait_rounds(121)
    finally:
        late.stop()
    assert len(_rows(engine)) == 8


def test_an_impossible_rate_is_no_measure(engine: Engine, clock: FakeClock) -> None:
    seed_site(engine, clock)
    rec = FakeRecorder()
    rec.states["cha-001"] = CameraState("cha-001", Status.RECORDING, fps=25.0, bitrate_bps=-1e5)
    CameraSampler(engine, clock, rec).tick()
    with engine.connect() as conn:
        row = conn.execute(
            select(camera_samples).where(camera_samples.c.camera_id == "cha-001")
        ).one()
    assert (row.status, row.fps, row.bitrate_bps) == ("recording", 25.0, None)
