"""Staff commands: award to several people, revoke, unrevoke, new-badge; check passes after each."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import RECIPIENT, Project

AWARD_ID = "aaaaaaaaaaaaaaaaaaaa"
COMMENTED = """\
# yaml-language-server: $schema=../schemas/recipient.schema.json
name: Alice Martin   # as on the student card
email: alice@example.org
public: true
awards:
  # first badge, from the spring fair
  - id: aaaaaaaaaaaaaaaaaaaa
    badge: civic
    issued_on: 2025-01-15   # the fair's last day
    evidence:
      - url: https://example.org/fair/report
        narrative: {fr: Rapport, en: Report}

  # second badge: the autumn project
  - id: cccccccccccccccccccc
    badge: civic
    issued_on: 2025-10-01
    narrative: >-
      Led the project
      for six weeks.

# end of file
"""


def assert_check_passes(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    status, output = project.run(capsys, "check")
    assert status == 0, output


# -- revoke / unrevoke ---------------------------------------------------------------------


def test_revoke_adds_the_mapping_after_the_award(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    file = project.write("recipients/alice-martin.yaml", COMMENTED)
    status, output = project.run(
        capsys, "revoke", AWARD_ID, "--reason", "Awarded by mistake: wrong list"
    )
    assert (status, output) == (0, f"revoked award {AWARD_ID} in recipients/alice-martin.yaml\n")
    assert file.read_text(encoding="utf-8") == COMMENTED.replace(
        "        narrative: {fr: Rapport, en: Report}\n",
        "        narrative: {fr: Rapport, en: Report}\n"
        "    revoked:\n"
        "      on: 2025-12-04\n"
        "      reason: 'Awarded by mistake: wrong list'\n",
    )
    assert_check_passes(project, capsys)


def test_revoke_the_last_award_with_a_date(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    file = project.write("recipients/alice-martin.yaml", COMMENTED)
    args = ("revoke", "cccccccccccccccccccc", "--reason", "Attestation withdrawn")
    assert project.run(capsys, *args, "--date", "2025-11-02")[0] == 0
    assert file.read_text(encoding="utf-8") == COMMENTED.replace(
        "      for six weeks.\n",
        "      for six weeks.\n"
        "    revoked:\n"
        "      on: 2025-11-02\n"
        "      reason: Attestation withdrawn\n",
    )
    assert_check_passes(project, capsys)


def test_unrevoke_gives_back_the_file_as_it_was(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    file = project.write("recipients/alice-martin.yaml", COMMENTED)
    for award_id in (AWARD_ID, "cccccccccccccccccccc"):
        assert project.run(capsys, "revoke", award_id, "--reason", "Mistake")[0] == 0
        assert project.run(capsys, "unrevoke", award_id) == (
            0,
            f"award {award_id} in recipients/alice-martin.yaml is no longer revoked\n",
        )
        assert file.read_text(encoding="utf-8") == COMMENTED
    assert_check_passes(project, capsys)


def test_unrevoke_keeps_the_comment_above_the_revocation(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    body = RECIPIENT + "    # withdrawn by the host\n    revoked: {on: 2025-02-01, reason: x}\n"
    file = project.write("recipients/alice-martin.yaml", body)
    assert project.run(capsys, "unrevoke", AWARD_ID)[0] == 0
    assert file.read_text(encoding="utf-8") == RECIPIENT + "    # withdrawn by the host\n"
    assert_check_passes(project, capsys)


REVOKE_ERRORS = {
    "unknown id": (
        ("revoke", "aaaaaaaaaaaaaaaaaaab", "--reason", "x"),
        "no award with id 'aaaaaaaaaaaaaaaaaaab' (did you mean 'aaaaaaaaaaaaaaaaaaaa'?)\n",
    ),
    "unknown id, nothing close": (
        ("unrevoke", "zzzz"),
        "no award with id 'zzzz' (award ids are the 'id:' lines in recipients/)\n",
    ),
    "before the issue date": (
        ("revoke", AWARD_ID, "--reason", "x", "--date", "2025-01-14"),
        "revocation date 2025-01-14 is before the issue date 2025-01-15\n",
    ),
    "in the future": (
        ("revoke", AWARD_ID, "--reason", "x", "--date", "2025-12-05"),
        "revocation date 2025-12-05 is in the future\n",
    ),
    "empty reason": (
        ("revoke", AWARD_ID, "--reason", "  "),
        "the reason is empty (say why, e.g. --reason 'Awarded by mistake')\n",
    ),
    "not revoked": (("unrevoke", AWARD_ID), f"award {AWARD_ID} is not revoked\n"),
}


@pytest.mark.parametrize(
    ("args", "expected"), list(REVOKE_ERRORS.values()), ids=list(REVOKE_ERRORS)
)
def test_revoke_errors_change_nothing(
    project: Project, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    file = project.root / "recipients/alice-martin.yaml"
    before = file.read_bytes()
    assert project.run(capsys, *args) == (2, expected)
    assert file.read_bytes() == before


ERASED = """\
erased_on: 2025-06-01
awards:
  - id: eeeeeeeeeeeeeeeeeeee
    badge: civic
    issued_on: 2025-01-15
