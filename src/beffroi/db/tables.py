"""Imports every package's tables so the metadata is complete (migrations, tests)."""

from beffroi.access import tables as access_tables
from beffroi.alarms import deliveries as alarm_deliveries_tables  # noqa: F401
from beffroi.alarms import tables as alarms_tables  # noqa: F401
from beffroi.archive import tables as archive_tables
from beffroi.camera_history import tables as camera_history_tables  # noqa: F401
from beffroi.cluster import tables as cluster_tables  # noqa: F401
from beffroi.console import tables as console_tables  # noqa: F401
from beffroi.export import tables as export_tables  # noqa: F401
from beffroi.incidents import tables as incidents_tables  # noqa: F401  (and alarms)
from beffroi.journal import tables as journal_tables
from beffroi.oncall import tables as oncall_tables  # noqa: F401
from beffroi.requisitions import tables as requisitions_tables  # noqa: F401
from beffroi.site import tables as site_tables

__all__ = ["access_tables", "archive_tables", "journal_tables", "site_tables"]
