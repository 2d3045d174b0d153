"""Backups and restores of an installation: the database, the site file, the keys."""
