"""Run the 1EdTech Open Badges 2.0 validator (PyPI ``openbadges`` 1.1.2) offline on a built site.

Why this exists: badgepages publishes hosted OB 2.0 Assertions, and the only conformance check that
counts is the reference validator (validator-core). It normally fetches every Assertion, BadgeClass,
Issuer, image and the JSON-LD context over HTTP; CI has no network and the site is not deployed yet.
So this script runs inside its own virtualenv (the validator's pins conflict with the project's, see
``install.sh``) and answers every HTTP request the validator makes with the ``responses`` library:

* ``GET https://w3id.org/openbadges/v2`` -> the OB 2.0 context bundled with the validator
  (``OPENBADGES_CONTEXT_V2_DICT``), as ``application/ld+json``;
* ``GET <base-url><path>`` -> the file ``<site>/<path>`` (``.../`` -> ``index.html``; a directory
  without the slash -> 301 to the slash, as GitHub Pages does), Content-Type by extension, or a
  404 HTML page when the file is missing (what GitHub Pages serves);
* any other URL -> connection refused (no passthrough: the network is never used).

Subjects: every ``*.json`` in the site whose ``type`` is ``Assertion`` is verified at the URL it is
served from (``<base-url><path>``), so an ``id`` that differs from that URL shows up as the
validator's "declared its id as" WARNING (it then re-fetches the declared id); every PNG holding
an ``iTXt`` chunk with keyword ``openbadges`` and every SVG holding an ``<openbadges:assertion>``
element is verified as a baked image file. ``--images DIR`` verifies the baked images in DIR
instead (e.g. badges baked in a browser), the site still answering every request. ``--profiles``
and ``--allow-expired`` name assertions by their declared ``id``.

Baked SVGs: the validator reads them with openbadges-bakery 1.2.4, whose ``unbake`` returns the
``verify`` URL as bytes on Python 3, which validator 1.1.2 refuses ("only URL, JSON, or JWS
input"); the harness unbakes with that same function and hands the validator the URL as text.

The validator's verdict is reported as is, plus findings that validator 1.1.2 misses: a fetch
of a site URL that answered 404 (1.1.2 never checks HTTP status, e.g. a missing badge image
passes) and a fetch outside the site (which would need the network) are both added as ERRORs
(counted in ``valid``/``errorCount``; their names start with ``HARNESS_``). A crash inside
one verification fails that subject only.
The run passes (exit 0) iff every subject is valid with 0 errors and 0 warnings; ``--allow-expired
URL`` tolerates exactly the one "expired" error of that assertion (the validator uses the real
clock).
Exit 1 when a subject fails or no assertion is found, 2 on a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import struct
import sys
import traceback
import warnings
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

# openbadges 1.1.2 and its 2017-era pins import deprecated stdlib modules (cgi, imp via future)
# and emit DeprecationWarnings on Python 3.11; they are not ours to fix and would only add noise.
warnings.simplefilter("ignore")

import requests  # noqa: E402
import responses  # noqa: E402
from openbadges import verify  # noqa: E402
from openbadges.verifier.openbadges_context import (  # noqa: E402
    OPENBADGES_CONTEXT_V2_DICT,
    OPENBADGES_CONTEXT_V2_URI,
)
from openbadges_bakery import unbake  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BAKED_ITXT_PREFIX = b"openbadges\x00"
OB2_SVG_ASSERTION = "{http://openbadges.org}assertion"
CONTENT_TYPES = {
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}
NOT_FOUND_BODY = "<!DOCTYPE html><html><body><h1>404</h1><p>File not found</p></body></html>"
EXPIRED_TASK = "ASSERTION_TIMESTAMP_CHECKS"
HUMAN_RESULT_WIDTH = 400
ERROR = "ERROR"
WARNING = "WARNING"

Profiles = dict[str, dict[str, str]]


@dataclass
class Subject:
    """One thing handed to the validator: an assertion URL or a baked image file."""

    kind: str  # "url" or "file"
    target: str  # the URL, or the file path relative to the site
    assertion: str | None  # the assertion id it stands for, when known
    path: Path | None = None  # the baked image on disk (kind == "file")
    problem: str | None = None  # why it cannot be verified at all (invalid JSON)


@dataclass
class Result:
    """The validator's report for one subject, plus the harness's own verdict."""

    subject: Subject
    valid: bool
    error_count: int
    warning_count: int
    messages: list[dict[str, str]]
    profile: str | None
    tolerated: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return whether this subject passes: valid, 0 errors and 0 warnings beyond tolerated."""
        tolerated_errors = len(self.tolerated)
        return (
            (self.valid or tolerated_errors > 0)
            and self.error_count - tolerated_errors == 0
            and self.warning_count == 0
        )

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object printed for this subject."""
        return {
            self.subject.kind: self.subject.target,
            "assertion": self.subject.assertion,
            "ok": self.ok,
            "valid": self.valid,
            "errorCount": self.error_count,
            "warningCount": self.warning_count,
            "messages": self.messages,
            "profile": self.profile,
            "tolerated": self.tolerated,
        }


class SiteServer:
    """Answers mocked HTTP GETs under ``base_url`` from files of the built site."""

    def __init__(self, site: Path, base_url: str) -> None:
        """Serve ``site`` as if it were deployed at ``base_url``."""
        self.site = site.resolve()
        self.base_url = base_url.rstrip("/") + "/"

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        """Return (status, headers, body) for one request, like a static host would."""
        url = str(request.url)
        path = unquote(urlsplit(url).path)
        base_path = urlsplit(self.base_url).path
        rest = path[len(base_path) :] if path.startswith(base_path) else ""
        if path + "/" == base_path:  # the site root without its slash
            return 301, {"Location": self.base_url}, b""
        file = (self.site / rest).resolve()
        if not file.is_relative_to(self.site):
            return self.not_found()
        if file.is_dir():
            if not rest.endswith("/") and rest:
                return 301, {"Location": url.split("?", maxsplit=1)[0] + "/"}, b""
            file = file / "index.html"
        if not file.is_file():
            return self.not_found()
        content_type = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
        return 200, {"Content-Type": content_type}, file.read_bytes()

    @staticmethod
    def not_found() -> tuple[int, dict[str, str], bytes]:
        """Return the 404 HTML answer of a static host."""
        return 404, {"Content-Type": "text/html; charset=utf-8"}, NOT_FOUND_BODY.encode()


def iter_files(site: Path, suffix: str) -> Iterator[Path]:
    """Yield the site's files with ``suffix``, sorted, skipping hidden directories."""
    for root, dirs, files in os.walk(site):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(suffix):
                yield Path(root) / name


