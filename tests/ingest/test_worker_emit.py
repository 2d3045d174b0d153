"""A worker's news to the supervisor (`worker.QueueEmit`): periodic states batched, a
change of status and segments at once, and always in the order they happened."""

from __future__ import annotations

import queue
from dataclasses import replace

from beffroi.ingest.state import CameraState, LiveSegment, Status
from beffroi.ingest.worker import QueueEmit


def _sent(q: queue.Queue) -> list[tuple]:
    out = []
    while not q.empty():
        out.append(q.get_nowait())
    return out


def test_periodic_states_wait_for_the_batch_and_changes_go_at_once() -> None:
    q: queue.Queue = queue.Queue()
    emit = QueueEmit(q)
    a = CameraState(camera_id="a", status=Status.CONNECTING)
    b = CameraState(camera_id="b", status=Status.CONNECTING)
    emit.state(a)
    emit.state(b)
    assert [(k, [s.camera_id for s in states]) for k, states in _sent(q)] == [
        ("states", ["a"]),
        ("states", ["b"]),
    ]
    emit.state(a)  # the same status: progress only, it waits
    emit.state(replace(b, fps=15.0))
    emit.state(replace(b, fps=14.5))  # only the newest of a camera is sent
    assert _sent(q) == []
    emit.flush()
    [(kind, states)] = _sent(q)
    assert kind == "states" and [(s.camera_id, s.fps) for s in states] == [("a", None), ("b", 14.5)]
    emit.flush()
    assert _sent(q) == []  # nothing waiting, nothing sent
    emit.state(replace(a, status=Status.RECORDING))
    assert [s.status for _, states in _sent(q) for s in states] == [Status.RECORDING]


def test_a_segment_or_live_change_goes_after_the_states_before_it() -> None:
    q: queue.Queue = queue.Queue()
    emit = QueueEmit(q)
    a = CameraState(camera_id="a", status=Status.RECORDING)
    emit.state(a)
    _sent(q)
    emit.state(replace(a, fps=15.0))
    emit.live("a", LiveSegment("a/x.mp4.part", 1000, 1000))
    emit.state(replace(a, fps=14.0))
    emit.segment("segment info")
    assert [e[0] for e in _sent(q)] == ["states", "live", "states", "segment"]
