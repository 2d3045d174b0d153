"""The password policy: accepted and refused passwords, with the reason."""

from __future__ import annotations

import pytest

from beffroi.access.passwords import (
    PasswordPolicyError,
    check_policy,
    common_passwords,
    generate_password,
)


@pytest.mark.parametrize(
    "password",
    [
        "Tr0mbone-Violet",  # 15, four classes
        "Kx7#mQ2!vLp9",  # 12, four classes
        "Ratatouille42Verte",  # 18, three classes
        "la tour du beffroi sonne minuit",  # passphrase
        "correct horse battery",  # 21, passphrase
    ],
)
def test_accepted(password: str) -> None:
    check_policy(password, "agent.martin")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Sh0rt!", "too_short"),
        ("Abcdefgh1234", "too_weak"),  # 12, three classes: needs 14
        ("abcdefghijklmno", "too_weak"),  # 15, one class
        ("Aa1!Aa1!Aa1!Aa1!", "too_repetitive"),
        ("password", "too_short"),
        ("Motdepasse2026!", "common"),  # letters spell a common password
        ("Azertyuiop123!", "common"),
        ("Qwertyuiop123456!", "common"),
        ("Beffroi-2026!", "common"),
        ("Joue-Les-Tours-37!", "common"),
        ("1234567890abcdefghij", "common"),
        ("Agent.Martin-2026!", "contains_username"),
        ("x" * 2000, "too_long"),
    ],
)
def test_refused_with_reason(password: str, code: str) -> None:
    with pytest.raises(PasswordPolicyError) as err:
        check_policy(password, "agent.martin")
    assert err.value.code == code, (password, err.value.code, str(err.value))
    assert str(err.value)


def test_common_list_is_shipped_and_covers_french_and_english() -> None:
    common = common_passwords()
    assert 10_000 <= len(common) <= 11_000
    assert {"123456", "password", "azerty", "motdepasse", "soleil", "beffroi"} <= common
    assert "chambray" in common and "jouelestours" in common


def test_generated_passwords_pass_the_policy() -> None:
    for _ in range(20):
        check_policy(generate_password(), "admin")