"""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("revoke", "eeeeeeeeeeeeeeeeeeee", "--reason", "x"),
            "award eeeeeeeeeeeeeeeeeeee belongs to a recipient erased on 2025-06-01 "
            "(it is already withdrawn, for good)\n",
        ),
        (
            ("unrevoke", "eeeeeeeeeeeeeeeeeeee"),
            "award eeeeeeeeeeeeeeeeeeee belongs to a recipient erased on 2025-06-01 "
            "(it is already withdrawn, for good)\n",
        ),
        (
            ("award", "civic", "erased-0123456789ab"),
            "erased-0123456789ab.yaml is the record of an erased recipient "
            "(awards go to a person's own recipient file)\n",
        ),
    ],
)
def test_erased_records_are_left_alone(
    project: Project, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    file = project.write("recipients/erased-0123456789ab.yaml", ERASED)
    assert_check_passes(project, capsys)
    assert project.run(capsys, *args) == (2, expected)
    assert file.read_text(encoding="utf-8") == ERASED


def test_revoking_twice_says_since_when(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run(capsys, "revoke", AWARD_ID, "--reason", "x", "--date", "2025-02-01")[0] == 0
    assert project.run(capsys, "revoke", AWARD_ID, "--reason", "y") == (
        2,
        f"award {AWARD_ID} is already revoked since 2025-02-01 "
        f"(to change the reason or date, run 'badgepages unrevoke {AWARD_ID}' first)\n",
    )


def test_revoke_reason_needs_no_quoting_by_staff(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    reason = 'Doublon « erreur »: voir #12 \u2014 "copie"\nligne 2'
    assert project.run(capsys, "revoke", AWARD_ID, "--reason", reason)[0] == 0
    assert_check_passes(project, capsys)
    text = (project.root / "recipients/alice-martin.yaml").read_text(encoding="utf-8")
    assert text.endswith("      reason: 'Doublon « erreur »: voir #12 \u2014 \"copie\" ligne 2'\n")


# -- award to several recipients -----------------------------------------------------------


def test_award_several_recipients_with_narrative_and_evidence(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("recipients/bob.yaml", "name: Bob\nemail: bob@example.org\n")
    status, output = project.run(
        capsys,
        "award",
        "civic",
        "alice-martin",
        "bob",
        "--date",
        "2025-03-01",
        "--narrative",
        "Organised the spring fair.",
        "--evidence",
        "https://example.org/fair/report",
    )
    assert status == 0
    ids = re.findall(r"^added award ([a-z2-7]{20}) to recipients/(\S+)$", output, re.M)
    assert [file for _, file in ids] == ["alice-martin.yaml", "bob.yaml"]
    bob = (project.root / "recipients/bob.yaml").read_text(encoding="utf-8")
    assert bob == (
        "name: Bob\nemail: bob@example.org\nawards:\n"
        f"  - id: {ids[1][0]}\n    badge: civic\n    issued_on: 2025-03-01\n"
        "    narrative: Organised the spring fair.\n"
        "    evidence:\n      - url: https://example.org/fair/report\n"
    )
    assert_check_passes(project, capsys)


def test_award_twice_on_the_same_day_is_skipped(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    file = project.root / "recipients/alice-martin.yaml"
    before = file.read_bytes()
    assert project.run(capsys, "award", "civic", "alice-martin", "--date", "2025-01-15") == (
        0,
        "skipped recipients/alice-martin.yaml: it already has 'civic' awarded on 2025-01-15\n",
    )
    assert file.read_bytes() == before


def test_award_reports_every_unknown_recipient_and_writes_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    file = project.root / "recipients/alice-martin.yaml"
    before = file.read_bytes()
    assert project.run(capsys, "award", "civic", "alice-martin", "alice-martn", "zed") == (
        2,
        "no recipient file recipients/alice-martn.yaml (did you mean 'alice-martin'?)\n"
        "no recipient file recipients/zed.yaml\n",
    )
    assert file.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("award", "civic"), "give recipient slugs or --csv FILE (one of the two)\n"),
        (
            ("award", "civic", "alice-martin", "--csv", "x.csv"),
            "give recipient slugs or --csv FILE (one of the two)\n",
        ),
        (
            ("award", "civic", "alice-martin", "--date", "2025-12-05"),
            "issue date 2025-12-05 is in the future\n",
        ),
        (
            ("award", "civic", "--csv", "x.csv", "--narrative", "x"),
            "with --csv, give narratives and evidence in the list's narrative and "
            "evidence_url columns\n",
        ),
    ],
)
def test_award_usage_errors(
    project: Project, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    assert project.run(capsys, *args) == (2, expected)


def test_award_refuses_an_evidence_that_is_not_a_web_address(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        project.run(capsys, "award", "civic", "alice-martin", "--evidence", "www.example.org")
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.endswith(
        "argument --evidence: 'www.example.org' is not a valid web address\n"
    )


# -- new-badge -----------------------------------------------------------------------------


def test_new_badge_is_valid_as_written_and_explains_every_key(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run(capsys, "new-badge", "esprit-d-equipe") == (
        0,
        "wrote badges/esprit-d-equipe.yaml and badges/esprit-d-equipe.svg: "
        "replace the placeholder texts and image before the first award\n",
    )
    assert_check_passes(project, capsys)
    text = (project.root / "badges/esprit-d-equipe.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/badge.schema.json\n")
    assert "name:\n  fr: Esprit d equipe\n  en: Esprit d equipe\n" in text
    for key in ("name", "description", "criteria", "image", "tags", "version"):
        assert re.search(rf"^# .*\n(?:#.*\n)*{key}:", text, re.M), key
    for optional in ("skills", "valid_for"):
        assert f"\n# {optional}:" in text
    assert project.run(capsys, "award", "esprit-d-equipe", "alice-martin")[0] == 0
    assert_check_passes(project, capsys)


def test_new_badge_image_is_a_neutral_svg(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run(capsys, "new-badge", "tutorat")[0] == 0
    root = ET.parse(project.root / "badges/tutorat.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not root.findall(".//{http://www.w3.org/2000/svg}text")


def test_new_badge_follows_the_site_languages(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (project.root / "site_config.yaml").read_text(encoding="utf-8")
    project.write("site_config.yaml", config.replace("[fr, en]", "[en, fr, de]"))
    assert project.run(capsys, "new-badge", "tutoring")[0] == 0
    text = (project.root / "badges/tutoring.yaml").read_text(encoding="utf-8")
    assert "criteria:\n  en: |-\n    To be written" in text
    assert "\n  de: |-\n    To be written" in text
    assert_check_passes(project, capsys)


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        (
            "Esprit d'équipe",
            "'Esprit d'équipe' is not a valid slug (use lower-case letters, digits and '-', "
            "e.g. 'esprit-d-equipe'; the slug becomes part of permanent URLs)\n",
        ),
        ("civic", "badges/civic.yaml already exists (choose another slug)\n"),
    ],
)
def test_new_badge_refuses_bad_or_taken_slugs(
    project: Project, capsys: pytest.CaptureFixture[str], slug: str, expected: str
) -> None:
    before = sorted(p.name for p in (project.root / "badges").iterdir())
    assert project.run(capsys, "new-badge", slug) == (2, expected)
    assert sorted(p.name for p in (project.root / "badges").iterdir()) == before
