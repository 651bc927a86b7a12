"""The award the deploy verifies on the live site: valid, and of a holder who consented."""

from __future__ import annotations

import pytest

from tests.conftest import RECIPIENT, Project

ALICE_PAGE = "https://example.github.io/badges/awards/aaaaaaaaaaaaaaaaaaaa/"


def award_url(project: Project, capsys: pytest.CaptureFixture[str]) -> str:
    """Build the project with --outputs; return the file's text."""
    outputs = project.root.parent / "outputs"
    outputs.write_text("earlier=1\n", encoding="utf-8")  # $GITHUB_OUTPUT is appended to
    status, _ = project.run(
        capsys, "build", "--out", str(project.root.parent / "site"), "--outputs", str(outputs)
    )
    assert status == 0
    return outputs.read_text(encoding="utf-8").removeprefix("earlier=1\n")


def test_the_build_names_a_valid_award_of_a_holder_who_consented(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert award_url(project, capsys) == f"award-url={ALICE_PAGE}\n"


@pytest.mark.parametrize(
    "change",
    [
        ("public: true", "public: false"),
        ("issued_on: 2025-01-15", "issued_on: 2025-01-15\n    expires: 2025-06-30"),
        (
            "issued_on: 2025-01-15",
            "issued_on: 2025-01-15\n    revoked:\n      on: 2025-02-01\n      reason: Mistake",
        ),
    ],
    ids=["no consent", "expired", "revoked"],
)
def test_no_award_is_named_when_none_is_valid_and_public(
    project: Project, capsys: pytest.CaptureFixture[str], change: tuple[str, str]
) -> None:
    project.write("recipients/alice-martin.yaml", RECIPIENT.replace(*change))
    assert award_url(project, capsys) == "award-url=\n"


def test_the_earliest_valid_award_is_named(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "recipients/bob.yaml",
        "name: Bob\nemail: bob@example.org\npublic: true\nawards:\n"
        "  - id: bbbbbbbbbbbbbbbbbbbb\n    badge: civic\n    issued_on: 2024-12-01\n",
    )
    assert award_url(project, capsys) == (
        "award-url=https://example.github.io/badges/awards/bbbbbbbbbbbbbbbbbbbb/\n"
    )
