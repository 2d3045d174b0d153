"""Password hashing (argon2id) and the password policy.

The policy follows the CNIL's deliberation 2022-100 (passwords of about 80 bits of
entropy when no other factor limits guessing). A password is accepted when it is:

- at least 12 characters with the four classes (lower case, upper case, digit, other), or
- at least 14 characters with three of the four classes, or
- a passphrase of at least 20 characters (several words), any classes;

and it is refused, whatever its length, when it is one of the common passwords shipped
in `data/common-passwords.txt.gz` (the 10,000 most frequent of Django's list, from
breach corpora, plus French words, the communes of the centre and "beffroi"), when its
letters alone spell one of them ("Motdepasse2026!"), when it contains the username, or
when it repeats too few distinct characters.
"""

from __future__ import annotations

import gzip
import secrets
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
THREE_CLASS_LENGTH = 14
PASSPHRASE_LENGTH = 20
MIN_DISTINCT = 6
MAX_PASSWORD_LENGTH = 1024

# The password hash of an account whose agent has not chosen a password yet (an
# invitation not used): not an argon2 hash, so no password matches it.
NO_PASSWORD = "!invited"

# argon2-cffi's defaults are argon2id with the RFC 9106 low-memory profile.
_hasher = PasswordHasher()


class PasswordPolicyError(ValueError):
    """The password does not meet the policy: `code` for programs, the message in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class _Classes:
    lower: bool
    upper: bool
    digit: bool
    other: bool

    @property
    def count(self) -> int:
        return sum((self.lower, self.upper, self.digit, self.other))


def _classes(password: str) -> _Classes:
    return _Classes(
        lower=any(c.islower() for c in password),
        upper=any(c.isupper() for c in password),
        digit=any(c.isdigit() for c in password),
        other=any(not c.isalnum() for c in password),
    )


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lower case."""
    data = resources.files("beffroi.access").joinpath("data/common-passwords.txt.gz")
    text = gzip.decompress(data.read_bytes()).decode("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def check_policy(password: str, username: str | None = None) -> None:
    """Raise `PasswordPolicyError` when `password` breaks the policy (see module doc)."""
    length = len(password)
    if length > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError("too_long", f"at most {MAX_PASSWORD_LENGTH} characters")
    if length < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            "too_short", f"password too short: at least {MIN_PASSWORD_LENGTH} characters required"
        )
    classes = _classes(password).count
    strong_enough = (
        classes == 4
        or (length >= THREE_CLASS_LENGTH and classes >= 3)
        or length >= PASSPHRASE_LENGTH
    )
    if not strong_enough:
        raise PasswordPolicyError(
            "too_weak",
            f"use {MIN_PASSWORD_LENGTH}+ characters with lower case, upper case, digits and "
            f"symbols, or {THREE_CLASS_LENGTH}+ with three of these, or a passphrase of "
            f"{PASSPHRASE_LENGTH}+ characters",
        )
    if len(set(password)) < MIN_DISTINCT:
        raise PasswordPolicyError(
            "too_repetitive", f"at least {MIN_DISTINCT} different characters required"
        )
    lowered = password.lower()
    letters = "".join(c for c in lowered if c.isalpha())
    common = common_passwords()
    if lowered in common or letters in common:
        raise PasswordPolicyError("common", "this password is in the list of common passwords")
    name = (username or "").strip().lower()
    if len(name) >= 3 and name in lowered:
        raise PasswordPolicyError("contains_username", "the password must not contain the username")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if password_hash == NO_PASSWORD:
        # As slow as a real verification: timing does not tell invited accounts apart.
        burn_verification_time(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def burn_verification_time(password: str) -> None:
    """Spend the time of one verification, so an unknown username answers as slowly
    as a wrong password and response times do not reveal which usernames exist."""
    verify_password(_dummy_hash(), password)


def generate_password() -> str:
    """A strong random password (about 144 bits, 24 characters) for generated accounts."""
    while True:
        candidate = secrets.token_urlsafe(18)
        try:
            check_policy(candidate)
        except PasswordPolicyError:  # astronomically rare; draw again
            continue
        return candidate
