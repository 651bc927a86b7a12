"""Signing throughput on the example site's largest credential: ours, node's, the ratio.

Figures are printed, never asserted. Each side signs ``--count`` credentials ``--repeat``
times and keeps its best run (other processes on the machine only ever slow a run down).
Our side changes the per-award values (id, status entry, salted identity hash) on every
call, so nothing is served from a cache that a real build would miss; node's
``vc.issue()`` (tests/node/bench.mjs) signs the same credential with a fresh clone each time.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from badgepages import jsonld  # noqa: E402
from badgepages.signing import load_signing_key, sign_credential  # noqa: E402
from tests.site import build_example  # noqa: E402

CREATED = "2026-01-01T00:00:00Z"


def example_credential(workdir: Path) -> tuple[dict[str, Any], str, str]:
    """Build the example site; return its largest unsigned credential, a secret and key id."""
    site = build_example(workdir)
    files = sorted(site.out.glob("awards/*/credential.json"), key=lambda p: (-p.stat().st_size, p))
    credential = json.loads(files[0].read_text(encoding="utf-8"))
    credential.pop("proof")
    key_id = json.loads((site.out / "did.json").read_text())["verificationMethod"][-1]["id"]
    return credential, site.secret, key_id


def award_variants(credential: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Return count copies of credential with the values that change from award to award."""
    variants = []
    for index in range(count):
        variant = copy.deepcopy(credential)
        variant["id"] = credential["id"].replace("credential.json", f"{index}/credential.json")
        status = variant["credentialStatus"]
        status["statusListIndex"] = str(index)
        status["id"] = f"{status['statusListCredential']}#{index}"
        identifier = variant["credentialSubject"]["identifier"][0]
        identifier["salt"] = f"{index:032x}"
        digest = hashlib.sha256(f"student{index}@example.org{identifier['salt']}".encode())
        identifier["identityHash"] = "sha256$" + digest.hexdigest()
        variants.append(variant)
    return variants


def ours(credential: dict[str, Any], secret: str, key_id: str, count: int, repeat: int) -> float:
    """Return our best ms per credential over repeat runs of count signatures."""
    key = load_signing_key(key_id, secret)
    variants = award_variants(credential, count)
    # Warm up: the first credential of a shape builds its template (a few ms, once per shape).
    sign_credential(credential, key, CREATED)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for variant in variants:
            sign_credential(variant, key, CREATED)
        best = min(best, time.perf_counter() - start)
    if jsonld.canonize_fast(variants[-1]) is None:
        print("warning: the fast path did not apply; timed the reference path", file=sys.stderr)
    return best * 1000 / count


def node(credential: dict[str, Any], count: int, repeat: int) -> float | None:
    """Return node's best ms per credential over repeat runs, or None without the harness."""
    node_dir = REPO / "tests" / "node"
    binary = shutil.which("node")
    if binary is None or not (node_dir / "node_modules").is_dir():
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(credential, file)
    runs = []
    for _ in range(repeat):
        result = subprocess.run(
            [binary, str(node_dir / "bench.mjs"), "--count", str(count), file.name],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        runs.append(float(json.loads(result.stdout)["ms_per_credential"]))
    Path(file.name).unlink()
    return min(runs)


def main() -> None:
    """Print ms per credential for both signers and the throughput ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        credential, secret, key_id = example_credential(Path(workdir))
    size = len(json.dumps(credential, ensure_ascii=False).encode())
    quads = jsonld.canonize(credential).count("\n")
    print(f"credential: {size} bytes, {quads} quads (best of {args.repeat} x {args.count})")
    mine = ours(credential, secret, key_id, args.count, args.repeat)
    print(f"badgepages      {mine:.3f} ms per credential ({1000 / mine:.0f} per second)")
    theirs = node(credential, args.count, args.repeat)
    if theirs is None:
        print("node vc.issue() not run: tests/node/node_modules is missing")
        return
    print(f"node vc.issue() {theirs:.3f} ms per credential ({1000 / theirs:.0f} per second)")
    print(f"ratio: badgepages is {theirs / mine:.1f}x node's throughput per core")


if __name__ == "__main__":
    main()
