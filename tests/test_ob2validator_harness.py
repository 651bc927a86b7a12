"""Tests of the offline OB 2.0 validator harness (tests/ob2validator/validate_site.py).

The harness runs in its own virtualenv (.venv-ob2, made by tests/ob2validator/install.sh), so it
is driven here through a subprocess against tiny hand-written sites built in tmp_path.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from tests.conftest import OB2_HARNESS as HARNESS

BASE = "https://example.github.io/badges"
CONTEXT = "https://w3id.org/openbadges/v2"
EMAIL = "alice@example.org"
SALT = "0f3c9a5d2b7e41c8"


@dataclass(frozen=True)
class Run:
    """Outcome of one harness run."""

    returncode: int
    results: list[dict[str, Any]]
    stderr: str


def hash_email(email: str, salt: str) -> str:
    """Return the OB 2.0 salted identity hash (sha256 of email + salt)."""
    return "sha256$" + hashlib.sha256((email + salt).encode("utf-8")).hexdigest()


def make_png() -> bytes:
    """Return a small PNG badge image."""
    buffer = io.BytesIO()
    Image.new("RGBA", (32, 32), (200, 30, 60, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def bake_png(png: bytes, assertion: dict[str, Any]) -> bytes:
    """Return ``png`` with an iTXt ``openbadges`` chunk holding ``assertion`` right after IHDR."""
    data = b"openbadges\x00\x00\x00\x00\x00" + json.dumps(assertion).encode("utf-8")
    chunk = struct.pack(">I", len(data)) + b"iTXt" + data
    chunk += struct.pack(">I", zlib.crc32(b"iTXt" + data))
    ihdr_end = 8 + 8 + 13 + 4  # signature, IHDR length+type, IHDR data, CRC
    return png[:ihdr_end] + chunk + png[ihdr_end:]


def write_json(path: Path, node: dict[str, Any]) -> None:
    """Write one JSON document, creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(node, indent=2), encoding="utf-8")


def make_assertion(award: str, **extra: Any) -> dict[str, Any]:
    """Return a hosted Assertion served at BASE/awards/<award>/assertion.json."""
    node = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": f"{BASE}/awards/{award}/assertion.json",
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": SALT,
            "identity": hash_email(EMAIL, SALT),
        },
        "badge": f"{BASE}/badges/b1/badgeclass.json",
        "verification": {"type": "HostedBadge"},
        "issuedOn": "2024-01-02T03:04:05Z",
    }
    node.update(extra)
    return node


def write_site(root: Path, *assertions: dict[str, Any]) -> Path:
    """Write an issuer, a badge class with its image and the given assertions; return the site."""
    site = root / "site"
    write_json(
        site / "issuer.json",
        {
            "@context": CONTEXT,
            "type": "Issuer",
            "id": f"{BASE}/issuer.json",
            "name": "Example School",
            "url": "https://example.github.io/",
            "email": "badges@example.org",
        },
    )
    write_json(
        site / "badges" / "b1" / "badgeclass.json",
        {
            "@context": CONTEXT,
            "type": "BadgeClass",
            "id": f"{BASE}/badges/b1/badgeclass.json",
            "name": "Badge One",
            "description": "Awarded for doing one thing well.",
            "image": f"{BASE}/badges/b1/image.png",
            "criteria": {"narrative": "Do the thing."},
            "issuer": f"{BASE}/issuer.json",
        },
    )
    (site / "badges" / "b1" / "image.png").write_bytes(make_png())
    for assertion in assertions:
        relative = assertion["id"].removeprefix(BASE + "/")
        write_json(site / relative, assertion)
    return site


def run_harness(ob2_python: Path, site: Path, *args: str) -> Run:
    """Run the harness with --json on ``site`` and return its outcome."""
    command = [str(ob2_python), str(HARNESS), "--site", str(site), "--base-url", BASE, "--json"]
    proc = subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=300, check=False
    )
    results = json.loads(proc.stdout) if proc.stdout.strip() else []
    return Run(proc.returncode, results, proc.stderr)


def write_profiles(root: Path, profiles: dict[str, str]) -> str:
    """Write a --profiles file and return its path."""
    path = root / "profiles.json"
    path.write_text(json.dumps(profiles), encoding="utf-8")
    return str(path)


def names(result: dict[str, Any]) -> list[str]:
    """Return the message names of one result."""
    return [message["name"] for message in result["messages"]]


