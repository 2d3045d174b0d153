"""`docs/ref/schema.md` says what the tables are: regenerated, it must not change."""

from __future__ import annotations

from pathlib import Path

from beffroi.db.base import metadata
from beffroi.db.schema_doc import render

PAGE = Path(__file__).resolve().parents[2] / "docs" / "ref" / "schema.md"


def test_the_schema_reference_is_in_step_with_the_tables() -> None:
    page = render()
    assert PAGE.read_text() == page, (
        "docs/ref/schema.md is out of date: run `make schema-doc` (python -m "
        "beffroi.db.schema_doc > docs/ref/schema.md) and commit it"
    )
    for table in metadata.tables.values():  # every table, every column, an owner each
        assert f"### `{table.name}`" in page
        assert "## `?`" not in page
        for column in table.columns:
            assert f"| `{column.name}` |" in page
