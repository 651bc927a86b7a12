"""The command line: the only place that prints, reads the clock and the environment, or exits."""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from pydantic import TypeAdapter, ValidationError

from badgepages import failures, hosts, transaction, workers
from badgepages.catalog import BADGES_DIR, RECIPIENTS_DIR, load_catalog
from badgepages.config import CONFIG_FILE, load_config
from badgepages.diagnostics import Diagnostic, SourceError, plural, summarize
from badgepages.keys import (
    KEYS_FILE,
    SECRET_VARIABLE,
    SigningSetupError,
    new_key,
    read_secret_file,
)
from badgepages.ledger import LedgerError, load_ledger
from badgepages.models import Url, did_you_mean
from badgepages.pipeline import BuildOptions, SigningRequiredError, build, plan_of
from badgepages.render import check_theme
from badgepages.signing import UnsafeCredentialError
from badgepages.summary import render_summary
from badgepages.workers import default_jobs

# A command imports the modules only it uses when it runs (verify, serve, publish, the source
# edits): `build` and `check`, run on every pull request, do not load them.
if TYPE_CHECKING:
    from badgepages import editing


def build_date() -> date:
    """Return the build's day: from SOURCE_DATE_EPOCH when set (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.date()


def _list(diagnostics: Sequence[Diagnostic], output_format: str, stream: TextIO) -> None:
    for diagnostic in diagnostics:
        line = diagnostic.format_github() if output_format == "github" else diagnostic.format_gcc()
        print(line, file=stream)


def _report(diagnostics: Sequence[Diagnostic], output_format: str, stream: TextIO) -> None:
    _list(diagnostics, output_format, stream)
    print(summarize(diagnostics), file=stream)


def _default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "gcc"


def _waiting() -> None:
    print(
        "another badgepages command is using this project: waiting for it to finish…",
        file=sys.stderr,
        flush=True,
    )


def _tell(notes: Sequence[str]) -> None:
    for note in notes:
        print(note, file=sys.stderr)


@contextlib.contextmanager
def _editing(args: argparse.Namespace, command: str) -> Iterator[transaction.Edit]:
    """Hold the project for an edit, saying what finishing an interrupted one did."""
    with transaction.source_edit(args.root, command, _waiting) as edit:
        _tell(edit.recovered)
        yield edit


def _transaction_failed(error: transaction.TransactionError, output_format: str = "gcc") -> int:
    if error.diagnostics:
        _report(error.diagnostics, output_format, sys.stdout)
    else:
        print(f"error: {error}", file=sys.stderr)
    return 1


def cmd_check(args: argparse.Namespace) -> int:
    """Validate every source and report all problems at once."""
    try:
        with transaction.reading(args.root, _waiting) as notes:
            _tell(notes)
            today = build_date()
            catalog = load_catalog(args.root, today, jobs=args.jobs)
            check_theme(catalog.config.theme_dir, catalog.config.root)
            plan = plan_of(catalog, BuildOptions(build_date=today, jobs=args.jobs))
            site = hosts.planned_footprint(plan, catalog.config.output_dir)
    except transaction.TransactionError as error:
        return _transaction_failed(error, args.format)
    except SourceError as error:
        _report(error.diagnostics, args.format, sys.stdout)
        return 1
    problems = [*catalog.warnings, *hosts.check_host(catalog.config, site)]
    _list(problems, args.format, sys.stdout)
    print(
        f"{plural(len(catalog.badges), 'badge')}, "
        f"{plural(len(catalog.recipients), 'recipient')}, {plural(len(catalog.entries), 'award')} "
        f"(a site of {site.files:,} files, {hosts.megabytes(site.bytes)}): {summarize(problems)}"
    )
    summary_file = args.summary or os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with Path(summary_file).open("a", encoding="utf-8") as stream:
            stream.write(render_summary(catalog))
    return 1 if any(problem.severity == "error" for problem in problems) else 0


def cmd_build(args: argparse.Namespace) -> int:
    """Build the site; write nothing if any source has an error."""
    try:
        options = BuildOptions(
            build_date=build_date(),
            out_dir=args.out,
            base_url=args.base_url,
            signing_secret=_signing_secret(args),
            require_signing=getattr(args, "require_signing", False),
            update_ledger=getattr(args, "update_ledger", False),
            jobs=args.jobs,
        )
        with transaction.reading(args.root, _waiting) as notes:
            _tell(notes)
            report = build(args.root, options)
    except transaction.TransactionError as error:
        _transaction_failed(error, args.format)
        print("nothing was built", file=sys.stderr)
        return 1
    except SourceError as error:
        _report(error.diagnostics, args.format, sys.stdout)
        print("nothing was built: fix the problems above", file=sys.stdout)
        return 1
    except (SigningSetupError, SigningRequiredError, UnsafeCredentialError) as error:
        print(f"error: {error}", file=sys.stderr)
        print("nothing was built", file=sys.stderr)
        return 1
    _list(report.warnings, args.format, sys.stdout)
    print(report.summary())
    outputs: Path | None = getattr(args, "outputs", None)
    if outputs is not None:
        with outputs.open("a", encoding="utf-8") as stream:
            stream.write(f"award-url={report.award_to_verify or ''}\n")
    return 0


def _signing_secret(args: argparse.Namespace) -> str | None:
    """Return the private key from --signing-key-file or the environment, never echoed."""
    key_file: Path | None = getattr(args, "signing_key_file", None)
    if key_file is not None:
        return read_secret_file(key_file)
    return os.environ.get(SECRET_VARIABLE) or None


def cmd_keygen(args: argparse.Namespace) -> int:
    """Create a signing key: print the private key once, record the public key in keys.yaml."""
    try:
        with _editing(args, "keygen") as edit:
            created = new_key(args.root, build_date())
            edit.write(args.root / KEYS_FILE, created.keys_text)
            edit.commit()
    except SigningSetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except transaction.TransactionError as error:
        return _transaction_failed(error)
    secret, key = created.secret, created.key
    print(
        f"Recorded the public key '{key.fragment}' in {KEYS_FILE}: commit that file.\n\n"
        f"The PRIVATE key is printed below, once. Store it as the repository secret\n"
        f"{SECRET_VARIABLE} (GitHub: Settings → Secrets and variables → Actions), then\n"
        "clear this terminal. Never commit it or paste it anywhere else.\n"
    )
    print(secret)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Build, serve on 127.0.0.1 as GitHub Pages would, and rebuild whenever a source changes."""
    from badgepages import preview

    out = args.out or (args.root / "_site")
    on_error = functools.partial(_report_failure, args=args)
    try:
        server = preview.PreviewServer(out, args.host, args.port, on_error)
    except OSError as error:
        in_use = error.errno == errno.EADDRINUSE
        hint = "choose another port with --port" if in_use else "check --host and --port"
        # create_server appends the address to strerror; the message already names it.
        code = error.errno or 0
        reason = os.strerror(code) if code > 0 else error.strerror
        print(f"error: cannot serve on {args.host} port {args.port}: {reason} ({hint})",
              file=sys.stderr)  # fmt: skip
        return 1
    with server:
        host = f"[{args.host}]" if ":" in args.host else args.host
        args.out, args.base_url = out, f"http://{host}:{server.address[1]}/"
        sources = [args.root / p for p in (CONFIG_FILE, KEYS_FILE, BADGES_DIR, RECIPIENTS_DIR)]
        sources.append(args.root / "theme")
        stamp = preview.sources_stamp(sources)
        if cmd_build(args):
            print("the preview will show the site once these problems are fixed")
        watcher = threading.Thread(
            target=preview.watch_sources,
            args=(sources, stamp, lambda: _rebuild(args), on_error, threading.Event()),
            daemon=True,
        )
        watcher.start()
        print(f"serving the site at {args.base_url} (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped")
    return 0


