"""Reaching one person: build the alert of an incident, try the person's contacts in
order until one channel takes the message, and record (and journal) every attempt.

A channel that fails (relay down, broker unreachable, channel not configured on this
site) is an attempt with outcome `failed` and its error; the next contact is tried. A
person none of whose contacts worked was not reached: the escalation moves on at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.access.users import load_principal
from beffroi.alarms.intake import JournalLike
from beffroi.clock import Clock, from_ms, utc_ms
from beffroi.incidents.tables import incident_cameras, incidents
from beffroi.journal.http import principal_entry
from beffroi.oncall.channels import Alert, Channel, ChannelError, paris_time
from beffroi.oncall.links import IncidentLinks
from beffroi.oncall.rotas import Person
from beffroi.oncall.tables import notification_attempts, user_contacts
from beffroi.site.tables import buildings, communes
from beffroi.site.tables import cameras as camera_table

log = logging.getLogger(__name__)

KIND_WORDS = {
    "intrusion": "Intrusion",
    "fire": "Incendie",
    "heat": "Chaleur",
    "water": "Dégât des eaux",
    "medical": "Urgence médicale",
    "panic": "Agression",
    "holdup": "Hold-up",
    "tamper": "Sabotage",
    "technical": "Défaut technique",
    # Faults the health watcher opens (beffroi.incidents.faults).
    "camera_offline": "Caméra hors ligne",
    "below_minima": "Caméra sous les minima légaux",
    "storage_low": "Espace disque insuffisant",
    "retention_failing": "Rétention en échec",
    "clock_unsynced": "Horloge du serveur non synchronisée",
    "clock_step": "Saut de l'horloge du serveur : effacement suspendu",
    "hold_unmatched": "Scellé inconnu de la base : images conservées",
    "authorisation_expiring": "Autorisation préfectorale bientôt échue",
}

# The incident's snapshot (JPEG), when the incidents carry one: a seam for the clip and
# snapshot work of issue 6, None until then.
SnapshotSource = Callable[[int], bytes | None]


@dataclass(frozen=True)
class Contact:
    channel: str
    address: str


@dataclass(frozen=True)
class AttemptResult:
    channel: str
    address: str
    outcome: str  # sent | failed
    error: str | None


def contacts_of(engine: Engine, user_id: int) -> list[Contact]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(user_contacts.c.channel, user_contacts.c.address)
            .where(user_contacts.c.user_id == user_id)
            .order_by(user_contacts.c.position)
        ).all()
    return [Contact(r.channel, r.address) for r in rows]


def incident_alert(
    engine: Engine,
    incident_id: int,
    links: IncidentLinks | None,
    now: datetime,
    step: int = 0,
    snapshot: SnapshotSource | None = None,
) -> Alert:
    with engine.connect() as conn:
        r = conn.execute(
            select(
                incidents,
                buildings.c.name.label("building_name"),
                buildings.c.address.label("building_address"),
                communes.c.name.label("commune_name"),
            )
            .outerjoin(buildings, buildings.c.id == incidents.c.building_id)
            .join(communes, communes.c.id == incidents.c.commune_id)
            .where(incidents.c.id == incident_id)
        ).one()
        cameras = tuple(
            conn.scalars(
                select(incident_cameras.c.camera_id)
                .where(incident_cameras.c.incident_id == incident_id)
                .order_by(incident_cameras.c.position)
            )
        )
    what = KIND_WORDS.get(r.kind, r.kind.capitalize())
    where = r.building_name or r.commune_name
    zone = f"zone {r.zone}" + (f" ({r.zone_name})" if r.zone_name else "") if r.zone else None
    title = f"{what} — {where}" + (f", {zone}" if zone else "")
    at = from_ms(r.opened_ms)
    link = links.url(incident_id, now) if links is not None else None
    lines = [
        f"Incident n° {incident_id} : {what.lower()}",
        f"Bâtiment : {where} ({r.commune_name})",
    ]
    if r.building_address:
        lines.append(f"Adresse : {r.building_address}")
    if zone:
        lines.append(f"Zone : {zone}")
    lines.append(f"Heure : {paris_time(at)} (heure de Paris)")
    if r.alarm_count > 1:
        lines.append(f"Alarmes regroupées : {r.alarm_count}")
    if cameras:
        lines.append(f"Caméras : {', '.join(cameras)}")
    if step > 0:
        lines.append(f"Relance n° {step} : la personne précédente n'a pas pris l'incident.")
    if link:
        lines += ["", f"Ouvrir l'incident (connexion requise) : {link}"]
    lines += ["", "Prenez l'incident en charge dans Beffroi pour arrêter les relances."]
    return Alert(
        title=title,
        text="\n".join(lines),
        kind=r.kind,
        at=at,
        incident_id=incident_id,
        commune=r.commune_id,
        building=r.building_id,
        building_name=r.building_name,
        zone=r.zone,
        zone_name=r.zone_name,
        cameras=cameras,
        link=link,
        priority=5 if step > 0 else 4,
        tags=("rotating_light", r.kind),
        snapshot=snapshot(incident_id) if snapshot is not None else None,
    )


class Notifier:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        channels: Mapping[str, Channel],
        journal: JournalLike | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.channels = dict(channels)
        self.journal = journal

    def send(self, channel_name: str, alert: Alert, address: str) -> AttemptResult:
        channel = self.channels.get(channel_name)
        try:
            if channel is None:
                raise ChannelError(f"the {channel_name} channel is not configured on this site")
            channel.send(alert, address)
        except ChannelError as exc:
            return AttemptResult(channel_name, address, "failed", str(exc)[:500])
        except Exception as exc:  # a channel's bug must not stop the escalation
            log.exception("oncall: the %s channel failed", channel_name)
            return AttemptResult(channel_name, address, "failed", repr(exc)[:500])
        return AttemptResult(channel_name, address, "sent", None)

    def reach(self, person: Person, alert: Alert, step: int | None) -> list[AttemptResult]:
        """Try the person's contacts in order; stop at the first that takes the alert.

        The picture goes only to a person whose role may see every camera of the
        incident's snapshots (a patrol agent without the designation, an auditor, get
        the link alone); a picture sent is journaled as that person's view of it."""
        viewer = self._picture_viewer(person, alert)
        if alert.snapshot is not None and viewer is None:
            alert = replace(alert, snapshot=None)
        contacts = contacts_of(self.engine, person.user_id)
        results: list[AttemptResult] = []
        if not contacts:
            results.append(AttemptResult("none", "", "failed", "no contact registered"))
        for contact in contacts:
            result = self.send(contact.channel, alert, contact.address)
            results.append(result)
            if result.outcome == "sent":
                break
        for result in results:
            self.record(person, alert, step, result)
        sent = next((r for r in results if r.outcome == "sent"), None)
        if sent is not None and viewer is not None and alert.snapshot is not None:
            self._record_picture(viewer, alert, sent)
        return results

    def _picture_viewer(self, person: Person, alert: Alert) -> Principal | None:
        """`person` as a principal, if they may see the snapshots of all `alert`'s
        cameras; None otherwise (or for a test message, which carries none)."""
        if alert.snapshot is None or alert.incident_id is None:
            return None
        with self.engine.connect() as conn:
            principal = load_principal(conn, person.user_id, self.clock)
            communes = dict(
                conn.execute(
                    select(camera_table.c.id, camera_table.c.commune_id).where(
                        camera_table.c.id.in_(alert.cameras)
                    )
                ).all()
            )
        if principal is None or not principal.can(Permission.RECORDING_READ):
            return None
        if not all(
            cam in communes and principal.sees_camera(cam, communes[cam]) for cam in alert.cameras
        ):
            return None
        return principal

    def _record_picture(self, viewer: Principal, alert: Alert, sent: AttemptResult) -> None:
        if self.journal is None:
            return
        self.journal.record(
            principal_entry(
                viewer,
                "snapshot.read",
                camera=alert.cameras[0] if alert.cameras else None,
                commune=alert.commune,
                start_ms=utc_ms(alert.at),
                end_ms=utc_ms(alert.at),
                detail={
                    "incident": alert.incident_id,
                    "via": "notification",
                    "channel": sent.channel,
                },
            )
        )

    def record(self, person: Person, alert: Alert, step: int | None, result: AttemptResult) -> None:
        now_ms = utc_ms(self.clock.now())
        with self.engine.begin() as conn:
            conn.execute(
                insert(notification_attempts).values(
                    incident_id=alert.incident_id,
                    user_id=person.user_id,
                    username=person.username,
                    step=step,
                    channel=result.channel,
                    address=result.address,
                    at_ms=now_ms,
                    outcome=result.outcome,
                    error=result.error,
                )
            )
        if self.journal is None:
            return
        detail: dict[str, Any] = {
            "incident": alert.incident_id,
            "to": person.username,
            "channel": result.channel,
            "step": step,
        }
        if result.error:
            detail["error"] = result.error
        self.journal.record(
            principal_entry(
                None,
                "oncall.notify" if alert.incident_id is not None else "oncall.test",
                username="system",
                commune=alert.commune,
                outcome="ok" if result.outcome == "sent" else "error",
                detail=detail,
            )
        )
