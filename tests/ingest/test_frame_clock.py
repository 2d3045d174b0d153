"""The frame clock's decisions, without I/O: cameras whose clocks drift, jump, repeat,
lie in their RTCP reports, or slow down when nothing moves (ingest/frame_clock.py).

Each scenario generates pictures with a true filming time, the camera's media time and
when the server saw them, as FFmpeg hands them over: a picture's observation pairs the
arrival of the picture's first bytes (the previous packet's hand-over) with its media
time. The placed time must stay within ±100 ms of the truth (the issue's bar) — in
practice within a few ms where the evidence allows it.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

from beffroi.ingest.frame_clock import ARRIVAL, RTCP, FrameClock, Observation

T0 = 1_796_000_000_000.0  # ms, UTC


def camera(
    seconds: float,
    fps: float = 10,
    drift_ppm: float = 0,
    latency_ms: float = 20,
    jitter_ms: float = 60,
    rtcp_error_ms: float | None = None,
    media_of=None,
    period_of=None,
    seed: int = 7,
) -> Iterator[tuple[float, float, Observation]]:
    """(true ms, media ms, observation) per picture, in order."""
    rng = random.Random(seed)
    true = T0
    while true < T0 + seconds * 1000:
        elapsed = true - T0
        media = 5_000 + elapsed * (1 + drift_ppm * 1e-6)
        if media_of is not None:
            media = media_of(elapsed, media)
        arrival = true + latency_ms + rng.random() * jitter_ms
        cam = None if rtcp_error_ms is None else true + rtcp_error_ms
        yield true, media, Observation(media_ms=media, arrival_ms=arrival, camera_ms=cam)
        true += period_of(elapsed) if period_of is not None else 1000 / fps


def placed_errors(clock: FrameClock, pictures, settle_s: float = 0) -> list[float]:
    errors: list[float] = []
    previous = float("-inf")
    for true, media, obs in pictures:
        at = media + clock.place(media, obs)
        assert at > previous, "file times never go backwards"
        previous = at
        if true - T0 >= settle_s * 1000:
            errors.append(at - true)
    return errors


def test_a_drifting_camera_without_rtcp_stays_on_time_for_hours() -> None:
    """0.5 % fast: 18 s an hour off if its own clock were followed."""
    clock = FrameClock(nominal_ms=100)
    errors = placed_errors(clock, camera(3 * 3600, drift_ppm=5000))
    assert clock.source == ARRIVAL and clock.jumps == 0
    assert max(abs(e) for e in errors) <= 100
    # The arrival envelope sits on the fastest pictures: latency 20 ms, not the jitter.
    assert max(abs(e) for e in errors[600:]) <= 45


def test_a_slow_camera_clock_is_followed_too() -> None:
    """0.5 % slow: the envelope's minimum over 10 s is its oldest point, 50 ms behind;
    carried forward by the measured drift, the placing stays on the fast pictures."""
    clock = FrameClock(nominal_ms=100)
    errors = placed_errors(clock, camera(3600, drift_ppm=-5000))
    assert max(abs(e) for e in errors) <= 100
    assert max(abs(e) for e in errors[1200:]) <= 45  # after two minutes
    assert clock.drift > 0.004


def test_truthful_rtcp_gives_the_cameras_time_exactly() -> None:
    clock = FrameClock(nominal_ms=100)
    errors = placed_errors(clock, camera(600, drift_ppm=200, rtcp_error_ms=0), settle_s=2)
    assert clock.source == RTCP
    assert max(abs(e) for e in errors) <= 1


def test_held_first_pictures_are_anchored_on_the_first_report() -> None:
    """A session's first 3 s, held until a picture carries the camera's time (the camera
    is 150 ms late on the network): primed together, even the first is the camera's."""
    pictures = list(camera(10, latency_ms=150, jitter_ms=10, rtcp_error_ms=0))
    held = [Observation(o.media_ms, o.arrival_ms, o.camera_ms if i == 29 else None)
            for i, (_, _, o) in enumerate(pictures[:30])]  # fmt: skip
    clock = FrameClock(nominal_ms=100)
    assert clock.prime(held)
    errors = [m + clock.place(m, o, observe=False) - t
              for (t, m, _), o in zip(pictures[:30], held, strict=True)]  # fmt: skip
    errors += placed_errors(clock, pictures[30:])
    assert clock.source == RTCP
    assert max(abs(e) for e in errors) <= 1
    assert not clock.prime(held), "only before the first picture is placed"
    unprimed = FrameClock(nominal_ms=100)
    late = [m + unprimed.place(m, o) - t for (t, m, _), o in zip(pictures[:30], held, strict=True)]
    assert late[0] >= 150, "without priming the first pictures take arrival's lateness"


def test_an_rtcp_clock_an_hour_off_is_not_believed() -> None:
    clock = FrameClock(nominal_ms=100)
    errors = placed_errors(clock, camera(120, rtcp_error_ms=3_600_000))
    assert clock.source == ARRIVAL
    assert clock.camera_clock_error_ms is not None
    assert abs(clock.camera_clock_error_ms - 3_600_000) < 200
    assert max(abs(e) for e in errors) <= 100


def test_an_rtcp_clock_slightly_behind_is_corrected_smoothly() -> None:
    """Arrival first, then the first sender report: the offset slews, never jumps."""
    clock = FrameClock(nominal_ms=100)
    pictures = list(camera(60, rtcp_error_ms=-50))
    early = [(t, m, Observation(o.media_ms, o.arrival_ms, None)) for t, m, o in pictures[:30]]
    errors = placed_errors(clock, early + pictures[30:])
    assert clock.source == RTCP
    assert abs(errors[-1] + 50) <= 1, "the camera's own (NTP) time is kept when plausible"
    steps = [b - a for a, b in itertools.pairwise(errors)]
    assert max(abs(s) for s in steps) <= 100 * 0.05 + 1e-9, "slewed at most 5 % of a frame"


def test_repeated_timestamps_are_placed_a_frame_apart() -> None:
    def repeat_every_7th(elapsed: float, media: float) -> float:
        frame = round(elapsed / 100)
        return media - 100 if frame % 7 == 6 else media

    clock = FrameClock(nominal_ms=100)
    errors = placed_errors(clock, camera(120, media_of=repeat_every_7th))
    assert clock.repeats > 100 and clock.jumps == 0
    assert max(abs(e) for e in errors) <= 100


def test_jumps_forward_and_back_keep_the_recording_continuous() -> None:
    def jumps(elapsed: float, media: float) -> float:
        if elapsed >= 60_000:
            media -= 600_000  # ten minutes back
        if elapsed >= 30_000:
            media += 3_600_000  # an hour ahead
        return media

    clock = FrameClock(nominal_ms=100)
    errors = placed_errors(clock, camera(120, media_of=jumps))
    assert clock.jumps == 2
    assert max(abs(e) for e in errors) <= 100


def test_a_smart_codec_slowing_to_one_frame_a_second_stays_on_time() -> None:
    """H.264+ style: 25 fps with motion, 1 fps when the scene is still, in turns."""

    def period(elapsed: float) -> float:
        return 40.0 if (elapsed // 20_000) % 2 == 0 else 1000.0

    clock = FrameClock(nominal_ms=40)
    errors = placed_errors(clock, camera(600, period_of=period, jitter_ms=30))
    assert clock.jumps == 0
    assert max(abs(e) for e in errors) <= 100