def _rebuild(args: argparse.Namespace) -> None:
    print("change detected, rebuilding…", flush=True)
    if cmd_build(args):
        print("the preview still shows the previous build", flush=True)


def cmd_award(args: argparse.Namespace) -> int:
    """Give a badge, with new permanent ids, to recipients or to everyone in a CSV list."""
    badges = sorted(p.stem for p in (args.root / BADGES_DIR).glob("*.yaml"))
    if args.badge not in badges:
        hint = did_you_mean(args.badge, badges)
        print(f"unknown badge '{args.badge}'" + (f" ({hint})" if hint else ""), file=sys.stderr)
        return 2
    if args.date and args.date > build_date():
        print(f"issue date {args.date} is in the future", file=sys.stderr)
        return 2
    if (args.csv is None) == (not args.recipients):
        print("give recipient slugs or --csv FILE (one of the two)", file=sys.stderr)
        return 2
    if args.csv is not None and (args.narrative or args.evidence):
        print(
            "with --csv, give narratives and evidence in the list's narrative and "
            "evidence_url columns",
            file=sys.stderr,
        )
        return 2
    try:
        if args.csv is not None:
            return _award_csv(args)
        with _editing(args, "award") as edit:
            return _award_recipients(args, edit)
    except transaction.TransactionError as error:
        return _transaction_failed(error)


