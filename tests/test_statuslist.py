"""Bitstring Status List: round trips, and lists a verifier refuses to inflate or read."""

from __future__ import annotations

import base64
import gzip
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgepages.statuslist import MAX_STATUS_LIST_BYTES, encode_status_list, is_set


def encoded(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@given(st.sets(st.integers(0, 131_071), max_size=20), st.integers(0, 131_071))
def test_round_trip(indexes: set[int], index: int) -> None:
    assert is_set(encode_status_list(indexes), index) == (index in indexes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (encoded(gzip.compress(bytes(MAX_STATUS_LIST_BYTES + 1))),
         f"encodedList inflates past {MAX_STATUS_LIST_BYTES} bytes"),
        (encoded(gzip.compress(bytes(16))[:-9]), "encodedList is cut short"),
        (encoded(b"not gzip"), "encodedList is not GZIP: Error -3 while decompressing data: "
         "incorrect header check"),
        ("zabc", "encodedList must be multibase base64url (prefix 'u')"),
        (encoded(gzip.compress(bytes(16))), "index 200 is outside the status list"),
    ],
)  # fmt: skip
def test_unreadable_lists_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        is_set(text, 200)


def test_the_largest_list_allowed_is_read() -> None:
    text = encoded(gzip.compress(bytes(MAX_STATUS_LIST_BYTES - 1) + b"\x01"))
    assert is_set(text, MAX_STATUS_LIST_BYTES * 8 - 1)
