"""Copies of the signed checkpoints outside the database (site file `journal.publish`).

Someone who can write the database, without the key, cannot forge a checkpoint; but
someone who kept an older, consistent state of the journal (its tail, checkpoints and
signed head) could restore it, and the database alone cannot tell. A copy of every
checkpoint kept elsewhere can: `beffroi journal verify --against FILE` demands that
each published seq still has the same hash and signature in the database.

Each checkpoint becomes one JSON line (`checkpoint_line`: seq, hash, time, time_ms,
signature, key fingerprint, sorted keys) sent to the targets the site file names:

- `file`: appended (O_APPEND, one write, fsync) to a file that should live on another
  mount (a NAS share, another disk), so it survives the machine and its administrator;
- `syslog`: one message per checkpoint (`logging.handlers.SysLogHandler`, ident
  `beffroi-journal`), to /dev/log or a remote collector (`udp://` or `tcp://`);
- `email`: once a day, after `email_hour` (Europe/Paris), the day's checkpoints to the
  data-protection officer, as an attachment `--against` reads, through the SMTP relay of
  `notifications.smtp`.

The publisher tails `journal_checkpoints` from the maintenance loop (every minute, and
at a clean stop) rather than hooking the writes: only committed checkpoints are
published, whichever process wrote them (a `beffroi user` command, `beffroi journal
checkpoint`), and a target that fails (a mount gone, a relay down) catches up at the
next round. Each target keeps its own cursor (the last seq it published): a new target
starts with the latest checkpoint, which seals the whole chain before it; a file resumes
after its own last line.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from beffroi.clock import from_ms
from beffroi.journal.chain import Checkpoint
from beffroi.journal.published import checkpoint_line, last_published_seq
from beffroi.journal.tables import journal_checkpoints
from beffroi.site.mail import send_mail
from beffroi.site.models import JournalPublishSettings, SmtpSettings

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
SYSLOG_IDENT = "beffroi-journal"
DEFAULT_SYSLOG = "/dev/log"


class Target(Protocol):
    name: str
    cursor: int | None  # the last seq published; None: start with the latest

    def due(self, now: datetime) -> bool: ...

    def send(self, checkpoints: Sequence[Checkpoint], now: datetime) -> None: ...


class FileTarget:
    def __init__(self, path: Path, data_dir: Path | None = None) -> None:
        self.path = path
        self.name = f"file {path}"
        self.cursor = last_published_seq(path)
        if data_dir is not None and _same_device(path.parent, data_dir):
            log.warning(
                "journal.publish.file %s is on the file system of the data directory: "
                "put it on another mount (another disk, a NAS share), so that it "
                "survives the machine",
                path,
            )

    def due(self, now: datetime) -> bool:
        return True

    def send(self, checkpoints: Sequence[Checkpoint], now: datetime) -> None:
        if not checkpoints:
            return
        data = "".join(checkpoint_line(cp) + "\n" for cp in checkpoints).encode()
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # a line cut short (a crash mid-write) stays alone
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.path.parent)


class _RaisingSysLogHandler(logging.handlers.SysLogHandler):
    """`emit` hands its errors to `handleError`, which prints them and goes on; here
    they propagate, so a lost message is retried rather than counted as sent."""

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]  # emit calls this from its `except` block
        if error is not None:
            raise error


class SyslogTarget:
    def __init__(self, address: str | None) -> None:
        self.address = address or DEFAULT_SYSLOG
        self.name = f"syslog {self.address}"
        self.cursor: int | None = None
        self._handler: logging.handlers.SysLogHandler | None = None

    def due(self, now: datetime) -> bool:
        return True

    def _open(self) -> logging.handlers.SysLogHandler:
        if self._handler is None:
            address, socktype = syslog_address(self.address)
            if isinstance(address, str) and not os.path.exists(address):
                raise OSError(f"no syslog socket at {address}")
            handler = _RaisingSysLogHandler(
                address, facility=logging.handlers.SysLogHandler.LOG_USER, socktype=socktype
            )
            if getattr(handler, "socket", None) is None:  # a Unix socket nobody listens on
                handler.close()
                raise OSError(f"cannot connect to the syslog socket {address}")
            handler.ident = f"{SYSLOG_IDENT}: "
            # Stream collectors split messages on newlines (added in `send`); datagrams
            # need no framing.
            handler.append_nul = False
            self._handler = handler
        return self._handler

    def send(self, checkpoints: Sequence[Checkpoint], now: datetime) -> None:
        if not checkpoints:
            return
        try:
            handler = self._open()
            stream = handler.socktype == socket.SOCK_STREAM
            for cp in checkpoints:
                text = checkpoint_line(cp) + ("\n" if stream else "")
                handler.emit(
                    logging.LogRecord("beffroi.journal", logging.INFO, "", 0, text, None, None)
                )
        except BaseException:
            self.close()  # reconnect next time (syslogd restarted, collector back)
            raise

    def close(self) -> None:
        if self._handler is not None:
            self._handler.close()
            self._handler = None


def syslog_address(text: str) -> tuple[str | tuple[str, int], socket.SocketKind | None]:
    """`/dev/log` (a Unix socket), `udp://HOST:PORT` or `tcp://HOST:PORT`."""
    for scheme, kind in (("udp://", socket.SOCK_DGRAM), ("tcp://", socket.SOCK_STREAM)):
        if text.startswith(scheme):
            host, _, port = text[len(scheme) :].rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"syslog address {text!r}: expected {scheme}HOST:PORT")
            return (host.strip("[]"), int(port)), kind
    if not text.startswith("/"):
        raise ValueError(f"syslog address {text!r}: a socket path, udp:// or tcp://")
    return text, None


class EmailTarget:
    """Once a day, after `hour` (Europe/Paris): the checkpoints since the last mail (or
    the latest again, when none is new: the mail itself says the journal is alive)."""

    def __init__(self, address: str, smtp: SmtpSettings | None, hour: int) -> None:
        self.address = address
        self.smtp = smtp
        self.hour = hour
        self.name = f"e-mail {address}"
        self.cursor: int | None = None
        self.sent_on: date | None = None

    def due(self, now: datetime) -> bool:
        local = now.astimezone(PARIS)
        return local.hour >= self.hour and self.sent_on != local.date()

    def message(
        self, checkpoints: Sequence[Checkpoint], now: datetime, fresh: bool, smtp: SmtpSettings
    ) -> EmailMessage:
        day = now.astimezone(PARIS).date().isoformat()
        last = checkpoints[-1]
        when = from_ms(last.time_ms).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
        msg = EmailMessage()
        msg["Subject"] = f"[Beffroi] Journal : points de contrôle du {day}"
        msg["From"] = smtp.sender
        msg["To"] = self.address
        msg["Date"] = formatdate(now.timestamp(), localtime=False)
        msg["Message-ID"] = make_msgid("beffroi")
        news = (
            f"{len(checkpoints)} point(s) de contrôle depuis le précédent envoi"
            if fresh
            else "Aucun nouveau point de contrôle depuis le précédent envoi (rien n'a été "
            "journalisé) ; voici de nouveau le dernier"
        )
        msg.set_content(
            "Points de contrôle signés du journal des actions de Beffroi.\n\n"
            f"{news}. Le dernier scelle l'entrée n° {last.seq} ({when}, heure de Paris).\n"
            f"Clé de l'installation : SHA256:{last.key_fingerprint}\n\n"
            "Conservez ces courriels hors du centre : la commande\n"
            f"  beffroi journal verify --data DONNÉES --fingerprint SHA256:{last.key_fingerprint}"
            " --against journal-checkpoints.jsonl\n"
            "vérifie que la base contient toujours ces entrées, inchangées (la pièce jointe "
            "est un tel fichier ; plusieurs se concatènent).\n"
        )
        body = "".join(checkpoint_line(cp) + "\n" for cp in checkpoints)
        msg.add_attachment(body, subtype="plain", filename=f"journal-checkpoints-{day}.jsonl")
        return msg

    def send(self, checkpoints: Sequence[Checkpoint], now: datetime, fresh: bool = True) -> None:
        if not checkpoints:
            return
        s = self.smtp
        if s is None:
            raise RuntimeError("journal.publish.email needs notifications.smtp in the site file")
        send_mail(s, self.message(checkpoints, now, fresh, s), self.address)  # MailError
        self.sent_on = now.astimezone(PARIS).date()


_BY_SEQ = select(journal_checkpoints).order_by(journal_checkpoints.c.seq)
_LATEST = select(journal_checkpoints).order_by(journal_checkpoints.c.seq.desc()).limit(1)


class CheckpointPublisher:
    def __init__(self, targets: Sequence[Target]) -> None:
        self.targets = list(targets)
        self._failing: set[str] = set()

    def publish_pending(self, engine: Engine, now: datetime) -> int:
        """Send each due target the checkpoints after its cursor; returns how many
        (target, checkpoint) pairs were sent. A target's failure is logged (once until
        it recovers) and retried at the next call: its cursor does not move."""
        sent = 0
        for target in self.targets:
            if not target.due(now):
                continue
            try:
                sent += self._publish(engine, target, now)
            except Exception as exc:
                if target.name not in self._failing:
                    log.warning(
                        "journal: publishing checkpoints to %s failed: %s", target.name, exc
                    )
                self._failing.add(target.name)
            else:
                if target.name in self._failing:
                    log.info("journal: publishing checkpoints to %s works again", target.name)
                self._failing.discard(target.name)
        return sent

    def _publish(self, engine: Engine, target: Target, now: datetime) -> int:
        with engine.connect() as conn:
            if target.cursor is None:
                rows = conn.execute(_LATEST).all()
            else:
                rows = conn.execute(_BY_SEQ.where(journal_checkpoints.c.seq > target.cursor)).all()
            fresh = bool(rows)
            if not rows and isinstance(target, EmailTarget):
                rows = conn.execute(_LATEST).all()
        checkpoints = [Checkpoint(**r._asdict()) for r in rows]
        if not checkpoints:
            return 0
        if isinstance(target, EmailTarget):
            target.send(checkpoints, now, fresh)
        else:
            target.send(checkpoints, now)
        target.cursor = max(checkpoints[-1].seq, target.cursor or 0)
        return len(checkpoints) if fresh else 0

    def close(self) -> None:
        for target in self.targets:
            if isinstance(target, SyslogTarget):
                target.close()


def publisher_for(
    settings: JournalPublishSettings | None,
    smtp: SmtpSettings | None,
    previous: CheckpointPublisher | None = None,
    data_dir: Path | None = None,
) -> CheckpointPublisher | None:
    """The publisher a site file's `journal.publish` asks for (None: publish nothing).
    Targets whose settings did not change are kept, cursors and all, so a reload
    neither sends a line twice nor a second mail the same day."""
    if settings is None:
        if previous is not None:
            previous.close()
        return None
    kept = {_identity(t): t for t in previous.targets} if previous is not None else {}
    wanted: list[tuple[tuple[object, ...], Callable[[], Target]]] = []
    if settings.file is not None:
        path = Path(settings.file)
        wanted.append((("file", str(path)), lambda: FileTarget(path, data_dir)))
    if settings.syslog:
        address = settings.syslog_address or DEFAULT_SYSLOG
        wanted.append((("syslog", address), lambda: SyslogTarget(address)))
    if settings.email is not None:
        mail = settings.email
        wanted.append(
            (
                ("email", mail, smtp, settings.email_hour),
                lambda: EmailTarget(mail, smtp, settings.email_hour),
            )
        )
    targets: list[Target] = []
    for identity, make in wanted:
        old = kept.pop(identity, None)
        targets.append(old if old is not None else make())
    for gone in kept.values():
        if isinstance(gone, SyslogTarget):
            gone.close()
    return CheckpointPublisher(targets)


def _identity(target: Target) -> tuple[object, ...]:
    if isinstance(target, FileTarget):
        return ("file", str(target.path))
    if isinstance(target, SyslogTarget):
        return ("syslog", target.address)
    assert isinstance(target, EmailTarget)
    return ("email", target.address, target.smtp, target.hour)


def _same_device(a: Path, b: Path) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
