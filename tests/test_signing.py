"""eddsa-rdfc-2022 signing and verification: official vectors, round trips, tampering."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft201909Validator

from badgepages import multibase
from badgepages.jsonld import (
    CREDENTIALS_V2,
    OB_V3P0_CONTEXT,
    CanonicalOrderError,
    OfflineDocumentLoader,
    canonize,
    canonize_expanded,
    canonize_fast,
    expand_checked,
)
from badgepages.signing import (
    ProofOptionsError,
    SecretKeyError,
    SigningKey,
    UnsafeCredentialError,
    VerificationKey,
    export_secret_key,
    generate_signing_key,
    hash_data,
    load_signing_key,
    parse_secret_key,
    public_key_multibase,
    sign_credential,
    verify_credential,
)
from tests.site import STANDARDS

SCHEMA = (
    Path(__file__).resolve().parents[1]
    / "badgepages"
    / "schemas_ob3"
    / "ob_v3p0_achievementcredential_schema.json"
)
DID = "did:web:owner.github.io:repo"
CREATED = "2025-01-01T00:00:00Z"


def standard(name: str) -> Any:
    return json.loads((STANDARDS / name).read_text(encoding="utf-8"))


OB_VECTOR = standard("ob3-eddsa-rdfc-2022-test-vector.json")
W3C_VECTOR = standard("vc-di-eddsa-rdfc-2022-test-vector.json")
W3C_LOADER = OfflineDocumentLoader(
    {
        "https://www.w3.org/ns/credentials/examples/v2": standard(
            "credentials-examples-v2-context.json"
        )
    }
)
KEY = generate_signing_key(f"{DID}#key-1")


def ob_vector_key() -> SigningKey:
    seed = bytes.fromhex(OB_VECTOR["privateKeyHex_seed_plus_public"])[:32]
    return SigningKey(OB_VECTOR["verificationMethodId"], Ed25519PrivateKey.from_private_bytes(seed))


def resolver(*keys: SigningKey) -> Any:
    by_id = {key.verification_method: key.verification_key() for key in keys}
    return by_id.__getitem__


def recommended_credential(narrative: str = "Worked well with others.") -> dict[str, Any]:
    """The RECOMMENDED SHAPE of ob3-facts.md."""
    base = "https://owner.github.io/repo/"
    salt = "FleurDeSel"
    identity_hash = hashlib.sha256(("jjefferson18@example.com" + salt).encode()).hexdigest()
    return {
        "@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT],
        "id": f"{base}credentials/0d0c3f4e-7a52-4c1e-9d6f-2f0b8f3a9e11.json",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Teamwork Badge",
        "description": "Awarded for teamwork.",
        "issuer": {
            "id": DID,
            "type": ["Profile"],
            "name": "Example Org",
            "url": base,
            "email": "badges@example.org",
            "image": {"id": f"{base}logo.png", "type": "Image"},
        },
        "validFrom": CREATED,
        "awardedDate": CREATED,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": f"sha256${identity_hash}",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": f"{base}achievements/teamwork.json",
                "type": ["Achievement"],
                "name": "Teamwork",
                "description": "Works well in a team.",
                "criteria": {"narrative": narrative},
                "image": {"id": f"{base}achievements/teamwork.png", "type": "Image"},
            },
        },
        "credentialStatus": {
            "id": f"{base}status/1.json#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": f"{base}status/1.json",
        },
    }


# --- official test vectors ------------------------------------------------------------


def test_ob3_vector_public_key_multibase() -> None:
    assert (
        ob_vector_key().public_key_multibase == "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    )


def test_ob3_vector_hashes() -> None:
    data = hash_data(OB_VECTOR["unsignedCredential"], OB_VECTOR["proofOptions"])
    assert data[:32].hex() == OB_VECTOR["proofConfigHashHex"]
    assert data[32:].hex() == OB_VECTOR["documentHashHex"]


def test_ob3_vector_signature_and_proof_value() -> None:
    signed = sign_credential(
        OB_VECTOR["unsignedCredential"], ob_vector_key(), OB_VECTOR["proofOptions"]["created"]
    )
    (proof,) = signed["proof"]
    assert multibase.decode_multibase(proof["proofValue"]).hex() == OB_VECTOR["signatureHex"]
    assert proof == OB_VECTOR["signedCredential"]["proof"]
    assert {**signed, "proof": proof} == OB_VECTOR["signedCredential"]


def test_ob3_vector_signed_credential_verifies_with_proof_object() -> None:
    key = VerificationKey.from_multibase(
        OB_VECTOR["verificationMethodId"], OB_VECTOR["publicKeyMultibase"]
    )
    assert verify_credential(OB_VECTOR["signedCredential"], lambda _: key)


def test_ob3_vector_legacy_secret_key_multibase_parses() -> None:
    private_key = parse_secret_key(OB_VECTOR["secretKeyMultibase"])
    assert public_key_multibase(private_key.public_key()) == OB_VECTOR["publicKeyMultibase"]


def test_w3c_vector_round_trip() -> None:
    key = load_signing_key(
        W3C_VECTOR["proofConfig"]["verificationMethod"],
        W3C_VECTOR["keyPair"]["privateKeyMultibase"],
    )
    assert key.public_key_multibase == W3C_VECTOR["keyPair"]["publicKeyMultibase"]
    assert export_secret_key(key) == W3C_VECTOR["keyPair"]["privateKeyMultibase"]
    options = {k: v for k, v in W3C_VECTOR["proofConfig"].items() if k != "@context"}
    data = hash_data(W3C_VECTOR["unsignedDocument"], options, W3C_LOADER)
    assert data.hex() == W3C_VECTOR["combinedHashHex"]
    signed = sign_credential(
        W3C_VECTOR["unsignedDocument"], key, options["created"], loader=W3C_LOADER
    )
    assert signed["proof"] == [W3C_VECTOR["signedDocument"]["proof"]]
    assert verify_credential(
        W3C_VECTOR["signedDocument"], resolver(key), loader=W3C_LOADER
    ).verified


# --- keys -----------------------------------------------------------------------------


def test_secret_key_round_trip_and_whitespace() -> None:
    secret = export_secret_key(KEY)
    assert secret.startswith("z3u2")
    parsed = parse_secret_key(f"  {secret}\n")
    assert public_key_multibase(parsed.public_key()) == KEY.public_key_multibase


def test_secret_key_with_wrong_embedded_public_key_is_refused() -> None:
    seed, _ = multibase.decode_secret_key(export_secret_key(KEY))
    other = multibase.decode_public_key(generate_signing_key("x").public_key_multibase)
    forged = multibase.encode_multibase(multibase.ED25519_PRIV_HEADER + seed + other)
    with pytest.raises(SecretKeyError, match="does not match"):
        parse_secret_key(forged)


@pytest.mark.parametrize("bad", ["", "z", "zzzz", "u3u2abc", KEY.public_key_multibase])
def test_malformed_secret_keys_are_refused(bad: str) -> None:
    with pytest.raises(SecretKeyError):
        parse_secret_key(bad)


def test_signing_key_repr_hides_private_key() -> None:
    assert "private_key" not in repr(KEY)


# --- signing ----------------------------------------------------------------------------


def test_sign_returns_new_dict_with_one_element_proof_list() -> None:
    credential = recommended_credential()
    before = copy.deepcopy(credential)
    signed = sign_credential(credential, KEY, CREATED)
    assert credential == before
    assert {k: v for k, v in signed.items() if k != "proof"} == credential
    (proof,) = signed["proof"]
    assert {k: v for k, v in proof.items() if k != "proofValue"} == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": CREATED,
        "verificationMethod": f"{DID}#key-1",
        "proofPurpose": "assertionMethod",
    }
    assert len(multibase.decode_multibase(proof["proofValue"])) == 64


def test_signing_is_deterministic() -> None:
    credential = recommended_credential()
    assert sign_credential(credential, KEY, CREATED) == sign_credential(credential, KEY, CREATED)


def test_signed_recommended_credential_passes_official_json_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = Draft201909Validator(schema)
    signed = sign_credential(recommended_credential(), KEY, CREATED)
    assert list(validator.iter_errors(signed)) == []
    # The schema wants `proof` as an array; the object form is rejected.
    assert list(validator.iter_errors({**signed, "proof": signed["proof"][0]}))


def test_sign_refuses_undefined_terms_with_the_list() -> None:
    credential = recommended_credential()
    credential["fooBar"] = "x"
    credential["credentialSchema"] = [
        {"id": "https://example.org/s.json", "type": "1EdTechJsonSchemaValidator2019"}
    ]
    with pytest.raises(UnsafeCredentialError) as caught:
        sign_credential(credential, KEY, CREATED)
    assert caught.value.problems == (
        "undefined term 'fooBar'",
        "relative @type '1EdTechJsonSchemaValidator2019'",
    )


@pytest.mark.parametrize("created", ["2025-01-01", "2025-01-01T00:00:00", "yesterday", ""])
def test_sign_refuses_created_without_timezone(created: str) -> None:
    with pytest.raises(ProofOptionsError):
        sign_credential(recommended_credential(), KEY, created)


def test_sign_refuses_already_signed_credential() -> None:
    signed = sign_credential(recommended_credential(), KEY, CREATED)
    with pytest.raises(ProofOptionsError):
        sign_credential(signed, KEY, CREATED)


# --- round trip and tampering ---------------------------------------------------------


@given(
    name=st.text(min_size=1),
    description=st.text(),
    narrative=st.text(alphabet=st.characters(codec="utf-8"), min_size=1),
)
@settings(max_examples=60, deadline=None)
def test_sign_verify_round_trip_over_any_text(name: str, description: str, narrative: str) -> None:
    credential = recommended_credential(narrative)
    credential["name"] = name
    credential["credentialSubject"]["achievement"]["description"] = description
    signed = sign_credential(credential, KEY, CREATED)
    assert verify_credential(signed, resolver(KEY))
    tampered = copy.deepcopy(signed)
    tampered["name"] = name + "\x00"
    assert not verify_credential(tampered, resolver(KEY))


def leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaf_paths(item, (*path, index))
    else:
        yield path


def tamper(document: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    parent: Any = changed
    for step in path[:-1]:
        parent = parent[step]
    value = parent[path[-1]]
    if isinstance(value, bool):
        parent[path[-1]] = not value
    elif path[-1] in ("@context",) or (len(path) > 1 and path[-2] == "@context"):
        parent[path[-1]] = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
    elif isinstance(value, str) and value.startswith(("https://", "did:")):
        parent[path[-1]] = value + "x"
    elif path[-1] == "created":
        parent[path[-1]] = "2025-01-01T00:00:01Z"
    else:
        parent[path[-1]] = f"{value}!"
    return changed


SIGNED = sign_credential(recommended_credential(), KEY, CREATED)


@pytest.mark.parametrize(
    "path",
    [p for p in leaf_paths(SIGNED) if p[-1] != "proofValue"],
    ids=lambda path: ".".join(map(str, path)),
)
def test_tampering_any_signed_field_fails(path: tuple[Any, ...]) -> None:
    assert verify_credential(SIGNED, resolver(KEY))
    # Every key resolves to KEY: only the signature can catch the change.
    assert not verify_credential(tamper(SIGNED, path), lambda _: KEY.verification_key())


def test_undefined_term_added_after_signing_fails_although_pyld_would_drop_it() -> None:
    tampered = {**SIGNED, "fooBar": "sneaky"}
    result = verify_credential(tampered, resolver(KEY))
    assert not result
    assert result.problems == ("undefined term 'fooBar'",)


def test_proof_object_form_verifies() -> None:
    assert verify_credential({**SIGNED, "proof": SIGNED["proof"][0]}, resolver(KEY))


def test_wrong_key_fails() -> None:
    other = generate_signing_key(KEY.verification_method)
    result = verify_credential(SIGNED, resolver(other))
    assert not result
    assert result.reason == "signature does not match the credential"


def test_unknown_verification_method_fails_with_reason() -> None:
    result = verify_credential(SIGNED, {}.__getitem__)
    assert not result
    assert result.reason is not None
    assert "cannot resolve" in result.reason


def test_resolver_may_return_raw_public_key_bytes() -> None:
    raw = multibase.decode_public_key(KEY.public_key_multibase)
    assert verify_credential(SIGNED, lambda _: raw)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cryptosuite", "eddsa-jcs-2022"),
        ("type", "Ed25519Signature2020"),
        ("proofPurpose", "authentication"),
        ("proofValue", "uAAAA"),
        ("proofValue", "z" + "1" * 10),
        ("created", "2025-01-01"),
    ],
)
def test_malformed_proofs_fail(field: str, value: str) -> None:
    proof = {**SIGNED["proof"][0], field: value}
    assert not verify_credential({**SIGNED, "proof": [proof]}, resolver(KEY))


def test_missing_proof_fails() -> None:
    unsigned = {k: v for k, v in SIGNED.items() if k != "proof"}
    assert verify_credential(unsigned, resolver(KEY)).reason == "credential has no proof"
    assert not verify_credential({**unsigned, "proof": []}, resolver(KEY))


def test_undefined_term_in_proof_fails() -> None:
    proof = {**SIGNED["proof"][0], "fooBar": "x"}
    assert not verify_credential({**SIGNED, "proof": [proof]}, resolver(KEY))


def test_key_validity_period_is_enforced() -> None:
    public = KEY.private_key.public_key()
    method = KEY.verification_method
    retired = VerificationKey(method, public, valid_until="2024-12-31T00:00:00Z")
    future = VerificationKey(method, public, valid_from="2025-06-01T00:00:00Z")
    current = VerificationKey(method, public, "2024-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
    assert not verify_credential(SIGNED, lambda _: retired)
    assert not verify_credential(SIGNED, lambda _: future)
    assert verify_credential(SIGNED, lambda _: current)


def test_uncomparable_created_is_refused_when_the_key_has_a_validity_period() -> None:
    key = VerificationKey(KEY.verification_method, KEY.private_key.public_key(), CREATED)
    signed = sign_credential(recommended_credential(), KEY, "2025-01-01T24:00:00Z")
    assert verify_credential(signed, resolver(KEY))
    result = verify_credential(signed, lambda _: key)
    assert not result
    assert result.reason == f"key {KEY.verification_method!r} was not valid at 2025-01-01T24:00:00Z"


def test_canonical_document_hash_matches_hash_data() -> None:
    unsigned = {k: v for k, v in SIGNED.items() if k != "proof"}
    options = {k: v for k, v in SIGNED["proof"][0].items() if k != "proofValue"}
    expected = hashlib.sha256(canonize(unsigned).encode()).digest()
    assert hash_data(unsigned, options)[32:] == expected


@given(narrative=st.text(min_size=1), salt=st.text(), index=st.integers(0, 10**6))
@settings(max_examples=40, deadline=None)
def test_document_hash_is_the_reference_paths(narrative: str, salt: str, index: int) -> None:
    credential = recommended_credential(narrative)
    credential["credentialSubject"]["identifier"][0]["salt"] = salt
    credential["credentialStatus"]["statusListIndex"] = str(index)
    expanded, problems = expand_checked(copy.deepcopy(credential))
    assert problems == []
    try:
        reference = canonize_expanded(expanded)
    except CanonicalOrderError:
        assert canonize_fast(credential) is None
        return
    options = {k: v for k, v in SIGNED["proof"][0].items() if k != "proofValue"}
    assert hash_data(credential, options)[32:] == hashlib.sha256(reference.encode()).digest()
