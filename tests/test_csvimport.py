"""`badgepages award BADGE --csv FILE`: award lists as spreadsheets really export them."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from badgepages.csvimport import AwardRow, parse_date, read_award_rows
from badgepages.diagnostics import Diagnostic, SourceLocation
from tests.conftest import Project

TODAY = date(2025, 12, 4)  # the conftest build day
ID = r"[a-z2-7]{20}"


def snapshot(project: Project) -> dict[str, bytes]:
    """Return every recipient file's bytes."""
    folder = project.root / "recipients"
    return {file.name: file.read_bytes() for file in sorted(folder.iterdir())}


def write_csv(project: Project, text: str, encoding: str = "utf-8", name: str = "list.csv") -> str:
    """Write an award list beside the project; return its path as given to the command."""
    file = project.root / name
    file.write_bytes(text.encode(encoding))
    return str(file)


def import_csv(
    project: Project, capsys: pytest.CaptureFixture[str], path: str, *extra: str
) -> tuple[int, str]:
    return project.run(capsys, "award", "civic", "--csv", path, *extra)


def assert_check_passes(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    status, output = project.run(capsys, "check")
    assert status == 0, output


GOOD = (
    "email,name,issued_on,narrative,evidence_url,public\n"
    "jean.dupont@example.org,Jean Dupont,2025-06-05,Organised the fair.,,yes\n"
    "ALICE@example.org ,Alice M.,2025-06-05,,https://example.org/fair/report,\n"
    "zoe@example.org,Zoé Lefèvre-Ångström,2025-06-06,,,no\n"
)


def test_good_list_creates_and_appends(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    status, output = import_csv(project, capsys, write_csv(project, GOOD))
    assert status == 0, output
    assert re.fullmatch(
        "created recipients/jean-dupont.yaml\n"
        f"added award {ID} to recipients/jean-dupont.yaml\n"
        f"added award {ID} to recipients/alice-martin.yaml\n"
        "created recipients/zoe-lefevre-angstrom.yaml\n"
        f"added award ({ID}) to recipients/zoe-lefevre-angstrom.yaml\n"
        "created 2 recipients, added 3 awards, skipped 0 duplicates\n",
        output,
    ), output
    zoe_id = re.findall(ID, output)[-1]
    zoe = (project.root / "recipients/zoe-lefevre-angstrom.yaml").read_text(encoding="utf-8")
    assert zoe == (
        "# yaml-language-server: $schema=../schemas/recipient.schema.json\n"
        "name: Zoé Lefèvre-Ångström\n"
        "email: zoe@example.org\n"
        "public: false  # true only with the person's consent to be named\n"
        "awards:\n"
        f"  - id: {zoe_id}\n"
        "    badge: civic\n"
        "    issued_on: 2025-06-06\n"
    )
    alice = (project.root / "recipients/alice-martin.yaml").read_text(encoding="utf-8")
    assert alice.endswith(
        "    issued_on: 2025-06-05\n    evidence:\n      - url: https://example.org/fair/report\n"
    )
    jean = (project.root / "recipients/jean-dupont.yaml").read_text(encoding="utf-8")
    assert "public: true" in jean
    assert "    narrative: Organised the fair.\n" in jean
    assert_check_passes(project, capsys)


def test_importing_twice_changes_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(project, GOOD)
    assert import_csv(project, capsys, path)[0] == 0
    before = snapshot(project)
    status, output = import_csv(project, capsys, path)
    assert status == 0
    assert output.splitlines()[-1] == "created 0 recipients, added 0 awards, skipped 3 duplicates"
    assert snapshot(project) == before


def test_dry_run_reports_and_writes_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(project)
    status, output = import_csv(project, capsys, write_csv(project, GOOD), "--dry-run")
    assert status == 0
    assert output.splitlines()[-2:] == [
        "created 2 recipients, added 3 awards, skipped 0 duplicates",
        "dry run: nothing was written",
    ]
    assert snapshot(project) == before


def test_same_person_twice_in_one_list(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "email,name,date\nbob@example.org,Bob,2025-06-05\nBOB@example.org,Bob,2025-06-05\n"
    status, output = import_csv(project, capsys, write_csv(project, text))
    assert status == 0
    assert re.fullmatch(
        f"created recipients/bob.yaml\nadded award {ID} to recipients/bob.yaml\n"
        "skipped recipients/bob.yaml: it already has 'civic' awarded on 2025-06-05\n"
        "created 1 recipient, added 1 award, skipped 1 duplicate\n",
        output,
    )


def test_bad_rows_are_all_reported_and_nothing_is_written(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "nom;email;date;preuve;public\n"
        "Jean Dupont;jean.dupont@;05/06/2025;;oui\n"
        ";marie@example.org;31/02/2025;www.example.org;peut-être\n"
        "Paul;paul@example.org;2026-01-01;;\n"
        "Léa;;06/13/2025;;\n"
        "Ok;ok@example.org;2025-06-05;;;surplus\n"
    )
    before = snapshot(project)
    status, output = import_csv(project, capsys, write_csv(project, text, name="students.csv"))
    path = str(project.root / "students.csv")
    assert status == 1
    assert output.replace(path, "students.csv").splitlines() == [
        "students.csv:2:2: 'jean.dupont@' is not a valid email address (column 'email')",
        "students.csv:3:1: the name is empty (column 'nom')",
        "students.csv:3:3: '31/02/2025' is not a date: write YYYY-MM-DD or DD/MM/YYYY "
        "(day first) (column 'date')",
        "students.csv:3:4: 'www.example.org' is not a valid web address (column 'preuve')",
        "students.csv:3:5: 'peut-être' is not yes or no: write oui/non, yes/no, true/false "
        "or 1/0 (column 'public')",
        "students.csv:4:3: issue date 2026-01-01 is in the future (column 'date')",
        "students.csv:5:2: the email is empty (column 'email')",
        "students.csv:5:3: '06/13/2025' is not a date: write YYYY-MM-DD or DD/MM/YYYY "
        "(day first) (column 'date')",
        "students.csv:6:6: 'surplus' is in a column without a name",
        "9 errors in 1 file",
        "nothing was imported: fix the rows above",
    ]
    assert snapshot(project) == before
    assert sorted(p.name for p in (project.root / "recipients").iterdir()) == ["alice-martin.yaml"]


def test_github_annotations_for_bad_rows(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.chdir(project.root)
    write_csv(project, "email,name,date\nnope,Bob,2025-06-05\n", name="list.csv")
    assert import_csv(project, capsys, "list.csv") == (
        1,
        "::error file=list.csv,line=2,col=1::'nope' is not a valid email address "
        "(column 'email')\n1 error in 1 file\nnothing was imported: fix the rows above\n",
    )


HEADER_ERRORS = {
    "misspelt column": (
        "email,name,date,narative\n",
        "list.csv:1:4: unknown column 'narative' (did you mean 'narrative'?)",
    ),
    "unrelated column": (
        "email,name,date,groupe\n",
        "list.csv:1:4: unknown column 'groupe' (the columns are email, name, issued_on, "
        "narrative, evidence_url, public, or courriel, nom, date, récit, preuve, consentement; "
        "delete or rename this one)",
    ),
    "no email": (
        "nom,date\n",
        "list.csv:1:1: no 'email' column (name one column email, e-mail, courriel, mail)",
    ),
    "no date and no --date": (
        "email,name\n",
        "list.csv:1:1: no 'issued_on' column "
        "(add a 'date' column, or give --date YYYY-MM-DD for every row)",
    ),
    "repeated column": (
        "email,name,date,courriel\n",
        "list.csv:1:4: column 'courriel' repeats column 'email'",
    ),
    "empty file": ("", "list.csv:1:1: the file is empty (its first row names the columns)"),
    "unclosed quote": (
        'email,name,date,narrative\nbob@example.org,Bob,2025-06-05,"never closed\n',
        'list.csv:2:1: a quoted cell is never closed: check the quotes (") from this row on',
    ),
}


@pytest.mark.parametrize(
    ("text", "expected"), list(HEADER_ERRORS.values()), ids=list(HEADER_ERRORS)
)
def test_file_level_errors(text: str, expected: str) -> None:
    _, problems = read_award_rows(text.encode(), "list.csv", None, TODAY)
    assert [p.format_gcc() for p in problems] == [expected]


MESSAGE = "cannot read the file as text: is it a CSV file?"
HINT = "save it as CSV UTF-8, or as CSV (séparateur: point-virgule)"


@pytest.mark.parametrize(
    "raw",
    [b"PK\x03\x04\x14\x00\x06\x00\x08\x00", b"\xff\xfee\x00m\x00a", b"\x81\x8d\x8f\x90\x9d"],
    ids=["workbook", "broken utf-16", "neither utf-8 nor windows-1252"],
)
def test_files_that_are_not_text(raw: bytes) -> None:
    assert read_award_rows(raw, "list.xlsx", None, TODAY) == (
        [],
        [Diagnostic(SourceLocation("list.xlsx"), MESSAGE, HINT)],
    )


def test_french_excel_export(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    """CSV (séparateur: point-virgule): Windows-1252, CRLF, French headers, DD/MM/YYYY."""
    text = (
        "Prénom;Nom;Adresse e-mail;Date d’obtention;Récit;Preuve;Consentement\r\n"  # noqa: RUF001 (Excel's apostrophe)
        "Hélène;Lefèvre;helene@example.org;05/06/2025;Bénévole « solidaire »;;OUI\r\n"
        "François;Nguyen;francois@example.org;5/6/2025;;;Non\r\n"
        ";;;;;;\r\n"
    )
    path = write_csv(project, text, encoding="cp1252")
    status, output = import_csv(project, capsys, path)
    assert status == 0, output
    assert output.splitlines()[-1] == "created 2 recipients, added 2 awards, skipped 0 duplicates"
    helene = (project.root / "recipients/helene-lefevre.yaml").read_text(encoding="utf-8")
    assert "name: Hélène Lefèvre\n" in helene
    assert "public: true" in helene
    assert "    issued_on: 2025-06-05\n    narrative: Bénévole « solidaire »\n" in helene
    assert (project.root / "recipients/francois-nguyen.yaml").is_file()
    assert_check_passes(project, capsys)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks(
    project: Project, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    text = "courriel\tnom\tdate\nines@example.org\tInès Benali\t2025-06-05\n"
    status, output = import_csv(project, capsys, write_csv(project, text, encoding))
    assert status == 0, output
    assert "name: Inès Benali\n" in (project.root / "recipients/ines-benali.yaml").read_text(
        encoding="utf-8"
    )


def test_excel_sep_line(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    text = "sep=;\r\nemail;name;date\r\nbob@example.org;Bob;2025-06-05\r\nnope;X;2025-06-05\r\n"
    status, output = import_csv(project, capsys, write_csv(project, text))
    assert status == 1
    assert output.splitlines()[0].endswith(
        "list.csv:4:1: 'nope' is not a valid email address (column 'email')"
    )


def test_quoted_newlines_keep_the_text_and_the_line_numbers(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "email;name;date;narrative;public\r\n"
        'bob@example.org;Bob;2025-06-05;"Two lines:\r\nfirst; ""second""";oui\r\n'
        "carl@;Carl;2025-06-05;;\r\n"
    )
    path = write_csv(project, text)
    output = import_csv(project, capsys, path)[1]
    assert output.splitlines()[0].endswith(
        "list.csv:4:1: 'carl@' is not a valid email address (column 'email')"
    )
    write_csv(project, text.replace("carl@;", "carl@example.org;"))
    assert import_csv(project, capsys, path)[0] == 0
    bob = (project.root / "recipients/bob.yaml").read_text(encoding="utf-8")
    assert '    narrative: |-\n      Two lines:\n      first; "second"\n' in bob
    assert_check_passes(project, capsys)


def test_slugs_are_unique(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        "email,name,date\n"
        "alice2@example.org,Alice Martin,2025-06-05\n"
        "alice3@example.org,Alice  Martin,2025-06-05\n"
        "x@example.org,李小龍,2025-06-05\n"  # no Latin letter: a neutral slug
    )
    status, output = import_csv(project, capsys, write_csv(project, text))
    assert status == 0, output
    assert [line for line in output.splitlines() if line.startswith("created recipients")] == [
        "created recipients/alice-martin-2.yaml",
        "created recipients/alice-martin-3.yaml",
        "created recipients/recipient.yaml",
    ]


def test_consent_of_existing_recipients(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "email,name,date,public\nalice@example.org,Alice,2025-06-05,non\n"
    status, output = import_csv(project, capsys, write_csv(project, text))
    assert status == 0
    assert output.splitlines()[0] == "recorded 'public: false' in recipients/alice-martin.yaml"
    alice = (project.root / "recipients/alice-martin.yaml").read_text(encoding="utf-8")
    assert "public: false\n" in alice
    assert_check_passes(project, capsys)


def test_contradictory_consent_is_an_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "email,name,date,public\nb@example.org,B,2025-06-05,oui\nb@example.org,B,2025-06-06,non\n"
    )
    status, output = import_csv(project, capsys, write_csv(project, text))
    assert status == 1
    assert output.splitlines()[0].endswith(
        "list.csv:3:4: the consent differs from the one on line 2 for this email (column 'public')"
    )


def test_texts_must_not_name_people_without_consent(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "email,name,date,narrative,evidence_url\n"
        "bob@example.org,Bob Lefebvre,2025-06-05,Lefebvre led the fair.,"
        "https://example.org/lefebvre\n"
    )
    status, output = import_csv(project, capsys, write_csv(project, text))
    assert status == 1
    message = (
        "this text names the person, who has not consented to be named: remove the name, "
        "or record their consent in the public column"
    )
    assert [line.split("list.csv:")[-1] for line in output.splitlines()[:2]] == [
        f"2:4: {message} (column 'narrative')",
        f"2:5: {message} (column 'evidence_url')",
    ]


def test_date_option_fills_empty_dates(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "email,name,date\nbob@example.org,Bob,\ncarl@example.org,Carl,2025-06-01\n"
    path = write_csv(project, text)
    assert import_csv(project, capsys, path)[0] == 1
    assert import_csv(project, capsys, path, "--date", "2025-06-05")[0] == 0
    bob = (project.root / "recipients/bob.yaml").read_text(encoding="utf-8")
    carl = (project.root / "recipients/carl.yaml").read_text(encoding="utf-8")
    assert "issued_on: 2025-06-05" in bob
    assert "issued_on: 2025-06-01" in carl


def test_import_keeps_comments_and_layout(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    original = (
        "# yaml-language-server: $schema=../schemas/recipient.schema.json\n"
        "# Consent received in writing on 2024-09-12.\n"
        "name: Alice Martin   # as on the student card\n"
        "email: alice@example.org\n"
        "public: true    # signed form kept by Student Life\n"
        "awards:\n"
        "# first badge\n"
        "- id: aaaaaaaaaaaaaaaaaaaa\n"
        "  badge: civic\n"
        "  issued_on: 2025-01-15\n"
        "  narrative: {fr: 'Bénévole', en: Volunteer}\n"
    )
    file = project.write("recipients/alice-martin.yaml", original)
    text = "email,name,date,public\nalice@example.org,Alice Martin,2025-06-05,oui\n"
    assert import_csv(project, capsys, write_csv(project, text))[0] == 0
    new = file.read_text(encoding="utf-8")
    assert new.startswith(original)
    assert re.fullmatch(
        f"- id: {ID}\n  badge: civic\n  issued_on: 2025-06-05\n", new[len(original) :]
    )


def test_first_import_creates_the_recipients_folder(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    (project.root / "recipients/alice-martin.yaml").unlink()
    (project.root / "recipients").rmdir()
    path = write_csv(project, "email,name,date\nc@example.org,C,2025-06-05\n")
    assert import_csv(project, capsys, path)[0] == 0
    assert (project.root / "recipients/c.yaml").is_file()
    assert_check_passes(project, capsys)


def test_project_with_errors_imports_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("recipients/bob.yaml", "name: Bob\nemail: nope\n")
    path = write_csv(project, "email,name,date\nc@example.org,C,2025-06-05\n")
    assert import_csv(project, capsys, path) == (
        1,
        "recipients/bob.yaml:2:8: 'nope' is not a valid email address "
        "(an email address must have an @-sign)\n1 error in 1 file\n"
        "nothing was imported: fix the problems above first\n",
    )


def test_missing_file(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    status, output = import_csv(project, capsys, str(project.root / "nope.csv"))
    assert (status, output) == (
        2,
        f"cannot read {project.root / 'nope.csv'}: No such file or directory\n",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-05", date(2025, 6, 5)),
        ("05/06/2025", date(2025, 6, 5)),
        ("5/6/2025", date(2025, 6, 5)),
        ("31/12/2025", date(2025, 12, 31)),
        ("12/31/2025", None),
        ("05/06/25", None),
        ("2025-6-5", None),
        ("2025-02-30", None),
        ("5 juin 2025", None),
    ],
)
def test_dates(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


# -- the parser, for any table -------------------------------------------------------------

LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèêëàâçîïôöùûüÿñÉÈÀÇ"
NAMES = st.text(alphabet=LATIN + " '-", min_size=1, max_size=30).map(str.strip).filter(bool)
TEXTS = (
    st.text(
        alphabet=st.sampled_from(list(LATIN + " ;,.\"'\n-:«»€0123456789")), min_size=1, max_size=60
    )
    .map(str.strip)
    .filter(bool)
)
EMAILS = st.from_regex(
    r"[a-z0-9]{1,6}([._][a-z0-9]{1,5})?@[a-z]{1,10}\.(org|fr|com)", fullmatch=True
)
URLS = st.from_regex(r"https://[a-z]{1,10}\.org/[a-z0-9/_-]{0,20}", fullmatch=True)
ROWS = st.builds(
    lambda email, name, day, narrative, url, public: AwardRow(
        0, email, name, day, narrative, url, public
    ),
    EMAILS,
    NAMES,
    st.dates(min_value=date(2000, 1, 1), max_value=TODAY),
    st.none() | TEXTS,
    st.none() | URLS,
    st.none() | st.booleans(),
)


def _public_cell(value: bool | None, french: bool) -> str:
    if value is None:
        return ""
    return ("oui" if value else "non") if french else ("yes" if value else "no")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(ROWS, min_size=1, max_size=8),
    separator=st.sampled_from([";", ","]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    french=st.booleans(),
    crlf=st.booleans(),
)
def test_any_valid_table_reads_back(
    rows: list[AwardRow], separator: str, encoding: str, french: bool, crlf: bool
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n" if crlf else "\n")
    if french:
        writer.writerow(["Courriel", "Nom", "Date d'obtention", "Récit", "Preuve", "Consentement"])
    else:
        writer.writerow(["email", "name", "issued_on", "narrative", "evidence_url", "public"])
    for row in rows:
        day = row.issued_on.strftime("%d/%m/%Y") if french else row.issued_on.isoformat()
        writer.writerow(
            [
                row.email,
                row.name,
                day,
                row.narrative or "",
                row.evidence_url or "",
                _public_cell(row.public, french),
            ]
        )
    raw = buffer.getvalue().encode(encoding)
    if encoding == "cp1252":
        # A Windows-1252 file that happens to be valid UTF-8 is read as UTF-8 (as every
        # tool does); such byte sequences do not occur in real French names.
        assume(not _is_utf8(raw))
    parsed, problems = read_award_rows(raw, "list.csv", None, TODAY)
    assert problems == []
    assert parsed == rows
    starts, line = [], 2
    for row in rows:
        starts.append(line)
        line += 1 + (row.narrative or "").count("\n")
    assert [row.line for row in parsed] == starts


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not raw.isascii()
