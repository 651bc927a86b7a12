"""Signing keys: keygen, the private key kept out of everything, previews and required signing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.site import BuiltSite


def keygen(project: Project, capsys: pytest.CaptureFixture[str]) -> str:
    status, output = project.run(capsys, "keygen")
    assert status == 0
    return output.splitlines()[-1]


def test_keygen_prints_the_secret_once_and_records_the_public_key(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = keygen(project, capsys)
    assert re.fullmatch(r"z[1-9A-HJ-NP-Za-km-z]{40,}", secret)
    keys = (project.root / "keys.yaml").read_text(encoding="utf-8")
    assert secret not in keys
    assert re.search(r"- id: key-2025-12-04\n    public_key_multibase: z6Mk\w+\n", keys)
    assert project.run(capsys, "check")[0] == 0


def test_signed_build_from_the_environment(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = keygen(project, capsys)
    monkeypatch.setenv("BADGEPAGES_SIGNING_KEY", secret)
    out = project.root / "out"
    status, output = project.run(capsys, "build", "--out", str(out), "--require-signing")
    assert (status, "(signed)" in output) == (0, True)
    assert (out / "did.json").is_file()
    assert "unsigned preview" not in (out / "index.html").read_text(encoding="utf-8").lower()


def test_without_a_key_the_build_is_a_marked_preview(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    out = project.root / "out"
    status, output = project.run(capsys, "build", "--out", str(out))
    assert (status, "(UNSIGNED PREVIEW)" in output) == (0, True)
    credential = (out / "awards" / "aaaaaaaaaaaaaaaaaaaa" / "credential.json").read_text()
    assert '"proof"' not in credential
    for page in out.rglob("*.html"):
        assert 'class="preview-banner"' in page.read_text(encoding="utf-8"), page


def test_required_signing_without_a_key_fails(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    out = project.root / "out"
    status, output = project.run(capsys, "build", "--out", str(out), "--require-signing")
    assert status == 1
    assert output == (
        "error: a signed build was required but no signing key was given: set "
        "BADGEPAGES_SIGNING_KEY or pass --signing-key-file\nnothing was built\n"
    )
    assert not out.exists()


def test_unknown_key_is_refused_without_revealing_it(
    project: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    keygen(project, capsys)
    other = Project(tmp_path / "other")
    other.write("site_config.yaml", (project.root / "site_config.yaml").read_text())
    stray_secret = keygen(other, capsys)
    key_file = tmp_path / "key.txt"
    key_file.write_text(stray_secret + "\n", encoding="utf-8")
    status, output = project.run(capsys, "build", "--signing-key-file", str(key_file))
    assert status == 1
    assert "is not listed in keys.yaml" in output
    assert stray_secret not in output


def test_secret_never_reaches_the_site(example_site: BuiltSite) -> None:
    secret = example_site.secret.encode()
    for file in example_site.files():
        assert secret not in file.read_bytes(), file


def test_verify_needs_the_site_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from badgepages.cli import main

    assert main(["verify", "x.json", "--site", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"{tmp_path} has no issuer.json: give the site's address with --base-url\n"
    )


NOT_A_KEY = (
    "error: {file} does not hold a badgepages signing key (expected the text that "
    "'badgepages keygen' printed)\nnothing was built\n"
)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "error: cannot read the signing key file {file}: No such file or directory\n"
         "nothing was built\n"),
        (b"", NOT_A_KEY),
        (b"\n  \n", NOT_A_KEY),
        (b"z6MkNotAKey\n", NOT_A_KEY),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", NOT_A_KEY),
        ("zé".encode("latin-1"), NOT_A_KEY),
        ("z" + "1" * 5000, NOT_A_KEY),
    ],
)  # fmt: skip
def test_unusable_key_files_get_two_lines(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: bytes | str | None,
    expected: str,
) -> None:
    file = tmp_path / "key.txt"
    if isinstance(content, str):
        file.write_text(content, encoding="utf-8")
    elif content is not None:
        file.write_bytes(content)
    out = project.root / "out"
    status, output = project.run(
        capsys, "build", "--out", str(out), "--signing-key-file", str(file)
    )
    assert (status, output) == (1, expected.format(file=file))
    assert not out.exists()


def test_a_folder_or_a_huge_file_is_no_key_file(
    project: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, output = project.run(capsys, "build", "--signing-key-file", str(tmp_path))
    assert (status, output) == (
        1,
        f"error: cannot read the signing key file {tmp_path}: Is a directory\nnothing was built\n",
    )
    huge = tmp_path / "huge.key"
    with huge.open("wb") as stream:
        stream.truncate(2**31)  # sparse; read no further than a key's size
    status, output = project.run(capsys, "build", "--signing-key-file", str(huge))
    assert (status, output) == (1, NOT_A_KEY.format(file=huge))


def test_a_key_file_from_keygen_signs(
    project: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(f"\n  {keygen(project, capsys)}  \r\n", encoding="utf-8")
    out = project.root / "out"
    status, output = project.run(
        capsys, "build", "--out", str(out), "--signing-key-file", str(key_file)
    )
    assert (status, "(signed)" in output) == (0, True)
