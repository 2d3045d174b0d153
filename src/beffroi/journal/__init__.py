"""The tamper-evident journal of every action on video and configuration.

Each entry carries the SHA-256 of the previous one (`entries.py` documents the exact
serialisation); signed checkpoints (`keys.py`), written by a policy (`chain.py`: every
1000 entries and every 10 minutes of activity), and a signed head seal the chain so a
truncated tail or a rewritten history is detected; `verify.py` re-checks everything,
`publish.py` copies the checkpoints outside the database (a file, syslog, a daily mail)
for `journal verify --against`, `roles.py` prints the PostgreSQL grants that make the
journal append-only for the application, `retention.py` deletes old entries under a
sealed `journal.purge` entry, `query.py` reads and exports, `http.py` is the one-line
helper for route handlers. See docs/design/journal.md.
"""
