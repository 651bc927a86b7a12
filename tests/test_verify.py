"""`badgepages verify`: the right verdict for valid, revoked, expired and tampered badges."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgepages import baking
from badgepages.cli import main
from badgepages.verify import verify_document
from tests.site import EXAMPLE_DAY, BuiltSite, baked_download

VALID = "m6bueffbrqutcnotnw6n"
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
