"""The committed site-file reference is what the models say (docs cannot drift)."""

from pathlib import Path

from beffroi.site.reference import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "ref" / "site-file.md"


def test_reference_page_matches_the_models() -> None:
    assert DOC.read_text() == render(), (
        "docs/ref/site-file.md is stale: run "
        "`python -m beffroi.site.reference > docs/ref/site-file.md`"
    )


def test_every_key_of_the_minimal_example_is_documented() -> None:
    text = render()
    for key in ("id", "name", "commune", "district", "location", "stream", "retention", "view"):
        assert f"| `{key}` |" in text
