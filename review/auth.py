"""Staff passwords (argon2id), the session-signing key, and CSRF tokens."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from papertally.errors import ConfigError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (salted; safe to store)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when `password` matches `stored_hash`; never raises on a wrong password."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the user does not exist, so that a wrong name takes as long as a
# wrong password (no user enumeration by timing).
DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def load_secret_key(path: Path) -> str:
    """The session-signing key in `path`, created (64 random hex characters, mode 0600)
    when missing. Raises ConfigError if it cannot be read or created, or is too short."""
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
        key = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read or create the review secret key ({exc}); "
            "check [review] secret_key_file in the config"
        ) from None
    if len(key) < 32:
        raise ConfigError(
            f"{path}: the review secret key is too short (need 32+ characters)"
        )
    return key


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the one a form sent."""
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given)
