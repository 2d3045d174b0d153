"""The receiver over real TCP and UDP sockets: answers as the standard says, the
incident stored before the acknowledgement leaves, every message logged, refusals
journaled, floods survived. How fast is measured in `bench/alarms.py`, not here: the
suite must pass on a busy machine."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from beffroi.journal.tables import journal_entries
from tests.alarms import panel
from tests.alarms.conftest import Running
from tests.alarms.site import KEY


def test_sia_dcs_over_tcp_opens_an_incident_before_acknowledging(running: Running) -> None:
    [answer] = panel.send_tcp(running.port, panel.sia("4321", 1, seq=12))
    [incident] = running.incidents()  # stored before the ACK left: read right after it
    assert panel.answer_body(answer) == '"ACK"0012R1L1#4321[]'
    assert (incident.building, incident.zone, incident.zone_name) == (
        "gymnase-jean-bigot",
        1,
        "Hall",
    )
    assert (incident.commune, incident.kind, incident.state, incident.alarms) == (
        "joue-les-tours",
        "intrusion",
        "new",
        1,
    )
    assert incident.cameras == ["jlt-004"]
    [row] = running.messages()
    assert (row["outcome"], row["answer"], row["transport"], row["token"]) == (
        "accepted",
        "ACK",
        "tcp",
        "SIA-DCS",
    )
    assert row["data"] == "#4321|Nri1/BA001" and row["building_id"] == "gymnase-jean-bigot"


def test_adm_cid_over_udp_opens_an_incident_with_the_zone_cameras(running: Running) -> None:
    answer = panel.send_udp(running.port, panel.cid("4321", 2, seq=3))
    assert panel.answer_body(answer) == '"ACK"0003R1L1#4321[]'
    [incident] = running.incidents()
    assert (incident.zone, incident.cameras, incident.kind) == (
        2,
        ["jlt-003", "jlt-004"],
        "intrusion",
    )
    assert running.messages()[0]["transport"] == "udp"


def test_encrypted_messages_right_key_acked_wrong_key_nak(running: Running) -> None:
    right = panel.sia("ABC123", 1, seq=5, key=KEY)
    wrong = panel.sia("ABC123", 1, seq=6, key=bytes(16))
    clear = panel.sia("ABC123", 1, seq=7)  # an account with a key must encrypt
    ack, nak, duh = panel.send_tcp(running.port, right, wrong, clear)
    body = panel.answer_body(ack)
    assert body.startswith('"*ACK"0005R1L1#ABC123[')
    sent_back = datetime.strptime(
        panel.aes_clear(KEY, body.split("[", 1)[1])[-19:], "%H:%M:%S,%m-%d-%Y"
    )
    assert abs(sent_back.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(seconds=5)
    assert panel.answer_body(nak).startswith('"NAK"0000R0L0A0[]_')
    assert panel.answer_body(duh) == '"DUH"0007R1L1#ABC123[]'
    [incident] = running.incidents()
    assert incident.building == "hotel-de-ville" and incident.cameras == ["jlt-001"]
    outcomes = [(m["sequence"], m["outcome"], m["reason"]) for m in running.messages()]
    assert sorted(outcomes) == [
        ("0005", "accepted", None),
        ("0006", "refused", "decrypt"),
        ("0007", "refused", "encryption"),
    ]


def test_refusals_are_answered_counted_logged_and_journaled(running: Running) -> None:
    now = datetime.now(UTC)
    body = panel.message("4321", "#4321|Nri1/BA001", seq=20)
    cases = [
        (panel.frame(body, crc_text="1234"), "NAK", "crc"),
        (panel.frame(body, length=len(body) - 2), "NAK", "length"),
        (panel.sia("9999", 1, seq=21), "DUH", "account"),
        (panel.sia("4321", 1, seq=22, when=now - timedelta(seconds=90)), "NAK", "timestamp"),
        (panel.sia("4321", 1, seq=23, when=now + timedelta(seconds=60)), "NAK", "timestamp"),
        (panel.frame(panel.message("4321", "x", token="SIA-DCX", seq=24)), "DUH", "token"),
        (panel.frame(panel.message("4321", "#4321|Nri1/ba1", seq=25)), "DUH", "data"),
    ]
    answers = panel.send_tcp(running.port, *(c[0] for c in cases))
    for answer, (_, expected, reason) in zip(answers, cases, strict=True):
        assert panel.answer_body(answer).startswith(f'"{expected}"'), (reason, answer)
    nak_time = panel.answer_body(answers[3]).rsplit("_", 1)[1]
    receiver_time = datetime.strptime(nak_time, "%H:%M:%S,%m-%d-%Y").replace(tzinfo=UTC)
    assert abs(receiver_time - datetime.now(UTC)) < timedelta(seconds=5)  # to set the clock by
    assert running.incidents() == []
    logged = [(m["outcome"], m["reason"], m["answer"]) for m in running.messages()]
    assert logged == [("refused", reason, expected) for _, expected, reason in cases]
    counts = running.receiver.counts
    assert counts["refused:timestamp"] == 2 and counts["refused:crc"] == 1
    with running.engine.connect() as conn:
        details = [
            json.loads(d)
            for d in conn.scalars(
                select(journal_entries.c.detail).where(journal_entries.c.action == "alarm.refused")
            )
        ]
    journaled = sum(d["refused"] for d in details)
    reasons = {k for d in details for k in d["reasons"]}
    assert journaled == len(cases) and reasons == {c[2] for c in cases}


def test_a_replayed_message_is_acked_once_more_without_a_second_alarm(running: Running) -> None:
    msg = panel.sia("4321", 1, seq=30)
    first, again = panel.send_tcp(running.port, msg, msg)
    assert panel.answer_body(first) == panel.answer_body(again) == '"ACK"0030R1L1#4321[]'
    [incident] = running.incidents()
    assert incident.alarms == 1
    assert [m["outcome"] for m in running.messages()] == ["accepted", "duplicate"]
    assert running.receiver.counts["duplicate"] == 1
    # Replayed after the window, it meets the timestamp check.
    old = panel.sia("4321", 1, seq=30, when=datetime.now(UTC) - timedelta(minutes=5))
    [late] = panel.send_tcp(running.port, old)
    assert panel.answer_body(late).startswith('"NAK"')


def test_two_alarms_of_one_building_are_one_incident(running: Running) -> None:
    panel.send_tcp(running.port, panel.sia("4321", 1, seq=40))
    panel.send_udp(running.port, panel.cid("4321", 2, seq=41))
    [incident] = running.incidents()
    assert incident.alarms == 2 and incident.cameras == ["jlt-004", "jlt-003"]
    panel.send_tcp(running.port, panel.sia("5101", 1, seq=42))  # another building
    assert len(running.incidents()) == 2
    panel.send_tcp(running.port, panel.sia("4321", 1, code="BR", seq=43))  # a restore
    assert [i.alarms for i in running.incidents() if i.building == "gymnase-jean-bigot"] == [2]


def test_garbage_and_a_flood_never_stop_the_receiver(running: Running) -> None:
    bad = panel.frame(panel.message("4321", "#4321|Nri1/BA001", seq=50), crc_text="0000")
    flood = 2000
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", running.port), timeout=30) as sock:
        sock.sendall(b"\x00\xff garbage \x01" * 700)  # no CR for 10 kB: not a message
        sock.sendall(b"\r" + bad * flood)
        received = b""
        while received.count(b"\r") < flood + 1:
            chunk = sock.recv(65536)
            assert chunk, "the receiver closed the connection"
            received += chunk
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for _ in range(flood):
            udp.sendto(bad, ("127.0.0.1", running.port))
        udp.sendto(b"\xde\xad\xbe\xef" * 300, ("127.0.0.1", running.port))
    flood_s = time.perf_counter() - started
    # Still answering over both transports, and still opening incidents.
    t0 = time.perf_counter()
    [ack] = panel.send_tcp(running.port, panel.sia("4321", 1, seq=51))
    udp_ack = panel.send_udp(running.port, panel.sia("5101", 1, seq=52))
    latency = time.perf_counter() - t0
    assert panel.answer_body(ack) == '"ACK"0051R1L1#4321[]'
    assert panel.answer_body(udp_ack) == '"ACK"0052R1L1#5101[]'
    assert len(running.incidents()) == 2
    rows = running.messages()
    refused = [r for r in rows if r["outcome"] == "refused"]
    assert sum(r["reason"] == "garbage" for r in refused) >= 1
    assert sum(r["reason"] == "crc" for r in refused) >= flood  # UDP may drop some under load
    print(
        f"flood: {2 * flood} bad messages in {flood_s:.2f} s; "
        f"then valid ones in {latency * 1000:.0f} ms"
    )


def test_over_udp_bytes_that_are_no_dc09_frame_get_no_answer(running: Running) -> None:
    """A datagram's source is not proven: answering junk (a bad CRC, a wrong header)
    would let anyone bounce NAKs off the receiver at a forged address. Over TCP the
    NAK stays (the connection proves the peer); over UDP the junk is logged, unanswered."""
    bad = panel.frame(panel.message("4321", "#4321|Nri1/BA001", seq=60), crc_text="0000")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(10)
        udp.sendto(bad, ("127.0.0.1", running.port))
        udp.sendto(b"GET / HTTP/1.0\r", ("127.0.0.1", running.port))
        udp.sendto(panel.sia("5101", 1, seq=61), ("127.0.0.1", running.port))
        first = udp.recv(4096)  # the first answer is the valid message's ACK
    assert panel.answer_body(first) == '"ACK"0061R1L1#5101[]'
    [nak] = panel.send_tcp(running.port, bad)
    assert panel.answer_body(nak).startswith('"NAK"')
    refused = [r for r in running.messages() if r["outcome"] == "refused"]
    assert sum(r["transport"] == "udp" for r in refused) == 2
