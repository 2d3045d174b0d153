"""`alarm_messages`: every message an alarm receiver got, accepted or refused, and why.

It is the receiver's log book: what a panel sent, when, from where, and what it was
answered. A refused message (bad CRC, unknown account, stale timestamp...) is kept with
its reason, so a misconfigured panel or an attack is visible to the administrator.
"""

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from beffroi.db.base import Millis, metadata

RAW_KEPT = 600  # characters of the raw message kept: DC-09 bodies are rarely longer

alarm_messages = Table(
    "alarm_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_ms", Millis, nullable=False),
    Column("receiver", String(16), nullable=False, comment="sia-dc09 (mqtt, webhook later)"),
    Column("transport", String(8), nullable=False, comment="tcp | udp"),
    Column("peer", String(64), nullable=True, comment="Sender's address:port"),
    Column("account", String(16), nullable=True, index=True),
    Column("building_id", String(64), nullable=True, comment="From the account, if known"),
    Column("token", String(16), nullable=True, comment="SIA-DCS | ADM-CID | NULL"),
    Column("sequence", String(4), nullable=True),
    Column("encrypted", Boolean, nullable=False, default=False),
    Column("event_ms", Millis, nullable=True, comment="The panel's timestamp"),
    Column("outcome", String(16), nullable=False, comment="accepted | duplicate | refused"),
    Column("reason", String(32), nullable=True, comment="Why refused: crc, account, ..."),
    Column("detail", String(200), nullable=True),
    Column("answer", String(4), nullable=True, comment="ACK | NAK | DUH, none for garbage"),
    Column("data", Text, nullable=True, comment="Decoded (decrypted) data: Nri1/BA01"),
    Column("raw", Text, nullable=False, comment="The message as received (escaped)"),
    Index("ix_alarm_messages_received_ms", "received_ms"),
)