def has_type(node: object, wanted: str) -> bool:
    """Return whether a JSON node's ``type`` is ``wanted`` or a list containing it."""
    if not isinstance(node, dict):
        return False
    declared = node.get("type")
    return declared == wanted or (isinstance(declared, list) and wanted in declared)


def find_assertions(site: Path, base_url: str) -> list[Subject]:
    """Return a URL subject, at the URL it is served from, for every Assertion JSON in the site."""
    subjects = []
    for path in iter_files(site, ".json"):
        relative = path.relative_to(site).as_posix()
        try:
            node = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            subjects.append(Subject("file", relative, None, path, f"invalid JSON: {exc}"))
            continue
        if has_type(node, "Assertion"):
            declared = node.get("id")
            assertion = declared if isinstance(declared, str) else None
            subjects.append(Subject("url", base_url + quote(relative), assertion))
    return subjects


def read_baked_text(path: Path) -> bytes | None:
    """Return the text of the first ``iTXt``/``openbadges`` chunk of a PNG, or None."""
    data = path.read_bytes()
    if not data.startswith(PNG_SIGNATURE):
        return None
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(data):
        length, chunk_type = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        if chunk_type == b"iTXt" and body.startswith(BAKED_ITXT_PREFIX):
            # keyword NUL, compression flag, method, language tag NUL, translated keyword NUL
            parts = body.split(b"\x00", 1)[1][2:].split(b"\x00", 2)
            return parts[2] if len(parts) == 3 else b""
        if chunk_type == b"IEND":
            break
        offset += 12 + length
    return None


def assertion_id_of(baked: bytes) -> str | None:
    """Return the assertion id a baked payload refers to (embedded JSON or hosted URL)."""
    text = baked.decode("utf-8", errors="replace").strip()
    if text.startswith(("http://", "https://")):
        return text
    try:
        node = json.loads(text)
    except ValueError:
        return None  # e.g. a signed badge (JWS): the validator still checks it
    found = node.get("id") if isinstance(node, dict) else None
    return found if isinstance(found, str) else None


def read_baked_svg(path: Path) -> bytes | None:
    """Return the JSON (or else the ``verify`` URL) of an SVG's ``<openbadges:assertion>``."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError:
        return None
    element = root.find(OB2_SVG_ASSERTION)
    if element is None:
        return None
    return (element.text or element.get("verify") or "").encode("utf-8")


def find_baked_images(folder: Path) -> list[Subject]:
    """Return a file subject for every baked PNG and SVG in the folder."""
    subjects = []
    for path in sorted([*iter_files(folder, ".png"), *iter_files(folder, ".svg")]):
        baked = read_baked_text(path) if path.suffix == ".png" else read_baked_svg(path)
        if baked is not None:
            relative = path.relative_to(folder).as_posix()
            subjects.append(Subject("file", relative, assertion_id_of(baked), path))
    return subjects


def format_messages(report: dict[str, Any]) -> list[dict[str, str]]:
    """Return the validator's report messages as {level, name, result} objects."""
    return [
        {
            "level": str(message.get("messageLevel", "")),
            "name": str(message.get("name", "")),
            "result": str(message.get("result", "")),
        }
        for message in report.get("messages", [])
    ]


