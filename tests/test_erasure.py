"""`badgepages erase`: personal data gone, published URLs still answering, credentials revoked."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from badgepages.cli import main
from badgepages.keys import add_new_key
from badgepages.pipeline import BuildOptions, build
from tests.site import EXAMPLE_DAY, EXAMPLE_EPOCH, copy_example

PERSON = "camille-durand"
AWARD = "m6bueffbrqutcnotnw6n"


def test_erasure_keeps_urls_and_removes_personal_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_EPOCH)
    root = copy_example(tmp_path / "project")
    secret, _ = add_new_key(root, EXAMPLE_DAY)
    source = (root / "recipients" / f"{PERSON}.yaml").read_text(encoding="utf-8")
    personal = [
        "Camille", "Durand", "camille.durand@example.org", PERSON,
        "https://example.org/evidence/camille-durand", "Angers",
    ]  # fmt: skip
    assert all(text in source for text in personal)
    before = tmp_path / "before"
    build(root, BuildOptions(EXAMPLE_DAY, out_dir=before, signing_secret=secret))
    kept_credential = tmp_path / "kept" / "credential.json"
    kept_credential.parent.mkdir()
    shutil.copy(before / "awards" / AWARD / "credential.json", kept_credential)

    assert main(["-C", str(root), "erase", PERSON]) == 0
    output = capsys.readouterr().out
    assert output.startswith(f"erased recipients/{PERSON}.yaml: now recipients/erased-")
    erased_file = next((root / "recipients").glob("erased-*.yaml"))
    assert re.fullmatch(
        r"# yaml-language-server: .*\n(#.*\n)+erased_on: 2026-11-28\nawards:\n"
        rf"  - id: {AWARD}\n    badge: citadin-citoyen\n    issued_on: 2025-05-20\n",
        erased_file.read_text(encoding="utf-8"),
    )
    assert main(["-C", str(root), "check"]) == 0
    capsys.readouterr()

    after = tmp_path / "after"
    build(root, BuildOptions(EXAMPLE_DAY, out_dir=after, signing_secret=secret))
    published_before = {
        p.relative_to(before).as_posix()
        for p in before.rglob("*")
        if p.is_file() and AWARD in p.as_posix()
    }
    # The preview card drew the holder's name: it alone goes, with the name.
    assert published_before - {f"awards/{AWARD}/card.png"}
    for path in published_before - {f"awards/{AWARD}/card.png"}:
        assert (after / path).is_file(), f"{path} no longer answers"
    for file in after.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            for text in personal:
                assert text.encode() not in data, f"{text!r} still in {file}"
    page = (after / "awards" / AWARD / "index.html").read_text(encoding="utf-8")
    assert "Badge retiré" in page
    assert '<meta name="robots" content="noindex">' in page

    status = main(["verify", str(kept_credential), "--site", str(after)])
    assert status == 1
    assert capsys.readouterr().out.startswith("REVOKED: the issuer has withdrawn this badge")


def test_erase_unknown_recipient(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(tmp_path), "erase", "nobody"]) == 2
    assert capsys.readouterr().err == "no recipient file recipients/nobody.yaml\n"
