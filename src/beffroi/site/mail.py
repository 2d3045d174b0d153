"""Sending one e-mail through the town's SMTP relay (`notifications.smtp` of the site
file): STARTTLS and login when configured, a short timeout. The one way mail leaves
Beffroi: on-call alerts (`oncall.channels.smtp`) and the journal's daily checkpoints
(`journal.publish`) both hand their message here."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from beffroi.site.models import SmtpSettings
from beffroi.site.secrets import SecretError, secret_value


class MailError(RuntimeError):
    """The relay could not be reached, refused the login, or refused the recipient."""


def send_mail(settings: SmtpSettings, msg: EmailMessage, to: str) -> None:
    s = settings
    try:
        password = secret_value(s.password_env, s.password_file)
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds) as smtp:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, password or "")
            refused = smtp.send_message(msg)
    except SecretError as exc:
        raise MailError(str(exc)) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP {s.host}:{s.port}: {exc}") from None
    if refused:
        raise MailError(f"SMTP {s.host}:{s.port} refused {to}: {refused}")
