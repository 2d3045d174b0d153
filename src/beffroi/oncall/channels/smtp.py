"""E-mail alerts through the town's SMTP relay (STARTTLS and login when configured).

The subject names the kind, building and zone so the phone's notification says it all;
the body gives the time in Europe/Paris and the signed link; the snapshot, when the
incident has one, is attached as a JPEG.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from beffroi.oncall.channels import Alert, ChannelError
from beffroi.site.mail import MailError, send_mail
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
        try:
            send_mail(self.settings, self.message(alert, address), address)
        except MailError as exc:
            raise ChannelError(str(exc)) from None
