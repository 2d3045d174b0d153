"""`beffroi sim alarm`: an alarm panel that sends one SIA DC-09 message and shows the answer.

It has its own message encoder, separate from `beffroi.alarms` (the receiver's decoder),
so the demo exercises the receiver the way a real panel would; only the CRC, a fixed
arithmetic the standard names, is the receiver's. Tests also speak to the receiver with
a third-party panel (`pysiaalarm`).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from beffroi.alarms.dc09 import crc16_arc


def build_message(
    account: str,
    zone: int,
    code: str = "BA",
    *,
    contact_id: bool = False,
    sequence: int = 1,
    receiver: str | None = None,
    line: str = "0",
    key: bytes | None = None,
    now: datetime | None = None,
) -> bytes:
    """One message: SIA-DCS `Nri1/BA001`, or ADM-CID `1130 01 001` with `code` the
    Contact ID event (e.g. 130); encrypted with AES-CBC when a key is given."""
    when = (now or datetime.now(UTC)).strftime("_%H:%M:%S,%m-%d-%Y")
    if contact_id:
        token, data = "ADM-CID", f"#{account}|1{int(code):03d} 01 {zone:03d}"
    else:
        token, data = "SIA-DCS", f"#{account}|Nri1/{code}{zone:03d}"
    head = f"{sequence:04d}" + (f"R{receiver}" if receiver else "") + f"L{line}#{account}["
    if key is None:
        body = f'"{token}"{head}{data}]{when}'
    else:
        clear = f"{data}]{when}"
        pad = "".join(random.choices("ABCDEFGHJKLMNPQRSTUVWXYZ", k=(-(len(clear) + 1)) % 16))
        encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
        secret = encryptor.update(f"{pad}|{clear}".encode()) + encryptor.finalize()
        body = f'"*{token}"{head}{secret.hex().upper()}'
    raw = body.encode("ascii")
    return b"\n" + f"{crc16_arc(raw):04X}0{len(raw):03X}".encode() + raw + b"\r"


def send(host: str, port: int, message: bytes, udp: bool = False, timeout: float = 5.0) -> bytes:
    """Send and wait for the receiver's answer (ACK, NAK or DUH)."""
    if udp:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.sendto(message, (host, port))
            return sock.recvfrom(8192)[0]
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(message)
        answer = b""
        while not answer.endswith(b"\r"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        return answer


def add_parser(sim_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sim_sub.add_parser("alarm", help="send one SIA DC-09 alarm message, print the answer")
    p.add_argument("--to", default="127.0.0.1:12128", help="receiver address (host:port)")
    p.add_argument("--account", required=True, help="panel account, e.g. 4321")
    p.add_argument("--zone", type=int, default=1)
    p.add_argument("--code", default="BA", help="SIA code (BA) or, with --adm-cid, 130")
    p.add_argument("--adm-cid", action="store_true", help="send ADM-CID (Contact ID)")
    p.add_argument("--udp", action="store_true", help="UDP instead of TCP")
    p.add_argument("--sequence", type=int, default=None, help="default: random")
    p.add_argument("--key-env", help="environment variable holding the AES key (hex)")
    p.set_defaults(func=run_alarm)


def run_alarm(args: argparse.Namespace) -> int:
    host, _, port = args.to.rpartition(":")
    key = None
    if args.key_env:
        text = os.environ.get(args.key_env)
        if not text:
            raise SystemExit(f"the environment variable {args.key_env} is not set")
        key = bytes.fromhex(text.strip())
    message = build_message(
        args.account,
        args.zone,
        args.code,
        contact_id=args.adm_cid,
        sequence=args.sequence if args.sequence is not None else random.randint(1, 9999),
        key=key,
    )
    print("sent:", message.strip().decode("ascii"), flush=True)
    try:
        answer = send(host, int(port), message, udp=args.udp)
    except OSError as exc:
        print(f"no answer from {args.to}: {exc}", flush=True)
        return 1
    text = answer.strip().decode("ascii", "backslashreplace")
    print("answer:", text, flush=True)
    return 0 if '"ACK"' in text or '"*ACK"' in text else 2
