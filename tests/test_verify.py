"""`badgepages verify`: the right verdict for valid, revoked, expired and tampered badges."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgepages import baking
from badgepages.cli import main
from badgepages.did import build_did_document, key_id
from badgepages.signing import generate_signing_key, load_signing_key, sign_credential
from badgepages.verify import Check, JsonObject, allowed_hosts, verify_document
from tests.conftest import CONFIG, Project
from tests.local_https import folder_routes, make_certificates, serving
from tests.site import EXAMPLE_DAY, BuiltSite, baked_download

VALID = "m6bueffbrqutcnotnw6n"
SITE = "https://essca.github.io/badges/"
KEYS = [
    "@context", "id", "type", "issuer", "validFrom", "validUntil", "credentialSubject",
    "credentialStatus", "proof", "image", "name", "badge", "recipient", "revoked", "expires",
]  # fmt: skip


def verify(capsys: pytest.CaptureFixture[str], target: str, site: Path) -> tuple[int, list[str]]:
    status = main(["verify", target, "--site", str(site)])
    return status, capsys.readouterr().out.splitlines()


def award_id(site: BuiltSite, status: str) -> str:
    return next(a.id for a in site.catalog.awards if a.status(EXAMPLE_DAY) == status)


def test_valid_award_page(example_site: BuiltSite, capsys: pytest.CaptureFixture[str]) -> None:
    url = example_site.urls.url(example_site.urls.award_page(VALID, "fr"))
    status, lines = verify(capsys, url, example_site.out)
    assert status == 0
    assert lines[0] == "VALID: genuine, not revoked, not expired (Open Badges 3.0 credential)"
    assert [line.split(":")[0].split() for line in lines[1:]] == [
        ["passed", "format"],
        ["passed", "schema"],
        ["passed", "issuer"],
        ["passed", "signature"],
        ["passed", "revocation"],
        ["passed", "validity", "dates"],
    ]


@pytest.mark.parametrize(
    ("state", "verdict"),
    [
        ("revoked", "REVOKED: the issuer has withdrawn this badge"),
        ("expired", "EXPIRED: this badge is no longer valid"),
    ],
)
def test_revoked_and_expired(
    example_site: BuiltSite, capsys: pytest.CaptureFixture[str], state: str, verdict: str
) -> None:
    file = example_site.out / example_site.urls.credential_json(award_id(example_site, state))
    status, lines = verify(capsys, str(file), example_site.out)
    assert status == 1
    assert lines[0] == f"{verdict} (Open Badges 3.0 credential)"


def test_tampered_credential(
    example_site: BuiltSite, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    credential = json.loads(example_site.read(example_site.urls.credential_json(VALID)))
    credential["credentialSubject"]["achievement"]["name"] = "Prix Nobel"
    file = tmp_path / "credential.json"
    file.write_text(json.dumps(credential), encoding="utf-8")
    status, lines = verify(capsys, str(file), example_site.out)
    assert status == 1
    assert lines[0].startswith("NOT VALID")
    assert lines[4].split()[:2] == ["failed", "signature:"]


def test_baked_images(
    example_site: BuiltSite, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    award = next(a for a in example_site.catalog.awards if a.id == VALID)
    for standard, kind, name in [
        ("ob3", "png", "Open Badges 3.0 credential"),
        ("ob3", "svg", "Open Badges 3.0 credential"),
        ("ob2", "png", "Open Badges 2.0 assertion"),
    ]:
        file = tmp_path / f"{standard}.{kind}"
        file.write_bytes(baked_download(example_site, award, standard, kind))  # type: ignore[arg-type]
        status, lines = verify(capsys, str(file), example_site.out)
        assert (status, lines[0]) == (0, f"VALID: genuine, not revoked, not expired ({name})")


def test_revoked_ob2_assertion(
    example_site: BuiltSite, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    revoked = award_id(example_site, "revoked")
    award = next(a for a in example_site.catalog.awards if a.id == revoked)
    file = tmp_path / "revoked.png"
    file.write_bytes(baked_download(example_site, award, "ob2"))
    status, lines = verify(capsys, str(file), example_site.out)
    assert (status, lines[0]) == (
        1,
        "REVOKED: the issuer has withdrawn this badge (Open Badges 2.0 assertion)",
    )


def test_unreadable_status_list_is_never_valid(
    example_site: BuiltSite, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(example_site.out, site)
    (site / example_site.urls.status_list(1)).unlink()
    status, lines = verify(capsys, str(site / example_site.urls.credential_json(VALID)), site)
    assert status == 1
    assert lines[0] == (
        "NOT VERIFIED: some checks could not be done, so validity is not confirmed "
        "(Open Badges 3.0 credential)"
    )
    assert lines[5].split(":")[0].split() == ["could", "not", "check", "revocation"]


def test_forged_status_list_is_not_trusted(
    example_site: BuiltSite, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(example_site.out, site)
    status_file = site / example_site.urls.status_list(1)
    forged = json.loads(status_file.read_text(encoding="utf-8"))
    revoked = award_id(example_site, "revoked")
    forged["credentialSubject"]["encodedList"] = json.loads(
        (site / example_site.urls.credential_json(VALID)).read_text(encoding="utf-8")
    )["credentialSubject"]["identifier"][0]["salt"]  # anything but the signed list
    status_file.write_text(json.dumps(forged), encoding="utf-8")
    status, lines = verify(capsys, str(site / example_site.urls.credential_json(revoked)), site)
    assert status == 1
    assert lines[0].startswith("NOT VERIFIED")


def test_not_a_badge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "plain.png"
    png.write_bytes(baking.PNG_SIGNATURE + b"\x00\x00\x00\x00IEND\xaeB`\x82")
    assert main(["verify", str(png), "--site", str(tmp_path), "--base-url", "https://x.org/"]) == 2
    assert capsys.readouterr().err == (
        f"cannot verify {png}: no Open Badge is baked into this image\n"
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


def no_network(url: str) -> bytes:
    raise LookupError(f"offline: {url}")


@given(st.dictionaries(st.sampled_from(KEYS), JSON, max_size=8))
def test_any_document_gets_a_verdict_not_a_crash(document: dict[str, object]) -> None:
    document.setdefault("type", ["VerifiableCredential", "OpenBadgeCredential"])
    report = verify_document(document, no_network, datetime(2026, 11, 28, tzinfo=UTC))
    assert report.verdict in {"valid", "revoked", "expired", "invalid", "unverified"}
    assert report.verdict != "valid"


def forge(example_site: BuiltSite, site: Path, segments: list[str]) -> Path:
    """Return a copy of a valid credential re-issued, with a key of its own, by a did:web under
    the site's: ``did:web:essca.github.io:badges:SEGMENT:…``.

    Its DID document and status list sit in the folder those segments name below the --site
    folder, as the operating system reads the path: '..' and symlinks lead out of the site.
    """
    issuer = ":".join(["did:web:essca.github.io:badges", *segments])
    status_url = "/".join(["https://essca.github.io/badges", *segments, "status.json"])
    folder = site.joinpath(*(unquote(segment) for segment in segments))
    folder.mkdir(parents=True, exist_ok=True)
    key = generate_signing_key(key_id(issuer))
    document = build_did_document(issuer, [key.verification_key()])
    (folder / "did.json").write_text(json.dumps(document), encoding="utf-8")
    credential = json.loads(example_site.read(example_site.urls.credential_json(VALID)))
    status_list = json.loads(example_site.read(example_site.urls.status_list(1)))
    del status_list["proof"], credential["proof"]
    status_list["issuer"] = credential["issuer"]["id"] = issuer
    credential["credentialStatus"]["statusListCredential"] = status_url
    signed_list = sign_credential(status_list, key, "2026-11-28T00:00:00Z")
    (folder / "status.json").write_text(json.dumps(signed_list), encoding="utf-8")
    file = site.parent / "forged.json"
    signed = sign_credential(credential, key, "2026-11-28T00:00:00Z")
    file.write_text(json.dumps(signed), encoding="utf-8")
    return file


def copy_site(example_site: BuiltSite, tmp_path: Path) -> Path:
    site = tmp_path / "verifier" / "site"
    shutil.copytree(example_site.out, site)
    return site


@pytest.mark.parametrize("dots", ["..", "%2e%2E", "%2E.", "."])
def test_a_did_web_leaving_its_path_is_not_valid(
    example_site: BuiltSite, capsys: pytest.CaptureFixture[str], tmp_path: Path, dots: str
) -> None:
    """The forgery of issue 11: a foreign key's DID document placed outside the --site folder."""
    site = copy_site(example_site, tmp_path)
    forged = forge(example_site, site, [dots, dots, "attacker"])
    status, lines = verify(capsys, str(forged), site)
    issuer = f"did:web:essca.github.io:badges:{dots}:{dots}:attacker"
    status_list = f"https://essca.github.io/badges/{dots}/{dots}/attacker/status.json"
    assert status == 1
    assert lines == [
        "NOT VALID: this badge is not genuine or has been altered (Open Badges 3.0 credential)",
        "           passed  format: OpenBadgeCredential, VC 2.0",
        "           passed  schema: official OB 3.0 JSON Schema",
        f"           failed  issuer: {issuer} is not a valid did:web: path segment {dots!r} is "
        "a dot-segment, not a directory",
        "  could not check  signature: the issuer's key cannot be looked up",
        f"  could not check  revocation: status list unreadable: not fetched: {status_list} "
        "is on no host this verification may contact: neither target nor issuer names one",
        "           passed  validity dates: does not expire",
    ]


