"""Bitstring Status List encoding (W3C Bitstring Status List v1.0 §2.1, §3.1)."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable

from badgepages.ledger import STATUS_LIST_SIZE


def encode_status_list(set_indexes: Iterable[int], size: int = STATUS_LIST_SIZE) -> str:
    """Return ``encodedList``: multibase base64url (no padding) of the GZIP of the bitstring.

    Index 0 is the left-most (most significant) bit of the first byte. GZIP's header time
    is fixed at 0 so that the same list always encodes to the same text.
    """
    bits = bytearray(size // 8)
    for index in set_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def is_set(encoded_list: str, index: int) -> bool:
    """Return the bit at ``index`` of an ``encodedList``."""
    if not encoded_list.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix 'u')")
    raw = encoded_list[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    if index < 0 or index >= len(bits) * 8:
        raise ValueError(f"index {index} is outside the status list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
