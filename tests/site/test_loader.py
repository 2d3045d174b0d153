"""Loading a site file: every problem at its exact line and field, warnings, YAML traps."""

from datetime import date
from pathlib import Path
from textwrap import dedent

import pytest

from beffroi.site.loader import load_site, load_site_text
from beffroi.site.problems import Problem, SiteError

TODAY = date(2026, 11, 26)

HEAD = """\
communes:
  - id: joue-les-tours
    name: Joué-lès-Tours
    districts: [Centre, La Rabière]
cameras:
"""  # lines 1-5; the first camera starts on line 6

GOOD_CAMERA = """\
  - id: jlt-001
    name: Place François Mitterrand
    commune: joue-les-tours
    district: Centre
    location: {lat: 47.3522, lon: 0.6633}
    stream: rtsp://127.0.0.1:8554/cam0
    retention: 15d
    view: close-up
    authorisation: {reference: "2019-37-0042", expires: 2029-06-30}
"""  # 9 lines


def errors_of(text: str) -> list[Problem]:
    with pytest.raises(SiteError) as info:
        load_site_text(text, file="site.yaml", today=TODAY)
    return info.value.problems


def where(problems: list[Problem]) -> list[tuple[int | None, str]]:
    return [(p.line, p.field) for p in problems]


def test_valid_file_loads_with_typed_values_and_defaults() -> None:
    loaded = load_site_text(HEAD + GOOD_CAMERA, today=TODAY)
    cam = loaded.site.cameras[0]
    assert cam.retention_s == 15 * 86400
    assert cam.legal_minima == (704, 576, 12)
    assert cam.authorisation is not None and cam.authorisation.expires == date(2029, 6, 30)
    assert cam.enabled is True
    assert loaded.site.recording.segment_seconds == 60
    assert loaded.site.recording.space_floor().percent == 5
    assert loaded.warnings == []


def test_retention_above_legal_maximum_names_line_field_and_camera() -> None:
    text = HEAD + GOOD_CAMERA.replace("retention: 15d", "retention: 45d")
    [problem] = errors_of(text)
    assert str(problem) == (
        "site.yaml:12: cameras[0].retention (jlt-001): retention 45d exceeds the legal "
        "maximum of 30 days (CSI L252-5)"
    )


def test_every_problem_is_reported_at_once_in_file_order() -> None:
    text = HEAD + dedent(
        """\
          - id: jlt-001
            name: A
            commune: joue
            stream: rtsp://127.0.0.1:8554/cam0
          - id: jlt-001
            name: B
            commune: joue-les-tours
            district: Centr
            stream: http://127.0.0.1/cam1
            retention: abc
            view: closeup
            location: {lat: 95, lon: 0.66}
          - name: C
            commune: joue-les-tours
            stream: rtsp://127.0.0.1:8554/cam2
            retension: 3d
        batiments: []
        """
    )
    problems = errors_of(text)
    assert where(problems) == [
        (8, "cameras[0].commune"),
        (10, "cameras[1].id"),
        (13, "cameras[1].district"),
        (14, "cameras[1].stream"),
        (15, "cameras[1].retention"),
        (16, "cameras[1].view"),
        (17, "cameras[1].location.lat"),
        (18, "cameras[2].id"),
        (21, "cameras[2].retension"),
        (22, "batiments"),
    ]
    messages = {p.field: p.message for p in problems}
    assert "unknown commune 'joue'" in messages["cameras[0].commune"]
    assert "already used on line 6" in messages["cameras[1].id"]
    assert "did you mean 'Centre'?" in messages["cameras[1].district"]
    assert "rtsp://" in messages["cameras[1].stream"]
    assert messages["cameras[1].retention"].startswith("not a duration: use e.g. 15d, 36h, 90m")
    assert "close-up" in messages["cameras[1].view"]
    assert "maximum is 90" in messages["cameras[1].location.lat"]
    assert messages["cameras[2].id"] == "'id' is required but missing"
    assert "did you mean 'retention'?" in messages["cameras[2].retension"]
    assert messages["batiments"].startswith("unknown section 'batiments'")
    assert [p.subject for p in problems[:3]] == ["jlt-001", "jlt-001", "jlt-001"]


def test_duplicate_commune_and_repeated_key() -> None:
    text = dedent(
        """\
        communes:
          - id: joue-les-tours
            name: Joué-lès-Tours
          - id: joue-les-tours
            name: Joué encore
        cameras:
          - id: jlt-001
            name: A
            name: B
            commune: joue-les-tours
            stream: rtsp://127.0.0.1:8554/cam0
        """
    )
    problems = errors_of(text)
    assert where(problems) == [(4, "communes[1].id"), (9, "cameras[0].name")]
    assert "already used on line 2" in problems[0].message
    assert problems[1].message == "'name' is given twice (first on line 8): keep only one"


def test_wrong_types_in_words() -> None:
    text = HEAD + dedent(
        """\
          - id: jlt-001
            name: A
            commune: joue-les-tours
            stream: rtsp://127.0.0.1:8554/cam0
            enabled: perhaps
            direction: north
            authorisation: {reference: "2019-37-0042", expires: 30/06/2029}
            location: [47.35, 0.66]
        recording:
          segment_seconds: 5
          free_space_floor: lots
        """
    )
    problems = errors_of(text)
    assert where(problems) == [
        (10, "cameras[0].enabled"),
        (11, "cameras[0].direction"),
        (12, "cameras[0].authorisation.expires"),
        (13, "cameras[0].location"),
        (15, "recording.segment_seconds"),
        (16, "recording.free_space_floor"),
    ]
    words = [p.message for p in problems]
    assert words[0].startswith("must be true or false")
    assert words[1].startswith("must be a number")
    assert words[2].startswith("must be a date written like 2029-06-30")
    assert words[3].startswith("must be a group of keys")
    assert words[4] == "5 is too small: the minimum is 10"
    assert words[5].startswith("not a size")


