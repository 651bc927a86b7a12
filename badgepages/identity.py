"""Recipient identity: email normalisation, per-award salts, hashes, and new award ids."""

from __future__ import annotations

import base64
import hashlib
import secrets

# 20 base32 characters carry 100 random bits: above the 96 bits we promise, URL-safe, and
# lower-case only, so an id read aloud or typed from a printed CV cannot be mis-cased.
_AWARD_ID_BYTES = 13
_AWARD_ID_LENGTH = 20


def new_award_id() -> str:
    """Return a fresh permanent award id (100 random bits, lower-case base32)."""
    raw = secrets.token_bytes(_AWARD_ID_BYTES)
    return base64.b32encode(raw).decode("ascii").lower()[:_AWARD_ID_LENGTH]


def normalize_email(email: str) -> str:
    """Return the form of an email that is hashed: trimmed and lower-cased."""
    return email.strip().lower()


def award_salt(award_id: str) -> str:
    """Return the salt of an award's identity hash.

    It is derived from the permanent award id, so it never changes between builds and is
    unique per award; it is published beside the hash anyway (OB 2.0 IdentityObject.salt).
    """
    return hashlib.sha256(f"badgepages-salt:{award_id}".encode()).hexdigest()[:32]


def hash_identity(email: str, salt: str) -> str:
    """Return ``sha256$hex`` of the normalised email followed by the salt (OB 2.0 IdentityHash)."""
    digest = hashlib.sha256((normalize_email(email) + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"
