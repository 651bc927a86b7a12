"""The command line: the only place that prints, reads the clock and the environment, or exits."""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from badgepages import editing, schemas
from badgepages.catalog import BADGES_DIR, RECIPIENTS_DIR, load_catalog
from badgepages.config import CONFIG_FILE
from badgepages.diagnostics import Diagnostic, SourceError, summarize
from badgepages.models import did_you_mean
from badgepages.pipeline import build


def build_date() -> date:
    """Return the build's day: from SOURCE_DATE_EPOCH when set (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.date()


def _report(diagnostics: Sequence[Diagnostic], output_format: str, stream: TextIO) -> None:
    for diagnostic in diagnostics:
        line = diagnostic.format_github() if output_format == "github" else diagnostic.format_gcc()
        print(line, file=stream)
    print(summarize(diagnostics), file=stream)


def _default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "gcc"


def cmd_check(args: argparse.Namespace) -> int:
    """Validate every source and report all problems at once."""
    try:
        catalog = load_catalog(args.root, build_date())
    except SourceError as error:
        _report(error.diagnostics, args.format, sys.stdout)
        return 1
    print(
        f"{len(catalog.badges)} badges, {len(catalog.recipients)} recipients, "
        f"{len(catalog.awards)} awards: no problems found"
    )
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """Build the site; write nothing if any source has an error."""
    try:
        report = build(args.root, build_date(), args.out, args.base_url)
    except SourceError as error:
        _report(error.diagnostics, args.format, sys.stdout)
        print("nothing was built: fix the problems above", file=sys.stdout)
        return 1
    print(report.summary())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Build, serve on 127.0.0.1, and rebuild whenever a source changes."""
    base_url = f"http://{args.host}:{args.port}/"
    out = args.out or (args.root / "_site")
    args.out, args.base_url = out, base_url
    cmd_build(args)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer((args.host, args.port), handler)
    watcher = threading.Thread(target=_watch, args=(args,), daemon=True)
    watcher.start()
    print(f"serving the site at {base_url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the terminal for build messages."""


def _watch(args: argparse.Namespace) -> None:
    stamp = _sources_stamp(args.root)
    while True:
        time.sleep(1)
        current = _sources_stamp(args.root)
        if current != stamp:
            stamp = current
            print("change detected, rebuilding…", flush=True)
            cmd_build(args)


def _sources_stamp(root: Path) -> tuple[tuple[str, float], ...]:
    watched = [root / CONFIG_FILE, root / BADGES_DIR, root / RECIPIENTS_DIR, root / "theme"]
    files = [p for w in watched for p in ([w] if w.is_file() else w.rglob("*")) if p.is_file()]
    return tuple(sorted((str(p), p.stat().st_mtime) for p in files))


def cmd_award(args: argparse.Namespace) -> int:
    """Append an award with a new permanent id to a recipient's file."""
    badges = sorted(p.stem for p in (args.root / BADGES_DIR).glob("*.yaml"))
    if args.badge not in badges:
        hint = did_you_mean(args.badge, badges)
        print(f"unknown badge '{args.badge}'" + (f" ({hint})" if hint else ""), file=sys.stderr)
        return 2
    file = args.root / RECIPIENTS_DIR / f"{args.recipient}.yaml"
    if not file.is_file():
        known = sorted(p.stem for p in (args.root / RECIPIENTS_DIR).glob("*.yaml"))
        hint = did_you_mean(args.recipient, known)
        message = f"no recipient file {RECIPIENTS_DIR}/{args.recipient}.yaml"
        print(message + (f" ({hint})" if hint else ""), file=sys.stderr)
        return 2
    try:
        award_id = editing.append_award(file, args.badge, args.date or build_date())
    except editing.EditError as error:
        print(f"{file}: {error}", file=sys.stderr)
        return 2
    print(f"added award {award_id} to {RECIPIENTS_DIR}/{file.name}")
    return 0


def cmd_schemas(args: argparse.Namespace) -> int:
    """Write the JSON Schemas that editors use to check the YAML sources."""
    written = schemas.write_schemas(args.root / schemas.SCHEMAS_DIR)
    print(f"wrote {len(written)} schemas to {schemas.SCHEMAS_DIR}/")
    return 0


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
    for sub in (build_cmd, serve):
        sub.add_argument("--out", type=Path, help="output folder (default: from site_config)")
    build_cmd.add_argument("--base-url", help="serve the site from another address")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    award = command("award", cmd_award, "give a badge to a recipient (new permanent id)")
    award.add_argument("badge", help="badge slug (file stem in badges/)")
    award.add_argument("recipient", help="recipient slug (file stem in recipients/)")
    award.add_argument("--date", type=_iso_date, help="issue date, YYYY-MM-DD (default: today)")
    command("schemas", cmd_schemas, "regenerate the JSON Schemas of the YAML sources")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = make_parser().parse_args(argv)
    handler = args.handler
    status: int = handler(args)
    return status