def _award_recipients(args: argparse.Namespace, edit: transaction.Edit) -> int:
    from badgepages import editing

    known = sorted(p.stem for p in (args.root / RECIPIENTS_DIR).glob("*.yaml"))
    for slug in (s for s in args.recipients if s not in known):
        hint = did_you_mean(slug, known)
        message = f"no recipient file {RECIPIENTS_DIR}/{slug}.yaml"
        print(message + (f" ({hint})" if hint else ""), file=sys.stderr)
    if not set(args.recipients) <= set(known):
        return 2
    award = editing.NewAward(
        args.badge, args.date or build_date(), args.narrative, tuple(args.evidence or ())
    )
    changes = [editing.RecipientChange(slug, (award,)) for slug in dict.fromkeys(args.recipients)]
    return _apply_changes(args, edit, changes, None)


def _award_csv(args: argparse.Namespace) -> int:
    from badgepages import csvimport

    try:
        raw = args.csv.read_bytes()
    except OSError as error:
        print(f"cannot read {args.csv}: {error.strerror}", file=sys.stderr)
        return 2
    with _editing(args, "award --csv") as edit:
        try:
            catalog = load_catalog(args.root, build_date())
        except SourceError as error:
            _report(error.diagnostics, _default_format(), sys.stdout)
            print("nothing was imported: fix the problems above first")
            return 1
        rows, problems = csvimport.read_award_rows(raw, str(args.csv), args.date, build_date())
        plan, more = csvimport.plan_import(rows, args.badge, catalog)
        if problems or more:
            _report(sorted(set(problems + more)), _default_format(), sys.stdout)
            print("nothing was imported: fix the rows above")
            return 1
        return _apply_changes(args, edit, plan.changes, csvimport.summarize_import)


def _apply_changes(
    args: argparse.Namespace,
    edit: transaction.Edit,
    changes: Sequence[editing.RecipientChange],
    summary: Callable[[Sequence[editing.PreparedFile]], str] | None,
) -> int:
    from badgepages import editing

    try:
        prepared = editing.prepare_changes(args.root / RECIPIENTS_DIR, changes)
    except editing.EditError as error:
        print(error, file=sys.stderr)
        return 2
    if not args.dry_run:
        editing.stage_files(edit, prepared)
        edit.commit()
    for line in editing.describe_changes(prepared):
        print(line)
    if summary is not None:
        print(summary(prepared))
    if args.dry_run:
        print("dry run: nothing was written")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    """Revoke an award: its URLs keep answering, with the revoked status and the reason."""
    from badgepages import editing

    today = build_date()
    try:
        with _editing(args, "revoke") as edit:
            file, text = editing.revoke_award(
                args.root / RECIPIENTS_DIR, args.award_id, args.date or today, args.reason, today
            )
            edit.write(file, text)
            edit.commit()
    except editing.EditError as error:
        print(error, file=sys.stderr)
        return 2
    except transaction.TransactionError as error:
        return _transaction_failed(error)
    print(f"revoked award {args.award_id} in {RECIPIENTS_DIR}/{file.name}")
    return 0


def cmd_unrevoke(args: argparse.Namespace) -> int:
    """Undo a revocation (e.g. one made by mistake): the award is valid again."""
    from badgepages import editing

    try:
        with _editing(args, "unrevoke") as edit:
            file, text = editing.unrevoke_award(args.root / RECIPIENTS_DIR, args.award_id)
            edit.write(file, text)
            edit.commit()
    except editing.EditError as error:
        print(error, file=sys.stderr)
        return 2
    except transaction.TransactionError as error:
        return _transaction_failed(error)
    print(f"award {args.award_id} in {RECIPIENTS_DIR}/{file.name} is no longer revoked")
    return 0


