"""Each channel against a real peer: aiosmtpd, a local ntfy-compatible HTTP server, a
webhook receiver checking the HMAC, a Mosquitto broker."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine

from beffroi.clock import FakeClock
from beffroi.incidents.service import IncidentService
from beffroi.oncall.channels import Alert, ChannelError
from beffroi.oncall.channels.mqtt import MqttChannel, MqttLink
from beffroi.oncall.channels.ntfy import NtfyChannel
from beffroi.oncall.channels.smtp import SmtpChannel
from beffroi.oncall.channels.webhook import SIGNATURE_HEADER, WebhookChannel
from beffroi.oncall.links import IncidentLinks, load_or_create_secret
from beffroi.oncall.notify import incident_alert
from beffroi.site.models import MqttSettings, NtfySettings, SmtpSettings, WebhookSettings
from tests.incidents.conftest import alarm
from tests.oncall.peers import HttpPeer, Mailbox, Subscriber, free_port

SECRET_ENV = "TEST_WEBHOOK_SECRET"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def alert(engine: Engine, clock: FakeClock, people: dict[str, int], data_dir: Path) -> Alert:
    """A real incident of the gym (zone 1, Hall) at 08:00 UTC = 09:00 in Paris."""
    service = IncidentService(engine, clock)
    incident = service.alarm_received(alarm(engine, clock.now()))
    assert incident is not None
    links = IncidentLinks(load_or_create_secret(data_dir), "https://csu.example.fr")
    return incident_alert(engine, incident, links, clock.now(), snapshot=lambda _: jpeg())


def test_smtp_mail_names_the_building_zone_time_and_link(
    alert: Alert, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    settings = SmtpSettings(
        host="127.0.0.1", port=port, sender="Beffroi <csu@example.fr>", starttls=False
    )
    SmtpChannel(settings).send(alert, "alice@example.fr")
    assert mailbox.envelopes == [("csu@example.fr", ["alice@example.fr"])]
    mail = mailbox.messages[0]
    assert "Gymnase Jean Bigot" in mail["Subject"] and "zone 1 (Hall)" in mail["Subject"]
    assert mail["Subject"].startswith("[Beffroi] Intrusion")
    body = mail.get_body(("plain",)).get_content()
    assert "01/11/2026 09:00:00 (heure de Paris)" in body
    assert alert.link and alert.link in body and "/incidents/" in alert.link
    assert "jlt-004" in body
    attachment = next(mail.iter_attachments())
    assert attachment.get_content_type() == "image/jpeg"
    assert Image.open(io.BytesIO(attachment.get_content())).size == (64, 48)


def test_smtp_down_is_a_channel_error(alert: Alert) -> None:
    settings = SmtpSettings(
        host="127.0.0.1",
        port=free_port(),
        sender="csu@example.fr",
        starttls=False,
        timeout_seconds=2,
    )
    with pytest.raises(ChannelError, match=r"SMTP 127\.0\.0\.1"):
        SmtpChannel(settings).send(alert, "alice@example.fr")


def test_webhook_posts_json_whose_hmac_verifies(
    alert: Alert, http_peer: HttpPeer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "s3cret-key")
    settings = WebhookSettings(secret_env=SECRET_ENV, allowed_hosts=["127.0.0.1"])
    WebhookChannel(settings, clock).send(alert, http_peer.url + "/hooks/beffroi")
    (got,) = http_peer.requests
    assert got.path == "/hooks/beffroi"
    expected = hmac.new(b"s3cret-key", got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers[SIGNATURE_HEADER], f"sha256={expected}")
    payload = json.loads(got.body)
    assert payload["incident"] == alert.incident_id and payload["building"] == "gymnase-jean-bigot"
    assert payload["zone"] == 1 and payload["link"] == alert.link and payload["test"] is False
    assert payload["at_local"].startswith("2026-11-01T09:00:00+01:00")
    # A byte changed breaks the signature.
    forged = got.body.replace(b"gymnase", b"gymnasf")
    assert hmac.new(b"s3cret-key", forged, hashlib.sha256).hexdigest() != expected


def test_webhook_refusals(
    alert: Alert, http_peer: HttpPeer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = WebhookSettings(secret_env=SECRET_ENV, allowed_hosts=["127.0.0.1"])
    unsigned = WebhookChannel(settings, clock)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with pytest.raises(ChannelError, match=SECRET_ENV):
        unsigned.send(alert, http_peer.url)
    monkeypatch.setenv(SECRET_ENV, "k")
    http_peer.status = 500
    with pytest.raises(ChannelError, match="500"):
        unsigned.send(alert, http_peer.url)
    assert len(http_peer.requests) == 1  # the unsigned one never left


def test_ntfy_publish_carries_title_message_priority_click_tags(
    alert: Alert, http_peer: HttpPeer
) -> None:
    NtfyChannel(NtfySettings(url=http_peer.url)).send(alert, "astreinte-jlt-alice")
    (got,) = http_peer.requests
    assert got.path == "/"
    body = json.loads(got.body)
    assert body["topic"] == "astreinte-jlt-alice"
    assert body["title"] == alert.title and "Gymnase Jean Bigot" in body["title"]
    assert "09:00:00" in body["message"] and body["priority"] == 4
    assert body["click"] == alert.link and "rotating_light" in body["tags"]
    with pytest.raises(ChannelError, match="topic"):
        NtfyChannel(NtfySettings(url=http_peer.url)).send(alert, "not a/topic")


def test_mqtt_alert_reaches_a_subscriber(alert: Alert, broker: int) -> None:
    sub = Subscriber(broker, "astreinte/#")
    link = MqttLink(MqttSettings(broker=f"mqtt://127.0.0.1:{broker}")).start()
    try:
        MqttChannel(link).send(alert, "astreinte/alice")
        (payload,) = sub.wait_for("astreinte/alice")
        assert payload["incident"] == alert.incident_id and payload["zone_name"] == "Hall"
    finally:
        link.stop()
        sub.close()


def test_mqtt_broker_down_is_a_channel_error(alert: Alert) -> None:
    link = MqttLink(MqttSettings(broker=f"mqtt://127.0.0.1:{free_port()}")).start()
    try:
        with pytest.raises(ChannelError, match="not reachable"):
            MqttChannel(link).send(alert, "astreinte/alice")
    finally:
        link.stop()


def test_the_alert_says_a_later_step_is_a_reminder(
    engine: Engine, clock: FakeClock, alert: Alert
) -> None:
    assert alert.incident_id is not None
    later = incident_alert(engine, alert.incident_id, None, clock.now() + timedelta(minutes=5), 2)
    assert "Relance n° 2" in later.text and later.priority == 5 and later.link is None


def test_the_picture_goes_only_to_those_who_may_see_it_and_is_journaled(
    engine: Engine,
    clock: FakeClock,
    people: dict[str, int],
    alert: Alert,
    smtp: tuple[int, Mailbox],
    data_dir: Path,
) -> None:
    """A supervisor of the commune gets the snapshot, journaled as their view of it; a
    patrol agent without the camera's designation gets the text and the link alone."""
    from sqlalchemy import select

    from beffroi.journal.service import Journal
    from beffroi.journal.tables import journal_entries
    from beffroi.oncall.notify import Notifier
    from beffroi.oncall.rotas import Person
    from beffroi.oncall.store import ContactIn, write_contacts

    port, mailbox = smtp
    channel = SmtpChannel(
        SmtpSettings(host="127.0.0.1", port=port, sender="csu@example.fr", starttls=False)
    )
    with engine.begin() as conn:
        for name in ("alice", "chef"):
            write_contacts(conn, people[name], [ContactIn(channel="email", address=f"{name}@x.fr")])
    notifier = Notifier(engine, clock, {"email": channel}, Journal.open(engine, clock, data_dir))
    notifier.reach(Person(people["alice"], "alice", None), alert, 0)
    notifier.reach(Person(people["chef"], "chef", None), alert, 1)
    to_alice, to_chef = mailbox.messages
    assert list(to_alice.iter_attachments()) == []
    assert alert.link and alert.link in to_alice.get_body(("plain",)).get_content()
    [picture] = list(to_chef.iter_attachments())
    assert picture.get_content_type() == "image/jpeg"
    with engine.connect() as conn:
        views = conn.execute(
            select(journal_entries).where(journal_entries.c.action == "snapshot.read")
        ).all()
    assert [(v.username, v.camera_id) for v in views] == [("chef", "jlt-004")]
    assert json.loads(views[0].detail)["via"] == "notification"


