"""Bitstring Status List encoding (W3C Bitstring Status List v1.0 §2.1, §3.1)."""

from __future__ import annotations

import base64
import gzip
import zlib
from collections.abc import Iterable
from typing import Final

from badgepages.ledger import STATUS_LIST_SIZE

# 16 Mi entries, 128 times the spec's minimum of 131,072 (kept for herd privacy): more than
# any issuer needs, and a bound on what a hostile list can make a verifier inflate.
MAX_STATUS_LIST_BYTES: Final = 2**21


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
    """Return the bit at ``index`` of an ``encodedList``; refuse one inflating past the limit."""
    if not encoded_list.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix 'u')")
    raw = encoded_list[1:]
    compressed = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    # wbits 16 + 15: a GZIP stream (§2.1); max_length bounds what a small list may inflate to.
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        bits = inflater.decompress(compressed, MAX_STATUS_LIST_BYTES)
    except zlib.error as error:
        raise ValueError(f"encodedList is not GZIP: {error}") from None
    if inflater.unconsumed_tail:
        raise ValueError(f"encodedList inflates past {MAX_STATUS_LIST_BYTES} bytes")
    if not inflater.eof:
        raise ValueError("encodedList is cut short")
    if index < 0 or index >= len(bits) * 8:
        raise ValueError(f"index {index} is outside the status list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
