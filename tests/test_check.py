"""`badgepages check`: every problem staff can make, reported with file, line and a fix."""

from __future__ import annotations

import os
import re

import pytest

from tests.conftest import Project


def check(project: Project, capsys: pytest.CaptureFixture[str]) -> list[str]:
    status, output = project.run(capsys, "check")
    lines = output.splitlines()
    assert status == (1 if "error" in lines[-1] else 0)
    return lines


def test_valid_project_passes(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(project, capsys) == [
        "1 badge, 1 recipient, 1 award (a site of 39 files, 0.9 MB): no problems found"
    ]


def recipient(project: Project, body: str, name: str = "bob") -> None:
    project.write(f"recipients/{name}.yaml", body)


CASES = {
    "yaml syntax": (
        "name: Bob: Smith\nemail: bob@example.org\n",
        "recipients/bob.yaml:1:10: YAML syntax error: mapping values are not allowed here "
        "(a value containing ': ' must be quoted)",
    ),
    "misspelt key": (
        "name: Bob\nemail: bob@example.org\nawards:\n  - id: bbbbbbbbbbbbbbbbbbbb\n"
        "    badge: civic\n    isued_on: 2025-01-02\n",
        "recipients/bob.yaml:6:5: unknown key 'isued_on' (did you mean 'issued_on'?)",
    ),
    "wrong type": (
        "name: Bob\nemail: bob@example.org\nawards: civic\n",
        "recipients/bob.yaml:3:9: expected a list (one '- ' item per line), found text",
    ),
    "duplicate key": (
        "name: Bob\nemail: bob@example.org\nname: Robert\n",
        "recipients/bob.yaml:3:1: duplicate key 'name' (first written at line 1) "
        "(YAML keeps only the last one: remove or rename one of them)",
    ),
    "NO is not false": (
        "name: Bob\nemail: bob@example.org\npublic: NO\n",
        "recipients/bob.yaml:3:9: 'NO' is not true or false "
        "(write true or false; YAML 1.1 tools read yes/no/on/off differently)",
    ),
    "date in another format": (
        "name: Bob\nemail: bob@example.org\nawards:\n  - id: bbbbbbbbbbbbbbbbbbbb\n"
        "    badge: civic\n    issued_on: 02/01/2025\n",
        "recipients/bob.yaml:6:16: '02/01/2025' is not a date "
        "(write it as YYYY-MM-DD, e.g. 2025-06-30)",
    ),
    "tab": (
        "name: Bob\nemail: bob@example.org\nawards:\n\t- id: x\n",
        "recipients/bob.yaml:4:1: tab character in indentation "
        "(YAML indents with spaces only: replace the tab with spaces)",
    ),
    "unknown badge": (
        "name: Bob\nemail: bob@example.org\nawards:\n  - id: bbbbbbbbbbbbbbbbbbbb\n"
        "    badge: civc\n    issued_on: 2025-01-02\n",
        "recipients/bob.yaml:5:12: unknown badge 'civc' (did you mean 'civic'?)",
    ),
    "duplicate award id": (
        "name: Bob\nemail: bob@example.org\nawards:\n  - id: aaaaaaaaaaaaaaaaaaaa\n"
        "    badge: civic\n    issued_on: 2025-01-02\n",
        "recipients/bob.yaml:4:9: duplicate award id 'aaaaaaaaaaaaaaaaaaaa' "
        "(also used at recipients/alice-martin.yaml:5:9) "
        "(every award needs its own id: run 'badgepages award' to get a new one)",
    ),
    "invalid email": (
        "name: Bob\nemail: bob.example.org\n",
        "recipients/bob.yaml:2:8: 'bob.example.org' is not a valid email address "
        "(an email address must have an @-sign)",
    ),
    "expiry before issue": (
        "name: Bob\nemail: bob@example.org\nawards:\n  - id: bbbbbbbbbbbbbbbbbbbb\n"
        "    badge: civic\n    issued_on: 2025-01-02\n    expires: 2024-12-31\n",
        "recipients/bob.yaml:7:14: expiry date 2024-12-31 is not after the issue date 2025-01-02",
    ),
    "date in the future": (
        "name: Bob\nemail: bob@example.org\nawards:\n  - id: bbbbbbbbbbbbbbbbbbbb\n"
        "    badge: civic\n    issued_on: 2030-01-02\n",
        "recipients/bob.yaml:6:16: issue date 2030-01-02 is in the future "
        "(an award is published once it has been earned)",
    ),
    "malformed url": (
        "name: Bob\nemail: bob@example.org\nawards:\n  - id: bbbbbbbbbbbbbbbbbbbb\n"
        "    badge: civic\n    issued_on: 2025-01-02\n"
        "    evidence:\n      - url: www.example.org\n",
        "recipients/bob.yaml:8:14: 'www.example.org' is not a valid web address "
        "(write a full https:// URL)",
    ),
    "same person twice": (
        "name: Alice\nemail: ' Alice@Example.org'\n",
        "recipients/bob.yaml:1:1: the email is also the one of recipients/alice-martin.yaml "
        "(one person, one file: move these awards into that file)",
    ),
    "name of a recipient without consent": (
        "name: Bob Lefèvre\nemail: bob@example.org\nawards:\n  - id: bbbbbbbbbbbbbbbbbbbb\n"
        "    badge: civic\n    issued_on: 2025-01-02\n"
        "    evidence:\n      - url: https://example.org/lefevre/report\n",
        "recipients/bob.yaml:8:14: this public text names the recipient, who has not consented "
        "to be named (remove the name (or the email) from it, or set public: true with consent)",
    ),
    "revoked before issued": (
        "name: Bob\nemail: bob@example.org\nawards:\n  - id: bbbbbbbbbbbbbbbbbbbb\n"
        "    badge: civic\n    issued_on: 2025-01-02\n"
        "    revoked: {on: 2024-01-01, reason: error}\n",
        "recipients/bob.yaml:7:19: revocation date 2024-01-01 is before the issue date 2025-01-02",
    ),
}


@pytest.mark.parametrize(("body", "expected"), list(CASES.values()), ids=list(CASES))
def test_reports_problem_with_location(
    project: Project, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    recipient(project, body)
    lines = check(project, capsys)
    assert expected in lines
    assert lines[-1].endswith("in 1 file")


def test_unknown_key_suggests_the_right_one(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    recipient(project, "name: Bob\nemial: bob@example.org\n")
    assert check(project, capsys) == [
        "recipients/bob.yaml:2:1: unknown key 'emial' (did you mean 'email'?)",
        "1 error in 1 file",
    ]


def test_missing_id_hint_holds_a_fresh_id(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    recipient(
        project,
        "name: Bob\nemail: bob@example.org\nawards:\n  - badge: civic\n    issued_on: 2025-01-02\n",
    )
    lines = check(project, capsys)
    assert re.fullmatch(
        r"recipients/bob\.yaml:4:5: award has no permanent 'id' "
        r"\(add this line to the award: id: [a-z2-7]{20}\)",
        lines[0],
    )


def test_missing_and_unreadable_images(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("badges/gone.yaml", "name: G\ndescription: d\ncriteria: c\nimage: gone.svg\n")
    project.write("badges/bad.yaml", "name: B\ndescription: d\ncriteria: c\nimage: bad.png\n")
    project.write("badges/bad.png", "not an image")
    assert check(project, capsys) == [
        "badges/bad.yaml:4:8: image 'bad.png' is not a readable PNG or SVG file",
        "badges/gone.yaml:4:8: image 'gone.svg' not found beside the badge file "
        "(put the SVG or PNG file in badges/ and give its file name)",
        "2 errors in 2 files",
    ]


def test_duplicate_slugs_and_bad_file_names(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("recipients/alice-martin.yml", "name: A\nemail: a2@example.org\n")
    project.write("recipients/Bob Smith.yaml", "name: B\nemail: b@example.org\n")
    assert check(project, capsys) == [
        "recipients/Bob Smith.yaml:1:1: file name 'Bob Smith.yaml' is not a valid slug "
        "(rename it to 'bob-smith.yaml': lower-case letters, digits and '-'; "
        "the name becomes part of permanent URLs)",
        "recipients/alice-martin.yml:1:1: duplicate slug 'alice-martin': "
        "recipients/alice-martin.yaml has the same name (keep one file per slug)",
        "2 errors in 2 files",
    ]


def test_all_problems_sorted_and_counted(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    recipient(project, "name: Bob\nemail: nope\npublic: yes\n", "bob")
    recipient(project, "name: Carl\nemail: carl@\n", "carl")
    lines = check(project, capsys)
    assert [line.split(":")[0:2] for line in lines[:-1]] == [
        ["recipients/bob.yaml", "2"],
        ["recipients/bob.yaml", "3"],
        ["recipients/carl.yaml", "2"],
    ]
    assert lines[-1] == "3 errors in 2 files"


def test_github_annotations(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    recipient(project, "name: Bob\nemail: nope\n")
    status, output = project.run(capsys, "check", "--format", "github")
    assert status == 1
    assert output.splitlines()[0] == (
        "::error file=recipients/bob.yaml,line=2,col=8::'nope' is not a valid email address "
        "(an email address must have an @-sign)"
    )


def test_text_in_unknown_language(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(
        "badges/civic.yaml", "name: {fr: A, de: B}\ndescription: d\ncriteria: c\nimage: civic.svg\n"
    )
    assert check(project, capsys)[0] == (
        "badges/civic.yaml:1:7: language 'de' is not one of the site languages (fr, en) "
        "(add it to languages in site_config.yaml, or remove this translation)"
    )


DOMAIN_ROOT_WARNING = (
    "base_url is a domain root, so the issuer's DID document is published at "
    ".well-known/did.json, a hidden path (keep hidden files when deploying: "
    ".github/workflows/deploy.yml uploads the site with include-hidden-files: true; without "
    "it no credential can be verified)"
)


def test_a_domain_root_warns_that_the_did_document_is_a_hidden_path(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (project.root / "site_config.yaml").read_text(encoding="utf-8")
    project.write(
        "site_config.yaml",
        config.replace("https://example.github.io/badges/", "https://badges.school.example/"),
    )
    assert check(project, capsys) == [
        f"site_config.yaml:5:11: warning: {DOMAIN_ROOT_WARNING}",
        "1 badge, 1 recipient, 1 award (a site of 39 files, 0.9 MB): 1 warning in 1 file",
    ]
    status, output = project.run(capsys, "check", "--format", "github")
    assert (status, output.splitlines()[0]) == (
        0,
        f"::warning file=site_config.yaml,line=5,col=11::{DOMAIN_ROOT_WARNING}",
    )


_DELETE = "delete it (often pasted by accident)"
# What an award of a badge refused by check says.
_BADGE_UNLINKED = (
    "recipients/alice-martin.yaml:6:12: unknown badge 'civic' (the badges are the files in badges/)"
)
HOSTILE = {
    "control character in a name": (
        "name: Alice\x01Martin\nemail: bob@example.org\n",
        [f"recipients/bob.yaml:1:12: control character U+0001 is not allowed ({_DELETE})"],
    ),
    "backspace written as an escape in a narrative": (
        "name: Bob\nemail: bob@example.org\nawards:\n  - id: bbbbbbbbbbbbbbbbbbbb\n"
        '    badge: civic\n    issued_on: 2025-01-02\n    narrative: "Well\\b done"\n',
        [
            "recipients/bob.yaml:7:21: control character U+0008 is not allowed "
            "(the escape '\\b' writes it: delete the escape)"
        ],
    ),
    "terminal escape sequence": (
        "name: Bob \x1b[31mred\nemail: bob@example.org\n",
        [f"recipients/bob.yaml:1:11: control character U+001B is not allowed ({_DELETE})"],
    ),
    "email that is not an address": (
        "name: Bob\nemail: a@b..c\n",
        [
            "recipients/bob.yaml:2:8: 'a@b..c' is not a valid email address "
            "(an email address cannot have two periods in a row)"
        ],
    ),
    "email followed by a script": (
        "name: Bob\nemail: bob@example.org<script>\n",
        [
            "recipients/bob.yaml:2:8: 'bob@example.org<script>' is not a valid email address "
            "(the part after the @-sign contains invalid characters: '<', '>')"
        ],
    ),
    "email of 322 characters": (
        f"name: Bob\nemail: {'b' * 310}@example.org\n",
        [
            f"recipients/bob.yaml:2:8: '{'b' * 60}…' is not a valid email address "
            "(the email address is too long (68 characters too many))"
        ],
    ),
    "alias bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
        [
            "recipients/bob.yaml:1:4: YAML anchor '&a' is not allowed (write the value out "
            "in full: anchors and aliases are not supported in these sources)"
        ],
    ),
    "binary tag": (
        "name: !!binary Qm9i\nemail: bob@example.org\n",
        [
            "recipients/bob.yaml:1:7: YAML tag '!!binary' is not allowed "
            "(tags are not supported in these sources: remove it)"
        ],
    ),
    "nested 5000 levels deep": (
        "name: Bob\nemail: bob@example.org\nawards: " + "[" * 5000 + "]" * 5000 + "\n",
        [
            "recipients/bob.yaml:3:1008: nested more than 32 levels deep "
            "(these files need only a few levels: check the indentation)"
        ],
    ),
    "issue date in year 1": (
        "name: Bob\nemail: bob@example.org\nawards:\n  - id: bbbbbbbbbbbbbbbbbbbb\n"
        "    badge: civic\n    issued_on: 0001-01-01\n",
        [
            "recipients/bob.yaml:6:16: '0001-01-01' is not between the years 1900 and 2999 "
            "(check the year)"
        ],
    ),
}


@pytest.mark.parametrize(("body", "expected"), list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_recipient_is_refused_with_location(
    project: Project, capsys: pytest.CaptureFixture[str], body: str, expected: list[str]
) -> None:
    recipient(project, body)
    assert check(project, capsys) == [*expected, "1 error in 1 file"]


def test_nul_in_the_issuer_name(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    config = (project.root / "site_config.yaml").read_text(encoding="utf-8")
    project.write("site_config.yaml", config.replace("Test School", "Test\x00School"))
    assert check(project, capsys) == [
        f"site_config.yaml:2:13: control character U+0000 is not allowed ({_DELETE})",
        "1 error in 1 file",
    ]


def test_validity_of_a_hundred_million_years(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    badge = (project.root / "badges/civic.yaml").read_text(encoding="utf-8")
    project.write("badges/civic.yaml", badge + "valid_for: 99999999y\n")
    assert check(project, capsys) == [
        "badges/civic.yaml:5:12: '99999999y' is longer than a century "
        "(write at most 100y (100 years))",
        _BADGE_UNLINKED,
        "2 errors in 2 files",
    ]


def test_a_line_break_in_a_file_name_stays_on_one_line(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("recipients/bob\nsmith.yaml", "name: B\nemail: b@example.org\n")
    assert check(project, capsys) == [
        "recipients/bob\\nsmith.yaml:1:1: file name 'bob\\nsmith.yaml' is not a valid slug "
        "(rename it to 'bob-smith.yaml': lower-case letters, digits and '-'; "
        "the name becomes part of permanent URLs)",
        "1 error in 1 file",
    ]
    status, output = project.run(capsys, "check", "--format", "github")
    assert status == 1
    assert output.splitlines() == [
        "::error file=recipients/bob\\nsmith.yaml,line=1,col=1::file name 'bob\\nsmith.yaml' "
        "is not a valid slug (rename it to 'bob-smith.yaml': lower-case letters, digits and "
        "'-'; the name becomes part of permanent URLs)",
        "1 error in 1 file",
    ]


RESERVED = {
    "CON.yaml": "con-1.yaml",
    "con.yaml": "con-1.yaml",
    "aux.yaml": "aux-1.yaml",
    "Nul.yml": "nul-1.yml",
    "prn.yaml": "prn-1.yaml",
    "com1.yaml": "com1-1.yaml",
    "COM9.yaml": "com9-1.yaml",
    "com0.yaml": "com0-1.yaml",
    "lpt1.yaml": "lpt1-1.yaml",
    "LPT9.yaml": "lpt9-1.yaml",
    "con.foo.yaml": "con-foo.yaml",
    "aux .yaml": "aux-1.yaml",
}


@pytest.mark.parametrize(("name", "suggested"), RESERVED.items())
@pytest.mark.parametrize("folder", ["recipients", "badges"])
def test_file_names_windows_reserves_are_refused(
    project: Project, capsys: pytest.CaptureFixture[str], folder: str, name: str, suggested: str
) -> None:
    project.write(f"{folder}/{name}", "name: X\n")
    assert check(project, capsys) == [
        f"{folder}/{name}:1:1: file name '{name}' is reserved on Windows (rename it to "
        f"'{suggested}': such a repository cannot be checked out on Windows)",
        "1 error in 1 file",
    ]


def test_image_names_windows_reserves_are_refused(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    badge = (project.root / "badges/civic.yaml").read_text(encoding="utf-8")
    project.write("badges/civic.yaml", badge.replace("image: civic.svg", "image: nul.svg"))
    project.write("badges/nul.svg", (project.root / "badges/civic.svg").read_text())
    assert check(project, capsys) == [
        "badges/civic.yaml:4:8: image file name 'nul.svg' is reserved on Windows (rename the "
        "file and this line: such a repository cannot be checked out on Windows)",
        _BADGE_UNLINKED,
        "2 errors in 2 files",
    ]


def test_a_malformed_theme_strings_file(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    theme = project.root / "theme"
    theme.mkdir()
    config = (project.root / "site_config.yaml").read_text(encoding="utf-8")
    project.write("site_config.yaml", re.sub(r"theme: .*", "theme: theme", config))
    project.write("theme/strings.yaml", "home: {fr: Accueil, en: Home}\nhome: {no: Hjem}\n")
    assert check(project, capsys) == [
        "theme/strings.yaml:2:1: duplicate key 'home' (first written at line 1) "
        "(YAML keeps only the last one: remove or rename one of them)",
        "1 error in 1 file",
    ]


def test_huge_files_and_pipes_are_refused_without_reading_them(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    with (project.root / "recipients/huge.yaml").open("wb") as stream:
        stream.truncate(4 * 1024**3)  # sparse: check reads one byte past the limit, no more
    os.mkfifo(project.root / "recipients/pipe.yaml")
    with (project.root / "badges/big.yaml").open("wb") as stream:
        stream.truncate(1024**2 + 1)
    assert check(project, capsys) == [
        "badges/big.yaml:1:1: file is larger than 1024 KiB "
        "(a source file holds text only; is it the right file?)",
        "recipients/huge.yaml:1:1: file is larger than 1024 KiB "
        "(a source file holds text only; is it the right file?)",
        "recipients/pipe.yaml:1:1: not a regular file",
        "3 errors in 3 files",
    ]