def test_a_did_document_behind_a_symlink_is_not_read(
    example_site: BuiltSite, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    site = copy_site(example_site, tmp_path)
    attacker = site.parent / "attacker"
    attacker.mkdir()
    (site / "evil").symlink_to(attacker, target_is_directory=True)
    forged = forge(example_site, site, ["evil"])
    status, lines = verify(capsys, str(forged), site)
    refused = f"leads outside {site} (a symlink): refused"
    assert status == 1
    assert lines == [
        "NOT VERIFIED: some checks could not be done, so validity is not confirmed "
        "(Open Badges 3.0 credential)",
        "           passed  format: OpenBadgeCredential, VC 2.0",
        "           passed  schema: official OB 3.0 JSON Schema",
        "           passed  issuer: signed by the issuer did:web:essca.github.io:badges:evil",
        "  could not check  signature: issuer key unavailable: "
        f"https://essca.github.io/badges/evil/did.json {refused}",
        "  could not check  revocation: status list unreadable: "
        f"https://essca.github.io/badges/evil/status.json {refused}",
        "           passed  validity dates: does not expire",
    ]


@pytest.mark.parametrize("dots", ["..", "%2e%2E", "%2E%2e"])
def test_a_hosted_assertion_outside_the_site_is_not_read(
    example_site: BuiltSite, capsys: pytest.CaptureFixture[str], tmp_path: Path, dots: str
) -> None:
    site = copy_site(example_site, tmp_path)
    assertion = json.loads(example_site.read(example_site.urls.assertion_json(VALID)))
    assertion["id"] = f"{SITE}{dots}/{dots}/x/assertion.json"
    (site.parent.parent / "x").mkdir()
    (site.parent.parent / "x" / "assertion.json").write_text(json.dumps(assertion))
    file = tmp_path / "assertion.json"
    file.write_text(json.dumps(assertion), encoding="utf-8")
    status, lines = verify(capsys, str(file), site)
    assert status == 1
    assert lines == [
        "NOT VERIFIED: some checks could not be done, so validity is not confirmed "
        "(Open Badges 2.0 assertion)",
        f"  could not check  hosted assertion: {assertion['id']}: {assertion['id']} has '.' or "
        "'..' segments: refused",
    ]


# -- the hosts a verification contacts ------------------------------------------------------


NOW = datetime(2026, 11, 28, tzinfo=UTC)
DID_URL = f"{SITE}did.json"


@dataclass
class Recorder:
    """A fetch that answers some URLs and records every URL asked for."""

    answers: dict[str, bytes]
    asked: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> bytes:
        self.asked.append(url)
        if url not in self.answers:
            raise LookupError(f"{url}: 404")
        return self.answers[url]


def reissue(example_site: BuiltSite, path: str, **changes: Any) -> JsonObject:
    """Return a site credential with changes, signed again with the site's own key."""
    credential = json.loads(example_site.read(path))
    proof = credential.pop("proof")[0]
    for name, value in changes.items():
        credential[name] = value
    key = load_signing_key(proof["verificationMethod"], example_site.secret)
    signed: JsonObject = sign_credential(credential, key, proof["created"])
    return signed


def moved_status_list(example_site: BuiltSite, url: str) -> JsonObject:
    credential = json.loads(example_site.read(example_site.urls.credential_json(VALID)))
    entry = {**credential["credentialStatus"], "statusListCredential": url}
    path = example_site.urls.credential_json(VALID)
    return reissue(example_site, path, credentialStatus=entry)


def test_a_status_list_on_another_host_is_not_fetched(example_site: BuiltSite) -> None:
    url = "https://status.example.net/revocation-1.json"
    credential = moved_status_list(example_site, url)
    fetch = Recorder(
        {
            DID_URL: example_site.read("did.json").encode(),
            url: example_site.read(example_site.urls.status_list(1)).encode(),
        }
    )
    report = verify_document(credential, fetch, NOW)
    assert fetch.asked == [DID_URL]
    assert report.checks[4] == Check(
        "revocation",
        "could not check",
        f"status list unreadable: not fetched: {url} is not on essca.github.io, the hosts "
        "this verification may contact",
    )
    assert report.verdict == "unverified"


def test_the_host_the_badge_came_from_may_be_contacted(example_site: BuiltSite) -> None:
    url = "https://mirror.example.net/revocation-1.json"
    credential = moved_status_list(example_site, url)
    fetch = Recorder(
        {
            DID_URL: example_site.read("did.json").encode(),
            url: example_site.read(example_site.urls.status_list(1)).encode(),
        }
    )
    report = verify_document(credential, fetch, NOW, "https://mirror.example.net/badge.json")
    assert (report.verdict, fetch.asked) == ("valid", [DID_URL, url, DID_URL])


@pytest.mark.parametrize(
    ("document", "source", "hosts"),
    [
        ({"type": "VerifiableCredential", "issuer": "did:web:essca.github.io:badges"}, None,
         {"essca.github.io"}),
        ({"type": "VerifiableCredential", "issuer": {"id": "did:web:Example.org%3A8443"}},
         "https://mirror.example.net:443/c.json", {"example.org:8443", "mirror.example.net"}),
        ({"type": "VerifiableCredential", "issuer": "did:web:example.org:..:x"},
         "http://example.org/c.json", set()),
        ({"type": "VerifiableCredential", "issuer": "did:key:z6Mk"}, None, set()),
        ({"type": "Assertion", "id": "https://essca.github.io/badges/a/assertion.json"}, None,
         {"essca.github.io"}),
        ({"type": "Assertion", "id": "https://user@evil.example/assertion.json"}, None, set()),
        ({"type": "Assertion", "id": "https://example.org:99999/"}, None, set()),
        ({"type": "Assertion"}, None, set()),
    ],
)  # fmt: skip
def test_allowed_hosts(document: JsonObject, source: str | None, hosts: set[str]) -> None:
    assert allowed_hosts(document, source) == hosts


def ob2_documents(example_site: BuiltSite) -> tuple[JsonObject, JsonObject]:
    urls = example_site.urls
    assertion = json.loads(example_site.read(urls.assertion_json(VALID)))
    badge = json.loads(example_site.read(assertion["badge"].removeprefix(SITE)))
    return assertion, badge


def test_an_ob2_badge_on_another_host_is_not_fetched(example_site: BuiltSite) -> None:
    assertion, _ = ob2_documents(example_site)
    assertion["badge"] = "https://badges.example.net/badge.json"
    fetch = Recorder({assertion["id"]: json.dumps(assertion).encode()})
    report = verify_document(assertion, fetch, NOW)
    assert fetch.asked == [assertion["id"]]
    assert report.checks[2] == Check(
        "issuer",
        "could not check",
        "badge or issuer unavailable: not fetched: https://badges.example.net/badge.json is "
        "not on essca.github.io, the hosts this verification may contact",
    )


def test_an_ob2_issuer_on_another_host_fails_unfetched(example_site: BuiltSite) -> None:
    assertion, badge = ob2_documents(example_site)
    badge["issuer"] = "https://issuer.example.net/issuer.json"
    answers = {assertion["id"]: json.dumps(assertion), assertion["badge"]: json.dumps(badge)}
    fetch = Recorder({url: text.encode() for url, text in answers.items()})
    report = verify_document(assertion, fetch, NOW)
    assert fetch.asked == [assertion["id"], assertion["badge"]]
    assert report.checks[2] == Check(
        "issuer",
        "failed",
        "https://issuer.example.net/issuer.json is not on the host of the assertion",
    )
    assert report.verdict == "invalid"


# -- over https, against a local server ----------------------------------------------------


def test_verify_over_https_contacts_only_the_allowed_host(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    certificates = make_certificates(tmp_path / "tls")
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with serving({}, certificates.server_context()) as server:
        base = server.url("/badges/")
        project.write("site_config.yaml", CONFIG.replace("https://example.github.io/badges/", base))
        secret = project.run(capsys, "keygen")[1].splitlines()[-1]
        key_file = project.write("key.txt", secret)
        out = tmp_path / "out"
        status, _ = project.run(
            capsys, "build", "--out", str(out), "--signing-key-file", str(key_file)
        )
        assert status == 0
        server.routes.update(folder_routes(out, "/badges/"))

        status, output = project.run(capsys, "verify", f"{base}awards/aaaaaaaaaaaaaaaaaaaa/")
        assert (status, output.splitlines()[0]) == (
            0,
            "VALID: genuine, not revoked, not expired (Open Badges 3.0 credential)",
        )
        # The status list moved to another name of the same server: never asked.
        other = base.replace("localhost", "127.0.0.1") + "status/revocation-1.json"
        credential = json.loads((out / "awards/aaaaaaaaaaaaaaaaaaaa/credential.json").read_text())
        proof = credential.pop("proof")[0]
        credential["credentialStatus"]["statusListCredential"] = other
        key = load_signing_key(proof["verificationMethod"], secret)
        moved = tmp_path / "moved.json"
        moved.write_text(json.dumps(sign_credential(credential, key, proof["created"])))
        status, output = project.run(capsys, "verify", str(moved))
        assert status == 1
        assert output.splitlines()[5] == (
            f"  could not check  revocation: status list unreadable: not fetched: {other} is not "
            f"on localhost:{server.port}, the hosts this verification may contact"
        )
    assert {host for host, _ in server.requests} == {f"localhost:{server.port}"}
