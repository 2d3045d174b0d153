"""DC-09 framing, CRC, encryption and decoding, checked against independent references:
the CRC-16/ARC catalogue check value, messages from pysiaalarm's own test suite, and
PyCryptodome for AES."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pysiaalarm.event import SIAEvent

from beffroi.alarms import dc09
from beffroi.alarms.dc09 import FrameError, crc16_arc, decrypt, encrypt, parse_frame
from beffroi.alarms.events import decode
from tests.alarms import panel

# From pysiaalarm's tests (case_cl): a closing report, CRC E5D5 (its length field there
# is wrong: pysiaalarm writes the decimal length read as hex, so the frame is rebuilt
# with the length the standard asks for, 0x34 = 52).
CL_BODY = '"SIA-DCS"6002L0#AAA[|Nri1/CL501]_14:12:04,09-25-2019'
# From pysiaalarm's tests (case_null): an encrypted link test, key "AAAAAAAAAAAAAAAA".
NULL_BODY = '"*NULL"0000R0L0#AAAB[B4BC8B40D0E6D959D6BEA78E88CC0B2155741A3C44FBB96D476A3E557CAD64D9'


def test_crc_is_crc16_arc_by_its_catalogue_check_value() -> None:
    assert crc16_arc(b"123456789") == 0xBB3D  # the catalogue's "check" for CRC-16/ARC
    assert f"{crc16_arc(CL_BODY.encode()):04X}" == "E5D5"
    assert f"{crc16_arc(NULL_BODY.encode()):04X}" == "76D8"  # its sent CRC in pysiaalarm


def test_pysiaalarm_vectors_parse_with_the_standard_length() -> None:
    frame = parse_frame(f"\nE5D50034{CL_BODY}\r".encode())
    assert (frame.token, frame.sequence, frame.receiver, frame.line, frame.account) == (
        "SIA-DCS",
        "6002",
        None,
        "0",
        "AAA",
    )
    content = dc09.parse_content(frame.rest)
    assert content.timestamp == datetime(2019, 9, 25, 14, 12, 4, tzinfo=UTC)
    assert decode(frame.token, content.data)[1][0].code == "CL"
    # pysiaalarm's own 0078 (decimal 52 read as hex) is refused: 0x78 is not 52.
    with pytest.raises(FrameError) as exc:
        parse_frame(f"\nE5D50078{CL_BODY}\r".encode())
    assert exc.value.reason == "length"


def test_pysiaalarm_encrypted_null_message_decrypts() -> None:
    frame = parse_frame(panel.frame(NULL_BODY))
    assert frame.encrypted and frame.token == "NULL" and frame.account == "AAAB"
    text = decrypt(b"AAAAAAAAAAAAAAAA", frame.rest)
    assert dc09.parse_content(text).timestamp == datetime(2020, 7, 5, 18, 24, 52, tzinfo=UTC)


def test_bad_crc_and_bad_length_are_told_apart() -> None:
    body = panel.message("4321", "#4321|Nri1/BA001")
    assert parse_frame(panel.frame(body)).account == "4321"
    with pytest.raises(FrameError) as crc_error:
        parse_frame(panel.frame(body, crc_text="0000"))
    with pytest.raises(FrameError) as length_error:
        parse_frame(panel.frame(body, length=len(body) + 1))
    assert (crc_error.value.reason, length_error.value.reason) == ("crc", "length")
    for junk in (b"", b"\r", b"hello\r", b"\n\xff\xfe\xfd\xfc0010abcdefghijklmnop\r"):
        with pytest.raises(FrameError):
            parse_frame(junk)


def test_aes_both_ways_with_pycryptodome() -> None:
    key = bytes(range(32))
    clear = "#4321|Nri1/BA001]_10:00:00,11-01-2026"
    ours = encrypt(key, clear)
    assert panel.aes_clear(key, ours).endswith("|" + clear)
    assert decrypt(key, panel.aes_hex(key, clear)) == clear
    assert encrypt(key, clear) != ours  # a random pad: no two ciphertexts alike
    with pytest.raises(FrameError) as exc:
        decrypt(bytes(32), panel.aes_hex(key, clear))
    assert exc.value.reason in ("decrypt", "format")


def test_answers_echo_the_header_and_carry_the_time() -> None:
    now = datetime(2026, 11, 1, 8, 0, 5, tzinfo=UTC)
    with_receiver = parse_frame(panel.sia("4321", 1, seq=42, when=now))
    assert panel.answer_body(dc09.ack(with_receiver, now)) == '"ACK"0042R1L1#4321[]'
    # No receiver number in the message: none in the ACK (pysiaalarm writes "RNone").
    bare = parse_frame(panel.sia("4321", 1, seq=7, receiver=None, when=now))
    assert panel.answer_body(dc09.ack(bare, now)) == '"ACK"0007L1#4321[]'
    assert panel.answer_body(dc09.nak(now)) == '"NAK"0000R0L0A0[]_08:00:05,11-01-2026'
    assert panel.answer_body(dc09.duh(bare)) == '"DUH"0007L1#4321[]'
    key = bytes(range(16))
    secret = parse_frame(panel.sia("4321", 1, seq=9, key=key, when=now))
    body = panel.answer_body(dc09.ack(secret, now, key))
    assert body.startswith('"*ACK"0009R1L1#4321[')
    assert panel.aes_clear(key, body.split("[", 1)[1]).endswith("|]_08:00:05,11-01-2026")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("#4321|Nri1/BA001", [("BA", 1, 1, "intrusion")]),
        ("#1234|NFA129", [("FA", 129, None, "fire")]),
        ("Nri2/BA01/BA02", [("BA", 1, 2, "intrusion"), ("BA", 2, 2, "intrusion")]),
        ("Nri1/BR001", [("BR", 1, 1, None)]),  # a restore: no incident
        ("Nri1/CL501", [("CL", 501, 1, None)]),
    ],
)
def test_sia_data_decodes_like_pysiaalarm(data: str, expected: list[tuple]) -> None:
    _, events = decode("SIA-DCS", data)
    assert [(e.code, e.zone, e.partition, e.kind) for e in events] == expected
    reference = SIAEvent.from_line(panel.frame(panel.message("4321", data)).decode()[1:-1])
    assert reference.code == expected[0][0]


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ("1130", "intrusion"),
        ("3130", None),
        ("1110", "fire"),
        ("1302", "technical"),
        ("1401", None),
        ("1602", None),
        ("1122", "holdup"),
    ],
)
def test_contact_id_events(event: str, kind: str | None) -> None:
    _, [got] = decode("ADM-CID", f"#4321|{event} 01 015")
    assert (got.code, got.zone, got.partition, got.kind) == (event, 15, 1, kind)
    reference = SIAEvent.from_line(
        panel.cid("4321", 15, event).decode()[1:-1].replace('"SIA-DCS"', '"ADM-CID"')
    )
    assert reference.event_type == event[1:] and reference.ri == "015"


def test_unsupported_data_is_refused() -> None:
    for token, data in (("SIA-DCS", "Nri1/ba001"), ("ADM-CID", "#4321|11300101"), ("XYZ", "")):
        with pytest.raises(FrameError):
            decode(token, data)


def test_wrap_refuses_an_oversized_body() -> None:
    with pytest.raises(ValueError):
        dc09.wrap("x" * 5000)
