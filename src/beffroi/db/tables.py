"""Imports every package's tables so the metadata is complete (migrations, tests)."""

from beffroi.access import tables as access_tables
from beffroi.archive import tables as archive_tables
from beffroi.journal import tables as journal_tables
from beffroi.site import tables as site_tables

__all__ = ["access_tables", "archive_tables", "journal_tables", "site_tables"]
