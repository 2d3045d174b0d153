"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12

# argon2-cffi's defaults are argon2id with the RFC 9106 low-memory profile.
_hasher = PasswordHasher()


class PasswordPolicyError(ValueError):
    """The password does not meet the policy; the message says why, in words."""


def check_policy(password: str) -> None:
    # Minimal for now; the rights issue adds character classes and a breached-list check.
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            f"password too short: at least {MIN_PASSWORD_LENGTH} characters required"
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
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
    """A strong random password (about 144 bits) for the first administrator."""
    return secrets.token_urlsafe(18)
