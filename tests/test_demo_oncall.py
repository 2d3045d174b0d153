"""The demo's on-call chain: a mailbox on loopback, a rota of every commune with the demo
operator on call, and the demo supervisor as the escalation (both databases)."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine

from beffroi.access.demo import ensure_demo_operator
from beffroi.clock import FakeClock
from beffroi.demo import demo_site_for
from beffroi.demo_oncall import DEMO_SUPERVISOR, demo_mailbox, ensure_demo_oncall
from beffroi.oncall.rotas import who_is_on_call
from beffroi.oncall.store import read_contacts
from beffroi.site.apply import apply_site
from beffroi.site.loader import load_site


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_rota_reaches_the_operator_then_the_supervisor(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    site = load_site(demo_site_for(data_dir, 8554, 12128)).site
    apply_site(engine, site, clock)
    operator = ensure_demo_operator(engine, clock, data_dir)
    password = ensure_demo_oncall(engine, clock, data_dir, operator.username)
    assert len(password) >= 12
    # Twice (every `make run`): the same password, nothing duplicated.
    assert ensure_demo_oncall(engine, clock, data_dir, operator.username) == password
    with engine.connect() as conn:
        on_call = who_is_on_call(conn, "savonnieres", clock.now())
        chain = [p.username for p in on_call.chain]
        assert chain[0] == operator.username
        assert DEMO_SUPERVISOR in chain[1:]
        assert chain.count(DEMO_SUPERVISOR) == 1
        person = on_call.chain[0]
        contacts = read_contacts(conn, person.user_id)
    assert [c.address for c in contacts] == [f"{operator.username}@demo.beffroi.invalid"]


def test_demo_mailbox_keeps_each_mail(data_dir: Path, capsys) -> None:
    port = _free_port()
    with demo_mailbox(data_dir, port) as folder:
        message = EmailMessage()
        message["From"] = "csu@demo.beffroi.invalid"
        message["To"] = "operateur@demo.beffroi.invalid"
        message["Subject"] = "Alarme : Gymnase Jean Bigot, zone 1"
        message.set_content("Incident 1")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message)
    mails = sorted(folder.glob("*.eml"))
    assert [m.name for m in mails] == ["0001.eml"]
    assert b"Gymnase Jean Bigot" in mails[0].read_bytes()
    assert "courriel pour operateur@demo.beffroi.invalid" in capsys.readouterr().out


def test_demo_site_copy_names_the_ports_it_was_given(data_dir: Path) -> None:
    path = demo_site_for(data_dir, 18554, 22128, 12525, "http://127.0.0.1:18080")
    site = load_site(path).site
    assert site.notifications.smtp is not None and site.notifications.smtp.port == 12525
    assert str(site.notifications.public_url).startswith("http://127.0.0.1:18080")
    assert all(":18554/" in str(c.stream) for c in site.cameras)
