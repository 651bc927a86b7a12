"""Verifying a badge: an OB 3.0 credential or an OB 2.0 assertion, as JSON, baked image or URL.

Every check ends ``passed``, ``failed`` or ``could not check``; the verdict is valid only
when every check passed, so an unreadable status list never gives a false green.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import jsonschema

from badgepages import baking
from badgepages.did import DID_WEB_PREFIX, DidWebError, assertion_keys, did_document_url
from badgepages.jsonld import CREDENTIALS_V2
from badgepages.signing import VerificationKey, verify_credential
from badgepages.statuslist import is_set

Outcome = Literal["passed", "failed", "could not check"]
Verdict = Literal["valid", "revoked", "expired", "invalid", "unverified"]
# Fetches a URL; raises LookupError when it cannot be read (offline, missing, refused).
Fetch = Callable[[str], bytes]
JsonObject = dict[str, Any]

OB3_SCHEMA = Path(__file__).parent / "schemas_ob3" / "ob_v3p0_achievementcredential_schema.json"
# Badge documents nest up to 10 levels (1EdTech's complete OB 3.0 sample credential); deeper
# JSON is refused before anything walks it recursively (json, jsonschema, JSON-LD).
MAX_JSON_DEPTH: Final = 32
# C0 and C1 controls and DEL: what the input may hold that a terminal would obey.
_CONTROLS: Final = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}


@dataclass(frozen=True)
class Check:
    """One verification step and its outcome."""

    name: str
    outcome: Outcome
    detail: str = ""


@dataclass
class Report:
    """What was verified and how each check went."""

    kind: str
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, outcome: Outcome, detail: str = "") -> None:
        """Record a check; control characters from the input are escaped in its detail."""
        self.checks.append(Check(name, outcome, escape_controls(detail)))

    @property
    def verdict(self) -> Verdict:
        """Return the overall verdict: valid only when every check passed."""
        failed = {c.name for c in self.checks if c.outcome == "failed"}
        if failed & {"format", "schema", "signature", "issuer", "hosted assertion"}:
            return "invalid"
        if "revocation" in failed:
            return "revoked"
        if "validity dates" in failed:
            return "expired"
        if any(c.outcome != "passed" for c in self.checks) or not self.checks:
            return "unverified"
        return "valid"


def escape_controls(text: str) -> str:
    """Return text with C0, C1 and DEL escaped (\\x1b), to print it as one inert line."""
    return text.translate(_CONTROLS)


class NotABadgeError(ValueError):
    """Raised when the input holds no Open Badge."""


class DamagedBadgeError(ValueError):
    """Raised when the input holds a badge that cannot be read: damaged or beyond a limit."""


def parse_json(data: bytes | str) -> Any:
    """Parse JSON nested at most MAX_JSON_DEPTH levels; raise ValueError for anything else."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError(f"the JSON nests deeper than {MAX_JSON_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise ValueError("the JSON is not UTF-8") from None
    except json.JSONDecodeError:
        raise
    except ValueError:
        # Python refuses to convert integers of thousands of digits (int_max_str_digits).
        raise ValueError("the JSON holds a number too long to read") from None
    pending: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, (dict, list)) else []
    while pending:
        container, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
        children = container.values() if isinstance(container, dict) else container
        pending.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return value


def extract(data: bytes) -> JsonObject:
    """Return the badge document in JSON bytes or a baked PNG/SVG (OB 3.0 preferred)."""
    try:
        if data.startswith(baking.PNG_SIGNATURE):
            text = baking.unbake_png(data, baking.OB3_KEYWORD) or baking.unbake_png(
                data, baking.OB2_KEYWORD
            )
        elif b"<svg" in data[:2048]:
            text = baking.unbake_svg(data)
        else:
            return _badge_document(data.decode("utf-8", errors="replace"), baked=False)
    except baking.BakingError as error:
        raise DamagedBadgeError(str(error)) from None
    if not text:
        raise NotABadgeError("no Open Badge is baked into this image")
    return _badge_document(text, baked=True)


def _badge_document(text: str, *, baked: bool) -> JsonObject:
    try:
        document = parse_json(text)
    except json.JSONDecodeError:
        if baked:
            raise DamagedBadgeError("the badge baked into this image is not JSON") from None
        raise NotABadgeError("this is neither JSON nor a baked badge") from None
    except ValueError as error:
        raise DamagedBadgeError(str(error)) from None
    if not isinstance(document, dict):
        raise NotABadgeError("the JSON is not a badge document")
    return document


