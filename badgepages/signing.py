"""Data Integrity proofs (DataIntegrityProof, eddsa-rdfc-2022) over Ed25519 Multikeys."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from badgepages import jsonld
from badgepages.multibase import (
    MultibaseError,
    decode_multibase,
    decode_public_key,
    decode_secret_key,
    encode_multibase,
    encode_public_key,
    encode_secret_key,
)

PROOF_TYPE: Final = "DataIntegrityProof"
CRYPTOSUITE: Final = "eddsa-rdfc-2022"
PROOF_PURPOSE: Final = "assertionMethod"
_SIGNATURE_LENGTH: Final = 64

# XMLSCHEMA11-2 dateTimeStamp (timezone required), as VC-DI §2.1 requires for "created".
_DATE_TIME_STAMP: Final = re.compile(
    r"-?(?:[1-9][0-9]{3,}|0[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?|24:00:00(?:\.0+)?)"
    r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)

JsonObject = dict[str, Any]


class UnsafeCredentialError(ValueError):
    """The credential uses terms or IRIs that JS verifiers (jsonld safe mode) reject."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("credential would not verify in JSON-LD safe mode: " + "; ".join(problems))
        self.problems = tuple(problems)


class ProofOptionsError(ValueError):
    """Proof options passed to sign_credential are invalid."""

    def __init__(self, option: str, value: object, reason: str) -> None:
        super().__init__(f"invalid proof option {option}={value!r}: {reason}")
        self.option = option
        self.value = value


class SecretKeyError(ValueError):
    """A serialised signing key could not be parsed."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid Ed25519 secret key: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key and the verification method URL that names its public key."""

    verification_method: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @property
    def public_key_multibase(self) -> str:
        """Multikey publicKeyMultibase of this key ("z6Mk...")."""
        return public_key_multibase(self.private_key.public_key())

    def verification_key(self) -> VerificationKey:
        """Return the public half as a VerificationKey with no validity limits."""
        return VerificationKey(self.verification_method, self.private_key.public_key())


