"""The fast canonicalisation path (shape templates, rdfc.CompiledDataset) against the reference."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld_jsonld
from pyld.canon import URDNA2015

from badgepages import jsonld
from badgepages.jsonld import (
    CREDENTIALS_V2,
    OB_V3P0_CONTEXT,
    CanonicalOrderError,
    SafeModeError,
    canonize,
    canonize_expanded,
    canonize_fast,
    canonize_safe,
    expand_checked,
    find_undefined_terms,
)
from badgepages.signing import generate_signing_key, sign_credential, verify_credential
from tests.site import STANDARDS
from tests.test_node_verifier import node_canonize

BASE = "https://owner.github.io/repo/"
CREATED = "2025-01-01T00:00:00Z"


def standard(name: str) -> Any:
    return json.loads((STANDARDS / name).read_text(encoding="utf-8"))


def reference(doc: dict[str, Any]) -> str:
    """The reference path: pyld expansion, safe-mode lint, RDFC-1.0 (URDNA2015 in pyld)."""
    expanded, problems = expand_checked(copy.deepcopy(doc))
    assert problems == []
    return canonize_expanded(expanded)


def needs_n_degree(doc: dict[str, Any]) -> bool:
    """Tell whether two blank nodes of doc share a first-degree hash (RDFC-1.0 §4.4.3 step 5)."""
    # pyld's own URDNA2015 escapes fewer characters, which changes hashes but not which agree.
    options = jsonld.DEFAULT_LOADER.options()
    canonicaliser = URDNA2015()
    dataset = pyld_jsonld.to_rdf(copy.deepcopy(doc), options)
    canonicaliser.main(dataset, {"format": "application/n-quads"})
    hashes = Counter(info["hash"] for info in canonicaliser.blank_node_info.values())
    return any(count > 1 for count in hashes.values())


def assert_fast_path_agrees(doc: dict[str, Any]) -> None:
    """The fast path equals the reference, and declines only where RDFC-1.0 needs more."""
    fast = canonize_fast(doc)
    try:
        expected = reference(doc)
    except CanonicalOrderError:
        assert fast is None
        return
    if fast is None:
        assert needs_n_degree(doc)
    else:
        assert fast == expected
    assert canonize(doc) == expected
    assert find_undefined_terms(doc) == []


def recommended(**changes: Any) -> dict[str, Any]:
    """A credential in the shape the site issues, with some values changed by path."""
    doc: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT],
        "id": f"{BASE}awards/a1/credential.json",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Teamwork",
        "issuer": {"id": "did:web:owner.github.io:repo", "type": ["Profile"], "name": "School"},
        "validFrom": CREATED,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": "sha256$00",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": "s1",
                }
            ],
            "achievement": {
                "id": f"{BASE}badges/teamwork/",
                "type": ["Achievement"],
                "name": "Teamwork",
                "criteria": {"id": f"{BASE}badges/teamwork/", "narrative": "Work together."},
            },
        },
        "credentialStatus": {
            "id": f"{BASE}status/1.json#1",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "1",
            "statusListCredential": f"{BASE}status/1.json",
        },
    }
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = doc
        for step in parents:
            target = target[int(step)] if step.isdigit() else target[step]
        target[last] = value
    return doc


# --- generated OB 3.0 credentials -------------------------------------------------------

TEXT = st.text(max_size=20)
_IRI_PATH = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="\ufeff"
    ),
    max_size=10,
)
IRIS = st.one_of(
    _IRI_PATH.map(lambda path: f"https://example.org/{path}"),
    _IRI_PATH.map(lambda path: f"did:web:example.org:{path}"),
    st.uuids().map(lambda uuid: f"urn:uuid:{uuid}"),
    st.sampled_from([BASE, f"{BASE}badges/teamwork/", "https://example.org/a{b}|c^d`e\\f"]),
)

LAYOUT = st.fixed_dictionaries(
    {
        "description": st.booleans(),
        "achievement_is_credential": st.booleans(),
        "criteria_id": st.sampled_from(["none", "achievement", "own"]),
        "image": st.booleans(),
        "issuer_image_is_image": st.booleans(),
        "tags": st.integers(0, 3),
        "alignments": st.lists(st.booleans(), max_size=3),
        "identifiers": st.integers(1, 2),
        "narrative": st.booleans(),
        "evidence": st.lists(st.booleans(), max_size=2),
        "status": st.booleans(),
        "valid_until": st.booleans(),
        "achievement_type": st.booleans(),
    }
)


def build_credential(draw: Callable[[Any], Any], layout: dict[str, Any]) -> dict[str, Any]:
    """An OpenBadgeCredential with the given optional fields and list lengths, values drawn."""

    def text() -> str:
        value: str = draw(TEXT)
        return value

    def iri() -> str:
        value: str = draw(IRIS)
        return value

    credential_id = iri()
    achievement_id = credential_id if layout["achievement_is_credential"] else iri()
    criteria: dict[str, Any] = {"narrative": text()}
    if layout["criteria_id"] != "none":
        criteria["id"] = achievement_id if layout["criteria_id"] == "achievement" else iri()
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": text(),
        "criteria": criteria,
    }
    if layout["achievement_type"]:
        achievement["achievementType"] = text()
    if layout["description"]:
        achievement["description"] = text()
    image = {"id": iri(), "type": "Image"}
    if layout["image"]:
        achievement["image"] = image
    if layout["tags"]:
        achievement["tag"] = [text() for _ in range(layout["tags"])]
    if layout["alignments"]:
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": text(),
                "targetUrl": iri(),
                **({"targetFramework": text()} if framework else {}),
            }
            for framework in layout["alignments"]
        ]
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": text(),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": text(),
            }
            for _ in range(layout["identifiers"])
        ],
        "achievement": achievement,
    }
    if layout["narrative"]:
        subject["narrative"] = text()
    issuer_image = image if layout["issuer_image_is_image"] else {"id": iri(), "type": "Image"}
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": text(),
        "issuer": {
            "id": iri(),
            "type": ["Profile"],
            "name": text(),
            "url": iri(),
            "email": text(),
            "image": issuer_image,
        },
        "validFrom": text(),
        "credentialSubject": subject,
    }
    if layout["valid_until"]:
        credential["validUntil"] = text()
    if layout["evidence"]:
        credential["evidence"] = [
            {"id": iri(), "type": ["Evidence"], **({"narrative": text()} if narrative else {})}
            for narrative in layout["evidence"]
        ]
    if layout["status"]:
        credential["credentialStatus"] = {
            "id": iri(),
            "type": "BitstringStatusListEntry",
            "statusPurpose": text(),
            "statusListIndex": text(),
            "statusListCredential": iri(),
        }
    return credential


@st.composite
def credential_pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two credentials of one layout: the second usually reuses the first one's template."""
    layout = draw(LAYOUT)
    return build_credential(draw, layout), build_credential(draw, layout)


