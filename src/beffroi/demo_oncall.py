"""The demo's on-call set-up: a mailbox on loopback, a rota, and someone to escalate to.

So that `make run` shows the whole alarm chain without any outside service: a DC-09
alarm (`beffroi sim alarm`) opens an incident, the demo operator on call gets an e-mail
in the demo's mailbox (a real SMTP server on 127.0.0.1, writing each mail to
`DATA/mailbox/` and announcing it on the terminal), and when nobody acknowledges within
two minutes the demo supervisor gets the next one. A real installation configures its
relay in the site file and its rotas through the API; none of this runs there.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from beffroi.access.demo import ensure_demo_password
from beffroi.access.permissions import Role
from beffroi.access.tables import users
from beffroi.access.users import UserExistsError, create_user
from beffroi.clock import Clock
from beffroi.oncall import store
from beffroi.site.tables import communes

DEMO_SUPERVISOR = "cheffe"
DEMO_SUPERVISOR_PASSWORD_FILE = "demo-supervisor-password.txt"
DEMO_ROTA = "astreinte-demo"
MAILBOX = "mailbox"
DEMO_DOMAIN = "demo.beffroi.invalid"  # .invalid: never a real domain (RFC 2606)


class _Mailbox:
    """aiosmtpd handler: every accepted message becomes `NNNN.eml` in the mailbox."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = len(list(folder.glob("*.eml")))
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        raw = getattr(envelope, "original_content", None) or getattr(envelope, "content", None)
        content = bytes(raw or b"")
        recipients = ", ".join(getattr(envelope, "rcpt_tos", []))
        with self.lock:
            self.count += 1
            path = self.folder / f"{self.count:04d}.eml"
        path.write_bytes(content)
        message = email.message_from_bytes(content, policy=email.policy.default)
        subject = message["subject"]
        print(
            f"Boîte de démonstration : courriel pour {recipients} — {subject} ({path})", flush=True
        )
        return "250 Message accepted"


@contextlib.contextmanager
def demo_mailbox(data_dir: Path, port: int) -> Iterator[Path]:
    """A real SMTP server on 127.0.0.1:`port` for the demo's notifications."""
    # The demo's mailbox only: a deployment does not need an SMTP server (extra "demo").
    from aiosmtpd.controller import Controller

    folder = data_dir / MAILBOX
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(_Mailbox(folder), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield folder
    finally:
        controller.stop()


def ensure_demo_oncall(engine: Engine, clock: Clock, data_dir: Path, operator: str) -> str:
    """The demo supervisor (escalation), both agents' e-mail contacts and a rota of every
    commune with `operator` on call around the clock, escalating after 2 minutes. Made
    once; an administrator's later changes through the API are kept."""
    password = ensure_demo_password(data_dir, DEMO_SUPERVISOR_PASSWORD_FILE)
    with engine.connect() as conn:
        all_communes = sorted(conn.execute(select(communes.c.id)).scalars())
    with contextlib.suppress(UserExistsError):
        create_user(
            engine,
            DEMO_SUPERVISOR,
            password,
            Role.SUPERVISOR,
            all_communes,
            clock,
            full_name="Cheffe de centre (démo)",
            service="Centre de supervision urbaine (démo)",
            is_police=True,
            approval_ref="DEMO-2026-001",
            approval_expires=date(2099, 12, 31),
        )
    now = clock.now()
    with engine.begin() as conn:
        ids = {r.username: r.id for r in conn.execute(select(users.c.username, users.c.id))}
        for username in (operator, DEMO_SUPERVISOR):
            if username in ids and not store.read_contacts(conn, ids[username]):
                contact = store.ContactIn(channel="email", address=f"{username}@{DEMO_DOMAIN}")
                store.write_contacts(conn, ids[username], [contact])
        if store.read_rota(conn, DEMO_ROTA, None) is None:
            rota = store.RotaIn(
                name="Astreinte de démonstration",
                communes=all_communes,
                escalate_minutes=2,
                shifts=[store.Shift(days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                    start="00:00", end="24:00", user=operator)],
                # The supervisors of the communes come after the fallbacks: the demo's
                # supervisor is the escalation, with no fallback before her.
            )  # fmt: skip
            store.write_rota(conn, DEMO_ROTA, rota, None, "system", now)
    return password