def cmd_new_badge(args: argparse.Namespace) -> int:
    """Write a commented badge skeleton and a placeholder image."""
    from badgepages import editing

    config, problems = load_config(args.root)
    if config is None and not (args.root / CONFIG_FILE).is_file():
        print(problems[0].text, file=sys.stderr)
        return 2
    languages = config.languages if config else ("fr", "en")
    try:
        with _editing(args, "new-badge") as edit:
            files = editing.new_badge_files(args.root / BADGES_DIR, args.slug, languages)
            for file, text in files:
                edit.write(file, text)
            edit.commit()
    except editing.EditError as error:
        print(error, file=sys.stderr)
        return 2
    except transaction.TransactionError as error:
        return _transaction_failed(error)
    names = " and ".join(f"{BADGES_DIR}/{file.name}" for file, _ in files)
    print(f"wrote {names}: replace the placeholder texts and image before the first award")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify a badge and print a plain verdict with one line per check; 0 only when valid."""
    from badgepages import fetching, verify

    if args.site:
        try:
            base_url = args.base_url or load_config_base_url(args.site)
        except (LookupError, TypeError, ValueError):
            print(f"{args.site} has no issuer.json: give the site's address with --base-url",
                  file=sys.stderr)  # fmt: skip
            return 2
        fetch = fetching.site_fetcher(args.site, base_url)
    else:
        fetch = fetching.web_fetcher()
    try:
        report = verify.verify_target(
            args.target, fetch, lambda name: fetching.read_file(Path(name)), datetime.now(UTC)
        )
    except (verify.NotABadgeError, LookupError) as error:
        print(verify.escape_controls(f"cannot verify {args.target}: {error}"), file=sys.stderr)
        return 2
    verdict = _VERDICTS[report.verdict]
    print(f"{verdict} ({report.kind})")
    for check in report.checks:
        print(f"  {check.outcome:>15}  {check.name}: {check.detail}")
    return 0 if report.verdict == "valid" else 1


_VERDICTS = {
    "valid": "VALID: genuine, not revoked, not expired",
    "revoked": "REVOKED: the issuer has withdrawn this badge",
    "expired": "EXPIRED: this badge is no longer valid",
    "invalid": "NOT VALID: this badge is not genuine or has been altered",
    "unverified": "NOT VERIFIED: some checks could not be done, so validity is not confirmed",
}


def load_config_base_url(site: Path) -> str:
    """Return the base URL a built site was made for, read from its issuer profile."""
    from badgepages import fetching, verify

    issuer = verify.parse_json(fetching.read_file(site / "issuer.json"))
    return str(issuer["id"]).removesuffix("issuer.json")


def cmd_erase(args: argparse.Namespace) -> int:
    """Erase a recipient's personal data; their awards stay as withdrawn records."""
    from badgepages import erasure

    file = args.root / RECIPIENTS_DIR / f"{args.recipient}.yaml"
    missing = f"no recipient file {RECIPIENTS_DIR}/{args.recipient}.yaml"
    if not file.is_file():
        print(missing, file=sys.stderr)
        return 2
    try:
        with _editing(args, "erase") as edit:
            if not file.is_file():  # erased by another command while this one waited
                print(missing, file=sys.stderr)
                return 2
            erased = erasure.erase_recipient(file, build_date())
            edit.delete(erased.file)
            edit.write(erased.record, erased.text)
            edit.commit()
    except erasure.ErasureError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except transaction.TransactionError as error:
        return _transaction_failed(error)
    print(
        f"erased {RECIPIENTS_DIR}/{file.name}: now {RECIPIENTS_DIR}/{erased.record.name}, "
        f"without name, email, consent, narratives or evidence; {erased.kept} award(s) kept "
        "as withdrawn records, revoked in the status list.\n"
        "Files they linked to elsewhere (evidence) and earlier git history are not changed."
    )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish the built site to S3-compatible object storage: changed objects only."""
    from badgepages import publish, s3

    site = args.site
    if site is None:
        config, problems = load_config(args.root)
        if config is None:
            print(f"error: {problems[0].text}, or give the built folder with --site",
                  file=sys.stderr)  # fmt: skip
            return 2
        site = config.output_dir
    try:
        target = s3.parse_target(args.target)
        ledger = load_ledger(args.root)
        store = s3.open_store(target, args.endpoint)
        print(f"publishing {site} (built for {_built_for(site)}) to {target}", flush=True)
        report = publish.publish_site(
            site, store, ledger, keep_stale=args.keep_stale, dry_run=args.dry_run
        )
    except (s3.S3Error, LedgerError, publish.NotASiteError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    return 0


def _built_for(site: Path) -> str:
    try:
        return load_config_base_url(site)
    except (LookupError, ValueError, TypeError):
        return "an unknown address"


def cmd_schemas(args: argparse.Namespace) -> int:
    """Write the JSON Schemas that editors use to check the YAML sources."""
    from badgepages import schemas

    written = schemas.write_schemas(args.root / schemas.SCHEMAS_DIR)
    print(f"wrote {len(written)} schemas to {schemas.SCHEMAS_DIR}/")
    return 0


def _web_address(value: str) -> str:
    try:
        return TypeAdapter(Url).validate_python(value)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(error.errors()[0]["msg"]) from None


def _port(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"'{value}' is not a port: give a number up to 65535")
    return int(value)


def _jobs(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 1024:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of cores: give 1 or more")
    return int(value)


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date: write YYYY-MM-DD") from None


def make_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="badgepages", description="Open Badges kept as YAML in git → a static issuer site."
    )
    parser.add_argument("-C", "--root", type=Path, default=Path("."), help="project folder")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected failure"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: object, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    check = command("check", cmd_check, "check every source file; report all problems")
    build_cmd = command("build", cmd_build, "build the site (nothing is written on errors)")
    serve = command("serve", cmd_serve, "build, serve locally and rebuild on change")
    for sub in (check, build_cmd, serve):
        sub.add_argument("--format", choices=["gcc", "github"], default=_default_format())
        sub.add_argument(
            "--jobs",
            type=_jobs,
            default=default_jobs(),
            help=f"how many cores to use (default: all, {default_jobs()} here)",
        )
    check.add_argument(
        "--summary",
        type=Path,
        help="append a Markdown summary of what merging will publish (default under GitHub "
        "Actions: $GITHUB_STEP_SUMMARY)",
    )
    for sub in (build_cmd, serve):
        sub.add_argument("--out", type=Path, help="output folder (default: from site_config)")
    build_cmd.add_argument(
        "--base-url", type=_web_address, help="serve the site from another address"
    )
    for sub in (build_cmd, serve):
        sub.add_argument(
            "--signing-key-file",
            type=Path,
            help=f"file holding the private signing key (default: ${SECRET_VARIABLE})",
        )
    build_cmd.add_argument(
        "--require-signing", action="store_true", help="fail instead of building a preview"
    )
    build_cmd.add_argument(
        "--update-ledger", action="store_true", help="record what is published in published.lock"
    )
    build_cmd.add_argument(
        "--outputs",
        type=Path,
        help="append award-url=URL to this file (e.g. $GITHUB_OUTPUT): a valid award of a holder "
        "who consented, to verify once the site is live (empty when there is none)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000, help="0 picks a free port")
    award = command("award", cmd_award, "give a badge to recipients (new permanent ids)")
    award.add_argument("badge", help="badge slug (file stem in badges/)")
    award.add_argument("recipients", nargs="*", help="recipient slugs (file stems in recipients/)")
    award.add_argument("--date", type=_iso_date, help="issue date, YYYY-MM-DD (default: today)")
    award.add_argument("--narrative", help="what the recipient did (Markdown, optional)")
    award.add_argument("--evidence", action="append", type=_web_address, help="evidence URL")
    award.add_argument("--csv", type=Path, help="award list: email, name, issued_on, … columns")
    award.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    revoke = command("revoke", cmd_revoke, "revoke an award (its pages say it was revoked)")
    revoke.add_argument("award_id", help="the award's permanent id")
    revoke.add_argument("--reason", required=True, help="why, shown on the award page")
    revoke.add_argument("--date", type=_iso_date, help="YYYY-MM-DD (default: today)")
    unrevoke = command("unrevoke", cmd_unrevoke, "undo the revocation of an award")
    unrevoke.add_argument("award_id", help="the award's permanent id")
    new_badge = command("new-badge", cmd_new_badge, "write a commented badge skeleton")
    new_badge.add_argument("slug", help="permanent slug: lower-case letters, digits and '-'")
    command("schemas", cmd_schemas, "regenerate the JSON Schemas of the YAML sources")
    command("keygen", cmd_keygen, "create a signing key (public part recorded in keys.yaml)")
    erase = command("erase", cmd_erase, "erase a recipient's personal data (right to erasure)")
    erase.add_argument("recipient", help="recipient slug (file stem in recipients/)")
    verify_cmd = command("verify", cmd_verify, "verify a badge: page URL, JSON or baked image")
    verify_cmd.add_argument("target", help="award page URL, credential/assertion JSON, PNG or SVG")
    verify_cmd.add_argument("--site", type=Path, help="answer the issuer's URLs from this folder")
    verify_cmd.add_argument("--base-url", help="the address the --site folder was built for")
    publish_cmd = command(
        "publish", cmd_publish, "publish the built site to S3-compatible object storage"
    )
    publish_cmd.add_argument("target", help="s3://BUCKET/PREFIX: where the site's paths go")
    publish_cmd.add_argument(
        "--site", type=Path, help="the built folder (default: the output of site_config.yaml)"
    )
    publish_cmd.add_argument(
        "--endpoint", help="the S3 API's address, e.g. Cloudflare R2's (default: AWS, or "
        "$AWS_ENDPOINT_URL_S3)",
    )  # fmt: skip
    publish_cmd.add_argument(
        "--keep-stale",
        action="store_true",
        help="keep objects a previous publish wrote that this build no longer has",
    )
    publish_cmd.add_argument("--dry-run", action="store_true", help="report; change nothing")
    return parser


# Commands that build once and end: the process exits without freeing what they built.
_ONE_SHOT = frozenset({"build", "check"})


def run() -> NoReturn:
    """Run the ``badgepages`` command and exit (the entry point of the installed command)."""
    workers.end_process(main(exits_after=True))


def main(argv: Sequence[str] | None = None, *, exits_after: bool = False) -> int:
    """Run the command line; return the exit status (README: "Exit statuses").

    ``exits_after``: the process ends when this returns, so a build or check holds its
    catalog to the end rather than free it (see :func:`badgepages.workers.end_process`).
    """
    args = make_parser().parse_args(argv)
    if exits_after and args.command in _ONE_SHOT:
        workers.hold_until_exit()
    handler = args.handler
    try:
        status: int = handler(args)
    except KeyboardInterrupt:
        return failures.ExitStatus.INTERRUPTED
    except Exception as error:  # the last resort: expected failures are reported at their source
        return _report_failure(error, args)
    return status


def _report_failure(error: Exception, args: argparse.Namespace) -> int:
    """Print an unexpected failure in one line (its traceback only with --debug)."""
    if isinstance(error, OSError):
        named = {v: _option_of(k) for k, v in vars(args).items() if isinstance(v, Path)}
        text, status = failures.describe_os_error(
            error,
            builds_site=args.command in ("build", "serve"),
            named_paths=named,
            output=getattr(args, "out", None),
        )
    else:
        text, status = failures.describe_internal_error(error), failures.ExitStatus.INTERNAL_ERROR
    if args.debug:
        text = failures.format_traceback(error) + "\n" + text
    print(failures.redact(text, _secrets(args)), file=sys.stderr, flush=True)
    return status


def _option_of(dest: str) -> str:
    return "-C" if dest == "root" else "--" + dest.replace("_", "-")


def _secrets(args: argparse.Namespace) -> list[str]:
    """Return the signing keys this run could see, so that no report ever shows them."""
    secrets = [os.environ.get(SECRET_VARIABLE, "")]
    key_file: Path | None = getattr(args, "signing_key_file", None)
    if key_file is not None:
        with contextlib.suppress(OSError):
            secrets += key_file.read_text(encoding="utf-8", errors="replace").splitlines()
    return secrets