def audit_calls(calls: responses.CallList, base_url: str) -> list[dict[str, str]]:
    """Return ERROR messages for fetches the validator ignores: site 404s and off-site URLs."""
    problems: dict[str, dict[str, str]] = {}
    for call in calls:
        url = str(call.request.url)
        response = call.response
        if isinstance(response, Exception):
            if not url.startswith(base_url):
                problems[url] = {
                    "level": ERROR,
                    "name": "HARNESS_OFFSITE_FETCH",
                    "result": f"GET {url}: outside --base-url {base_url}; offline, so not served",
                }
        elif isinstance(response, requests.Response) and response.status_code == 404:
            problems[url] = {
                "level": ERROR,
                "name": "HARNESS_HTTP_404",
                "result": f"GET {url} answered 404 (no such file in the site)",
            }
    return list(problems.values())


def run_validator(subject: Subject, profile: dict[str, str] | None) -> dict[str, Any]:
    """Call ``openbadges.verify`` on one subject and return its report."""
    # The validator mutates the profile it is given (adds @context): pass a copy.
    recipient = dict(profile) if profile else None
    if subject.kind == "url":
        result = verify(subject.target, recipient)
    elif subject.path is not None and subject.path.suffix == ".svg":
        with subject.path.open("rb") as image:
            baked = unbake(image)  # the verify URL, as bytes (see the module docstring)
        result = verify(baked.decode("utf-8") if isinstance(baked, bytes) else baked, recipient)
    else:
        assert subject.path is not None
        with subject.path.open("rb") as image:
            result = verify(image, recipient)
    report: dict[str, Any] = result["report"]
    return report


def crash_report(exc: BaseException) -> dict[str, Any]:
    """Return a failing report describing a crash of the validator itself."""
    summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    message = {"messageLevel": ERROR, "name": "HARNESS_VALIDATOR_CRASH", "result": summary}
    return {"valid": False, "messages": [message]}


def tolerated_errors(
    subject: Subject, messages: list[dict[str, str]], allow: set[str]
) -> list[str]:
    """Return the single "expired" error that ``--allow-expired`` tolerates for this subject."""
    if subject.assertion not in allow:
        return []
    expired = re.compile(r"Assertion " + re.escape(subject.assertion or "") + r" expired on ")
    hits = [
        m["result"]
        for m in messages
        if m["level"] == ERROR and m["name"] == EXPIRED_TASK and expired.match(m["result"])
    ]
    return hits if len(hits) == 1 else []


def verify_subject(
    subject: Subject,
    mock: responses.RequestsMock,
    base_url: str,
    profiles: Profiles,
    allow_expired: set[str],
) -> Result:
    """Verify one subject with the mocked network and return its result."""
    profile = profiles.get(subject.assertion or "")
    if subject.problem is not None:
        report = {
            "valid": False,
            "messages": [
                {"messageLevel": ERROR, "name": "HARNESS_SITE_FILE", "result": subject.problem}
            ],
        }
    else:
        mock.calls.reset()
        # Validator 1.1.2 has bugs that raise out of verify(): they fail this subject only.
        try:
            report = run_validator(subject, profile)
        except Exception as exc:
            report = crash_report(exc)
    messages = format_messages(report) + audit_calls(mock.calls, base_url)
    errors = sum(1 for m in messages if m["level"] == ERROR)
    warnings_ = sum(1 for m in messages if m["level"] == WARNING)
    return Result(
        subject=subject,
        valid=bool(report.get("valid")) and errors == 0,
        error_count=errors,
        warning_count=warnings_,
        messages=messages,
        profile=profile.get("email") if profile else None,
        tolerated=tolerated_errors(subject, messages, allow_expired),
    )


def build_mock(site: Path, base_url: str) -> responses.RequestsMock:
    """Return a RequestsMock serving the OB 2.0 context and the site, refusing everything else."""
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.add(
        responses.GET,
        OPENBADGES_CONTEXT_V2_URI,
        body=json.dumps(OPENBADGES_CONTEXT_V2_DICT),
        content_type="application/ld+json",
    )
    server: Callable[[requests.PreparedRequest], tuple[int, dict[str, str], bytes]]
    server = SiteServer(site, base_url)
    site_urls = re.compile(re.escape(base_url.rstrip("/")) + r"(/.*)?$")
    mock.add_callback(responses.GET, site_urls, callback=server)
    return mock


