"""The issuer's signing keys: public keys recorded in ``keys.yaml``, the private key from CI.

The private key is read only from the ``BADGEPAGES_SIGNING_KEY`` environment variable or a
file named on the command line (by :mod:`badgepages.cli`); it never reaches the output, the
repository, logs or messages. ``keys.yaml`` lists every public key ever used: the newest
active key signs, and retired keys stay in the DID document so that what they signed keeps
verifying.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import Field

from badgepages.diagnostics import Diagnostic
from badgepages.models import IsoDate, _Source, validate_document
from badgepages.multibase import MultibaseError, decode_public_key
from badgepages.signing import (
    SecretKeyError,
    SigningKey,
    VerificationKey,
    export_secret_key,
    generate_signing_key,
    parse_secret_key,
    public_key_multibase,
)
from badgepages.sources import read_yaml
from badgepages.transaction import source_edit

KEYS_FILE = "keys.yaml"
SECRET_VARIABLE = "BADGEPAGES_SIGNING_KEY"
# A secretKeyMultibase is under 100 characters; a key file is never read further than this.
_MAX_SECRET_FILE_BYTES = 4096
_HEADER = """\
# yaml-language-server: $schema=schemas/keys.schema.json
# Public signing keys of this issuer, newest last. `badgepages keygen` adds one; the private
# key is stored only as the CI secret BADGEPAGES_SIGNING_KEY, never in this repository.
# Never delete a key: retire it (retired_on) so that what it signed keeps verifying.
"""


class KeySource(_Source):
    """One public key of the issuer."""

    id: str = Field(pattern=r"^key-[a-z0-9-]+$", description="Fragment of the key's DID URL")
    public_key_multibase: str = Field(pattern=r"^z6Mk[1-9A-HJ-NP-Za-km-z]+$")
    valid_from: IsoDate
    retired_on: IsoDate | None = None


class KeysSource(_Source):
    """``keys.yaml``: every public key the issuer has signed with."""

    keys: list[KeySource] = Field(default_factory=list)


@dataclass(frozen=True)
class IssuerKey:
    """A public key of the issuer, as listed in keys.yaml."""

    fragment: str
    public_key_multibase: str
    valid_from: date
    retired_on: date | None

    def verification_key(self, did: str) -> VerificationKey:
        """Return the key as a verification method of the issuer's DID."""
        return VerificationKey.from_multibase(f"{did}#{self.fragment}", self.public_key_multibase)


class SigningSetupError(Exception):
    """Raised when the private key given does not fit keys.yaml; the message names no secret."""


def load_keys(root: Path) -> tuple[tuple[IssuerKey, ...], list[Diagnostic]]:
    """Read keys.yaml (absent means no key yet); return the keys and any problems."""
    file = root / KEYS_FILE
    if not file.is_file():
        return (), []
    document, problems = read_yaml(file, KEYS_FILE)
    if document is None:
        return (), problems
    source, errors = validate_document(document, KeysSource)
    if source is None:
        return (), problems + errors
    keys = tuple(
        IssuerKey(k.id, k.public_key_multibase, k.valid_from, k.retired_on) for k in source.keys
    )
    for index, key in enumerate(source.keys):
        try:
            decode_public_key(key.public_key_multibase)
        except MultibaseError as exc:
            location = document.locate(("keys", index, "public_key_multibase"))
            problems.append(Diagnostic(location, f"not an Ed25519 Multikey: {exc.reason}"))
    fragments = [k.fragment for k in keys]
    for index, fragment in enumerate(fragments):
        if fragment in fragments[:index]:
            location = document.locate(("keys", index, "id"))
            problems.append(Diagnostic(location, f"duplicate key id '{fragment}'"))
    return keys, problems


def active_key(keys: tuple[IssuerKey, ...]) -> IssuerKey | None:
    """Return the newest key that is not retired: the one that signs."""
    active = [key for key in keys if key.retired_on is None]
    return max(active, key=lambda k: (k.valid_from, keys.index(k))) if active else None


def signing_key(secret: str, keys: tuple[IssuerKey, ...], did: str) -> SigningKey:
    """Return the signing key for a secret, checking it is the newest active key in keys.yaml."""
    try:
        private_key = parse_secret_key(secret.strip())
    except SecretKeyError:
        raise SigningSetupError(
            f"{SECRET_VARIABLE} is not a badgepages signing key (expected the text that "
            "'badgepages keygen' printed)"
        ) from None
    public = public_key_multibase(private_key.public_key())
    newest = active_key(keys)
    matching = [key for key in keys if key.public_key_multibase == public]
    if not matching:
        raise SigningSetupError(
            f"the signing key's public key {public} is not listed in {KEYS_FILE}: "
            "run 'badgepages keygen' and commit keys.yaml, or set the right secret"
        )
    if newest is None or matching[0] != newest:
        raise SigningSetupError(
            f"the signing key is '{matching[0].fragment}' but the newest active key in "
            f"{KEYS_FILE} is '{newest.fragment if newest else 'none'}': sign with the newest key"
        )
    return SigningKey(f"{did}#{newest.fragment}", private_key)


def read_secret_file(file: Path) -> str:
    """Return the private key a file holds; say what is wrong without ever echoing its bytes."""
    try:
        with file.open("rb") as stream:
            data = stream.read(_MAX_SECRET_FILE_BYTES + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SigningSetupError(f"cannot read the signing key file {file}: {reason}") from None
    not_a_key = SigningSetupError(
        f"{file} does not hold a badgepages signing key (expected the text that "
        "'badgepages keygen' printed)"
    )
    if len(data) > _MAX_SECRET_FILE_BYTES or not data.isascii():
        raise not_a_key
    secret = data.decode("ascii").strip()
    try:
        parse_secret_key(secret)
    except SecretKeyError:
        raise not_a_key from None
    return secret


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: the secret to print once, its public key, and keys.yaml's text."""

    secret: str = field(repr=False)
    key: IssuerKey
    keys_text: str


def new_key(root: Path, today: date) -> NewKey:
    """Create a key pair and the keys.yaml text that records its public key; write nothing."""
    keys, problems = load_keys(root)
    if problems:
        raise SigningSetupError(f"{KEYS_FILE} has problems: run 'badgepages check'")
    fragment = f"key-{today.isoformat()}"
    taken = {key.fragment for key in keys}
    suffix = 2
    while fragment in taken:
        fragment = f"key-{today.isoformat()}-{suffix}"
        suffix += 1
    generated = generate_signing_key(fragment)
    key = IssuerKey(fragment, generated.public_key_multibase, today, None)
    return NewKey(export_secret_key(generated), key, _with_key(root / KEYS_FILE, key))


def add_new_key(root: Path, today: date) -> tuple[str, IssuerKey]:
    """Create a key pair, record its public key in keys.yaml; return the secret and the key."""
    with source_edit(root, "keygen") as edit:
        created = new_key(root, today)
        edit.write(root / KEYS_FILE, created.keys_text)
        edit.commit()
    return created.secret, created.key


def _with_key(file: Path, key: IssuerKey) -> str:
    # The round-trip parser, for keygen only: importing it took 30 ms of every build.
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    text = file.read_text(encoding="utf-8") if file.is_file() else _HEADER + "keys: []\n"
    document = yaml.load(text)
    entries = document.get("keys")
    if not isinstance(entries, CommentedSeq) or not entries:
        entries = CommentedSeq()
        document["keys"] = entries
    entry = CommentedMap()
    entry["id"] = key.fragment
    entry["public_key_multibase"] = key.public_key_multibase
    entry["valid_from"] = key.valid_from
    entries.append(entry)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()
