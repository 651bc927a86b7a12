"""Recipient identity: email normalisation, per-award salts, hashes, and new award ids."""

from __future__ import annotations

import base64
import hashlib
import secrets
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

# 20 base32 characters carry 100 random bits: above the 96 bits we promise, URL-safe, and
# lower-case only, so an id read aloud or typed from a printed CV cannot be mis-cased.
_AWARD_ID_BYTES = 13
_AWARD_ID_LENGTH = 20


def new_award_id() -> str:
    """Return a fresh permanent award id (100 random bits, lower-case base32)."""
    raw = secrets.token_bytes(_AWARD_ID_BYTES)
    return base64.b32encode(raw).decode("ascii").lower()[:_AWARD_ID_LENGTH]


class EmailError(ValueError):
    """Raised for a text that is not an email address; says why, in email-validator's words."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@lru_cache(maxsize=1024)  # checking a file, then normalising its address, parses it once
def parse_email(email: str) -> str:
    """Return an address in email-validator's normal form, or raise EmailError.

    Syntax only, with no network: no quoted local part, no IP address as domain, at most
    254 characters; the domain is IDNA-normalised (``ÉCOLE.fr`` → ``école.fr``) and the
    local part NFC-normalised.
    """
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise EmailError(str(error)) from None


def normalize_email(email: str) -> str:
    """Return the form of an email that is hashed and compared: trimmed, normalised, lower-cased.

    Raises EmailError if it is not an address; the sources' models refuse those first.
    """
    return parse_email(email.strip()).lower()


def award_salt(award_id: str) -> str:
    """Return the salt of an award's identity hash.

    It is derived from the permanent award id, so it never changes between builds and is
    unique per award; it is published beside the hash anyway (OB 2.0 IdentityObject.salt).
    """
    return hashlib.sha256(f"badgepages-salt:{award_id}".encode()).hexdigest()[:32]


def hash_identity(email: str, salt: str) -> str:
    """Return ``sha256$hex`` of a normalised email followed by the salt (OB 2.0 IdentityHash).

    ``email`` is already in the form :func:`normalize_email` gives (recipients keep it so):
    parsing it again for each of 100,000 awards would cost seconds.
    """
    digest = hashlib.sha256((email + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"