def load_profiles(path: Path | None) -> Profiles:
    """Read ``--profiles``: a JSON object mapping assertion URL to an email (or a profile)."""
    if path is None:
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a JSON object mapping assertion URL -> email")
    profiles: Profiles = {}
    for url, value in raw.items():
        if isinstance(value, str):
            profiles[url] = {"email": value}
        elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            profiles[url] = dict(value)
        else:
            raise ValueError(f"{path}: {url}: expected an email string or a profile object")
    return profiles


def validate_site(
    site: Path,
    base_url: str,
    profiles: Profiles,
    allow_expired: set[str],
    images: Path | None = None,
) -> list[Result]:
    """Verify every assertion and baked image of the site (or the baked images in ``images``)
    and return the results."""
    base_url = base_url.rstrip("/") + "/"
    if images is None:
        subjects = find_assertions(site, base_url) + find_baked_images(site)
    else:
        subjects = find_baked_images(images)
    mock = build_mock(site, base_url)
    with mock:
        return [
            verify_subject(subject, mock, base_url, profiles, allow_expired) for subject in subjects
        ]


def format_human(result: Result) -> list[str]:
    """Return the human-readable lines for one result."""
    status = "OK  " if result.ok else "FAIL"
    counts = f"valid={result.valid} errors={result.error_count} warnings={result.warning_count}"
    profile = f" profile={result.profile}" if result.profile else ""
    lines = [f"{status} {result.subject.kind} {result.subject.target} {counts}{profile}"]
    for message in result.messages:
        note = " (tolerated: --allow-expired)" if message["result"] in result.tolerated else ""
        text = message["result"]
        if len(text) > HUMAN_RESULT_WIDTH:  # crash results carry whole tracebacks; --json has all
            text = text[:HUMAN_RESULT_WIDTH] + "..."
        lines.append(f"     {message['level']} {message['name']}: {text}{note}")
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="the built site directory")
    parser.add_argument(
        "--base-url", required=True, help="public URL the site is served at (its ids start so)"
    )
    parser.add_argument(
        "--images",
        type=Path,
        help="verify the baked images in this folder instead of the site's own files",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list of results")
    parser.add_argument(
        "--profiles",
        type=Path,
        help="JSON file {assertion URL: recipient email} checked against the hashed recipient",
    )
    parser.add_argument(
        "--allow-expired",
        action="append",
        default=[],
        metavar="URL",
        help="tolerate the 'expired' error of this assertion (repeatable)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the validator over a site; return 0 iff everything passes."""
    args = parse_args(argv)
    # validator-core logs every task crash with a traceback on its own stderr handler; the
    # report already carries the error, so silence the duplicate.
    logging.getLogger("openbadges.verifier").disabled = True
    site: Path = args.site
    if not site.is_dir():
        print(f"validate_site: --site {site} is not a directory", file=sys.stderr)
        return 2
    if not args.base_url.startswith(("http://", "https://")):
        print(f"validate_site: --base-url {args.base_url} is not http(s)", file=sys.stderr)
        return 2
    try:
        profiles = load_profiles(args.profiles)
    except (OSError, ValueError) as exc:
        print(f"validate_site: --profiles: {exc}", file=sys.stderr)
        return 2
    images: Path | None = args.images
    if images is not None and not images.is_dir():
        print(f"validate_site: --images {images} is not a directory", file=sys.stderr)
        return 2
    allow_expired = set(args.allow_expired)
    results = validate_site(site, args.base_url, profiles, allow_expired, images)

    # A profile or tolerance naming an assertion that is not in the site is a stale
    # configuration: it would silently check nothing.
    found = {r.subject.assertion for r in results}
    unknown = sorted((set(profiles) | allow_expired) - found)
    for url in unknown:
        print(f"validate_site: no assertion {url} in {site}", file=sys.stderr)

    if args.json:
        print(json.dumps([r.to_json() for r in results], indent=2))
    else:
        for result in results:
            print("\n".join(format_human(result)))
        failed = sum(1 for r in results if not r.ok)
        print(f"OB 2.0 validator 1.1.2: {len(results) - failed} ok, {failed} failing")
    if unknown:
        return 2
    if images is not None and not results:
        print(f"validate_site: no baked image found in {images}", file=sys.stderr)
        return 1
    if images is None and not any(r.subject.kind == "url" for r in results):
        print(f"validate_site: no OB 2.0 Assertion JSON found in {site}", file=sys.stderr)
        return 1
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
