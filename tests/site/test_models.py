"""The schema documents itself, and YAML anchors work as an administrator expects."""

from datetime import date

import pytest
from pydantic import BaseModel

from beffroi.site import models
from beffroi.site.loader import load_site_text
from beffroi.site.problems import SiteError

MODELS: list[type[BaseModel]] = [
    models.Site,
    models.Commune,
    models.Camera,
    models.Location,
    models.Authorisation,
    models.Convention,
    models.RecordingSettings,
]


def test_every_field_has_a_description_and_extra_keys_are_refused() -> None:
    for model in MODELS:
        assert model.model_config.get("extra") == "forbid", model.__name__
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no description"
    schema = models.Site.model_json_schema()
    assert "30d" in schema["$defs"]["Camera"]["properties"]["retention"]["description"]


def test_merge_keys_share_defaults_without_counting_as_repeated_keys() -> None:
    text = (
        "communes:\n"
        "  - id: c\n"
        "    name: C\n"
        "x-defaults: &defaults\n"
        "  commune: c\n"
        "  retention: 10d\n"
        "cameras:\n"
        "  - <<: *defaults\n"
        "    id: a\n"
        "    name: A\n"
        "    stream: rtsp://h/a\n"
        "    retention: 45d\n"
    )
    with pytest.raises(SiteError) as info:
        load_site_text(text, today=date(2026, 11, 1))
    got = [(p.line, p.field) for p in info.value.problems]
    # The unknown section is refused; the override of a merged key is not a repetition,
    # and the error on the override points at its own line.
    assert got == [(4, "x-defaults"), (12, "cameras[0].retention")]