def test_webhook_targets_are_confined_to_the_listed_hosts(
    alert: Alert, http_peer: HttpPeer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An address typed in an agent's contacts must not make the server probe the
    town's network: an unlisted host, or a listed name resolving to an internal address
    not itself listed, is refused before any request; redirects are not followed; a
    failure gives the HTTP status, not the remote side's text."""
    from beffroi.oncall.channels.webhook import host_allowed

    monkeypatch.setenv(SECRET_ENV, "k")
    port = http_peer.url.rsplit(":", 1)[1]
    by_name = f"http://localhost:{port}/hook"

    def channel(*allowed: str) -> WebhookChannel:
        return WebhookChannel(
            WebhookSettings(secret_env=SECRET_ENV, allowed_hosts=list(allowed)), clock
        )

    with pytest.raises(ChannelError, match=r"not in notifications\.webhook\.allowed_hosts"):
        channel("hooks.example.org").send(alert, by_name)
    with pytest.raises(ChannelError, match="internal address"):
        channel("localhost").send(alert, by_name)  # the name is listed, 127.0.0.1 is not
    assert http_peer.requests == []
    channel("localhost", "127.0.0.0/8", "::1").send(alert, by_name)
    assert len(http_peer.requests) == 1
    http_peer.status = 302  # a redirect elsewhere: a failure, not followed
    with pytest.raises(ChannelError, match=r"answered HTTP 302$"):
        channel("127.0.0.1").send(alert, http_peer.url + "/hook")
    assert len(http_peer.requests) == 2
    assert host_allowed("https://10.20.3.4/x", ["10.20.0.0/16"])
    assert not host_allowed("https://10.21.3.4/x", ["10.20.0.0/16"])
    assert not host_allowed("https://evil.example/x", ["example"])
