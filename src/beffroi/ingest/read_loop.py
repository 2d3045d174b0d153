"""One thread reads every session of our own reader in a worker (issue 14).

A thread per camera wakes for every picture of its camera: measured, waking up costs as
much as all the parsing (`docs/design/ingest.md`, *A reader of our own*). Here one thread
wakes at most every `period_s` (50 ms), reads every socket that has data with one
`recv` each, and runs each camera's pictures through its recorder (whole pictures, the
frame clock, the segment writer) before the next: a wake-up serves all the worker's
cameras.

The camera's own thread still connects (RTSP requests block) and decides what to do when
the session ends (status, backoff, reconnect): `run` hands the playing session to the
loop and blocks until it ends, then returns, or raises the session's error (a stall, a
broken stream, the archive refusing a write) in the camera's thread, as if that thread
had read the session itself.
"""

from __future__ import annotations

import logging
import selectors
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from beffroi.ingest.rtsp.session import EndOfStream, StreamStalled
from beffroi.ingest.sources import READ_PERIOD_S, NativeSource, SourcePacket

log = logging.getLogger(__name__)


Take = Callable[[SourcePacket], None]


@dataclass(eq=False)
class _Playing:
    source: NativeSource
    take: Take  # the camera's handling of one picture (runs in the loop's thread)
    stopped: Callable[[], bool]  # the camera was told to stop
    stall_s: float
    last_data: float = field(default_factory=time.monotonic)
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class ReadLoop:
    def __init__(self, period_s: float = READ_PERIOD_S) -> None:
        self.period_s = period_s
        self._lock = threading.Lock()
        self._arriving: list[_Playing] = []
        self._thread: threading.Thread | None = None
        self.wakeups = 0

    def run(self, source: NativeSource, take: Take, stopped: Callable[[], bool]) -> None:
        """Read `source` in the loop until it ends (the camera hangs up, or `stopped()`);
        its error, if any, is raised here."""
        source.session.conn.sock.setblocking(False)
        playing = _Playing(source, take, stopped, source.session.timeout_s)
        with self._lock:
            self._arriving.append(playing)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="read-loop", daemon=True)
                self._thread.start()
        playing.done.wait()
        if playing.error is not None:
            raise playing.error

    def _run(self) -> None:
        playing: set[_Playing] = set()
        with selectors.DefaultSelector() as selector:
            while True:
                woke = time.monotonic()
                if not self._admit(selector, playing):
                    return
                events = selector.select(self.period_s) if playing else []
                self.wakeups += 1
                for key, _ in events:
                    self._read(key.data, selector, playing)
                now = time.monotonic()
                for p in list(playing):
                    if p.stopped():
                        self._end(p, None, selector, playing)
                    elif now - p.last_data > p.stall_s:
                        stall = StreamStalled(f"no data for {p.stall_s:g} s")
                        self._end(p, stall, selector, playing)
                rest = self.period_s - (time.monotonic() - woke)
                if rest > 0:
                    time.sleep(rest)

    def _admit(self, selector: selectors.BaseSelector, playing: set[_Playing]) -> bool:
        """Take the sessions handed over since the last round; False when there is
        nothing left to read: the thread ends (the next session starts another)."""
        with self._lock:
            arriving, self._arriving = self._arriving, []
            if not arriving and not playing:
                self._thread = None
                return False
        for p in arriving:
            playing.add(p)
            selector.register(p.source.session.conn.sock, selectors.EVENT_READ, p)
            self._take(p, p.source.pending_packets(), selector, playing)
        return True

    def _read(self, p: _Playing, selector: selectors.BaseSelector, playing: set[_Playing]) -> None:
        try:
            packets = p.source.read_now()
        except BlockingIOError:
            return
        except EndOfStream:
            self._end(p, None, selector, playing)
            return
        except BaseException as exc:  # the camera's thread decides what it means
            self._end(p, exc, selector, playing)
            return
        p.last_data = time.monotonic()
        self._take(p, packets, selector, playing)

    def _take(
        self,
        p: _Playing,
        packets: list[SourcePacket],
        selector: selectors.BaseSelector,
        playing: set[_Playing],
    ) -> None:
        try:
            for item in packets:
                p.take(item)
        except BaseException as exc:  # a write refused, a bug: that camera only
            self._end(p, exc, selector, playing)

    def _end(
        self,
        p: _Playing,
        error: BaseException | None,
        selector: selectors.BaseSelector,
        playing: set[_Playing],
    ) -> None:
        if p not in playing:
            return
        playing.discard(p)
        selector.unregister(p.source.session.conn.sock)
        p.error = error
        p.done.set()
