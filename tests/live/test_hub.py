"""The fan-out: one tailer per camera, a bounded queue per viewer."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from beffroi.live.hub import LiveHub, Viewer
from beffroi.live.tailer import LiveFragment, StreamInit
from tests.live.conftest import H264, Live


def test_a_slow_viewer_drops_to_a_keyframe_and_slows_no_one(live: Live) -> None:
    async def scenario() -> tuple[Viewer, Viewer, list[LiveFragment], int]:
        hub = LiveHub.tailing(live.rig.root, live.rig.supervisor, max_queue_s=1.5)
        loop = asyncio.get_running_loop()
        async with hub.watch(H264) as reader, hub.watch(H264) as sleeper:
            got: list[LiveFragment] = []
            deadline = loop.time() + 6
            while loop.time() < deadline:
                message = await asyncio.wait_for(reader.next(), 5)
                if isinstance(message, LiveFragment):
                    got.append(message)
            views = hub.counters()[H264].views
        return reader, sleeper, got, views

    # A loop of its own, in a thread: a test run may leave an event loop set on this one.
    with ThreadPoolExecutor(1) as pool:
        reader, sleeper, got, views = pool.submit(asyncio.run, scenario()).result()
    assert views == 2
    assert reader.dropped == 0 and sum(f.duration_s for f in got) >= 5
    assert sleeper.dropped >= 2, "the viewer that never read lost fragments"
    assert reader.counters.dropped_fragments == sleeper.dropped  # one camera's counter
    assert sleeper.queued_s <= 1.5
    queued = list(sleeper.queue)
    assert isinstance(queued[0], StreamInit), "an init part is never dropped"
    media = [m for m in queued if isinstance(m, LiveFragment)]
    assert media and media[0].keyframe, "it resumes on a keyframe"
    times = [f.wall_ms for f in got]
    assert times == sorted(times)
