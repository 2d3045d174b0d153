"""E-mail alerts through the town's SMTP relay (STARTTLS and login when configured).

The subject names the kind, building and zone so the phone's notification says it all;
the body gives the time in Europe/Paris and the signed link; the snapshot, when the
incident has one, is attached as a JPEG.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from beffroi.oncall.channels import Alert, ChannelError, secret_value
from beffroi.site.models import SmtpSettings


class SmtpChannel:
    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def message(self, alert: Alert, address: str) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = f"[Beffroi] {alert.title}"
        msg["From"] = self.settings.sender
        msg["To"] = address
        msg["Date"] = formatdate(alert.at.timestamp(), localtime=False)
        msg["Message-ID"] = make_msgid("beffroi")
        if alert.priority >= 4:
            msg["X-Priority"] = "1"
        msg.set_content(alert.text)
        if alert.snapshot:
            name = f"incident-{alert.incident_id}.jpg" if alert.incident_id else "image.jpg"
            msg.add_attachment(alert.snapshot, maintype="image", subtype="jpeg", filename=name)
        return msg

    def send(self, alert: Alert, address: str) -> None:
        s = self.settings
        msg = self.message(alert, address)
        try:
            password = secret_value(s.password_env, s.password_file)
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds) as smtp:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.username:
                    smtp.login(s.username, password or "")
                refused = smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelError(f"SMTP {s.host}:{s.port}: {exc}") from None
        if refused:
            raise ChannelError(f"SMTP {s.host}:{s.port} refused {address}: {refused}")
