"""Open Badges 3.0 on the example site, judged by the official schema and Digital Bazaar."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema

from badgepages.keys import add_new_key
from badgepages.pipeline import BuildOptions, build
from tests.site import EXAMPLE_DAY, STANDARDS, BuiltSite, copy_example
from tests.test_node_verifier import json_lines, run_node

SCHEMA = STANDARDS / "ob_v3p0_achievementcredential_schema.json"


def credentials(site: BuiltSite) -> list[Path]:
    return [site.out / site.urls.credential_json(a.id) for a in site.catalog.awards]


def node_verify(site: Path, base_url: str, files: list[Path], now: str) -> dict[str, Any]:
    result = run_node(
        "verify.mjs", "--site", str(site), "--base-url", base_url, "--now", now,
        *map(str, files),
    )  # fmt: skip
    return {Path(line["file"]).parent.name: line for line in json_lines(result.stdout)}


def test_official_schema_accepts_every_credential(example_site: BuiltSite) -> None:
    validator = jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    for file in credentials(example_site):
        credential = json.loads(file.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(credential)) == [], file
        assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"


def test_node_verifier_accepts_every_credential_and_the_status_list(
    example_site: BuiltSite,
) -> None:
    catalog, urls = example_site.catalog, example_site.urls
    files = [*credentials(example_site), example_site.out / urls.status_list(1)]
    results = node_verify(example_site.out, catalog.config.base_url, files, "2026-11-28T12:00:00Z")
    assert results.pop("status")["verified"] is True
    for award in catalog.awards:
        result = results[award.id]
        status = award.status(EXAMPLE_DAY)
        assert result["verified"] is (status == "valid"), (award.id, result)
        if status == "revoked":
            assert result["errors"] == ["Error: credential status is set: revocation"]
        if status == "expired":
            assert 'is after "validUntil"' in result["errors"][0]


def test_expired_credential_has_a_good_signature(example_site: BuiltSite) -> None:
    expired = [a for a in example_site.catalog.awards if a.status(EXAMPLE_DAY) == "expired"]
    for award in expired:
        file = example_site.out / example_site.urls.credential_json(award.id)
        during = f"{award.issued_on.isoformat()}T12:00:00Z"
        base_url = example_site.catalog.config.base_url
        assert node_verify(example_site.out, base_url, [file], during)[award.id]["verified"]


def test_tampering_any_signed_field_fails_in_node(example_site: BuiltSite, tmp_path: Path) -> None:
    award = next(a for a in example_site.catalog.awards if a.status(EXAMPLE_DAY) == "valid")
    original = json.loads(example_site.read(example_site.urls.credential_json(award.id)))
    changes = {
        "name": lambda c: c.update(name="Another badge"),
        "validFrom": lambda c: c.update(validFrom="2020-01-01T00:00:00Z"),
        "identity": lambda c: c["credentialSubject"]["identifier"][0].update(
            identityHash="sha256$" + "0" * 64
        ),
        "criteria": lambda c: c["credentialSubject"]["achievement"]["criteria"].update(
            narrative="Nothing at all."
        ),
        "status": lambda c: c["credentialStatus"].update(statusListIndex="1"),
    }
    files = []
    for name, change in changes.items():
        tampered = json.loads(json.dumps(original))
        change(tampered)
        folder = tmp_path / name
        folder.mkdir()
        (folder / "credential.json").write_text(json.dumps(tampered), encoding="utf-8")
        files.append(folder / "credential.json")
    base_url = example_site.catalog.config.base_url
    results = node_verify(example_site.out, base_url, files, "2026-11-28T12:00:00Z")
    assert {name: r["verified"] for name, r in results.items()} == dict.fromkeys(changes, False)


def test_rotation_keeps_old_credentials_verifying(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "project")
    first_secret, first = add_new_key(root, EXAMPLE_DAY)
    build(root, BuildOptions(EXAMPLE_DAY, out_dir=tmp_path / "v1", signing_secret=first_secret))
    keys_file = root / "keys.yaml"
    keys_file.write_text(
        keys_file.read_text(encoding="utf-8").replace(
            f"valid_from: {EXAMPLE_DAY}",
            f"valid_from: {EXAMPLE_DAY}\n    retired_on: {EXAMPLE_DAY}",
        ),
        encoding="utf-8",
    )
    second_secret, second = add_new_key(root, EXAMPLE_DAY)
    assert second.fragment != first.fragment
    out = tmp_path / "v2"
    build(root, BuildOptions(EXAMPLE_DAY, out_dir=out, signing_secret=second_secret))
    award_id = "m6bueffbrqutcnotnw6n"
    old = tmp_path / "old" / award_id / "credential.json"
    old.parent.mkdir(parents=True)
    shutil.copy(tmp_path / "v1" / "awards" / award_id / "credential.json", old)
    new = out / "awards" / award_id / "credential.json"
    assert json.loads(old.read_text())["proof"][0]["verificationMethod"].endswith(first.fragment)
    assert json.loads(new.read_text())["proof"][0]["verificationMethod"].endswith(second.fragment)
    results = run_node(
        "verify.mjs", "--site", str(out), "--base-url", "https://essca.github.io/badges/",
        str(old), str(new),
    )  # fmt: skip
    assert [line["verified"] for line in json_lines(results.stdout)] == [True, True]
