"""Multibase base58btc and Multikey encodings for Ed25519 keys and signatures."""

from __future__ import annotations

# Bitcoin base58 alphabet; multibase prefix "z" selects it (Multibase §base58btc).
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}
_BASE58BTC_PREFIX = "z"

# Multicodec varint headers: ed25519-pub = 0xed, ed25519-priv = 0x1300 (VC-DI-EdDSA §2.1.1).
ED25519_PUB_HEADER = b"\xed\x01"
ED25519_PRIV_HEADER = b"\x80\x26"
ED25519_KEY_LENGTH = 32


class MultibaseError(ValueError):
    """A multibase or Multikey value could not be decoded."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"{reason}: {value[:60]!r}")
        self.value = value
        self.reason = reason


def b58encode(data: bytes) -> str:
    """Encode bytes as base58 (bitcoin alphabet), keeping leading zero bytes as '1'."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(_ALPHABET[rest])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Decode base58 (bitcoin alphabet) text to bytes."""
    number = 0
    for char in text:
        value = _INDEX.get(char)
        if value is None:
            raise MultibaseError(text, f"invalid base58 character {char!r}")
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body


def encode_multibase(data: bytes) -> str:
    """Encode bytes as a multibase base58btc string ("z" + base58)."""
    return _BASE58BTC_PREFIX + b58encode(data)


def decode_multibase(value: str) -> bytes:
    """Decode a multibase base58btc string; other multibase encodings are refused."""
    if not value.startswith(_BASE58BTC_PREFIX):
        raise MultibaseError(value, "multibase value must use base58btc (prefix 'z')")
    return b58decode(value[1:])


def _encode_key(header: bytes, key: bytes) -> str:
    if len(key) != ED25519_KEY_LENGTH:
        raise ValueError(f"Ed25519 keys are {ED25519_KEY_LENGTH} bytes, got {len(key)}")
    return encode_multibase(header + key)


def _decode_key(header: bytes, value: str, lengths: tuple[int, ...]) -> bytes:
    raw = decode_multibase(value)
    if raw[: len(header)] != header:
        raise MultibaseError(value, f"multicodec header must be 0x{header.hex()}")
    key = raw[len(header) :]
    if len(key) not in lengths:
        raise MultibaseError(value, f"Ed25519 key must be {ED25519_KEY_LENGTH} bytes")
    return key


def encode_public_key(public_key: bytes) -> str:
    """Encode a raw Ed25519 public key as Multikey publicKeyMultibase ("z6Mk...")."""
    return _encode_key(ED25519_PUB_HEADER, public_key)


def decode_public_key(value: str) -> bytes:
    """Decode Multikey publicKeyMultibase to the raw 32-byte Ed25519 public key."""
    return _decode_key(ED25519_PUB_HEADER, value, (ED25519_KEY_LENGTH,))


def encode_secret_key(seed: bytes) -> str:
    """Encode a raw 32-byte Ed25519 seed as Multikey secretKeyMultibase ("z3u2...")."""
    return _encode_key(ED25519_PRIV_HEADER, seed)


def decode_secret_key(value: str) -> tuple[bytes, bytes | None]:
    """Decode secretKeyMultibase to (seed, embedded public key or None).

    Besides the 32-byte seed form, accept the legacy seed||public-key form (64 bytes) that
    older Digital Bazaar tools and the OB 3.0 test vector use.
    """
    key = _decode_key(ED25519_PRIV_HEADER, value, (ED25519_KEY_LENGTH, 2 * ED25519_KEY_LENGTH))
    return key[:ED25519_KEY_LENGTH], key[ED25519_KEY_LENGTH:] or None
