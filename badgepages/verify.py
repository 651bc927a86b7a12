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
from typing import Any, Literal

import jsonschema

from badgepages import baking
from badgepages.did import DidWebError, assertion_keys, did_document_url
from badgepages.jsonld import CREDENTIALS_V2
from badgepages.signing import VerificationKey, verify_credential
from badgepages.statuslist import is_set

Outcome = Literal["passed", "failed", "could not check"]
Verdict = Literal["valid", "revoked", "expired", "invalid", "unverified"]
# Fetches a URL; raises LookupError when it cannot be read (offline, missing, refused).
Fetch = Callable[[str], bytes]
JsonObject = dict[str, Any]

OB3_SCHEMA = Path(__file__).parent / "schemas_ob3" / "ob_v3p0_achievementcredential_schema.json"


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
        """Record a check."""
        self.checks.append(Check(name, outcome, detail))

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


class NotABadgeError(ValueError):
    """Raised when the input holds no Open Badge."""


def extract(data: bytes) -> JsonObject:
    """Return the badge document in JSON bytes or a baked PNG/SVG (OB 3.0 preferred)."""
    if data.startswith(baking.PNG_SIGNATURE):
        text = baking.unbake_png(data, baking.OB3_KEYWORD) or baking.unbake_png(
            data, baking.OB2_KEYWORD
        )
    elif b"<svg" in data[:2048]:
        text = baking.unbake_svg(data)
    else:
        text = data.decode("utf-8", errors="replace")
    if not text:
        raise NotABadgeError("no Open Badge is baked into this image")
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise NotABadgeError("this is neither JSON nor a baked badge") from None
    if not isinstance(document, dict):
        raise NotABadgeError("the JSON is not a badge document")
    return document


def verify_document(document: JsonObject, fetch: Fetch, now: datetime) -> Report:
    """Verify an OB 3.0 credential or an OB 2.0 assertion; malformed input is not valid."""
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
        check(report, document, fetch, now)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as error:
        # Anything the checks cannot even read is malformed, hence not valid.
        report.add("format", "failed", f"malformed document ({type(error).__name__}: {error})")
    return report


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
        document = json.loads(fetch(did_document_url(issuer)))
    except (LookupError, DidWebError, json.JSONDecodeError) as error:
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
        status_list = json.loads(fetch(str(entry["statusListCredential"])))
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
        hosted = json.loads(fetch(url))
    except (LookupError, json.JSONDecodeError) as error:
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
        badge = json.loads(fetch(str(hosted["badge"])))
        issuer_url = str(badge["issuer"])
        json.loads(fetch(issuer_url))
        in_scope = url.split("/")[2] == issuer_url.split("/")[2]
        report.add("issuer", "passed" if in_scope else "failed", issuer_url)
    except (LookupError, KeyError, IndexError, json.JSONDecodeError) as error:
        report.add("issuer", "could not check", f"badge or issuer unavailable: {error}")
    if hosted.get("revoked"):
        report.add("revocation", "failed", str(hosted.get("revocationReason", "revoked")))
    else:
        report.add("revocation", "passed", "the hosted assertion is not revoked")
    _check_dates(report, hosted.get("issuedOn"), hosted.get("expires"), now)


def load_target(target: str, fetch: Fetch, read_file: Callable[[str], bytes]) -> JsonObject:
    """Return the badge document a target names: a page URL, a JSON URL, or a file."""
    if target.startswith(("https://", "http://")):
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