def verify_document(
    document: JsonObject, fetch: Fetch, now: datetime, source_url: str | None = None
) -> Report:
    """Verify an OB 3.0 credential or an OB 2.0 assertion; malformed input is not valid.

    Only the hosts in :func:`allowed_hosts` are contacted; ``source_url`` is where the
    document was read from, if from the web.
    """
    types = _types(document)
    if "VerifiableCredential" in types:
        report = Report("Open Badges 3.0 credential")
        check: Callable[[Report, JsonObject, Fetch, datetime], None] = _verify_ob3
    elif "Assertion" in types:
        report = Report("Open Badges 2.0 assertion")
        check = _verify_ob2
    else:
        report = Report("unknown")
        report.add("format", "failed", "neither an OpenBadgeCredential nor an OB 2.0 Assertion")
        return report
    try:
        check(report, document, _only_hosts(fetch, allowed_hosts(document, source_url)), now)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as error:
        # Anything the checks cannot even read is malformed, hence not valid.
        report.add("format", "failed", f"malformed document ({type(error).__name__}: {error})")
    return report


def verify_target(
    target: str, fetch: Fetch, read_file: Callable[[str], bytes], now: datetime
) -> Report:
    """Verify the badge a target names; a damaged one is not valid.

    Raises NotABadgeError when the target holds no badge, LookupError when it is unreadable.
    """
    try:
        document = load_target(target, fetch, read_file)
    except DamagedBadgeError as error:
        report = Report("damaged badge")
        report.add("format", "failed", str(error))
        return report
    return verify_document(document, fetch, now, target if _is_web_address(target) else None)


def allowed_hosts(document: JsonObject, source_url: str | None) -> frozenset[str]:
    """Return the hosts a verification may contact: where the document came from, and the
    issuer's (OB 3.0: the host of its did:web; OB 2.0: the host of the hosted assertion)."""
    if "VerifiableCredential" in _types(document):
        try:
            anchor: str | None = did_document_url(_issuer_id(document))
        except DidWebError:
            anchor = None
    else:
        anchor = str(document.get("id", ""))
    return frozenset(host for host in (_host(source_url), _host(anchor)) if host)


def _host(url: str | None) -> str | None:
    """Return an https URL's host (with its port, unless 443), or None if it has none."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return None
    return parts.hostname + (f":{port}" if port not in (None, 443) else "")


def _only_hosts(fetch: Fetch, hosts: frozenset[str]) -> Fetch:
    """Return a fetch that refuses, without any request, the URLs on any other host."""
    if hosts:
        rule = f"is not on {' or '.join(sorted(hosts))}, the hosts this verification may contact"
    else:
        rule = "is on no host this verification may contact: neither target nor issuer names one"

    def guarded(url: str) -> bytes:
        if _host(url) not in hosts:
            raise LookupError(f"not fetched: {url} {rule}")
        return fetch(url)

    return guarded


def _is_web_address(target: str) -> bool:
    return target.startswith(("https://", "http://"))


def _types(document: JsonObject) -> list[str]:
    value = document.get("type", [])
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


# -- OB 3.0 -------------------------------------------------------------------------------


@cache
def _ob3_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(OB3_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft201909Validator(schema)


def _verify_ob3(report: Report, credential: JsonObject, fetch: Fetch, now: datetime) -> None:
    context = credential.get("@context")
    is_badge = (
        "OpenBadgeCredential" in _types(credential)
        and isinstance(context, list)
        and CREDENTIALS_V2 in context
    )
    report.add("format", "passed" if is_badge else "failed", "OpenBadgeCredential, VC 2.0")
    errors = sorted(_ob3_validator().iter_errors(credential), key=lambda e: list(e.path))
    detail = errors[0].message[:200] if errors else "official OB 3.0 JSON Schema"
    report.add("schema", "failed" if errors else "passed", detail)
    _check_signature(report, credential, fetch)
    _check_status(report, credential, fetch)
    _check_dates(report, credential.get("validFrom"), credential.get("validUntil"), now)


def _issuer_id(credential: JsonObject) -> str:
    issuer = credential.get("issuer")
    return str(issuer.get("id") if isinstance(issuer, dict) else issuer)


def _check_signature(report: Report, credential: JsonObject, fetch: Fetch) -> None:
    issuer = _issuer_id(credential)
    proofs = credential.get("proof")
    proof_list = proofs if isinstance(proofs, list) else [proofs] if proofs else []
    if not proof_list:
        report.add("signature", "failed", "the credential is not signed (a preview?)")
        return
    methods = {str(p.get("verificationMethod", "")) for p in proof_list if isinstance(p, dict)}
    same_issuer = all(m.split("#")[0] == issuer for m in methods)
    try:
        did_document_url(issuer)
    except DidWebError as error:
        if issuer.startswith(DID_WEB_PREFIX):
            report.add("issuer", "failed", f"{issuer} is not a valid did:web: {error.reason}")
            report.add("signature", "could not check", "the issuer's key cannot be looked up")
            return
    report.add(
        "issuer",
        "passed" if same_issuer else "failed",
        f"signed by the issuer {issuer}" if same_issuer else "signed by another key holder",
    )
    keys = _issuer_keys(issuer, fetch)
    if isinstance(keys, str):
        report.add("signature", "could not check", f"issuer key unavailable: {keys}")
        return
    result = verify_credential(credential, lambda method: keys[method])
    detail = "Ed25519 eddsa-rdfc-2022 signature of the issuer's DID"
    report.add(
        "signature", "passed" if result else "failed", detail if result else str(result.reason)
    )


def _issuer_keys(issuer: str, fetch: Fetch) -> dict[str, VerificationKey] | str:
    """Return the keys the issuer's DID document authorises, or why they are unavailable."""
    try:
        document = parse_json(fetch(did_document_url(issuer)))
    except (LookupError, ValueError) as error:
        return str(error)
    if not isinstance(document, dict) or document.get("id") != issuer:
        return "the DID document is not the issuer's"
    return assertion_keys(document)