def test_correct_trio_is_valid_with_profile_and_baked_png(ob2_python: Path, tmp_path: Path) -> None:
    """A correct issuer/badge class/assertion trio and its baked PNG pass with no message."""
    assertion = make_assertion("a1")
    site = write_site(tmp_path, assertion)
    baked = bake_png(make_png(), assertion)
    (site / "awards" / "a1" / "badge.png").write_bytes(baked)
    profiles = write_profiles(tmp_path, {assertion["id"]: EMAIL})

    run = run_harness(ob2_python, site, "--profiles", profiles)

    assert run.returncode == 0, run
    by_kind = {("url" if "url" in r else "file"): r for r in run.results}
    assert len(run.results) == 2
    assert set(by_kind) == {"url", "file"}
    assert by_kind["url"]["url"] == assertion["id"]
    assert by_kind["file"]["file"] == "awards/a1/badge.png"
    for result in run.results:
        assert result["assertion"] == assertion["id"]
        assert result["valid"] is True
        assert result["ok"] is True
        assert (result["errorCount"], result["warningCount"]) == (0, 0)
        assert result["profile"] == EMAIL


def bake_svg(assertion: dict[str, Any], verify: str) -> bytes:
    """Return an SVG badge baked as Baking 1.0 says: JSON in CDATA, the hosted URL in verify."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org" '
        f'viewBox="0 0 8 8"><openbadges:assertion verify="{verify}"><![CDATA['
        f'{json.dumps(assertion)}]]></openbadges:assertion><rect width="8" height="8"/></svg>'
    ).encode()


def test_baked_svg_is_verified_at_its_verify_url(ob2_python: Path, tmp_path: Path) -> None:
    """A baked SVG is a subject of its own, passing when the URL it carries is valid."""
    assertion = make_assertion("a1")
    site = write_site(tmp_path, assertion)
    (site / "awards" / "a1" / "badge.svg").write_bytes(bake_svg(assertion, assertion["id"]))
    (site / "awards" / "a1" / "plain.svg").write_text("<svg/>", encoding="utf-8")
    run = run_harness(ob2_python, site)
    assert run.returncode == 0, run
    files = [r for r in run.results if "file" in r]
    assert [(r["file"], r["assertion"], r["ok"]) for r in files] == [
        ("awards/a1/badge.svg", assertion["id"], True)
    ]

    wrong = f"{BASE}/awards/a2/assertion.json"  # served nowhere
    (site / "awards" / "a1" / "badge.svg").write_bytes(bake_svg(assertion, wrong))
    run = run_harness(ob2_python, site)
    assert run.returncode == 1
    failed = next(r for r in run.results if "file" in r)
    assert failed["ok"] is False
    assert "HARNESS_HTTP_404" in names(failed)


def test_images_folder_is_verified_against_the_site(ob2_python: Path, tmp_path: Path) -> None:
    """--images: only the baked images there are subjects; the site answers their requests."""
    assertion = make_assertion("a1")
    site = write_site(tmp_path, assertion, make_assertion("a2"))
    images = tmp_path / "downloads"
    images.mkdir()
    (images / "badge.png").write_bytes(bake_png(make_png(), assertion))
    (images / "badge.svg").write_bytes(bake_svg(assertion, assertion["id"]))
    run = run_harness(ob2_python, site, "--images", str(images))
    assert run.returncode == 0, run
    assert [(r["file"], r["ok"]) for r in run.results] == [
        ("badge.png", True),
        ("badge.svg", True),
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    run = run_harness(ob2_python, site, "--images", str(empty))
    assert run.returncode == 1
    assert "no baked image found" in run.stderr


def test_id_differing_from_served_url_is_a_warning_and_fails(
    ob2_python: Path, tmp_path: Path
) -> None:
    """An assertion served at a URL other than its id is reported and fails the run."""
    assertion = make_assertion("a1")
    site = write_site(tmp_path, assertion)
    shutil.copy(site / "awards/a1/assertion.json", site / "awards/a1/copy.json")

    run = run_harness(ob2_python, site)

    assert run.returncode == 1
    results = {r["url"]: r for r in run.results}
    assert results[assertion["id"]]["ok"] is True
    moved = results[f"{BASE}/awards/a1/copy.json"]
    assert moved["ok"] is False
    assert moved["warningCount"] == 1
    assert moved["errorCount"] == 0
    (warning,) = moved["messages"]
    assert warning["level"] == "WARNING"
    assert f"declared its id as {assertion['id']}" in warning["result"]


def test_wrong_profile_email_fails(ob2_python: Path, tmp_path: Path) -> None:
    """A recipient profile whose email does not match the hashed identity fails."""
    assertion = make_assertion("a1")
    site = write_site(tmp_path, assertion)
    profiles = write_profiles(tmp_path, {assertion["id"]: "bob@example.org"})

    run = run_harness(ob2_python, site, "--profiles", profiles)

    assert run.returncode == 1
    (result,) = run.results
    assert result["valid"] is False
    assert result["ok"] is False
    assert result["errorCount"] == 1
    assert "VERIFY_RECIPIENT_IDENTIFIER" in names(result)


def test_expired_assertion_is_tolerated_only_with_allow_expired(
    ob2_python: Path, tmp_path: Path
) -> None:
    """An expired assertion fails unless --allow-expired names it; only that error is excused."""
    expired = make_assertion("old", issuedOn="2020-01-02T03:04:05Z", expires="2021-01-02T03:04:05Z")
    site = write_site(tmp_path, expired)

    strict = run_harness(ob2_python, site)
    assert strict.returncode == 1
    (result,) = strict.results
    assert result["errorCount"] == 1
    assert result["ok"] is False
    assert result["messages"][0]["result"].startswith(f"Assertion {expired['id']} expired on ")

    tolerant = run_harness(ob2_python, site, "--allow-expired", expired["id"])
    assert tolerant.returncode == 0, tolerant
    (result,) = tolerant.results
    assert result["valid"] is False
    assert result["errorCount"] == 1
    assert result["ok"] is True
    assert len(result["tolerated"]) == 1

    profiles = write_profiles(tmp_path, {expired["id"]: "bob@example.org"})
    other_error = run_harness(
        ob2_python, site, "--allow-expired", expired["id"], "--profiles", profiles
    )
    assert other_error.returncode == 1
    (result,) = other_error.results
    assert result["errorCount"] == 2
    assert result["ok"] is False


def test_missing_badge_image_is_an_error(ob2_python: Path, tmp_path: Path) -> None:
    """A 404 badge image, which validator 1.1.2 accepts, is reported by the harness."""
    site = write_site(tmp_path, make_assertion("a1"))
    (site / "badges" / "b1" / "image.png").unlink()

    run = run_harness(ob2_python, site)

    assert run.returncode == 1
    (result,) = run.results
    assert names(result) == ["HARNESS_HTTP_404"]
    assert f"{BASE}/badges/b1/image.png" in result["messages"][0]["result"]


def test_reference_outside_the_site_is_an_error(ob2_python: Path, tmp_path: Path) -> None:
    """A badge hosted outside --base-url cannot be fetched offline and fails."""
    site = write_site(tmp_path, make_assertion("a1", badge="https://elsewhere.example/b1.json"))

    run = run_harness(ob2_python, site)

    assert run.returncode == 1
    (result,) = run.results
    assert "HARNESS_OFFSITE_FETCH" in names(result)
    assert result["ok"] is False


def test_validator_crash_on_a_broken_baked_png_fails_only_that_subject(
    ob2_python: Path, tmp_path: Path
) -> None:
    """A baked PNG with a bad CRC crashes the validator; the run still reports every subject."""
    assertion = make_assertion("a1")
    site = write_site(tmp_path, assertion)
    baked = bytearray(bake_png(make_png(), assertion))
    baked[33 + 8 + 20] ^= 0x01  # a byte of the assertion JSON: the iTXt CRC no longer matches
    (site / "awards" / "a1" / "badge.png").write_bytes(bytes(baked))

    run = run_harness(ob2_python, site)

    assert run.returncode == 1
    results = {r.get("url") or r["file"]: r for r in run.results}
    assert results[assertion["id"]]["ok"] is True
    broken = results["awards/a1/badge.png"]
    assert broken["ok"] is False
    assert names(broken) == ["HARNESS_VALIDATOR_CRASH"]
    assert "Checksum error" in broken["messages"][0]["result"]


def test_stale_profile_url_and_empty_site_fail(ob2_python: Path, tmp_path: Path) -> None:
    """A profile for an assertion not in the site is a usage error; a site without any fails."""
    site = write_site(tmp_path, make_assertion("a1"))
    profiles = write_profiles(tmp_path, {f"{BASE}/awards/nope/assertion.json": EMAIL})
    assert run_harness(ob2_python, site, "--profiles", profiles).returncode == 2

    empty = write_site(tmp_path / "empty")
    run = run_harness(ob2_python, empty)
    assert run.returncode == 1
    assert run.results == []
    assert "no OB 2.0 Assertion JSON found" in run.stderr


def test_human_output_lists_every_subject_and_failure(ob2_python: Path, tmp_path: Path) -> None:
    """Without --json the harness prints one line per subject, its messages and a summary."""
    assertion = make_assertion("a1")
    site = write_site(tmp_path, assertion, make_assertion("a2", issuedOn="2024-01-02T03:04:05"))
    command = [str(ob2_python), str(HARNESS), "--site", str(site), "--base-url", BASE]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)

    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == f"OK   url {assertion['id']} valid=True errors=0 warnings=0"
    assert lines[1].startswith(f"FAIL url {BASE}/awards/a2/assertion.json valid=False errors=")
    assert any("ERROR VALIDATE_PROPERTY" in line for line in lines)
    assert lines[-1] == "OB 2.0 validator 1.1.2: 1 ok, 1 failing"
