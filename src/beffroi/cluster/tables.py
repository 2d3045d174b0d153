"""The cluster's tables: one row per lease (a camera to record, a loop to lead)."""

from sqlalchemy import BigInteger, Column, String, Table

from beffroi.db.base import Millis, metadata

leases = Table(
    "leases",
    metadata,
    Column(
        "name",
        String(128),
        primary_key=True,
        comment="What is leased: loop:<name> (a background loop's leadership), later camera:<id>",
    ),
    Column(
        "holder",
        String(64),
        nullable=True,
        comment="The node holding it; null once released",
    ),
    Column(
        "token",
        BigInteger,
        nullable=False,
        comment="Fencing token: grows by one at every change of holder; a write made "
        "under an older token is refused",
    ),
    Column(
        "expires_ms",
        Millis,
        nullable=False,
        comment="Held until then unless renewed (UTC ms, the holder's clock)",
    ),
    Column("acquired_ms", Millis, nullable=False, comment="When the present holder took it"),
    comment="Leases of the cluster's nodes (beffroi.cluster.leases)",
)
