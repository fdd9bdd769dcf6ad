"""argon2id password hashing."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified against when the username is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("lantian-dummy-password")

MIN_PASSWORD_LENGTH = 10


def configure_hasher(parameters: dict[str, int] | None) -> None:
    """Hash with these argon2 parameters from now on (``time_cost``, ``memory_cost`` in KiB, ``parallelism``);
    None: argon2-cffi's defaults.

    Called by the application factory with ``PASSWORD_HASH_PARAMETERS``. Production keeps the defaults;
    tests use the cheapest parameters. Hashes made with other parameters still verify (they carry their
    own) and are re-hashed at the next login (``needs_rehash``).
    """
    global _hasher, _DUMMY_HASH
    hasher = (
        PasswordHasher()
        if parameters is None
        else PasswordHasher(
            time_cost=parameters["time_cost"],
            memory_cost=parameters["memory_cost"],
            parallelism=parameters["parallelism"],
        )
    )
    if _cost(hasher) != _cost(_hasher):  # unchanged (production): keep the dummy hash made at import
        _hasher, _DUMMY_HASH = hasher, hasher.hash("lantian-dummy-password")


def _cost(hasher: PasswordHasher) -> tuple[int, int, int]:
    return hasher.time_cost, hasher.memory_cost, hasher.parallelism


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