@dataclass(frozen=True)
class VerificationKey:
    """A public key with the period in which proofs created with it are accepted."""

    id: str
    public_key: Ed25519PublicKey
    valid_from: str | None = None
    valid_until: str | None = None

    @classmethod
    def from_multibase(
        cls,
        id: str,
        public_key_multibase: str,
        valid_from: str | None = None,
        valid_until: str | None = None,
    ) -> VerificationKey:
        """Build a VerificationKey from a Multikey publicKeyMultibase value."""
        raw = decode_public_key(public_key_multibase)
        return cls(id, Ed25519PublicKey.from_public_bytes(raw), valid_from, valid_until)

    def accepts(self, created: str) -> bool:
        """Tell whether a proof created at `created` falls in this key's validity period."""
        if self.valid_from is None and self.valid_until is None:
            return True
        moment = _parse_date_time(created)
        if self.valid_from is not None and moment < _parse_date_time(self.valid_from):
            return False
        return self.valid_until is None or moment < _parse_date_time(self.valid_until)


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of verify_credential; truthy only when every proof verified."""

    verified: bool
    reason: str | None = None
    problems: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.verified


KeyResolver = Callable[[str], "VerificationKey | bytes"]


# --- keys -------------------------------------------------------------------------------


def generate_signing_key(verification_method: str) -> SigningKey:
    """Generate a new Ed25519 signing key named by verification_method."""
    return SigningKey(verification_method, Ed25519PrivateKey.generate())


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """Encode an Ed25519 public key as Multikey publicKeyMultibase."""
    return encode_public_key(_raw_public(public_key))


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def export_secret_key(key: SigningKey | Ed25519PrivateKey) -> str:
    """Serialise a private key as Multikey secretKeyMultibase (for a CI secret)."""
    private_key = key.private_key if isinstance(key, SigningKey) else key
    seed = private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return encode_secret_key(seed)


def parse_secret_key(text: str) -> Ed25519PrivateKey:
    """Parse a secretKeyMultibase string (surrounding whitespace allowed) to a private key."""
    try:
        seed, embedded_public = decode_secret_key(text.strip())
    except MultibaseError as error:
        raise SecretKeyError(error.reason) from None
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    if embedded_public is not None and embedded_public != _raw_public(private_key.public_key()):
        raise SecretKeyError("embedded public key does not match the seed")
    return private_key


def load_signing_key(verification_method: str, secret: str) -> SigningKey:
    """Build a SigningKey from a verification method URL and a secretKeyMultibase string."""
    return SigningKey(verification_method, parse_secret_key(secret))


# --- hashing (VC-DI-EdDSA §3.3) ---------------------------------------------------------


def _parse_date_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _is_date_time_stamp(value: object) -> bool:
    return isinstance(value, str) and _DATE_TIME_STAMP.fullmatch(value) is not None


@lru_cache(maxsize=256)
def _proof_config_hash(
    options_json: str, context_json: str, loader: jsonld.OfflineDocumentLoader
) -> bytes:
    # VC-DI-EdDSA §3.3.5 Proof Configuration: the options with the document's @context,
    # canonicalised with RDFC-1.0. Cached because a build signs many credentials with the
    # same created/verificationMethod/@context.
    config = {"@context": json.loads(context_json), **json.loads(options_json)}
    return _checked_canonical_hash(config, loader)


def _json_key(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _checked_canonical_hash(doc: Mapping[str, Any], loader: jsonld.OfflineDocumentLoader) -> bytes:
    """SHA-256 of the RDFC-1.0 canonical form (§3.3.3, §3.3.4), refusing unsafe JSON-LD."""
    try:
        canonical = jsonld.canonize_safe(doc, loader)
    except jsonld.SafeModeError as error:
        raise UnsafeCredentialError(list(error.problems)) from None
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def hash_data(
    unsecured: Mapping[str, Any],
    proof_options: Mapping[str, Any],
    loader: jsonld.OfflineDocumentLoader = jsonld.DEFAULT_LOADER,
) -> bytes:
    """Return proofConfigHash || documentHash (VC-DI-EdDSA §3.3.4) for a document."""
    document_hash = _checked_canonical_hash(unsecured, loader)
    return _proof_config_hash_for(unsecured, proof_options, loader) + document_hash


def _proof_config_hash_for(
    unsecured: Mapping[str, Any],
    proof_options: Mapping[str, Any],
    loader: jsonld.OfflineDocumentLoader,
) -> bytes:
    return _proof_config_hash(
        _json_key(dict(proof_options)), _json_key(unsecured.get("@context")), loader
    )


# --- sign -------------------------------------------------------------------------------


def _proof_options(key: SigningKey, created: str) -> JsonObject:
    if not _is_date_time_stamp(created):
        raise ProofOptionsError("created", created, "must be an XML Schema dateTimeStamp")
    return {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": key.verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }


def sign_credential(
    credential: Mapping[str, Any],
    key: SigningKey,
    created: str,
    *,
    loader: jsonld.OfflineDocumentLoader = jsonld.DEFAULT_LOADER,
) -> JsonObject:
    """Return a copy of credential with a one-element `proof` list (eddsa-rdfc-2022)."""
    if "proof" in credential:
        raise ProofOptionsError("proof", "present", "sign the unsecured credential")
    options = _proof_options(key, created)
    # VC-DI-EdDSA §3.3.1 Create Proof: proofBytes = Ed25519(proofConfigHash || documentHash).
    signature = key.private_key.sign(hash_data(credential, options, loader))
    proof = {**options, "proofValue": encode_multibase(signature)}
    # OB 3.0 JSON schema requires `proof` to be an array.
    return {**credential, "proof": [proof]}


# --- verify -----------------------------------------------------------------------------


_JSONLD_ERRORS: Final = (
    UnsafeCredentialError,
    jsonld.JsonLdProcessingError,
    jsonld.ContextNotBundledError,
)


def _failure(reason: str, problems: list[str] | None = None) -> VerificationResult:
    return VerificationResult(False, reason, tuple(problems or ()))


def _proof_shape_error(proof: JsonObject, expected_purpose: str) -> str | None:
    """Check VC-DI §4.3 / VC-DI-EdDSA §3.3.2 preconditions on one proof object."""
    expected = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "proofPurpose": expected_purpose}
    for name, value in expected.items():
        if proof.get(name) != value:
            return f"proof {name} is {proof.get(name)!r}, expected {value!r}"
    if "previousProof" in proof:
        return "proof chains (previousProof) are not supported"
    if "created" in proof and not _is_date_time_stamp(proof["created"]):
        return f"proof created {proof['created']!r} is not a dateTimeStamp"
    if not isinstance(proof.get("verificationMethod"), str):
        return "proof verificationMethod must be a URL string"
    if not isinstance(proof.get("proofValue"), str):
        return "proof has no proofValue"
    return None


def _resolve(resolve_key: KeyResolver, method: str) -> VerificationKey | str:
    try:
        resolved = resolve_key(method)
    except (LookupError, ValueError) as error:
        return f"cannot resolve verification method {method!r}: {error}"
    if isinstance(resolved, VerificationKey):
        return resolved
    try:
        return VerificationKey(method, Ed25519PublicKey.from_public_bytes(resolved))
    except ValueError as error:
        return f"verification method {method!r} is not an Ed25519 key: {error}"


def _key_accepts(key: VerificationKey, created: str) -> bool:
    try:
        return key.accepts(created)
    except ValueError:
        # A dateTimeStamp Python cannot compare (e.g. 24:00:00, year > 9999): refuse it.
        return False


def _verify_proof(
    unsecured: Mapping[str, Any],
    document_hash: bytes,
    proof: JsonObject,
    resolve_key: KeyResolver,
    loader: jsonld.OfflineDocumentLoader,
) -> str | None:
    """Verify one proof (VC-DI-EdDSA §3.3.2); return the failure reason or None."""
    try:
        signature = decode_multibase(proof["proofValue"])
    except MultibaseError as error:
        return f"proofValue: {error}"
    if len(signature) != _SIGNATURE_LENGTH:
        return f"proofValue decodes to {len(signature)} bytes, expected {_SIGNATURE_LENGTH}"
    key = _resolve(resolve_key, proof["verificationMethod"])
    if isinstance(key, str):
        return key
    if "created" in proof and not _key_accepts(key, proof["created"]):
        return f"key {key.id!r} was not valid at {proof['created']}"
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    try:
        signed = _proof_config_hash_for(unsecured, options, loader) + document_hash
    except _JSONLD_ERRORS as error:
        return f"proof options: {error}"
    try:
        key.public_key.verify(signature, signed)
    except InvalidSignature:
        return "signature does not match the credential"
    return None


def _proofs(credential: Mapping[str, Any], expected_purpose: str) -> list[JsonObject] | str:
    """Return the proof set (object or list form) or the reason it cannot be verified."""
    raw = credential.get("proof")
    proofs = raw if isinstance(raw, list) else [raw]
    if raw is None or not proofs:
        return "credential has no proof"
    checked: list[JsonObject] = []
    for proof in proofs:
        if not isinstance(proof, dict):
            return "proof is not an object"
        shape_error = _proof_shape_error(proof, expected_purpose)
        if shape_error:
            return shape_error
        checked.append(proof)
    return checked


def verify_credential(
    credential: Mapping[str, Any],
    resolve_key: KeyResolver,
    *,
    expected_purpose: str = PROOF_PURPOSE,
    loader: jsonld.OfflineDocumentLoader = jsonld.DEFAULT_LOADER,
) -> VerificationResult:
    """Verify every eddsa-rdfc-2022 proof on credential; `proof` may be an object or list."""
    proofs = _proofs(credential, expected_purpose)
    if isinstance(proofs, str):
        return _failure(proofs)
    unsecured = {name: value for name, value in credential.items() if name != "proof"}
    try:
        document_hash = _checked_canonical_hash(unsecured, loader)
    except UnsafeCredentialError as error:
        return _failure("credential is not valid in JSON-LD safe mode", list(error.problems))
    except _JSONLD_ERRORS as error:
        return _failure(str(error))
    for proof in proofs:
        reason = _verify_proof(unsecured, document_hash, proof, resolve_key, loader)
        if reason:
            return _failure(reason)
    return VerificationResult(True)
