"""The tamper-evident journal of every action on video and configuration.

Each entry carries the SHA-256 of the previous one (`entries.py` documents the exact
serialisation); signed checkpoints (`keys.py`) seal the chain so a truncated tail is
detected; `verify.py` re-checks everything, `retention.py` deletes old entries under a
sealed `journal.purge` entry, `query.py` reads and exports, `http.py` is the one-line
helper for route handlers. See docs/design/journal.md.
"""
