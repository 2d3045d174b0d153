"""Tampering with the database directly (as an attacker with SQL access would) is
detected, and the first bad entry is named by its seq."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from beffroi.clock import FakeClock
from beffroi.journal.chain import CheckpointPolicy, checkpoint
from beffroi.journal.entries import entry_hash
from beffroi.journal.keys import load_or_create_key, load_public_key
from beffroi.journal.verify import verify_journal
from tests.journal.helpers import fill, sql

POLICY = CheckpointPolicy(every_entries=5, every=timedelta(minutes=10))


def _journal(engine: Engine, clock: FakeClock, data_dir: Path, n: int = 12) -> None:
    fill(engine, clock, n, key=load_or_create_key(data_dir), policy=POLICY)


def _verify(engine: Engine, data_dir: Path) -> tuple[bool, int | None, str]:
    report = verify_journal(engine, load_public_key(data_dir))
    return report.ok, report.first_bad_seq, report.summary()


def test_intact_journal_verifies(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    _journal(engine, clock, data_dir)
    ok, bad, text = _verify(engine, data_dir)
    assert ok and bad is None, text
    assert "12 entries" in text and "2 checkpoints" in text


def test_edited_field_names_that_entry(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    _journal(engine, clock, data_dir)
    sql(engine, "UPDATE journal_entries SET camera_id = 'jlt-099' WHERE seq = 7")
    ok, bad, text = _verify(engine, data_dir)
    assert not ok and bad == 7, text
    assert "seq 7: content does not match its hash" in text


def test_edited_time_is_detected(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    _journal(engine, clock, data_dir)
    sql(engine, "UPDATE journal_entries SET time_ms = time_ms - 3600000 WHERE seq = 3")
    assert _verify(engine, data_dir)[:2] == (False, 3)


def test_edited_and_rehashed_entry_breaks_the_next_link(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    made = fill(engine, clock, 4)
    forged = made[1].hashed_values()
    forged = (*forged[:14], "someone.else")  # username is the last hashed key
    sql(
        engine,
        "UPDATE journal_entries SET username = 'someone.else', hash = :h WHERE seq = 2",
        h=entry_hash(forged),
    )
    ok, bad, text = _verify(engine, data_dir)
    assert not ok and bad == 3, text
    assert "prev_hash does not match the hash of seq 2" in text


def test_deleted_row_names_the_missing_seq(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    _journal(engine, clock, data_dir)
    sql(engine, "DELETE FROM journal_entries WHERE seq = 8")
    ok, bad, text = _verify(engine, data_dir)
    assert not ok and bad == 8, text
    assert "seq 8 deleted" in text


def test_deleted_first_rows_without_purge(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    _journal(engine, clock, data_dir)
    sql(engine, "DELETE FROM journal_entries WHERE seq <= 2")
    ok, bad, text = _verify(engine, data_dir)
    assert not ok and bad == 1, text
    assert "no sealed journal.purge" in text


def test_swapped_rows_name_the_lower_seq(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    _journal(engine, clock, data_dir)
    cols = "time_ms, username, camera_id, start_ms, end_ms, detail, prev_hash, hash"
    # Move row 4's content to seq 100, row 9's to 4, then 100's to 9: contents swapped.
    sql(
        engine,
        f"INSERT INTO journal_entries (seq, action, outcome, {cols}) "
        f"SELECT 100, action, outcome, {cols} FROM journal_entries WHERE seq = 4",
    )
    for dst, src in ((4, 9), (9, 100)):
        sets = ", ".join(f"{c} = (SELECT {c} FROM journal_entries WHERE seq = {src})" for c in
                         cols.split(", "))  # fmt: skip
        sql(engine, f"UPDATE journal_entries SET {sets} WHERE seq = {dst}")
    sql(engine, "DELETE FROM journal_entries WHERE seq = 100")
    ok, bad, text = _verify(engine, data_dir)
    assert not ok and bad == 4, text
    assert "seq 9:" in text


def test_truncated_tail_after_checkpoint(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    _journal(engine, clock, data_dir)  # checkpoints at 5 and 10
    # The attacker deletes the last entries and, to hide it, rewinds the head too.
    sql(engine, "DELETE FROM journal_entries WHERE seq >= 9")
    sql(
        engine,
        "UPDATE journal_head SET seq = 8, hash = (SELECT hash FROM journal_entries WHERE seq = 8)",
    )
    ok, bad, text = _verify(engine, data_dir)
    assert not ok and bad == 9, text
    assert "a signed checkpoint seals seq 10" in text


def test_truncated_unsealed_tail_is_caught_by_the_head(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    _journal(engine, clock, data_dir)
    sql(engine, "DELETE FROM journal_entries WHERE seq >= 11")  # after the last checkpoint
    ok, bad, text = _verify(engine, data_dir)
    assert not ok and bad == 11, text
    assert "the head says 12" in text


def test_forged_checkpoint_is_detected(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    _journal(engine, clock, data_dir)
    sql(engine, "UPDATE journal_checkpoints SET time_ms = time_ms + 1 WHERE seq = 5")
    ok, bad, text = _verify(engine, data_dir)
    assert not ok and bad == 5, text
    assert "signature is invalid" in text


def test_checkpoint_by_another_key_is_detected(
    engine: Engine, clock: FakeClock, data_dir: Path, tmp_path: Path
) -> None:
    _journal(engine, clock, data_dir)
    other = load_or_create_key(tmp_path / "elsewhere")
    clock.advance(1)
    fill(engine, clock, 1)
    checkpoint(engine, clock, other)
    ok, bad, text = _verify(engine, data_dir)
    assert not ok and bad == 13, text
    assert "signed by another key" in text


def test_missing_key_with_checkpoints_is_not_intact(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    _journal(engine, clock, data_dir)
    report = verify_journal(engine, None)
    assert not report.ok and report.first_bad_seq == 5
