"""The SIA DC-09 receiver: TCP and UDP on one port, in its own thread and event loop.

A flood of messages (or of junk) is absorbed here without touching the recorder or the
API: the receiver has its own thread and loop, refusals cost a queue append
(`MessageLog`), and only accepted messages wait for the database, in a small pool of
worker threads, before their ACK. A TCP connection is answered in order, one message
at a time, as panels expect; a UDP datagram carries one message and gets one answer.

`Receiver` is the shape every alarm receiver takes (MQTT and webhook receivers will be
others): `start()`, `stop()`, `update_accounts()`, and `counts` for the metrics.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, cast

from sqlalchemy import Engine

from beffroi.alarms.dc09 import MAX_BODY, Answer, nak
from beffroi.alarms.decoder import AlarmAccount, Dc09Policy, Received
from beffroi.alarms.intake import AlarmHook, MessageLog, store_accepted

log = logging.getLogger(__name__)

MAX_MESSAGE = MAX_BODY + 16  # LF, CRC, length, CR and some slack
IDLE_TIMEOUT_S = 120.0  # a silent TCP connection is closed (panels reconnect per message)
MAX_CONNECTIONS = 512


class Receiver(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def update_accounts(self, accounts: Mapping[str, AlarmAccount]) -> None: ...


class Dc09Receiver:
    def __init__(
        self,
        host: str,
        port: int,
        policy: Dc09Policy,
        engine: Engine,
        on_alarm: AlarmHook | None,
        message_log: MessageLog,
        workers: int = 4,
    ) -> None:
        self.host, self.port = host, port
        self.policy = policy
        self.engine = engine
        self.on_alarm = on_alarm
        self.message_log = message_log
        self.counts: Counter[str] = Counter()  # accepted, duplicate, refused:<reason>
        self._workers = ThreadPoolExecutor(workers, thread_name_prefix="alarm-store")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._clients: set[asyncio.Task[object]] = set()

    # --- life cycle -------------------------------------------------------------
    def start(self) -> None:
        """Bind both sockets and serve; raises (e.g. port taken) if binding fails."""
        self.message_log.start()
        self._thread = threading.Thread(target=self._run, name="sia-dc09", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            self.message_log.stop()
            raise self._error

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
        self._workers.shutdown(wait=True)
        self.message_log.stop()

    def update_accounts(self, accounts: Mapping[str, AlarmAccount]) -> None:
        # One reference swap: the loop thread sees the old or the new table, whole.
        self.policy.accounts = dict(accounts)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start() when binding failed
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        server = await asyncio.start_server(
            self._tcp_client, self.host, self.port, limit=MAX_MESSAGE * 2
        )
        self.port = server.sockets[0].getsockname()[1]  # the real one when 0 was asked
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self), local_addr=(self.host, self.port)
        )
        log.info("SIA DC-09 receiver on %s:%d (TCP and UDP)", self.host, self.port)
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            transport.close()
            server.close()
            # Connections still open (a panel idling) end with the receiver, not after.
            for task in list(self._clients):
                task.cancel()
            await asyncio.gather(*self._clients, return_exceptions=True)
            await server.wait_closed()

    # --- one message ----------------------------------------------------------------
    async def handle(self, raw: bytes, transport: str, peer: str | None) -> bytes | None:
        """Decide, store if accepted, and return the answer to send (None: none).

        Over UDP, bytes that are no DC-09 frame at all (CRC, length, header) get no
        answer: the source address of a datagram is not proven, and answering junk
        would let anyone bounce traffic off the receiver at a forged address."""
        msg = self.policy.decide(raw, transport, peer)
        if transport == "udp" and msg.reason in NOT_A_FRAME:
            msg.answer, msg.reply = None, None
        if msg.outcome == "accepted":
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(
                    self._workers, store_accepted, self.engine, msg, self.on_alarm
                )
            except Exception as exc:
                log.exception("alarm from %s could not be stored: answered NAK", msg.account)
                # Not stored, so not acknowledged: the panel will send it again.
                msg.outcome, msg.reason, msg.detail = "refused", "storage", str(exc)[:200]
                msg.answer, msg.reply = Answer.NAK, nak(msg.received_at)
                self.message_log.submit(msg)
            else:
                self.policy.remember(msg)
        else:
            self.message_log.submit(msg)
        self._count(msg)
        return msg.reply

    def _count(self, msg: Received) -> None:
        self.counts[msg.outcome if msg.outcome != "refused" else f"refused:{msg.reason}"] += 1

    def refuse_garbage(self, raw: bytes, transport: str, peer: str | None) -> None:
        """Bytes that never formed a message (no CR within the size limit): logged and
        counted, unanswered, since there is no message to answer."""
        msg = Received(
            received_at=self.policy.clock.now(),
            transport=transport,
            peer=peer,
            raw=raw[:MAX_MESSAGE],
            reason="garbage",
            detail="no message end (CR) within the size limit",
        )
        self.message_log.submit(msg)
        self._count(msg)

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = writer.get_extra_info("peername")
        peer = f"{address[0]}:{address[1]}" if address else None
        task = asyncio.current_task()
        if len(self._clients) >= MAX_CONNECTIONS or task is None:
            writer.close()
            return
        self._clients.add(task)
        try:
            while True:
                try:
                    raw = await asyncio.wait_for(reader.readuntil(b"\r"), IDLE_TIMEOUT_S)
                except asyncio.LimitOverrunError as exc:
                    junk = await reader.read(exc.consumed)
                    self.refuse_garbage(junk, "tcp", peer)
                    continue
                except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                    return
                if len(raw) > MAX_MESSAGE:
                    self.refuse_garbage(raw, "tcp", peer)
                    continue
                reply = await self.handle(raw, "tcp", peer)
                if reply is not None:
                    writer.write(reply)
                    await writer.drain()
        except ConnectionError:
            return
        finally:
            self._clients.discard(task)
            writer.close()


# Refusal reasons of bytes that did not parse as a DC-09 frame (decoder.py's table).
NOT_A_FRAME = frozenset({"crc", "length", "format"})


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, receiver: Dc09Receiver) -> None:
        self.receiver = receiver
        self.transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.ensure_future(self._answer(data, addr))
        self._tasks.add(task)  # keep a reference until done (asyncio holds weak ones)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, data: bytes, addr: tuple[str, int]) -> None:
        peer = f"{addr[0]}:{addr[1]}"
        if len(data) > MAX_MESSAGE:
            self.receiver.refuse_garbage(data, "udp", peer)
            return
        reply = await self.receiver.handle(data, "udp", peer)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)
