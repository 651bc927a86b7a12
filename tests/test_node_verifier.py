"""Cross-check with the Digital Bazaar JS stack: node verifies what Python signs."""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgepages.did import (
    assertion_keys,
    build_did_document,
    did_document_url_path,
    did_from_base_url,
    key_id,
)
from badgepages.jsonld import (
    CREDENTIALS_V2,
    OB_V3P0_CONTEXT,
    CanonicalOrderError,
    canonize,
    find_undefined_terms,
)
from badgepages.signing import (
    SigningKey,
    VerificationKey,
    generate_signing_key,
    sign_credential,
    verify_credential,
)
from tests.site import STANDARDS

REPO = Path(__file__).resolve().parents[1]
NODE_DIR = REPO / "tests" / "node"
BASE_URL = "https://example.github.io/badges/"
CREATED = "2025-01-01T00:00:00Z"
STATUS_LIST = f"{BASE_URL}status/1.json"
REVOKED_INDEX = 7
# BitstringStatusList §2.1: the uncompressed list is at least 16 KiB (131,072 entries).
STATUS_LIST_BYTES = 16 * 1024


def node() -> str:
    """Return the node binary, failing (never skipping) when the harness is not installed."""
    binary = shutil.which("node")
    if binary is None:
        pytest.fail("node is not installed; the JS cross-check needs node >= 20")
    if not (NODE_DIR / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.fail(
            "tests/node/node_modules is missing: run `npm ci --prefix tests/node` "
            "(`make test` installs it)"
        )
    return binary


def run_node(script: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node(), str(NODE_DIR / script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def json_lines(stdout: str) -> list[dict[str, Any]]:
    # Split at "\n" only: JSON.stringify leaves U+2028 raw, which str.splitlines splits at.
    return [json.loads(line) for line in stdout.split("\n") if line]


# --- a tiny issuer site -----------------------------------------------------------------


def encoded_status_list(revoked: set[int]) -> str:
    """BitstringStatusList §3.1: multibase base64url (no padding) of the GZIP'd bitstring."""
    bits = bytearray(STATUS_LIST_BYTES)
    for index in revoked:
        # Index 0 is the left-most bit of the first byte.
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def status_entry(index: int) -> dict[str, str]:
    return {
        "id": f"{STATUS_LIST}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": STATUS_LIST,
    }


def open_badge(did: str, slug: str, name: str, narrative: str) -> dict[str, Any]:
    """An OpenBadgeCredential in the RECOMMENDED SHAPE of ob3-facts.md."""
    salt = "FleurDeSel"
    identity = hashlib.sha256(f"{slug}@example.org{salt}".encode()).hexdigest()
    return {
        "@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT],
        "id": f"{BASE_URL}credentials/{slug}.json",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "description": "Awarded for teamwork.",
        "issuer": {
            "id": did,
            "type": ["Profile"],
            "name": "École d'exemple",
            "url": BASE_URL,
            "email": "badges@example.org",
            "image": {"id": f"{BASE_URL}logo.png", "type": "Image"},
        },
        "validFrom": CREATED,
        "awardedDate": CREATED,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": f"sha256${identity}",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": f"{BASE_URL}achievements/teamwork.json",
                "type": ["Achievement"],
                "name": "Teamwork",
                "description": "Works well in a team.",
                "criteria": {"narrative": narrative},
                "image": {"id": f"{BASE_URL}achievements/teamwork.png", "type": "Image"},
            },
        },
    }


@dataclass(frozen=True)
class Site:
    root: Path
    key: SigningKey
    files: dict[str, Path]

    def verify_in_node(self, *names: str) -> dict[str, dict[str, Any]]:
        result = run_node(
            "verify.mjs",
            "--site",
            str(self.root),
            "--base-url",
            BASE_URL,
            *(str(self.files[name]) for name in names),
        )
        assert result.returncode in (0, 1), result.stderr
        lines = json_lines(result.stdout)
        by_file = {Path(line["file"]).stem: line for line in lines}
        assert (result.returncode == 0) == all(line["verified"] for line in lines)
        return by_file

    def resolve(self, method: str) -> VerificationKey:
        did_json = self.root / did_document_url_path(BASE_URL)
        return assertion_keys(json.loads(did_json.read_text(encoding="utf-8")))[method]

    def load(self, name: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.files[name].read_text(encoding="utf-8"))
        return document


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    root = tmp_path_factory.mktemp("site")
    did = did_from_base_url(BASE_URL)
    key = generate_signing_key(key_id(did))
    write_json(
        root / did_document_url_path(BASE_URL), build_did_document(did, [key.verification_key()])
    )
    status_list = {
        "@context": [CREDENTIALS_V2],
        "id": STATUS_LIST,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": CREATED,
        "credentialSubject": {
            "id": f"{STATUS_LIST}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_status_list({REVOKED_INDEX}),
        },
    }
    write_json(root / "status" / "1.json", sign_credential(status_list, key, CREATED))
    credentials = {
        "control": open_badge(
            did, "control", "Teamwork Badge", "Bell \x07, backspace \b, form feed \f, DEL \x7f."
        ),
        "unicode": open_badge(
            did, "unicode", "Coopération « équipe » — 協力 ✓ 🤝", "Ünïcödé\u2028line\u00a0nbsp 𝄞"
        ),
        "active": {
            **open_badge(did, "active", "Active", "Not revoked."),
            "credentialStatus": status_entry(94567),
        },
        "revoked": {
            **open_badge(did, "revoked", "Revoked", "Revoked later."),
            "credentialStatus": status_entry(REVOKED_INDEX),
        },
    }
    files = {
        name: write_json(root / "credentials" / f"{name}.json", sign_credential(doc, key, CREATED))
        for name, doc in credentials.items()
    }
    tampered = json.loads(files["control"].read_text(encoding="utf-8"))
    tampered["credentialSubject"]["achievement"]["criteria"]["narrative"] += "!"
    files["tampered"] = write_json(root / "credentials" / "tampered.json", tampered)
    return Site(root, key, files)


def test_node_verifies_python_signed_credentials(site: Site) -> None:
    results = site.verify_in_node("control", "unicode", "active")
    for name in ("control", "unicode", "active"):
        assert results[name]["verified"], results[name]["errors"]
        assert verify_credential(site.load(name), site.resolve)
    assert results["active"]["status"] == [{"purpose": "revocation", "set": False}]


def test_tampered_credential_fails_in_node_and_python(site: Site) -> None:
    results = site.verify_in_node("control", "tampered")
    assert results["control"]["verified"]
    assert not results["tampered"]["verified"]
    assert any("Invalid signature" in error for error in results["tampered"]["errors"])
    assert not verify_credential(site.load("tampered"), site.resolve)


def test_revoked_credential_fails_in_node(site: Site) -> None:
    results = site.verify_in_node("revoked")
    assert not results["revoked"]["verified"]
    assert results["revoked"]["status"] == [{"purpose": "revocation", "set": True}]
    # The proof itself is sound: revocation is a status-list matter.
    assert verify_credential(site.load("revoked"), site.resolve)


def test_node_refuses_urls_outside_the_site(site: Site, tmp_path: Path) -> None:
    foreign = copy.deepcopy(site.load("control"))
    foreign["proof"][0]["verificationMethod"] = "did:web:evil.example#key-1"
    path = write_json(tmp_path / "foreign.json", foreign)
    result = run_node("verify.mjs", "--site", str(site.root), "--base-url", BASE_URL, str(path))
    assert result.returncode == 1
    (line,) = json_lines(result.stdout)
    assert any("refused to load" in error for error in line["errors"])


def test_node_verifies_the_official_ob3_vector(tmp_path: Path) -> None:
    vector = json.loads((STANDARDS / "ob3-eddsa-rdfc-2022-test-vector.json").read_text())
    controller = vector["controller"]
    write_json(
        tmp_path / "issuers" / "565049",
        {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": controller,
            "verificationMethod": [
                {
                    "id": vector["verificationMethodId"],
                    "type": "Multikey",
                    "controller": controller,
                    "publicKeyMultibase": vector["publicKeyMultibase"],
                }
            ],
            "assertionMethod": [vector["verificationMethodId"]],
        },
    )
    signed = write_json(tmp_path / "vector.json", vector["signedCredential"])
    result = run_node(
        "verify.mjs", "--site", str(tmp_path), "--base-url", "https://example.edu/", str(signed)
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- canonicalisation and safe mode, Python vs rdf-canonize / jsonld.js ---------------


def node_canonize(docs: list[dict[str, Any]]) -> list[dict[str, str]]:
    result = run_node("canonize.mjs", stdin=json.dumps(docs))
    assert result.returncode == 0, result.stderr
    outputs: list[dict[str, str]] = json.loads(result.stdout)
    return outputs


def text_document(text: str) -> dict[str, Any]:
    document = open_badge("did:web:example.github.io:badges", "t", text, text)
    document["credentialSubject"]["achievement"]["tag"] = [text, "tag", text + "\x01"]
    return document


TRICKY_TEXTS = [
    "".join(map(chr, range(0x20))) + "\x7f",
    'quote " backslash \\ tab \t newline \n return \r',
    "\u2028\u2029\u0085\u00a0\ufeff",
    "astral 😀 𝄞 and high BMP \ue000 \uffff",
    "",
]


def test_python_canonical_form_matches_rdf_canonize_on_fixed_documents() -> None:
    samples = [
        "ob3-sample-basic-openbadgecredential.json",
        "ob3-sample-complete-openbadgecredential.json",
    ]
    docs = [json.loads((STANDARDS / name).read_text()) for name in samples]
    docs += [text_document(text) for text in TRICKY_TEXTS if text]
    # IRIs that jsonld.js accepts but N-Quads must escape (rdf-canonize _iriEscape).
    docs.append({**text_document("iri"), "id": 'https://example.org/{a}|b^c`d\\e"f<g>'})
    # Run twice: the second pass hits the processed-context memo.
    docs += copy.deepcopy(docs)
    for doc, js in zip(docs, node_canonize(docs), strict=True):
        assert canonize(doc) == js["nquads"]


@given(st.lists(st.text(), min_size=1, max_size=25))
@settings(max_examples=8, deadline=None)
def test_python_canonical_form_matches_rdf_canonize(texts: list[str]) -> None:
    docs = [text_document(text) for text in [*TRICKY_TEXTS, *texts]]
    for doc, js in zip(docs, node_canonize(docs), strict=True):
        try:
            python = canonize(doc)
        except CanonicalOrderError:
            # Refused on purpose: rdf-canonize would sort these lines differently.
            lines = js["nquads"].split("\n")[:-1]
            assert lines != sorted(lines)
            continue
        assert python == js["nquads"]


def lint_cases() -> list[dict[str, Any]]:
    vector = json.loads((STANDARDS / "ob3-eddsa-rdfc-2022-test-vector.json").read_text())
    base = vector["unsignedCredential"]

    def variant(**fields: Any) -> dict[str, Any]:
        return {**copy.deepcopy(base), **fields}

    image = {**base["issuer"], "image": {"id": "logo.png", "type": "Image"}}
    return [
        base,
        json.loads((STANDARDS / "ob3-sample-basic-openbadgecredential.json").read_text()),
        json.loads((STANDARDS / "ob3-sample-complete-openbadgecredential.json").read_text()),
        variant(fooBar="x"),
        variant(**{"@foo": "x"}),
        variant(issuer=image),
        variant(id="https://example.org/a b"),
        variant(credentialStatus={"id": "https://example.org/s#1", "type": "StatusList2021Entry"}),
        variant(
            credentialSchema=[{"id": "https://e.org/s", "type": "1EdTechJsonSchemaValidator2019"}]
        ),
        variant(name={"@value": "x", "@language": "not a tag"}),
        {"@context": CREDENTIALS_V2, "id": "urn:x:1"},
    ]


def test_lint_agrees_with_jsonld_safe_mode() -> None:
    docs = lint_cases()
    for doc, js in zip(docs, node_canonize(docs), strict=True):
        problems = find_undefined_terms(doc)
        assert (problems == []) == ("nquads" in js), (problems, js)