@given(credential_pairs())
@settings(max_examples=150, deadline=None)
def test_fast_path_equals_reference_on_generated_credentials(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    for doc in pair:
        assert_fast_path_agrees(doc)


@given(st.lists(credential_pairs(), min_size=10, max_size=10))
@settings(max_examples=3, deadline=None)
def test_fast_path_equals_rdf_canonize_in_node(
    pairs: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    docs = [doc for pair in pairs for doc in pair]
    for doc, js in zip(docs, node_canonize(docs), strict=True):
        fast = canonize_fast(doc)
        if fast is not None:
            assert fast == js["nquads"]


@given(st.lists(TEXT, min_size=2, max_size=6))
@settings(max_examples=60, deadline=None)
def test_fast_path_over_any_text_in_one_template(texts: list[str]) -> None:
    # Same shape each time; control characters, astral characters, quotes, U+2028, empty
    # strings and repeats (which regroup values) all go through the same few templates.
    for text in texts:
        assert_fast_path_agrees(recommended(name=text, **{"credentialSubject.narrative": text}))


def presentation(text: str, iri: str) -> dict[str, Any]:
    """A presentation: named graphs, an embedded @context, @list, language and typed values."""
    local = {
        "ex": "https://example.org/ns#",
        "items": {"@id": "ex:items", "@container": "@list"},
        "label": {"@id": "ex:label", "@language": "fr"},
    }
    return {
        "@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT, local],
        "id": iri,
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [
            recommended(name=text),
            recommended(id=iri, **{"credentialSubject.identifier.0.salt": text + "2"}),
        ],
        "items": [text, {"@value": text, "@language": "en"}, {"@id": iri}, text],
        "label": text,
        "ex:raw": {"@value": text, "@type": "https://example.org/datatype"},
    }


@given(TEXT, IRIS)
@settings(max_examples=60, deadline=None)
def test_fast_path_on_presentations(text: str, iri: str) -> None:
    assert_fast_path_agrees(presentation(text, iri))


# --- arbitrary JSON-LD: never a different answer, whatever the document ------------------

LOCAL_CONTEXT = {
    "ex": "https://example.org/ns#",
    "Thing": "ex:Thing",
    "kind": "@type",
    "link": {"@id": "ex:link", "@type": "@id"},
    "choice": {"@id": "ex:choice", "@type": "@vocab"},
    "score": {"@id": "ex:score", "@type": pyld_jsonld.XSD_DOUBLE},
    "items": {"@id": "ex:items", "@container": "@list"},
    "label": {"@id": "ex:label", "@language": "fr"},
}
TERMS = st.sampled_from(
    [
        *["id", "type", "name", "description", "url", "image", "achievement", "criteria"],
        *["narrative", "tag", "alignment", "targetUrl", "proofPurpose", "_sd", "validFrom"],
        *["credentialSubject", "issuer", "verifiableCredential", "evidence", "fooBar"],
        *["kind", "link", "choice", "score", "items", "label", "ex:raw"],
    ]
)
# Keywords mostly make invalid documents: drawn one time in eight.
KEYWORDS = st.sampled_from(["@id", "@type", "@value", "@language", "@list"])
KEYS = st.one_of(TERMS, TERMS, TERMS, TERMS, TERMS, TERMS, TERMS, KEYWORDS)
STRINGS = st.one_of(
    TEXT,
    IRIS,
    st.sampled_from(
        [
            *["", "_:b0", "_:b1", "ex:a", "ex:b", "Thing", "assertionMethod", "Image", "fr"],
            *["Achievement", "Profile", "@foo", "@id", "relative", "https://example.org/a b"],
            *["1.5", "2", "urn:x:1", "ex", "did:web:example.org", "https://example.org/"],
        ]
    ),
)
JSON_VALUES = st.recursive(
    st.one_of(STRINGS, st.booleans(), st.integers(-3, 3), st.none()),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=12,
)
# Keywords and id/type take strings: other values only make documents pyld refuses.
STRING_ONLY = {"id": "urn:x:1", "@id": "urn:x:1", "@language": "fr", "@value": "v"}
TYPE_KEYS = {"type", "@type", "kind"}


def tidy(value: Any) -> Any:
    """Give id, type and keyword keys values of the right JSON type, recursively."""
    if isinstance(value, list):
        return [tidy(item) for item in value]
    if not isinstance(value, dict):
        return value
    tidied = {}
    for key, item in value.items():
        if key in STRING_ONLY and not isinstance(item, str):
            tidied[key] = STRING_ONLY[key]
        elif key in TYPE_KEYS and not isinstance(item, str):
            strings = item if isinstance(item, list) else []
            tidied[key] = [text for text in strings if isinstance(text, str)] or "Thing"
        else:
            tidied[key] = tidy(item)
    return tidied


DOCUMENTS = st.dictionaries(KEYS, JSON_VALUES, min_size=1, max_size=5).map(
    lambda fields: {"@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT, LOCAL_CONTEXT], **tidy(fields)}
)


def sibling(value: Any, constant: bool = False) -> Any:
    """The same document with other values: same shape, same equalities, same IRI-ness."""
    if constant:
        return value
    if isinstance(value, str):
        return value + ("/2" if ":" in value else " 2")
    if isinstance(value, dict):
        return {
            key: sibling(item, key in ("@context", "type", "@type")) for key, item in value.items()
        }
    if isinstance(value, list):
        return [sibling(item) for item in value]
    return value


def outcome(function: Callable[[], Any]) -> tuple[bool, Any]:
    """(True, result) or (False, type of the exception raised)."""
    try:
        return True, function()
    except Exception as error:  # compared, not swallowed
        return False, type(error)


def assert_never_a_different_answer(doc: dict[str, Any]) -> None:
    """canonize_fast answers only where the reference succeeds, with the reference's answer."""
    fast = outcome(lambda: canonize_fast(doc))
    expected = outcome(lambda: expand_checked(copy.deepcopy(doc)))
    if expected[0]:
        expanded, problems = expected[1]
        expected = outcome(lambda: canonize_expanded(expanded))
        assert find_undefined_terms(doc) == problems
        if problems:
            expected = (False, SafeModeError)
    if not expected[0]:
        # The reference fails: the fast path declines, or fails alike (pyld's own TypeErrors).
        assert fast in ((True, None), expected)
    elif fast[1] is not None:
        assert fast == expected


@given(DOCUMENTS)
@example({"@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT], "image": "@A"})  # pyld crashes
@example({"@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT], "image": {"@list": ""}})
@settings(max_examples=300, deadline=None)
def test_fast_path_never_differs_on_arbitrary_json_ld(doc: dict[str, Any]) -> None:
    assert_never_a_different_answer(doc)
    assert_never_a_different_answer(sibling(doc))


@pytest.mark.parametrize("path", ["name", "credentialSubject.identifier.0.salt"])
def test_lone_surrogates_fail_or_pass_as_in_the_reference(path: str) -> None:
    # UTF-8 cannot encode them: hashing a blank node's quads fails in both paths.
    assert_never_a_different_answer(recommended(**{path: "x\ud800y"}))


def test_control_characters_and_unicode_are_escaped_like_the_reference() -> None:
    for text in ["\x00\x01\b\t\n\x0b\f\r\x1f\x7f", 'q"b\\', "é\u2028\u00a0😀", "\ufeff"]:
        doc = recommended(name=text)
        assert canonize_fast(doc) == reference(doc)


# --- template reuse -----------------------------------------------------------------------


def test_second_credential_of_a_shape_needs_no_json_ld_expansion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = recommended(id=f"{BASE}awards/first/credential.json")
    assert canonize_fast(first) == reference(first)
    second = recommended(
        id=f"{BASE}awards/second/credential.json",
        name="Autre nom « é »",
        **{"credentialSubject.identifier.0.salt": "s2", "credentialStatus.statusListIndex": "2"},
    )
    expected = reference(second)

    def no_expansion(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fast path expanded JSON-LD")

    monkeypatch.setattr(jsonld, "_expand", no_expansion)
    assert canonize_fast(second) == expected
    assert find_undefined_terms(second) == []


def test_signing_and_verifying_use_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_signing_key("did:web:owner.github.io:repo#key-1")
    signed_first = sign_credential(recommended(), key, CREATED)
    monkeypatch.setattr(jsonld, "_expand", None)
    signed = sign_credential(recommended(name="Other"), key, CREATED)
    assert verify_credential(signed, lambda _: key.verification_key())
    assert verify_credential(signed_first, lambda _: key.verification_key())
    tampered = {**signed, "name": "Othe"}
    assert not verify_credential(tampered, lambda _: key.verification_key())


def test_equal_node_ids_merge_as_in_the_reference() -> None:
    # The recommended shape has criteria.id == achievement.id; here they differ, then the
    # credential id is also the achievement id: each grouping gets its own template.
    distinct = recommended(**{"credentialSubject.achievement.criteria.id": f"{BASE}criteria"})
    merged = recommended(**{"credentialSubject.achievement.id": recommended()["id"]})
    for doc in (recommended(), distinct, merged):
        assert_fast_path_agrees(doc)
    assert canonize_fast(merged) != canonize_fast(recommended())


def test_repeated_values_in_one_property_collapse_as_in_the_reference() -> None:
    doc = recommended()
    doc["credentialSubject"]["achievement"]["tag"] = ["a", "b", "a"]
    assert_fast_path_agrees(doc)
    fast = canonize_fast(doc)
    assert fast is not None
    assert fast.count(' "a" .') == 1


# --- values JSON-LD does not take as they are: keyed into the template --------------------


def test_vocab_values_are_keyed() -> None:
    # proofPurpose is @type: @vocab: "assertionMethod" expands through its scoped context.
    for purpose in ("assertionMethod", "authentication", "https://example.org/purpose"):
        config = {
            "@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT],
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": CREATED,
            "verificationMethod": "did:web:owner.github.io:repo#key-1",
            "proofPurpose": purpose,
        }
        assert canonize_fast(config) == reference(config)


def test_json_literals_are_keyed() -> None:
    # VC 2.0 context: "_sd" is @type: @json; its strings come out inside a JSON literal.
    for digests in (["a", "b"], ["c", "d"], ["d", "c"]):
        doc = {**recommended(), "_sd": digests}
        assert canonize_fast(doc) == reference(doc)


def test_xsd_double_lexical_forms_are_keyed() -> None:
    # pyld rewrites an xsd:double lexical form that parses as a number ("1.50" -> 1.5E0).
    context = {"score": {"@id": "https://example.org/score", "@type": pyld_jsonld.XSD_DOUBLE}}
    for score in ("1.50", "2", "not a number"):
        doc = {"@context": [CREDENTIALS_V2, context], "id": "urn:x:1", "score": score}
        assert canonize_fast(doc) == reference(doc)


def test_compact_iris_are_expanded_as_in_the_reference() -> None:
    context = {"ex": "https://example.org/ns#", "link": {"@id": "ex:link", "@type": "@id"}}
    for target in ("ex:a", "ex:b", "https://example.org/c", "urn:ex:d"):
        doc = {"@context": [CREDENTIALS_V2, context], "id": "urn:x:1", "link": target}
        assert canonize_fast(doc) == reference(doc)


def test_blank_node_ids_in_documents() -> None:
    doc = recommended(**{"issuer.id": "_:issuer"})
    assert canonize_fast(doc) == reference(doc)


def test_type_alias_values_that_coincide_are_left_to_the_reference() -> None:
    # "kind" aliases @type without being a constant key: the same type twice is one quad.
    context = {"kind": "@type"}
    for kind in ("https://example.org/T", "https://example.org/U"):
        doc = {
            "@context": [CREDENTIALS_V2, context],
            "id": "urn:x:1",
            "type": "https://example.org/T",
            "kind": kind,
        }
        assert canonize(doc) == reference(doc)
        if kind.endswith("T"):
            assert canonize_fast(doc) is None


# --- where the fast path declines ---------------------------------------------------------


def test_equal_first_degree_hashes_take_the_reference_path() -> None:
    doc = recommended()
    alignment = {"type": ["Alignment"], "targetName": "Same", "targetUrl": "https://e.org/s"}
    doc["credentialSubject"]["achievement"]["alignment"] = [alignment, dict(alignment)]
    assert needs_n_degree(doc)
    assert canonize_fast(doc) is None
    assert canonize(doc) == reference(doc)


def test_sort_order_js_verifiers_disagree_with_is_still_refused() -> None:
    doc = recommended()
    doc["credentialSubject"]["achievement"]["tag"] = ["\ufffd", "😀"]
    assert canonize_fast(doc) is None
    with pytest.raises(CanonicalOrderError):
        canonize(doc)


@pytest.mark.parametrize(
    "bad_id",
    ["relative/path", "https://example.org/a b", "https://example.org/\ufeff", "\u2028x:y"],
)
def test_iris_safe_mode_rejects_are_reported_not_templated(bad_id: str) -> None:
    doc = recommended(**{"credentialSubject.achievement.image": {"id": bad_id}})
    assert canonize_fast(doc) is None
    problems = find_undefined_terms(doc)
    assert problems == expand_checked(doc)[1]
    assert problems
    with pytest.raises(SafeModeError):
        canonize_safe(doc)


def test_undefined_terms_are_reported_not_templated() -> None:
    doc = {**recommended(), "fooBar": "x"}
    assert canonize_fast(doc) is None
    assert find_undefined_terms(doc) == ["undefined term 'fooBar'"]


def test_documents_that_are_not_json_take_the_reference_path() -> None:
    doc = recommended()
    doc["type"] = ("VerifiableCredential", "OpenBadgeCredential")
    doc["credentialSubject"]["achievement"]["tag"] = ("a", "b")
    assert canonize_fast(doc) is None


def test_official_vector_and_samples() -> None:
    vector = standard("ob3-eddsa-rdfc-2022-test-vector.json")
    assert canonize_fast(vector["unsignedCredential"]) == vector["documentCanonicalNQuads"]
    config = {"@context": vector["unsignedCredential"]["@context"], **vector["proofOptions"]}
    assert canonize_fast(config) == vector["proofConfigCanonicalNQuads"]
    basic = standard("ob3-sample-basic-openbadgecredential.json")
    assert canonize_fast(basic) == reference(basic)
    # The complete sample has blank nodes with equal first-degree hashes.
    complete = standard("ob3-sample-complete-openbadgecredential.json")
    assert needs_n_degree(complete)
    assert canonize_fast(complete) is None
