"""The demo's alarm chain, as `make run` shows it: a simulated panel's DC-09 alarm opens
an incident at once and the on-call operator's e-mail reaches the demo's mailbox, with
the signed link that opens the incident in the console."""

from __future__ import annotations

import email
import email.policy
import time
from datetime import UTC, datetime

from beffroi.demo_oncall import MAILBOX
from tests.console.harness import ConsoleServer, ConsoleUser

BUILDING, ACCOUNT = "gymnase-jean-bigot", "4321"  # zone 1 "Hall" → jlt-004


def test_an_alarm_reaches_the_on_call_mailbox(
    console: ConsoleServer, operator: ConsoleUser
) -> None:
    mailbox = console.data / MAILBOX
    before = set(mailbox.glob("*.eml"))
    with console.api(operator) as api:
        known = {i["id"] for i in api.get("/api/incidents", params={"limit": 500}).json()}
        sent = time.monotonic()
        out = console.cli(
            "sim", "alarm", "--to", f"127.0.0.1:{console.dc09_port}",
            "--account", ACCOUNT, "--zone", "1", "--code", "BA",
        )  # fmt: skip
        assert '"ACK"' in out, out
        # The ACK leaves once the message and its incident are stored: no wait needed.
        # (Alarm → incident → notification times are measured by bench/alarms.py.)
        new = [
            inc
            for inc in api.get("/api/incidents", params={"limit": 20}).json()
            if inc["id"] not in known and inc["building"] == BUILDING
        ]
    assert new, "the ACKed alarm opened no incident"
    incident = new[0]
    opened = datetime.fromisoformat(incident["opened_at"])
    assert abs((datetime.now(UTC) - opened).total_seconds()) < 15

    mail = None
    while time.monotonic() - sent < 20 and mail is None:
        for path in set(mailbox.glob("*.eml")) - before:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if "Gymnase Jean Bigot" in str(message["Subject"]):
                mail = message
        time.sleep(0.2)
    assert mail is not None, "no mail reached the demo's mailbox"
    assert mail["To"] == "operateur@demo.beffroi.invalid"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    link = f"{console.base}/incidents/{incident['id']}?link="
    assert link in body.get_content()
    # The first alert leaves at once (≤ 1 s); the alarm's snapshot rides along when it is
    # ready by then, and always with the escalation's alerts (tests/oncall).