def test_yaml_syntax_error_has_line_and_column() -> None:
    text = "communes:\n  - id: a\n    name: [unclosed\ncameras: []\n"
    [problem] = errors_of(text)
    assert problem.line == 4 and problem.column == 8
    assert problem.message.startswith("YAML syntax error at column 8")


def test_tab_indentation_is_explained() -> None:
    [problem] = errors_of("communes:\n\t- id: a\n")
    assert problem.line == 2
    assert "indent with spaces, not tabs" in problem.message


@pytest.mark.parametrize("text", ["", "\n# only a comment\n"])
def test_empty_file(text: str) -> None:
    [problem] = errors_of(text)
    assert problem.line == 1 and "empty" in problem.message


def test_not_a_mapping_and_missing_communes() -> None:
    [problem] = errors_of("- a\n- b\n")
    assert "made of sections" in problem.message
    [problem] = errors_of("cameras: []\n")
    assert (problem.line, problem.field) == (1, "communes")


def test_warnings_for_location_authorisation_and_clear_password() -> None:
    expiring = GOOD_CAMERA.replace("2029-06-30", "2027-01-20")
    bare = (
        "  - id: jlt-002\n"
        "    name: Sans rien\n"
        "    commune: joue-les-tours\n"
        "    stream: rtsp://op:secret@127.0.0.1:8554/cam1\n"
        "  - id: jlt-003\n"
        "    name: Expirée\n"
        "    commune: joue-les-tours\n"
        "    location: {lat: 47.35, lon: 0.66}\n"
        "    stream: rtsp://127.0.0.1:8554/cam0\n"
        '    authorisation: {reference: "2019-37-0001", expires: 2026-11-25}\n'
    )
    loaded = load_site_text(HEAD + expiring + bare, file="site.yaml", today=TODAY)
    got = [(w.line, w.field, w.subject) for w in loaded.warnings]
    assert got == [
        (14, "cameras[0].authorisation.expires", "jlt-001"),
        (15, "cameras[1]", "jlt-002"),
        (15, "cameras[1]", "jlt-002"),
        (18, "cameras[1].stream", "jlt-002"),
        (23, "cameras[2].stream", "jlt-003"),
        (24, "cameras[2].authorisation.expires", "jlt-003"),
    ]
    text = "\n".join(str(w) for w in loaded.warnings)
    assert "expires on 2027-01-20, in 55 days" in text
    assert "no location" in text and "no prefectoral authorisation" in text
    assert "password is written in clear" in text
    assert "also used on line 11" in text  # jlt-003 records jlt-001's stream
    assert "expired on 2026-11-25" in text
    assert "secret" not in text
    assert str(loaded.warnings[0]).startswith("site.yaml:14: warning: cameras[0]")


def test_authorisation_beyond_90_days_gives_no_warning() -> None:
    text = HEAD + GOOD_CAMERA.replace("2029-06-30", "2027-02-25")  # 91 days after TODAY
    assert load_site_text(text, today=TODAY).warnings == []
    assert len(load_site_text(text, today=date(2026, 11, 27)).warnings) == 1


def test_yaml_values_read_as_a_person_means_them() -> None:
    text = dedent(
        """\
        communes:
          - id: ain
            name: Ambérieu
            insee: 01004
            districts: [No, On, Yes]
        cameras:
          - id: 007
            name: 2024
            commune: ain
            district: No
            stream: rtsp://127.0.0.1/cam
            location: {lat: 46, lon: 5}
            authorisation: {reference: 2019-37-0042, expires: "2029-06-30"}
        """
    )
    site = load_site_text(text, today=TODAY).site
    assert site.communes[0].insee == "01004"
    assert site.communes[0].districts == ["No", "On", "Yes"]
    cam = site.cameras[0]
    assert (cam.id, cam.name, cam.district) == ("007", "2024", "No")
    assert cam.authorisation is not None and cam.authorisation.reference == "2019-37-0042"


def test_username_conflict_and_two_password_sources() -> None:
    text = HEAD + dedent(
        """\
          - id: jlt-001
            name: A
            commune: joue-les-tours
            stream: rtsp://admin:pw@127.0.0.1/cam
            username: operator
            password_env: 1PASSWORD
        """
    )
    problems = errors_of(text)
    assert where(problems) == [
        (10, "cameras[0].username"),
        (11, "cameras[0].password_env"),
        (11, "cameras[0].password_env"),
    ]
    assert "not both" in problems[1].message or "not both" in problems[2].message
    assert any("environment variable name" in p.message for p in problems)


def test_conventions_refer_to_declared_communes() -> None:
    text = (
        HEAD
        + GOOD_CAMERA
        + dedent(
            """\
        conventions:
          - id: csu-sud
            name: CSU du sud
            communes: [joue-les-tours, chambray]
        """
        )
    )
    [problem] = errors_of(text)
    assert (problem.line, problem.field) == (18, "conventions[0].communes[1]")
    assert "unknown commune 'chambray'" in problem.message


def test_load_site_from_a_file_and_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(HEAD + GOOD_CAMERA, encoding="utf-8")
    assert load_site(path, today=TODAY).site.cameras[0].id == "jlt-001"
    with pytest.raises(SiteError, match="cannot read the file"):
        load_site(tmp_path / "missing.yaml")
    path.write_bytes(b"communes:\n  - name: Jou\xe9\n")
    with pytest.raises(SiteError, match=r"site.yaml:2: the file is not UTF-8"):
        load_site(path)
