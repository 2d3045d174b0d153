"""Checkpoints published outside the database (site file `journal.publish`: a file,
syslog, a daily e-mail to the data-protection officer), `journal verify --against` a
published copy, and `journal verify --fingerprint` (issue 12).

Checkpoints are written and published by the real service (`Journal.configure` with a
site file read by the real loader, `JournalMaintenance` rounds); the verdicts are the
real command's."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, func, select

from beffroi.clock import FakeClock
from beffroi.db.engine import DATABASE_URL_ENV
from beffroi.journal.keys import fingerprint, key_path, load_or_create_key, sign_checkpoint
from beffroi.journal.service import Journal, JournalMaintenance
from beffroi.journal.tables import journal_checkpoints, journal_entries, journal_head
from beffroi.site.loader import load_site_text
from beffroi.site.models import Site
from tests.ingest.harness import wait_for
from tests.journal.conftest import JournalCli
from tests.journal.helpers import entry, sql
from tests.oncall.peers import smtp_server

COMMUNES = "communes:\n  - {id: joue-les-tours, name: Joué-lès-Tours}\n"


def _site(publish: str, extra: str = "") -> Site:
    return load_site_text(COMMUNES + extra + "journal:\n  publish:\n" + publish).site


def _journal(engine: Engine, clock: FakeClock, data_dir: Path, site: Site) -> Journal:
    journal = Journal.open(engine, clock, data_dir)
    journal.configure(site)
    return journal


def _activity(journal: Journal, clock: FakeClock, n: int = 3) -> None:
    """n entries, then 11 minutes pass: the next maintenance round seals them."""
    for i in range(n):
        journal.record(entry(i))
        clock.advance(1)
    clock.advance(timedelta(minutes=11))


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _checkpoints(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(journal_checkpoints).order_by(journal_checkpoints.c.seq))
        return [dict(r._mapping) for r in rows]


@pytest.fixture
def published(tmp_path: Path) -> Path:
    other_mount = tmp_path / "nas"
    other_mount.mkdir()
    return other_mount / "beffroi-checkpoints.jsonl"


def test_checkpoints_are_appended_to_a_file_and_verified_against_it(
    engine: Engine, clock: FakeClock, data_dir: Path, published: Path, journal_cli: JournalCli
) -> None:
    journal = _journal(engine, clock, data_dir, _site(f"    file: {published}\n"))
    loop = JournalMaintenance(journal)
    loop.run_once()  # nothing journaled yet: nothing to publish, and no file
    assert not published.exists()
    _activity(journal, clock)
    loop.run_once()
    _activity(journal, clock)
    loop.run_once()
    lines = _lines(published)
    cps = _checkpoints(engine)
    assert [line["seq"] for line in lines] == [c["seq"] for c in cps] == [3, 6]
    for line, cp in zip(lines, cps, strict=True):
        assert {k: line[k] for k in cp} == cp
        assert line["time"].startswith("2026-11-01T08:")
    assert published.stat().st_mode & 0o777 == 0o640

    # A restart (a new journal object, a new publisher) resumes after the file's last
    # line: nothing is published twice.
    again = _journal(engine, clock, data_dir, _site(f"    file: {published}\n"))
    assert again.publish() == 0
    _activity(again, clock)
    JournalMaintenance(again).run_once()
    assert [line["seq"] for line in _lines(published)] == [3, 6, 9]

    fp = journal.fingerprint
    assert fp is not None
    code, out = journal_cli("verify", "--against", str(published), "--fingerprint", fp)
    assert code == 0, out
    assert "3 published checkpoints compared" in out

    # A line cut short (the machine died mid-write) stays alone on its line: the next
    # checkpoint is whole, and the copy reports the broken line.
    with published.open("a") as f:
        f.write('{"hash":"5e3a')
    _activity(again, clock)
    JournalMaintenance(again).run_once()
    assert json.loads(published.read_text().splitlines()[-1])["seq"] == 12
    code, out = journal_cli("verify", "--against", str(published))
    assert code == 1 and f"{published}: line 4:" in out, out
    assert "4 published checkpoints compared" in out


def test_a_restored_older_state_is_caught_by_the_published_copy(
    engine: Engine, clock: FakeClock, data_dir: Path, published: Path, journal_cli: JournalCli
) -> None:
    """Someone who kept the database as it was (tail, checkpoints, signed head) restores
    it to erase what followed: the database alone is consistent; the copy is not."""
    journal = _journal(engine, clock, data_dir, _site(f"    file: {published}\n"))
    loop = JournalMaintenance(journal)
    _activity(journal, clock)
    loop.run_once()
    with engine.connect() as conn:
        kept_head = dict(conn.execute(select(journal_head)).one()._mapping)
    _activity(journal, clock, 4)  # seq 4..7: what the restore will erase
    loop.run_once()
    assert [line["seq"] for line in _lines(published)] == [3, 7]

    sql(engine, "DELETE FROM journal_entries WHERE seq > 3")
    sql(engine, "DELETE FROM journal_checkpoints WHERE seq > 3")
    sql(
        engine,
        "UPDATE journal_head SET seq = :seq, hash = :hash, time_ms = :time_ms, "
        "key_fingerprint = :key_fingerprint, signature = :signature WHERE id = :id",
        **kept_head,
    )
    assert journal_cli("verify")[0] == 0  # the limit of the database on its own
    code, out = journal_cli("verify", "--against", str(published))
    assert code == 1, out
    assert "first bad entry seq 4" in out
    assert f"entries after seq 3 missing: {published} line 2 seals seq 7" in out


def test_an_entry_rewritten_under_a_published_checkpoint(
    engine: Engine, clock: FakeClock, data_dir: Path, published: Path, journal_cli: JournalCli
) -> None:
    journal = _journal(engine, clock, data_dir, _site(f"    file: {published}\n"))
    _activity(journal, clock)
    JournalMaintenance(journal).run_once()
    # The checkpoint row goes, and the sealed entry is changed (hash recomputed or not).
    sql(engine, "DELETE FROM journal_checkpoints")
    sql(engine, "UPDATE journal_entries SET hash = :h WHERE seq = 3", h="0" * 64)
    code, out = journal_cli("verify", "--against", str(published))
    assert code == 1, out
    assert f"seq 3: differs from the checkpoint published at {published} line 1" in out
    # A copy that was itself altered does not verify either.
    line = _lines(published)[0]
    forged = published.with_name("forged.jsonl")
    forged.write_text(json.dumps({**line, "hash": "1" * 64}) + "\nnot json\n")
    code, out = journal_cli("verify", "--against", str(forged))
    assert code == 1, out
    assert f"the checkpoint published at {forged} line 1 does not verify" in out
    assert f"{forged}: line 2:" in out


@pytest.mark.parametrize("transport", ["udp", "unix"])
def test_checkpoints_go_to_syslog(
    engine: Engine,
    clock: FakeClock,
    data_dir: Path,
    tmp_path: Path,
    journal_cli: JournalCli,
    transport: str,
) -> None:
    family = socket.AF_INET if transport == "udp" else socket.AF_UNIX
    with socket.socket(family, socket.SOCK_DGRAM) as collector:
        if transport == "udp":  # a remote collector
            collector.bind(("127.0.0.1", 0))
            address = f"udp://127.0.0.1:{collector.getsockname()[1]}"
        else:  # the local syslogd's socket, as /dev/log
            address = str(tmp_path / "log")
            collector.bind(address)
        collector.settimeout(10)  # the wait for the datagram, bounded
        site = _site(f"    syslog: true\n    syslog_address: {address}\n")
        journal = _journal(engine, clock, data_dir, site)
        _activity(journal, clock)
        JournalMaintenance(journal).run_once()
        message = collector.recv(4096).decode()
    assert message.startswith("<14>beffroi-journal: {")  # facility user, info
    (cp,) = _checkpoints(engine)
    assert json.loads(message.split(": ", 1)[1])["signature"] == cp["signature"]
    # What the collector logged is a published copy `--against` reads.
    extract = tmp_path / "syslog.log"
    extract.write_text(f"Nov  1 08:11:03 csu {message[4:]}\n")
    code, out = journal_cli("verify", "--against", str(extract))
    assert code == 0, out
    assert "1 published checkpoints compared" in out


def test_a_missing_syslog_socket_does_not_stop_the_rest(
    engine: Engine,
    clock: FakeClock,
    data_dir: Path,
    tmp_path: Path,
    published: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    absent = tmp_path / "no-syslogd" / "log"
    site = _site(f"    file: {published}\n    syslog: true\n    syslog_address: {absent}\n")
    journal = _journal(engine, clock, data_dir, site)
    loop = JournalMaintenance(journal)
    caplog.set_level(logging.WARNING, logger="beffroi.journal")
    _activity(journal, clock)
    loop.run_once()
    _activity(journal, clock)
    loop.run_once()
    assert [line["seq"] for line in _lines(published)] == [3, 6]
    failures = [r.getMessage() for r in caplog.records if "to syslog" in r.getMessage()]
    assert len(failures) == 1 and f"no syslog socket at {absent}" in failures[0], failures


def test_a_daily_mail_to_the_data_protection_officer(
    engine: Engine, clock: FakeClock, data_dir: Path, tmp_path: Path, journal_cli: JournalCli
) -> None:
    with smtp_server() as (port, box):
        smtp = (
            f"notifications:\n  smtp: {{host: 127.0.0.1, port: {port}, starttls: false, "
            "sender: 'Beffroi CSU <csu@ville.example.fr>'}\n"
        )
        site = _site("    email: dpo@ville.example.fr\n    email_hour: 9\n", smtp)
        journal = _journal(engine, clock, data_dir, site)
        loop = JournalMaintenance(journal)
        _activity(journal, clock)  # 08:11 UTC: 09:11 in Paris, past 9 o'clock
        loop.run_once()
        wait_for(lambda: len(box.messages) == 1, 10, "the day's mail")
        _activity(journal, clock)
        loop.run_once()  # a new checkpoint, but today's mail is sent
        clock.advance(timedelta(hours=23))  # 07:33 UTC the next day: 08:33 in Paris
        loop.run_once()
        assert len(box.messages) == 1
        clock.advance(timedelta(hours=1))
        loop.run_once()
        wait_for(lambda: len(box.messages) == 2, 10, "the next day's mail")
        messages: list[EmailMessage] = list(box.messages)
        envelopes = list(box.envelopes)
    assert envelopes[0][1] == ["dpo@ville.example.fr"]
    assert "points de contrôle du 2026-11-01" in messages[0]["Subject"]
    assert "SHA256:" in messages[0].get_body().get_content()
    attachments = [list(m.iter_attachments()) for m in messages]
    assert [a.get_filename() for (a,) in attachments] == [
        "journal-checkpoints-2026-11-01.jsonl",
        "journal-checkpoints-2026-11-02.jsonl",
    ]
    days = [a.get_content() for (a,) in attachments]
    assert [json.loads(line)["seq"] for line in days[0].splitlines()] == [3]
    assert [json.loads(line)["seq"] for line in days[1].splitlines()] == [6]
    copy = tmp_path / "mails.jsonl"
    copy.write_text(days[0] + days[1])
    code, out = journal_cli("verify", "--against", str(copy))
    assert code == 0, out


def test_a_mail_without_a_relay_is_refused_by_the_site_file() -> None:
    from beffroi.site.loader import SiteError

    with pytest.raises(SiteError, match=r"notifications\.smtp"):
        _site("    email: dpo@ville.example.fr\n")
    with pytest.raises(SiteError, match="absolute path"):
        _site("    file: checkpoints.jsonl\n")


def test_fingerprint_pins_the_key(
    engine: Engine, clock: FakeClock, data_dir: Path, journal_cli: JournalCli
) -> None:
    from beffroi.journal.keys import sign_head  # (new with the signed head: not at the top)

    journal = Journal.open(engine, clock, data_dir)
    _activity(journal, clock)
    JournalMaintenance(journal).run_once()
    code, out = journal_cli("key")
    assert code == 0
    published_fp = out.split()[0]  # SHA256:…, as the town publishes it
    assert journal_cli("verify", "--fingerprint", published_fp)[0] == 0

    # Someone with the server's files replaces the key and re-signs every checkpoint
    # and the head with it: without the pin the journal looks intact.
    forger = Ed25519PrivateKey.generate()
    key_path(data_dir).unlink()
    (data_dir / "keys").rmdir()
    assert fingerprint(load_or_create_key(data_dir).public_key()) != published_fp
    key_path(data_dir).write_bytes(_pem(forger))
    for cp in _checkpoints(engine):
        sql(
            engine,
            "UPDATE journal_checkpoints SET key_fingerprint = :f, signature = :s WHERE seq = :q",
            f=fingerprint(forger.public_key()),
            s=sign_checkpoint(forger, cp["seq"], cp["hash"], cp["time_ms"]),
            q=cp["seq"],
        )
    with engine.connect() as conn:
        head = conn.execute(select(journal_head)).one()
    sql(
        engine,
        "UPDATE journal_head SET key_fingerprint = :f, signature = :s",
        f=fingerprint(forger.public_key()),
        s=sign_head(forger, head.seq, head.hash, head.time_ms),
    )
    assert journal_cli("verify")[0] == 0
    code, out = journal_cli("verify", "--fingerprint", published_fp)
    assert code == 1, out
    assert f"not the pinned {published_fp}" in out
    assert "checkpoint signed by another key" in out
    assert journal_cli("verify", "--fingerprint", "SHA256:nope")[0] == 2


def _pem(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_the_server_publishes_its_checkpoints(
    engine: Engine,
    db_url: str,
    data_dir: Path,
    tmp_path: Path,
    published: Path,
    journal_cli: JournalCli,
) -> None:
    """`beffroi run` with a `journal.publish` section: the site's application is journaled
    and sealed by the first maintenance round, the checkpoint lands in the file; a clean
    stop seals and publishes what came after."""
    site = tmp_path / "site.yaml"
    site.write_text(COMMUNES + f"journal:\n  publish:\n    file: {published}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, BEFFROI_ADMIN_PASSWORD="Correct-Horse-Battery-42")
    env[DATABASE_URL_ENV] = db_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "beffroi.cli", "run", "--site", str(site), "--data", str(data_dir),
         "--listen", f"127.0.0.1:{port}", "--in-process"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip

    def up() -> bool:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).is_success
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, 60, "the API")  # signals are handled from then on
        wait_for(lambda: published.exists() and published.read_text().endswith("\n"), 60,
                 "the first checkpoint published")  # fmt: skip
        first = _lines(published)[-1]["seq"]
        # Journaled after that round: sealed and published by the clean stop.
        bad = {"username": "admin", "password": "wrong", "totp": None}
        assert httpx.post(f"http://127.0.0.1:{port}/api/auth/login", json=bad).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    with engine.connect() as conn:
        last = conn.execute(select(func.max(journal_entries.c.seq))).scalar()
    assert last > first and _lines(published)[-1]["seq"] == last
    code, key = journal_cli("key")
    assert code == 0
    code, report = journal_cli(
        "verify", "--against", str(published), "--fingerprint", key.split()[0]
    )
    assert code == 0, report + out
