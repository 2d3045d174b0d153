"""A test alarm panel that builds DC-09 messages WITHOUT Beffroi's encoder.

CRC from `pysiaalarm` (the receiver library Home Assistant uses), AES from PyCryptodome
(its dependency), framing written here from the standard. So a message the receiver
accepts was not merely produced by its own mirror image.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from Crypto.Cipher import AES
from pysiaalarm.event import SIAEvent

ZERO_IV = bytes(16)


def crc(body: str) -> str:
    value = SIAEvent._crc_calc(body)
    assert value is not None
    return value


def frame(body: str, *, length: int | None = None, crc_text: str | None = None) -> bytes:
    """`<LF><CRC><0LLL><body><CR>`; `length`/`crc_text` override to build broken ones."""
    size = len(body) if length is None else length
    return f"\n{crc_text or crc(body)}0{size:03X}{body}\r".encode("ascii")


def stamp(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).strftime("_%H:%M:%S,%m-%d-%Y")


def aes_hex(key: bytes, clear: str) -> str:
    pad = "x" * ((-(len(clear) + 1)) % 16)
    cipher = AES.new(key, AES.MODE_CBC, ZERO_IV)
    return cipher.encrypt(f"{pad}|{clear}".encode("ascii")).hex().upper()


def aes_clear(key: bytes, hex_text: str) -> str:
    return AES.new(key, AES.MODE_CBC, ZERO_IV).decrypt(bytes.fromhex(hex_text)).decode("ascii")


def message(
    account: str,
    data: str,
    *,
    token: str = "SIA-DCS",
    seq: int = 1,
    when: datetime | None = None,
    key: bytes | None = None,
    receiver: str | None = "1",
    line: str = "1",
    timestamp: bool = True,
) -> str:
    """The body of a message; `data` is what goes inside the brackets."""
    head = f"{seq:04d}" + (f"R{receiver}" if receiver else "") + f"L{line}#{account}["
    tail = f"{data}]" + (stamp(when) if timestamp else "")
    if key is not None:
        return f'"*{token}"{head}{aes_hex(key, tail)}'
    return f'"{token}"{head}{tail}'


def sia(account: str, zone: int, code: str = "BA", **kw: object) -> bytes:
    return frame(message(account, f"#{account}|Nri1/{code}{zone:03d}", **kw))  # type: ignore[arg-type]


def cid(account: str, zone: int, event: str = "1130", **kw: object) -> bytes:
    data = f"#{account}|{event} 01 {zone:03d}"
    return frame(message(account, data, token="ADM-CID", **kw))  # type: ignore[arg-type]


def answer_body(raw: bytes) -> str:
    """Check an answer's framing with the independent CRC; return its body."""
    assert raw.startswith(b"\n") and raw.endswith(b"\r"), raw
    text = raw[1:-1].decode("ascii")
    body = text[8:]
    assert text[:4] == crc(body), f"bad CRC in answer {raw!r}"
    assert int(text[4:8], 16) == len(body), f"bad length in answer {raw!r}"
    return body


def send_tcp(port: int, *messages: bytes, timeout: float = 5.0) -> list[bytes]:
    """Send messages on one connection, one answer read after each."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        for msg in messages:
            sock.sendall(msg)
            answers.append(_read_answer(sock))
    return answers


def _read_answer(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def send_udp(port: int, msg: bytes, timeout: float = 5.0) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(msg, ("127.0.0.1", port))
        return sock.recvfrom(8192)[0]
