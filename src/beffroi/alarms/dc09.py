"""SIA DC-09 (ANSI/SIA DC-09-2013) message framing, encryption and receiver answers.

A message on the wire:

    <LF> <crc> <0LLL> "<id>" <seq> [R<rcvr>] L<pref> [#<acct>] [ <data> ] [x-data] [_<time>] <CR>

`crc` is the CRC-16/ARC of the body and `LLL` its length, both in upper-case hexadecimal,
where the body runs from the opening quote of the id to the end of the timestamp. An
encrypted message marks its id with `*` ("*SIA-DCS") and replaces everything after the
`[` with the hexadecimal AES-CBC ciphertext (zero IV) of `<pad>|<data>]<x-data>_<time>`:
the timestamp is then mandatory, and it is what stops a captured message from being
replayed later (the receiver refuses timestamps outside +20/-40 s of its clock).

This module is pure: bytes in, decoded frames or answers out. What to accept is decided
by `beffroi.alarms.decoder`; sockets live in `beffroi.alarms.receiver`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MAX_BODY = 0xFFF  # the length field has three hexadecimal digits
ZERO_IV = bytes(16)
KEY_SIZES = (16, 24, 32)  # AES-128, -192, -256
_PAD_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

_HEADER = re.compile(
    r'"(?P<star>\*?)(?P<token>[A-Z0-9-]{1,16})"'
    r"(?P<seq>\d{4})"
    r"(?:R(?P<rcvr>[0-9A-Fa-f]{1,6}))?"
    r"L(?P<line>[0-9A-Fa-f]{1,6})"
    r"(?:#(?P<acct>[0-9A-Fa-f]{3,16}))?"
    r"\[(?P<rest>.*)\Z",
    re.S,
)
_CONTENT = re.compile(
    r"(?P<data>[^\[\]]*)\]"
    r"(?P<xdata>(?:\[[^\[\]]*\])*)"
    r"(?:_(?P<time>\d\d:\d\d:\d\d,\d\d-\d\d-\d{4}))?\Z",
    re.S,
)
_TIME_FORMAT = "%H:%M:%S,%m-%d-%Y"


class Answer(StrEnum):
    ACK = "ACK"  # accepted (or a retransmission of an accepted message)
    NAK = "NAK"  # rejected: corrupted, undecipherable, or timestamp out of window
    DUH = "DUH"  # well-formed but not handled: unknown account, unsupported message


class FrameError(ValueError):
    """The bytes are not a sound DC-09 message; `reason` is a short stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Frame:
    """One message whose CRC and length were right. Fields are as sent, without their
    prefix letters (`receiver` "12" for "R12")."""

    token: str
    encrypted: bool
    sequence: str
    receiver: str | None
    line: str
    account: str | None
    rest: str  # after '[': the clear content, or the ciphertext in hexadecimal


@dataclass(frozen=True)
class Content:
    data: str  # what was between the brackets: "#1234|Nri1/BA01"
    xdata: list[str] = field(default_factory=list)  # each extended field, without brackets
    timestamp: datetime | None = None


