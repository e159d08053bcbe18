"""API tokens: generation, parsing and hashing. Only a hash of the secret is ever stored.

A token reads ``fg_<key id>_<secret>``. The key id (public, 12 hex) finds the row; the secret
(32 random bytes) is compared as a SHA-256 digest in constant time. High-entropy secrets need no
slow password hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = ["SCOPES", "NewToken", "generate_token", "parse_token", "secret_digest", "secrets_match"]

SCOPES = frozenset({"process", "subjects", "review", "admin"})
_TOKEN_RE = re.compile(r"^fg_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewToken:
    key_id: str
    secret: str

    @property
    def token(self) -> str:
        return f"fg_{self.key_id}_{self.secret}"


def generate_token() -> NewToken:
    return NewToken(key_id=secrets.token_hex(6), secret=secrets.token_urlsafe(32))


def parse_token(token: str) -> tuple[str, str] | None:
    """(key_id, secret) for a well-formed token, else None."""
    match = _TOKEN_RE.match(token)
    return (match.group(1), match.group(2)) if match else None


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def secrets_match(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(secret_digest(secret), stored_digest)
