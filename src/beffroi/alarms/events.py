"""What a panel reports: SIA-DCS and ADM-CID data decoded into events.

SIA-DCS data (SIA DC-03 "SIA format"): `#1234|Nri1/BA01/BA02`: an optional account, `N`
(new event), modifiers (`ri` area, `id` user, `ti` time, `pi` peripheral) and events,
each a two-letter code and an address (the zone), separated by `/`.

ADM-CID data (Ademco Contact ID in DC-09): `#1234|1130 01 015`: qualifier (1 new event,
3 restore, 6 previously reported), three-digit event code, two-digit partition,
three-digit zone or user.

`kind` says which incident an event opens: None for what needs no person (restores,
openings and closings, periodic tests). The tables below are the whole policy: a code
not listed opens no incident, but every message is kept in `alarm_messages`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from beffroi.alarms.dc09 import FrameError

# SIA codes that open an incident (SIA DC-03 event codes).
SIA_KINDS: dict[str, str] = {
    "BA": "intrusion",  # burglary alarm
    "BV": "intrusion",  # burglary verified
    "BG": "intrusion",  # unverified event, burglary
    "FA": "fire",
    "FV": "fire",
    "PA": "panic",
    "HA": "holdup",
    "TA": "tamper",
    "ES": "tamper",  # expansion device tamper
    "MA": "medical",
    "GA": "gas",
    "WA": "water",
    "KA": "heat",
    "BT": "technical",  # burglary trouble
    "FT": "technical",
    "AT": "technical",  # AC power trouble
    "YT": "technical",  # battery trouble
    "LT": "technical",  # phone line trouble
    "YC": "technical",  # communication fail
    "YP": "technical",  # power supply trouble
}

_SIA_TOKEN = re.compile(
    r"ri(?P<ri>\d+)|id(?P<id>\d+)|ti(?P<ti>\d\d:\d\d)|pi(?P<pi>\d+)"
    r"|(?P<code>[A-Z]{2})(?P<addr>\d*)(?:\^(?P<text>[^^]*)\^)?|(?P<sep>[/ ])"
)


@dataclass(frozen=True)
class PanelEvent:
    code: str  # SIA code ("BA") or Contact ID qualifier+event ("1130")
    zone: int | None
    partition: int | None
    kind: str | None  # incident kind, None: no incident
    text: str | None = None  # free text some panels add (^...^)


def _account_and_rest(data: str) -> tuple[str | None, str]:
    if data.startswith("#"):
        account, bar, rest = data[1:].partition("|")
        return (account.upper() or None), rest if bar else ""
    return None, data.lstrip("|")


def decode_sia(data: str) -> tuple[str | None, list[PanelEvent]]:
    account, rest = _account_and_rest(data)
    # "N" (new event) or "O" (old event) leads the data when what follows still reads:
    # "NFA129" is a fire alarm in zone 129, "OP001" an opening by user 001.
    if rest[:1] in ("N", "O") and (m := _SIA_TOKEN.match(rest, 1)) and m["sep"] is None:
        rest = rest[1:]
    events: list[PanelEvent] = []
    area: int | None = None
    pos = 0
    while pos < len(rest):
        match = _SIA_TOKEN.match(rest, pos)
        if match is None:
            raise FrameError("data", f"SIA data not understood at {rest[pos : pos + 12]!r}")
        pos = match.end()
        if match["ri"] is not None:
            area = int(match["ri"])
        elif match["code"] is not None:
            code = match["code"]
            addr = match["addr"]
            events.append(
                PanelEvent(
                    code=code,
                    zone=int(addr) if addr else None,
                    partition=area,
                    kind=SIA_KINDS.get(code),
                    text=(match["text"] or "").strip() or None,
                )
            )
    return account, events


_CID = re.compile(r"(?P<q>[136])(?P<event>\d{3}) (?P<part>\d{2}) (?P<zone>\d{3})\Z")


def contact_id_kind(qualifier: str, event: int) -> str | None:
    """Contact ID event ranges: 1xx alarms, 3xx troubles, 4xx openings/closings, 6xx
    tests. Only new events (qualifier 1) open an incident; restores (3) do not."""
    if qualifier != "1":
        return None
    if 110 <= event <= 119:
        return "fire"
    if event in (121, 122, 123, 124, 125, 126, 127, 128, 129):
        return "holdup" if event in (121, 122) else "panic"
    if 130 <= event <= 139:
        return "intrusion"
    if event in (144, 145, 137, 383):
        return "tamper"
    if 100 <= event <= 199:
        return "alarm"
    if 300 <= event <= 399:
        return "technical"
    return None


def decode_contact_id(data: str) -> tuple[str | None, list[PanelEvent]]:
    account, rest = _account_and_rest(data)
    match = _CID.match(rest.strip())
    if match is None:
        raise FrameError("data", f"ADM-CID data {rest[:24]!r} is not QEEE GG ZZZ")
    event = int(match["event"])
    return account, [
        PanelEvent(
            code=match["q"] + match["event"],
            zone=int(match["zone"]),
            partition=int(match["part"]),
            kind=contact_id_kind(match["q"], event),
        )
    ]


def decode(token: str, data: str) -> tuple[str | None, list[PanelEvent]]:
    """(account given in the data, events) for a supported message type."""
    if token == "SIA-DCS":
        return decode_sia(data)
    if token == "ADM-CID":
        return decode_contact_id(data)
    if token == "NULL":  # a link test: the panel checks the path, nothing happened
        return _account_and_rest(data)[0], []
    raise FrameError("token", f"message type {token!r} is not supported")
