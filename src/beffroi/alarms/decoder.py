"""What the DC-09 receiver accepts, and what it answers.

| what arrived | answer | reason |
|---|---|---|
| bytes with a wrong CRC, length or header | NAK | crc, length, format |
| a message for another receiver or line (when set) | DUH | receiver, line |
| an unknown account, or an unsupported message type | DUH | account, token |
| clear text for an account that has a key, or cipher without one | DUH | encryption |
| cipher that does not decrypt with the account's key | NAK | decrypt |
| no timestamp in an encrypted message, or one outside +20/-40 s | NAK | timestamp |
| data that does not decode (SIA-DCS, ADM-CID) | DUH | data |
| the very same message again (same account, sequence, content) | ACK | duplicate |
| a sound message | ACK once stored | accepted |

NAK means "resend" (transit damage, clock drift: the NAK carries our time so the panel
can correct it); DUH means "resending will not help". A retransmission of a message
already accepted is answered ACK again without a second alarm: its ACK was lost, and a
NAK would make the panel retry until it reports a communication failure; an attacker
replaying it gains nothing, and one replaying it later meets the timestamp window.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from beffroi.alarms.dc09 import (
    Answer,
    Frame,
    FrameError,
    ack,
    decrypt,
    duh,
    nak,
    parse_content,
    parse_frame,
)
from beffroi.alarms.events import PanelEvent, decode
from beffroi.clock import Clock

SUPPORTED = ("SIA-DCS", "ADM-CID", "NULL")
REMEMBERED_PER_ACCOUNT = 512


@dataclass(frozen=True)
class AlarmAccount:
    """A panel the centre expects: its account, its building, its AES key if any."""

    account: str
    building_id: str
    key: bytes | None = None


@dataclass
class Received:
    """One message and the receiver's verdict on it."""

    received_at: datetime
    transport: str
    peer: str | None
    raw: bytes
    outcome: str = "refused"  # accepted | duplicate | refused
    reason: str | None = None
    detail: str | None = None
    answer: Answer | None = None
    reply: bytes | None = None
    frame: Frame | None = None
    account: str | None = None
    building_id: str | None = None
    data: str | None = None
    event_at: datetime | None = None
    events: list[PanelEvent] = field(default_factory=list)

    @property
    def fingerprint(self) -> tuple[str, str, str] | None:
        if self.frame is None or self.account is None:
            return None
        digest = hashlib.sha256(self.frame.rest.encode()).hexdigest()[:16]
        return (self.account, self.frame.sequence, digest)


@dataclass
class Dc09Policy:
    accounts: Mapping[str, AlarmAccount]
    clock: Clock
    past: timedelta = timedelta(seconds=40)
    future: timedelta = timedelta(seconds=20)
    receiver: str | None = None
    line: str | None = None
    _seen: dict[str, OrderedDict[tuple[str, str], float]] = field(default_factory=dict)

    def decide(self, raw: bytes, transport: str, peer: str | None) -> Received:
        now = self.clock.now()
        msg = Received(received_at=now, transport=transport, peer=peer, raw=raw)
        try:
            self._check(msg, now)
        except FrameError as exc:
            msg.outcome, msg.reason, msg.detail = "refused", exc.reason, str(exc)[:200]
            if msg.answer is None:
                msg.answer = Answer.NAK if exc.reason in _NAK_REASONS else Answer.DUH
            if msg.answer is Answer.NAK:
                msg.reply = nak(now)
            elif msg.frame is not None:
                msg.reply = duh(msg.frame)
            else:
                msg.reply = nak(now)
        return msg

    def _check(self, msg: Received, now: datetime) -> None:
        frame = msg.frame = parse_frame(msg.raw)
        if self.receiver is not None and (frame.receiver or "0") != self.receiver:
            raise FrameError("receiver", f"addressed to receiver {frame.receiver}")
        if self.line is not None and frame.line != self.line:
            raise FrameError("line", f"sent on line {frame.line}")
        if frame.token not in SUPPORTED:
            raise FrameError("token", f"message type {frame.token!r} is not supported")
        account_id = frame.account
        if account_id is None and not frame.encrypted:
            data_account = parse_content(frame.rest).data
            if data_account.startswith("#"):
                account_id = data_account[1:].partition("|")[0].upper() or None
        msg.account = account_id
        account = self.accounts.get(account_id or "")
        if account is None:
            raise FrameError("account", f"unknown account {account_id}")
        msg.building_id = account.building_id
        if account.key is not None and not frame.encrypted:
            raise FrameError("encryption", "clear-text message for an account with a key")
        if account.key is None and frame.encrypted:
            raise FrameError("encryption", "encrypted message for an account without a key")
        text = decrypt(account.key, frame.rest) if account.key is not None else frame.rest
        content = parse_content(text)
        msg.data, msg.event_at = content.data, content.timestamp
        if content.timestamp is None and frame.encrypted:
            raise FrameError("timestamp", "an encrypted message must carry a timestamp")
        if content.timestamp is not None and not (
            now - self.past <= content.timestamp <= now + self.future
        ):
            raise FrameError(
                "timestamp", f"timestamp {content.timestamp.isoformat()} outside the window"
            )
        _, msg.events = decode(frame.token, content.data)
        key = msg.fingerprint
        if key is not None and (key[1], key[2]) in self._memory(key[0], now):
            msg.outcome, msg.answer = "duplicate", Answer.ACK
        else:
            msg.outcome, msg.answer = "accepted", Answer.ACK
        msg.reply = ack(frame, now, account.key)

    def _memory(self, account: str, now: datetime) -> OrderedDict[tuple[str, str], float]:
        seen = self._seen.setdefault(account, OrderedDict())
        horizon = now.timestamp() - (self.past + self.future).total_seconds() * 2
        while seen and next(iter(seen.values())) < horizon:
            seen.popitem(last=False)
        return seen

    def remember(self, msg: Received) -> None:
        """Called once an accepted message is stored: a retransmission is then a
        duplicate. Nothing is remembered for a message whose storage failed."""
        key = msg.fingerprint
        if key is None:
            return
        seen = self._memory(key[0], msg.received_at)
        seen[(key[1], key[2])] = msg.received_at.timestamp()
        while len(seen) > REMEMBERED_PER_ACCOUNT:
            seen.popitem(last=False)


_NAK_REASONS = frozenset({"crc", "length", "format", "decrypt", "timestamp", "storage"})
