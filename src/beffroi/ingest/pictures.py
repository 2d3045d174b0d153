"""From demuxed packets to whole pictures placed in time: what the archive records.

packets ─► AccessUnits (whole pictures) ─► ProbeBacklog (the probe's burst) ─► FrameClock
(filming time, RTCP or arrival) ─► (packet, filmed ms, time source) for the writer.
"""

from __future__ import annotations

import struct
from typing import Any

from beffroi.ingest.access_units import AccessUnit, AccessUnits
from beffroi.ingest.arrival import ProbeBacklog
from beffroi.ingest.frame_clock import FrameClock, Observation

_PRFT_WALLCLOCK = struct.Struct("<q")  # AVProducerReferenceTime.wallclock, µs since 1970

Placed = tuple[Any, float, str]  # (packet, ms its decode instant was filmed, time source)


def producer_time_us(packet: Any) -> int | None:
    """The camera's NTP time of this packet from its last RTCP sender report, if any."""
    if not packet.has_sidedata("prft"):
        return None
    return int(_PRFT_WALLCLOCK.unpack_from(bytes(packet.get_sidedata("prft")))[0])


class Pictures:
    def __init__(self, stream: Any) -> None:
        self.ms_per_tick = float(stream.time_base) * 1000
        rate = stream.average_rate or stream.guessed_rate
        nominal = 1000 / float(rate) if rate and 1 <= float(rate) <= 120 else 1000 / 15
        self.units = AccessUnits(stream.codec_context.name)
        self.backlog = ProbeBacklog()
        self.clock = FrameClock(nominal_ms=nominal)
        self._previous: int | None = None  # when the previous packet came out
        self._timed = False  # a packet carried the camera's time already

    def feed(self, packet: Any, now_ms: int, mono_ns: int) -> list[Placed]:
        # FFmpeg's parser hands a picture over when the next one begins: the packet
        # before this one came out when this one's first bytes arrived. Its PRFT is its
        # own (measured against the simulator's send-time stamps: within 2 ms).
        arrival = self._previous if self._previous is not None else now_ms
        self._previous = now_ms
        prft = producer_time_us(packet)
        if prft is not None and not self._timed:
            # The session's first PRFT is one picture late, every time (measured against
            # GStreamer's capture stamps: +100 ms at 10 fps, later ones within 1 ms).
            self._timed, prft = True, None
        out: list[Placed] = []
        for unit in self.units.feed(packet, arrival, prft):
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
