"""Staff password hashing with argon2id (argon2-cffi), behind the PasswordHasher port."""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from rocket_core.ports import PasswordHasher


class Argon2PasswordHasher(PasswordHasher):
    """argon2id with argon2-cffi's recommended parameters (RFC 9106 low-memory profile).

    ``fast=True`` uses the library's test parameters: for tests only, never production.
    """

    def __init__(self, *, fast: bool = False) -> None:
        if fast:
            self._hasher = argon2.PasswordHasher(
                time_cost=1, memory_cost=8, parallelism=1, hash_len=16, salt_len=8
            )
        else:
            self._hasher = argon2.PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True