def _check_status(report: Report, credential: JsonObject, fetch: Fetch) -> None:
    entry = credential.get("credentialStatus")
    if not isinstance(entry, dict):
        report.add("revocation", "could not check", "the credential has no status entry")
        return
    try:
        status_list = parse_json(fetch(str(entry["statusListCredential"])))
        encoded = status_list["credentialSubject"]["encodedList"]
        issuer_matches = _issuer_id(status_list) == _issuer_id(credential)
        revoked = is_set(encoded, int(entry["statusListIndex"]))
    except (LookupError, KeyError, TypeError, ValueError) as error:
        report.add("revocation", "could not check", f"status list unreadable: {error}")
        return
    keys = _issuer_keys(_issuer_id(credential), fetch)
    authentic = not isinstance(keys, str) and verify_credential(
        status_list, lambda method: keys[method]
    )
    if not issuer_matches or not authentic:
        report.add("revocation", "could not check", "the status list is not signed by the issuer")
    elif revoked:
        report.add("revocation", "failed", "the issuer has revoked this credential")
    else:
        report.add("revocation", "passed", "not revoked (issuer's status list)")


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _check_dates(report: Report, start: object, end: object, now: datetime) -> None:
    valid_from, valid_until = _parse_time(start), _parse_time(end)
    if valid_from is not None and valid_from > now:
        report.add("validity dates", "failed", f"not valid before {start}")
    elif valid_until is not None and valid_until <= now:
        report.add("validity dates", "failed", f"expired on {end}")
    else:
        detail = f"valid until {end}" if end else "does not expire"
        report.add("validity dates", "passed", detail)


# -- OB 2.0 -------------------------------------------------------------------------------


def _verify_ob2(report: Report, assertion: JsonObject, fetch: Fetch, now: datetime) -> None:
    url = str(assertion.get("id", ""))
    try:
        hosted = parse_json(fetch(url))
    except (LookupError, ValueError) as error:
        report.add("hosted assertion", "could not check", f"{url}: {error}")
        return
    same = hosted == assertion
    report.add("format", "passed", "hosted Open Badges 2.0 Assertion")
    report.add(
        "hosted assertion",
        "passed" if same else "failed",
        "matches the issuer's hosted copy" if same else "differs from the issuer's hosted copy",
    )
    try:
        badge = parse_json(fetch(str(hosted["badge"])))
        issuer_url = str(badge["issuer"])
        # OB 2.0 hosted verification: the assertion must be hosted in the issuer's scope.
        if _host(issuer_url) != _host(url):
            report.add("issuer", "failed", f"{issuer_url} is not on the host of the assertion")
        else:
            parse_json(fetch(issuer_url))
            report.add("issuer", "passed", issuer_url)
    except (LookupError, KeyError, TypeError, ValueError) as error:
        report.add("issuer", "could not check", f"badge or issuer unavailable: {error}")
    if hosted.get("revoked"):
        report.add("revocation", "failed", str(hosted.get("revocationReason", "revoked")))
    else:
        report.add("revocation", "passed", "the hosted assertion is not revoked")
    _check_dates(report, hosted.get("issuedOn"), hosted.get("expires"), now)


def load_target(target: str, fetch: Fetch, read_file: Callable[[str], bytes]) -> JsonObject:
    """Return the badge document a target names: a page URL, a JSON URL, or a file."""
    if _is_web_address(target):
        if target.endswith("/"):
            # An award page: its credential sits beside it, or at least its assertion.
            for name in ("credential.json", "assertion.json"):
                try:
                    return extract(fetch(target + name))
                except LookupError:
                    continue
            raise NotABadgeError(f"no credential or assertion found for the page {target}")
        return extract(fetch(target))
    return extract(read_file(target))