def crc16_arc(data: bytes) -> int:
    """CRC-16/ARC (poly 0x8005 reflected, init 0): the CRC DC-09 specifies."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def wrap(body: str) -> bytes:
    """`<LF><crc><0LLL><body><CR>` for a body written in ASCII."""
    raw = body.encode("ascii")
    if len(raw) > MAX_BODY:
        raise ValueError(f"a DC-09 body is at most {MAX_BODY} bytes")
    return b"\n" + f"{crc16_arc(raw):04X}0{len(raw):03X}".encode() + raw + b"\r"


def parse_frame(raw: bytes) -> Frame:
    """Check CRC, length and header of one message (LF and CR optional around it)."""
    msg = raw.strip(b"\r\n\x00 ")
    if len(msg) < 9:
        raise FrameError("format", "too short to be a DC-09 message")
    head, body = msg[:8], msg[8:]
    try:
        text = head.decode("ascii")
        sent_crc, length_field = int(text[:4], 16), text[4:]
    except (UnicodeDecodeError, ValueError):
        raise FrameError("format", "no CRC and length header") from None
    if length_field[0] != "0" or not re.fullmatch(r"[0-9A-Fa-f]{3}", length_field[1:]):
        raise FrameError("format", f"length field {length_field!r} is not 0LLL in hexadecimal")
    if int(length_field[1:], 16) != len(body):
        raise FrameError(
            "length", f"length field says {int(length_field[1:], 16)}, body has {len(body)}"
        )
    if crc16_arc(body) != sent_crc:
        raise FrameError("crc", f"CRC {sent_crc:04X} does not match {crc16_arc(body):04X}")
    try:
        match = _HEADER.match(body.decode("ascii"))
    except UnicodeDecodeError:
        raise FrameError("format", "the body is not ASCII") from None
    if match is None:
        raise FrameError("format", 'the header is not "ID"seq[Rrcvr]Lpref[#acct][')
    return Frame(
        token=match["token"],
        encrypted=bool(match["star"]),
        sequence=match["seq"],
        receiver=match["rcvr"].upper() if match["rcvr"] else None,
        line=match["line"].upper(),
        account=match["acct"].upper() if match["acct"] else None,
        rest=match["rest"],
    )


def parse_content(text: str) -> Content:
    """`data]` then extended `[x]` fields then `_HH:MM:SS,MM-DD-YYYY` (UTC)."""
    match = _CONTENT.match(text)
    if match is None:
        raise FrameError("format", "the content is not data][x-data]_timestamp")
    xdata = re.findall(r"\[([^\[\]]*)\]", match["xdata"])
    stamp = None
    if match["time"]:
        try:
            stamp = datetime.strptime(match["time"], _TIME_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise FrameError("format", f"timestamp {match['time']!r} is not a date") from None
    return Content(data=match["data"], xdata=xdata, timestamp=stamp)


def format_timestamp(when: datetime) -> str:
    return "_" + when.astimezone(UTC).strftime(_TIME_FORMAT)


def _cipher(key: bytes) -> Cipher[modes.CBC]:
    if len(key) not in KEY_SIZES:
        raise ValueError("an AES key has 16, 24 or 32 bytes")
    return Cipher(algorithms.AES(key), modes.CBC(ZERO_IV))


def decrypt(key: bytes, hex_text: str) -> str:
    """The clear content of an encrypted message, its leading pad removed."""
    try:
        data = bytes.fromhex(hex_text)
    except ValueError:
        raise FrameError("format", "the encrypted part is not hexadecimal") from None
    if not data or len(data) % 16:
        raise FrameError("format", "the encrypted part is not whole AES blocks")
    decryptor = _cipher(key).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    try:
        text = plain.decode("ascii")
    except UnicodeDecodeError:
        raise FrameError("decrypt", "cannot decrypt: wrong key?") from None
    bar, close = text.find("|"), text.find("]")
    if close < 0:
        raise FrameError("decrypt", "cannot decrypt: wrong key?")
    if 0 <= bar < close:
        pad, content = text[:bar], text[bar + 1 :]
    else:  # nothing before the "]": a pad straight followed by it (NULL messages)
        pad, content = text[:close], text[close:]
    if "[" in pad:
        raise FrameError("decrypt", "cannot decrypt: wrong key?")
    return content


def encrypt(key: bytes, content: str, pad: bytes | None = None) -> str:
    """`<pad>|<content>` encrypted, in upper-case hexadecimal; the pad (random when not
    given) fills the last block, so a message never repeats its ciphertext."""
    raw = content.encode("ascii")
    size = (-(len(raw) + 1)) % 16
    if pad is None:
        pad = bytes(_PAD_ALPHABET[b % len(_PAD_ALPHABET)] for b in os.urandom(size))
    encryptor = _cipher(key).encryptor()
    return (encryptor.update(pad[:size] + b"|" + raw) + encryptor.finalize()).hex().upper()


def ack(frame: Frame, now: datetime, key: bytes | None = None) -> bytes:
    """The ACK echoes sequence, receiver, line and account exactly as received (an
    absent receiver stays absent); encrypted messages get an encrypted ACK carrying
    the receiver's time."""
    head = _echo(frame)
    if frame.encrypted and key is not None:
        return wrap(f'"*ACK"{head}[' + encrypt(key, "]" + format_timestamp(now)))
    return wrap(f'"ACK"{head}[]')


def duh(frame: Frame) -> bytes:
    return wrap(f'"DUH"{_echo(frame)}[]')


def nak(now: datetime) -> bytes:
    """The NAK carries the receiver's time, so a panel whose clock drifted can set it."""
    return wrap('"NAK"0000R0L0A0[]' + format_timestamp(now))


def _echo(frame: Frame) -> str:
    receiver = f"R{frame.receiver}" if frame.receiver is not None else ""
    account = f"#{frame.account}" if frame.account is not None else ""
    return f"{frame.sequence}{receiver}L{frame.line}{account}"


def parse_key(text: str) -> bytes:
    """An AES key written in hexadecimal (32, 48 or 64 digits), as panels are set up."""
    cleaned = re.sub(r"\s", "", text)
    try:
        key = bytes.fromhex(cleaned)
    except ValueError:
        raise ValueError("the key is not hexadecimal") from None
    if len(key) not in KEY_SIZES:
        raise ValueError(f"the key has {len(cleaned)} hexadecimal digits: AES needs 32, 48 or 64")
    return key
