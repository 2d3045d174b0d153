"""From a reader's packets to whole pictures placed in time: what the archive records.

packets ─► AccessUnits (whole pictures) ─► ProbeBacklog (the probe's burst) ─► FrameClock
(filming time, RTCP or arrival) ─► (packet, filmed ms, time source) for the writer.
Our own reader's packets are whole pictures already (`sources.py`): they skip the join.
"""

from __future__ import annotations

from typing import Any

from beffroi.ingest.access_units import AccessUnit, AccessUnits
from beffroi.ingest.arrival import ProbeBacklog
from beffroi.ingest.frame_clock import FrameClock, Observation
from beffroi.ingest.sources import SourcePacket
from beffroi.ingest.spec import VideoTrack

Placed = tuple[Any, float, str]  # (packet, ms its decode instant was filmed, time source)


class Pictures:
    def __init__(self, track: VideoTrack) -> None:
        self.ms_per_tick = float(track.time_base) * 1000
        rate = track.rate
        nominal = 1000 / rate if rate and 1 <= rate <= 120 else 1000 / 15
        self.units = AccessUnits(track.codec)
        self.backlog = ProbeBacklog()
        self.clock = FrameClock(nominal_ms=nominal)

    def feed(self, item: SourcePacket, mono_ns: int) -> list[Placed]:
        if item.whole:
            packet = item.packet
            units = [
                AccessUnit(
                    packet, packet.pts, packet.dts, packet.is_keyframe, item.arrival_ms,
                    item.camera_us,
                )
            ]  # fmt: skip
        else:
            units = self.units.feed(item.packet, item.arrival_ms, item.camera_us)
        out: list[Placed] = []
        for unit in units:
            timed = unit.prft_us is not None
            ready = self.backlog.feed(unit, self._dts_ms(unit), unit.arrival_ms, mono_ns, timed)
            out.extend(self._place(ready))
        return out

    def flush(self) -> list[Placed]:
        out: list[Placed] = []
        for unit in self.units.flush():
            ready = self.backlog.feed(unit, self._dts_ms(unit), unit.arrival_ms, 0)
            out.extend(self._place(ready))
        out.extend(self._place(self.backlog.flush()))
        return out

    def _dts_ms(self, unit: AccessUnit) -> float:
        dts = unit.dts if unit.dts is not None else unit.pts
        return (dts or 0) * self.ms_per_tick

    def _place(self, ready: list[tuple[Any, int]]) -> list[Placed]:
        observations = [self._observation(unit, arrival) for unit, arrival in ready]
        # The session's first pictures, held together: all of them bear on its anchor.
        primed = len(ready) > 1 and not self.backlog.jumped and self.clock.prime(observations)
        out: list[Placed] = []
        for (unit, _), obs in zip(ready, observations, strict=True):
            dts_ms = self._dts_ms(unit)
            offset = self.clock.place(dts_ms, obs, observe=not primed)
            out.append((unit.packet, dts_ms + offset, self.clock.source))
        return out

    def _observation(self, unit: AccessUnit, arrival: int) -> Observation:
        pts = unit.pts if unit.pts is not None else unit.dts
        return Observation(
            media_ms=(pts or 0) * self.ms_per_tick,
            arrival_ms=arrival,
            camera_ms=None if unit.prft_us is None else unit.prft_us / 1000,
        )
