"""Offline loader, RDFC-1.0 canonicalisation and safe-mode lint."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from badgepages import jsonld
from badgepages.jsonld import (
    BUNDLED_CONTEXTS,
    CREDENTIALS_V2,
    OB_V3P0_CONTEXT,
    OB_V3P0_EXTENSIONS,
    CanonicalOrderError,
    ContextNotBundledError,
    OfflineDocumentLoader,
    SafeModeError,
    canonize,
    canonize_safe,
    find_undefined_terms,
)
from tests.site import STANDARDS

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
OB_CONTEXTS = [CREDENTIALS_V2, OB_V3P0_CONTEXT]


def standard(name: str) -> Any:
    return json.loads((STANDARDS / name).read_text(encoding="utf-8"))


def w3c_loader() -> OfflineDocumentLoader:
    return OfflineDocumentLoader({EXAMPLES_V2: standard("credentials-examples-v2-context.json")})


def minimal(**fields: Any) -> dict[str, Any]:
    return {
        "@context": CREDENTIALS_V2,
        "id": "urn:uuid:7d5e1a2c-0000-4000-8000-000000000001",
        **fields,
    }


# --- bundled contexts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "standard_file"),
    [
        (CREDENTIALS_V2, "credentials-v2-context.json"),
        (OB_V3P0_CONTEXT, "ob-v3p0-context-3.0.3.json"),
        ("https://w3id.org/openbadges/v2", "openbadges-v2-context.json"),
        (OB_V3P0_EXTENSIONS, "ob-v3p0-extensions-context.UNVERIFIED-COPY.json"),
    ],
)
def test_bundled_context_matches_reference_copy(url: str, standard_file: str) -> None:
    bundled = (jsonld.CONTEXTS_DIR / BUNDLED_CONTEXTS[url]).read_bytes()
    assert bundled == (STANDARDS / standard_file).read_bytes()


def test_credentials_v2_context_has_the_normative_digest() -> None:
    data = (jsonld.CONTEXTS_DIR / BUNDLED_CONTEXTS[CREDENTIALS_V2]).read_bytes()
    # VC Data Model 2.0 §B.1 publishes this SHA-256 for the base context.
    digest = "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"
    assert hashlib.sha256(data).hexdigest() == digest


def test_every_bundled_context_file_exists_and_is_a_context() -> None:
    for url in BUNDLED_CONTEXTS:
        assert "@context" in jsonld.bundled_context(url)


def test_loader_refuses_unknown_urls() -> None:
    with pytest.raises(ContextNotBundledError) as caught:
        jsonld.DEFAULT_LOADER("https://example.org/evil-context.json")
    assert caught.value.url == "https://example.org/evil-context.json"


def test_canonize_reports_unbundled_context_clearly() -> None:
    doc = {"@context": [CREDENTIALS_V2, "https://example.org/ctx.jsonld"], "id": "urn:x:1"}
    with pytest.raises(ContextNotBundledError, match=r"example\.org/ctx\.jsonld"):
        canonize(doc)


def test_loader_marks_contexts_static_and_hands_out_copies() -> None:
    first = jsonld.DEFAULT_LOADER(CREDENTIALS_V2)
    assert first["tag"] == "static"
    first["document"]["@context"]["name"] = "https://evil.example/name"
    second = jsonld.DEFAULT_LOADER(CREDENTIALS_V2)
    assert second["document"]["@context"]["name"] != "https://evil.example/name"


def test_extra_contexts_are_private_to_their_loader() -> None:
    doc = standard("vc-di-eddsa-rdfc-2022-test-vector.json")["unsignedDocument"]
    canonize(doc, w3c_loader())
    with pytest.raises(ContextNotBundledError):
        canonize(doc)


# --- canonicalisation against the official vectors -----------------------------------


def test_ob3_vector_document_canonical_nquads() -> None:
    vector = standard("ob3-eddsa-rdfc-2022-test-vector.json")
    assert canonize(vector["unsignedCredential"]) == vector["documentCanonicalNQuads"]


def test_ob3_vector_proof_config_canonical_nquads() -> None:
    vector = standard("ob3-eddsa-rdfc-2022-test-vector.json")
    config = {"@context": vector["unsignedCredential"]["@context"], **vector["proofOptions"]}
    assert canonize(config) == vector["proofConfigCanonicalNQuads"]


def test_w3c_vector_canonical_nquads() -> None:
    vector = standard("vc-di-eddsa-rdfc-2022-test-vector.json")
    loader = w3c_loader()
    assert canonize(vector["unsignedDocument"], loader) == vector["canonicalDocument"]
    assert canonize(vector["proofConfig"], loader) == vector["canonicalProofConfig"]


# --- RDFC-1.0 literal escaping (ob3-facts trap 2) -----------------------------------


def rdfc_escape(text: str) -> str:
    """Reference escaping written from the RDFC-1.0 canonical N-Quads rules, one char at a time."""
    named = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"'}
    named["\\"] = "\\\\"
    out = []
    for char in text:
        if char in named:
            out.append(named[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a\bb", "a\\bb"),
        ("form\ffeed", "form\\ffeed"),
        ("nul\x00", "nul\\u0000"),
        ("bell\x07", "bell\\u0007"),
        ("del\x7f", "del\\u007F"),
        ("tab\tnl\ncr\r", "tab\\tnl\\ncr\\r"),
        ('q"b\\', 'q\\"b\\\\'),
        ("é\u2028\u00a0😀", "é\u2028\u00a0😀"),
    ],
)
def test_literals_are_escaped_like_rdfc10(text: str, escaped: str) -> None:
    nquads = canonize(minimal(name=text))
    assert nquads == f'<{minimal()["id"]}> <https://schema.org/name> "{escaped}" .\n'


@given(st.text())
def test_any_text_literal_is_escaped_like_rdfc10(text: str) -> None:
    nquads = canonize(minimal(name=text))
    assert nquads == f'<{minimal()["id"]}> <https://schema.org/name> "{rdfc_escape(text)}" .\n'


def first_degree_hash(subject_id: str, text: str) -> str:
    """RDFC-1.0 §4.6 hash of a credentialSubject blank node holding one name."""
    quads = sorted(
        [
            f"<{subject_id}> <https://www.w3.org/2018/credentials#credentialSubject> _:a .\n",
            f'_:a <https://schema.org/name> "{rdfc_escape(text)}" .\n',
        ]
    )
    return hashlib.sha256("".join(quads).encode("utf-8")).hexdigest()


@given(st.text(), st.text())
@settings(max_examples=50)
def test_blank_node_labels_hash_escaped_literals(first: str, second: str) -> None:
    # Two blank nodes told apart only by their literals: their canonical labels come from
    # Hash First Degree Quads, so the escaped serialisation decides which is _:c14n0.
    assume(first != second)
    doc = minimal(
        type="VerifiableCredential", credentialSubject=[{"name": first}, {"name": second}]
    )
    try:
        nquads = canonize(doc)
    except CanonicalOrderError:
        return
    by_hash = sorted([first, second], key=lambda text: first_degree_hash(doc["id"], text))
    # N-Quads lines end with "\n" only; str.splitlines would also split at U+0085 and U+2028.
    names = sorted(line for line in nquads.split("\n") if line.startswith("_:c14n"))
    assert names == [
        f'_:c14n{index} <https://schema.org/name> "{rdfc_escape(text)}" .'
        for index, text in enumerate(by_hash)
    ]


def test_sort_order_that_js_verifiers_disagree_with_is_refused() -> None:
    # rdf-canonize sorts by UTF-16 code unit, RDFC-1.0 by code point: U+FFFD vs U+1F600.
    with pytest.raises(CanonicalOrderError):
        canonize(minimal(name=["\ufffd", "😀"]))


def test_astral_characters_alone_are_fine() -> None:
    assert "😀" in canonize(minimal(name=["a", "😀"]))


# --- safe-mode lint ---------------------------------------------------------------------


def ob_credential(**extra: Any) -> dict[str, Any]:
    credential = copy.deepcopy(
        standard("ob3-eddsa-rdfc-2022-test-vector.json")["unsignedCredential"]
    )
    credential.update(extra)
    return credential


def test_clean_official_samples_have_no_problems() -> None:
    assert find_undefined_terms(ob_credential()) == []
    assert find_undefined_terms(standard("ob3-sample-basic-openbadgecredential.json")) == []
    assert find_undefined_terms(standard("ob3-sample-complete-openbadgecredential.json")) == []


def test_lint_reports_undefined_term() -> None:
    assert find_undefined_terms(ob_credential(fooBar="x")) == ["undefined term 'fooBar'"]


def test_lint_reports_nested_undefined_term() -> None:
    credential = ob_credential()
    credential["credentialSubject"]["achievement"]["criteria"]["weight"] = 3
    assert find_undefined_terms(credential) == ["undefined term 'weight'"]


def test_lint_reports_relative_schema_validator_type() -> None:
    schema = {"id": "https://example.org/schema.json", "type": "1EdTechJsonSchemaValidator2019"}
    problems = find_undefined_terms(ob_credential(credentialSchema=[schema]))
    assert problems == ["relative @type '1EdTechJsonSchemaValidator2019'"]


def test_extensions_context_defines_the_schema_validator_type() -> None:
    schema = {"id": "https://example.org/schema.json", "type": "1EdTechJsonSchemaValidator2019"}
    credential = ob_credential(credentialSchema=[schema])
    credential["@context"] = [*OB_CONTEXTS, OB_V3P0_EXTENSIONS]
    assert find_undefined_terms(credential) == []


def test_lint_reports_status_list_2021_entry() -> None:
    status = {"id": "https://example.org/status/1#5", "type": "StatusList2021Entry"}
    problems = find_undefined_terms(ob_credential(credentialStatus=status))
    assert problems == ["relative @type 'StatusList2021Entry'"]


def test_bitstring_status_list_entry_is_defined() -> None:
    status = {
        "id": "https://example.org/status/1#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": "https://example.org/status/1",
    }
    assert find_undefined_terms(ob_credential(credentialStatus=status)) == []


def test_lint_reports_relative_ids_not_pylds_placeholder_base() -> None:
    credential = ob_credential()
    credential["issuer"]["image"] = {"id": "logo.png", "type": "Image"}
    assert find_undefined_terms(credential) == ["relative @id 'logo.png'"]


def test_lint_reports_id_with_whitespace() -> None:
    # jsonld.js isAbsoluteIri rejects whitespace, so safe mode calls it relative.
    assert find_undefined_terms(ob_credential(id="https://example.org/a b")) == [
        "relative @id 'https://example.org/a b'"
    ]


def test_lint_reports_keyword_lookalikes() -> None:
    assert find_undefined_terms(ob_credential(**{"@foo": "x"})) == ["reserved-looking key '@foo'"]


def test_lint_reports_direction_and_bad_language() -> None:
    name = {"@value": "x", "@direction": "rtl", "@language": "not a tag"}
    problems = find_undefined_terms(ob_credential(name=name))
    assert problems == ["unsupported @direction on value 'x'", "invalid @language 'not a tag'"]


def test_lint_reports_document_without_statements() -> None:
    assert find_undefined_terms({"@context": CREDENTIALS_V2, "id": "urn:x:1"}) == [
        "document has no properties that expand to RDF"
    ]


def test_lint_lists_each_problem_once() -> None:
    credential = ob_credential(fooBar="x")
    credential["issuer"]["fooBar"] = "y"
    assert find_undefined_terms(credential) == ["undefined term 'fooBar'"]


def test_canonize_safe_refuses_with_the_problems() -> None:
    with pytest.raises(SafeModeError) as caught:
        canonize_safe(ob_credential(fooBar="x"))
    assert caught.value.problems == ("undefined term 'fooBar'",)
    vector = standard("ob3-eddsa-rdfc-2022-test-vector.json")
    assert canonize_safe(vector["unsignedCredential"]) == vector["documentCanonicalNQuads"]
