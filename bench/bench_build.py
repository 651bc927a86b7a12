"""Benchmarks: figures and ratios printed, never asserted (run with ``make bench``).

1. Signing: credentials per second with our signer and with Digital Bazaar's ``vc.issue()``
   in node on the same credential, and the ratio (the bar is 10x node per core).
2. Build: a synthetic site of N awards, seconds per award, files and bytes per award.
3. Award page weight: bytes transferred for one award page before any user action.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from badgepages.keys import add_new_key  # noqa: E402
from badgepages.pipeline import BuildOptions, build  # noqa: E402
from badgepages.signing import load_signing_key, sign_credential  # noqa: E402
from tests.site import copy_example  # noqa: E402

DAY = date(2026, 11, 28)


def make_project(root: Path, awards: int) -> str:
    """Copy the example project and add ``awards`` synthetic recipients; return a secret."""
    copy_example(root, ("site_config.yaml", "badges", "theme"))
    recipients = root / "recipients"
    recipients.mkdir()
    badges = ["citadin-citoyen", "collectif-essca"]
    for index in range(awards):
        (recipients / f"student-{index:06d}.yaml").write_text(
            f"name: Student {index}\nemail: student{index}@example.org\n"
            f"public: {'true' if index % 2 else 'false'}\nawards:\n"
            f"  - id: bench{index:015d}\n    badge: {badges[index % 2]}\n"
            f"    issued_on: 2025-0{1 + index % 9}-1{index % 10}\n"
            "    narrative: Took part in the school's projects for a whole year.\n",
            encoding="utf-8",
        )
    secret, _ = add_new_key(root, DAY)
    return secret


def bench_signing(site: Path, secret: str, key_id: str, count: int) -> tuple[float, float | None]:
    """Return ms per credential for our signer and for node's vc.issue() (None without node)."""
    credential = json.loads(next(site.glob("awards/*/credential.json")).read_text())
    credential.pop("proof")
    key = load_signing_key(key_id, secret)
    sign_credential(credential, key, "2026-01-01T00:00:00Z")  # warm the caches
    start = time.perf_counter()
    for index in range(count):
        credential["name"] = f"Badge {index}"
        sign_credential(credential, key, "2026-01-01T00:00:00Z")
    ours = (time.perf_counter() - start) * 1000 / count
    node_dir = REPO / "tests" / "node"
    if not (node_dir / "node_modules").is_dir():
        return ours, None
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(credential, file)
    result = subprocess.run(
        ["node", str(node_dir / "bench.mjs"), "--count", str(count), file.name],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return ours, float(json.loads(result.stdout)["ms_per_credential"])


def page_weight(site: Path, public_base: str) -> tuple[int, int]:
    """Return (transferred, raw) bytes of one award page visited in chromium, live check
    included: text counted gzipped as GitHub Pages sends it, images as they are."""
    from tests.browser_support import measure_page_weight

    award = next(site.glob("awards/*/index.html")).parent.relative_to(site).as_posix()
    gzipped, raw, _ = measure_page_weight(site, public_base, f"{award}/")
    return gzipped, raw


def main() -> None:
    """Run every benchmark and print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--awards", type=int, default=300)
    parser.add_argument("--sign-count", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        root = Path(workdir) / "project"
        secret = make_project(root, args.awards)
        out = Path(workdir) / "site"
        start = time.perf_counter()
        report = build(root, BuildOptions(DAY, out_dir=out, signing_secret=secret))
        seconds = time.perf_counter() - start
        files = [p for p in out.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        key_id = json.loads((out / "did.json").read_text())["verificationMethod"][-1]["id"]
        ours, node = bench_signing(out, secret, key_id, args.sign_count)
        weight = page_weight(out, "https://essca.github.io/badges/")
    per_award = seconds * 1000 / report.awards
    print(f"build: {report.awards} awards in {seconds:.2f} s = {per_award:.1f} ms per award")
    files_per_award, kib_per_award = len(files) / report.awards, size / report.awards / 1024
    print(f"       {files_per_award:.1f} files and {kib_per_award:.1f} KiB per award")
    print(f"sign:  badgepages {ours:.3f} ms per credential ({1000 / ours:.0f} per second)")
    if node is not None:
        print(f"       node vc.issue() {node:.3f} ms per credential ({1000 / node:.0f} per second)")
        print(f"       ratio: badgepages is {node / ours:.1f}x node's throughput per core")
    transferred, raw = weight
    print(
        f"page:  award page before any user action, live check included: "
        f"{transferred / 1024:.1f} KiB transferred ({raw / 1024:.1f} KiB uncompressed)"
    )


if __name__ == "__main__":
    main()
