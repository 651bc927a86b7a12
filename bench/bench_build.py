"""Build benchmarks at scale: figures and ratios printed, never asserted (``make bench``).

For each size, a synthetic project is generated from a seed (both languages, narratives and
evidence, expiry, revocations, erasures, holders who consented and holders who did not),
then measured, each case in a fresh process so that its time and memory are its own:

- a clean signed build (wall, CPU of all processes, time per stage, peak memory);
- the site's footprint: bytes and files per award (everything under an award's routes);
- incremental builds: nothing changed, one award added, one revoked, one badge's criteria
  edited (what was rebuilt is printed), and ``badgepages check`` with a warm and a cold cache;
  each small change is made in three rounds of every case, on other awards, and each
  case's median shown;
- what a CI runner does: a build into a new folder with the cache restored;
- signing throughput against node's ``vc.issue()`` (bench_signing.py), measured in the run.

Every size's clean build comes first, then every size's small changes, then every size's
badge edit, the one case that deletes many files (see :func:`main` for why).

    python bench/bench_build.py --awards 1000,10000,100000 [--jobs N] [--seed 7] [--no-signing]
"""

from __future__ import annotations

import argparse
import compileall
import functools
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from badgepages.catalog import load_catalog  # noqa: E402
from badgepages.execute import execute  # noqa: E402
from badgepages.hosts import planned_footprint  # noqa: E402
from badgepages.identity import new_award_id  # noqa: E402
from badgepages.keys import add_new_key  # noqa: E402
from badgepages.ledger import write_ledger  # noqa: E402
from badgepages.output import SiteOutput  # noqa: E402
from badgepages.pipeline import BuildOptions, build_context, plan_of  # noqa: E402
from badgepages.plan import plan_site  # noqa: E402
from badgepages.workers import default_jobs, end_process, hold_until_exit  # noqa: E402
from tests.site import copy_example  # noqa: E402

DAY = date(2026, 11, 28)
BADGES = ("citadin-citoyen", "collectif-essca")
REPEATS = 3  # runs of each small change (on other awards), of which the median is shown
CHANGES = (
    "nothing changed",
    "one award added",
    "one award revoked",
    "oldest named award revoked",
    "check, warm cache",
)
GIVEN = ("Camille", "Zoé", "Hugo", "Inès", "Léa", "Thomas", "Chloé", "Lucas", "Maël", "Aïcha")
FAMILY = ("Durand", "Lefèvre", "Moreau", "Benali", "Nguyen", "Martin", "Dubois", "Ångström")


# -- the synthetic project ------------------------------------------------------------------


def make_project(root: Path, awards: int, seed: int) -> str:
    """Write a project of ``awards`` awards (two per recipient); return its signing secret."""
    copy_example(root, ("site_config.yaml", "badges", "theme"))
    chance = random.Random(seed)
    recipients = root / "recipients"
    recipients.mkdir()
    for person in range((awards + 1) // 2):
        count = min(2, awards - 2 * person)
        (recipients / f"student-{person:06d}.yaml").write_text(
            recipient_yaml(person, count, chance), encoding="utf-8"
        )
    secret, _ = add_new_key(root, DAY - timedelta(days=400))
    return secret


def recipient_yaml(person: int, count: int, chance: random.Random) -> str:
    """Return one recipient file: a mix of every feature the sources offer."""
    erased = chance.random() < 0.005
    lines = ["# yaml-language-server: $schema=../schemas/recipient.schema.json"]
    if erased:
        lines.append(f"erased_on: {DAY - timedelta(days=10)}")
    else:
        name = f"{chance.choice(GIVEN)} {chance.choice(FAMILY)}"
        lines += [
            f"name: {name}",
            f"email: student.{person}@example.org",
            f"public: {'true' if chance.random() < 0.6 else 'false'}",
        ]
    lines.append("awards:")
    for index in range(count):
        issued = DAY - timedelta(days=30 + chance.randrange(900))
        lines += [
            f"  - id: {new_award_id_from(chance)}",
            f"    badge: {BADGES[(person + index) % len(BADGES)]}",
            f"    issued_on: {issued}",
        ]
        if erased:
            continue
        if chance.random() < 0.2:
            lines.append(f"    expires: {issued + timedelta(days=365 + chance.randrange(400))}")
        if chance.random() < 0.7:
            lines += [
                "    narrative:",
                f"      fr: A consacré {20 + chance.randrange(60)} heures à un projet associatif.",
                f"      en: Gave {20 + chance.randrange(60)} hours to a community project.",
            ]
        if chance.random() < 0.3:
            lines += [
                "    evidence:",
                f"      - url: https://example.org/evidence/{person}-{index}.pdf",
                "        narrative: {fr: Attestation signée, en: Signed statement}",
            ]
        if chance.random() < 0.02:
            revoked = issued + timedelta(days=10)
            lines += ["    revoked:", f"      on: {revoked}", "      reason: Awarded by mistake"]
    return "\n".join(lines) + "\n"


def new_award_id_from(chance: random.Random) -> str:
    """Return an award id like badgepages makes, but from the seed (a repeatable project)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "".join(chance.choice(alphabet) for _ in range(20))


# -- one measured build, in a fresh process -------------------------------------------------


def measure(root: Path, out: Path, secret: str, jobs: int, *, check_only: bool) -> dict[str, Any]:
    """Run one build (or check) in a child process; return its figures."""
    command = [
        sys.executable, __file__, "--child", str(root), str(out), str(jobs),
        "check" if check_only else "build",
    ]  # fmt: skip
    env = {**os.environ, "BADGEPAGES_SIGNING_KEY": secret}
    # Python keeps the engine's compiled bytecode, as on any install (pip compiles it; CI's
    # first command writes it): a machine that forbids it would time compiling the engine.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # What the cases before wrote goes to the disk first: a case times its own writing, not
    # the write-back of the gigabytes before it (a build that follows one of 100,000 awards
    # otherwise took up to twice as long). A build on a CI runner, or after an edit, starts so.
    os.sync()
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise SystemExit(f"build failed:\n{run.stdout}\n{run.stderr}")
    figures: dict[str, Any] = json.loads(run.stdout.splitlines()[-1])
    figures["wall"] = time.perf_counter() - start
    figures["user"] = after.ru_utime - before.ru_utime
    figures["system"] = after.ru_stime - before.ru_stime
    return figures


def child(root: Path, out: Path, jobs: int, what: str) -> None:
    """In the child process: load, plan and execute, timing each stage."""
    times: dict[str, float] = {}
    figures: dict[str, Any] = {"stages": times}
    if what == "build":  # what pipeline.build does, stage by stage
        options = BuildOptions(DAY, signing_secret=os.environ["BADGEPAGES_SIGNING_KEY"], jobs=jobs)
        with SiteOutput(out, jobs) as output:
            start = time.perf_counter()
            before = output.prepare()
            catalog = load_catalog(root, DAY, jobs=jobs)
            times["load"] = time.perf_counter() - start
            mark = time.perf_counter()
            context = build_context(catalog, options)
            plan = plan_site(context)
            times["plan"] = time.perf_counter() - mark
            mark = time.perf_counter()
            done = execute(plan, context, output, before)
            times["execute"] = time.perf_counter() - mark
        if catalog.ledger != catalog.published:  # as a deploy build does
            write_ledger(root, catalog.ledger)
        figures.update(files=done.files, produced=done.produced, copied=done.copied)
    else:  # what check does: load, plan the site and weigh it against its host
        start = time.perf_counter()
        catalog = load_catalog(root, DAY, jobs=jobs)
        times["load"] = time.perf_counter() - start
        mark = time.perf_counter()
        planned_footprint(plan_of(catalog, BuildOptions(DAY, jobs=jobs)), out)
        times["plan"] = time.perf_counter() - mark
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    figures.update(rss_main=peak_memory() / 1024, rss_worker=workers / 1024)
    print(json.dumps(figures))


def peak_memory() -> int:
    """Return this process's peak resident memory in KiB, since it started this program.

    Linux carries ``ru_maxrss`` over ``exec``: a child would report the bench's own peak
    (680 MB once it has listed a 100,000-award site). ``VmHWM`` is the new program's alone.
    """
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        status = ""
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found[1]) if found else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- the report ------------------------------------------------------------------------------


def footprint(site: Path, awards: int) -> tuple[float, float, float, int]:
    """Return bytes and files per award (award routes only), and the whole site's MB, files."""
    per_award_bytes = per_award_files = total = files = 0
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        size = path.stat().st_size
        total += size
        files += 1
        if "awards" in path.relative_to(site).parts:
            per_award_bytes += size
            per_award_files += 1
    return per_award_bytes / awards, per_award_files / awards, total / 1e6, files


def line(label: str, figures: dict[str, Any], unchanged: dict[str, Any] | None = None) -> str:
    """Return one case's figures; against ``unchanged`` (the same site, nothing changed) too.

    The difference reads through the disk's moods: a slow hour slows both cases alike.
    """
    stages = " ".join(f"{k} {v:.2f}s" for k, v in figures["stages"].items())
    rebuilt = f", {figures['produced']} made" if "produced" in figures else ""
    if figures.get("copied"):
        rebuilt += f", {figures['copied']} from the cache"
    if unchanged is not None:
        rebuilt += f", {figures['wall'] - unchanged['wall']:+.2f} s over nothing changed"
    spread = ""
    if "walls" in figures:
        spread = f" (median of {len(figures['walls'])}: {' '.join(figures['walls'])})"
    return (
        f"  {label:<28} {figures['wall']:7.2f} s wall{spread}, CPU {figures['user']:.2f} s "
        f"user + {figures['system']:.2f} s system ({stages}){rebuilt}; "
        f"peak RSS {figures['rss_main']:.0f} MB + {figures['rss_worker']:.0f} MB per worker"
    )


def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the figures of the run with the median wall time, with every run's wall time."""
    middle = dict(sorted(runs, key=lambda figures: figures["wall"])[len(runs) // 2])
    middle["walls"] = [f"{figures['wall']:.2f}" for figures in runs]
    return middle


def oldest_listed_awards(
    root: Path, count: int, skip: Sequence[Path], files: int = 200
) -> list[tuple[Path, str]]:
    """Return the file and ``issued_on`` line of the ``count`` oldest awards among the first
    files' holders who are named: first in their badge's list of holders, where a change
    moves most. One award per file (and none in ``skip``), so that each can be revoked by
    its line.
    """
    found: dict[Path, tuple[str, str]] = {}
    for path in sorted((root / "recipients").glob("student-*.yaml"))[:files]:
        text = path.read_text(encoding="utf-8")
        if path not in skip and "public: true" in text and "revoked:" not in text:
            issued = min(re.findall(r"    issued_on: (\S+)\n", text))
            found[path] = (issued, f"    issued_on: {issued}\n")
    oldest = sorted(found.items(), key=lambda item: item[1])[:count]
    return [(path, line) for path, (_, line) in oldest]


def file_system_floor(site: Path, copy: Path) -> tuple[float, int]:
    """Time making the site's folders and files again with nothing to compute: the disk's share.

    The copy is left for the end of the run (see :func:`main`).
    """
    tree = [
        (path.relative_to(site), path.is_dir(), path.stat().st_size) for path in site.rglob("*")
    ]
    os.sync()  # as before each build (see measure)
    start = time.perf_counter()
    copy.mkdir()
    for relative, is_folder, size in tree:
        if is_folder:
            os.mkdir(copy / relative)
        else:
            with open(copy / relative, "wb") as stream:
                stream.write(b"x" * size)
    elapsed = time.perf_counter() - start
    return elapsed, sum(1 for _, is_folder, _ in tree if is_folder)


def bench_clean(awards: int, seed: int, jobs: int, workdir: Path) -> str:
    """Make a size's project and time its clean build; return the project's signing secret."""
    root, out = workdir / f"project-{awards}", workdir / f"site-{awards}"
    secret = make_project(root, awards, seed)
    print(f"{awards:,} awards, {jobs} workers: a clean build")
    clean = measure(root, out, secret, jobs, check_only=False)
    print(line("clean signed build", clean))
    per_award, files_per_award, total, files = footprint(out, awards)
    print(
        f"  {'footprint':<28} {per_award / 1024:.1f} KiB and {files_per_award:.2f} files per "
        f"award; site {total:.0f} MB in {files:,} files"
    )
    floor, folders = file_system_floor(out, workdir / f"floor-{awards}")
    print(
        f"  {'file system alone':<28} {floor:7.2f} s wall to make the same {folders:,} folders "
        f"and {files:,} files in one plain loop (no content to compute)"
    )
    return secret


def bench_changes(awards: int, jobs: int, workdir: Path, secret: str) -> None:
    """Time the builds that follow a small change, ``check``, and CI's build into a new folder."""
    root, out = workdir / f"project-{awards}", workdir / f"site-{awards}"
    print(f"{awards:,} awards, {jobs} workers: changes")
    # The first build after the bench wrote gigabytes (the sites, the plain loop's copy)
    # may find the kernel's caches of files and folders partly emptied: at 100,000 awards
    # one took 8.9 s, and the builds after it, which did more, 5.0-6.2 s. It is printed
    # apart: someone who edits a file after a build has not written gigabytes in between.
    print(line("nothing changed, first", measure(root, out, secret, jobs, check_only=False)))
    # Each small change is made REPEATS times over, on other awards, in rounds of every case:
    # on a shared virtual machine a run of a few seconds may take a second more than the
    # next, and a slow minute then weighs on one run of each case rather than on one case.
    build = functools.partial(measure, root, out, secret, jobs, check_only=False)
    people = [root / "recipients" / f"student-{n:06d}.yaml" for n in range(1, REPEATS + 1)]
    oldest = oldest_listed_awards(root, REPEATS, skip=people)
    if not oldest:
        raise SystemExit(f"{awards} awards are too few: no named holder's award to revoke")
    revocation = f"    revoked:\n      on: {DAY}\n      reason: Awarded by mistake\n"
    runs: dict[str, list[dict[str, Any]]] = {case: [] for case in CHANGES}
    for person, (path, issued) in zip(people, oldest, strict=False):
        runs["nothing changed"].append(build())
        text = person.read_text(encoding="utf-8")
        added = f"  - id: {new_award_id()}\n    badge: {BADGES[0]}\n    issued_on: {DAY}\n"
        person.write_text(text + added, encoding="utf-8")
        runs["one award added"].append(build())
        person.write_text(text + added + revocation, encoding="utf-8")
        runs["one award revoked"].append(build())
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(issued, issued + revocation, 1), encoding="utf-8")
        runs["oldest named award revoked"].append(build())
        runs["check, warm cache"].append(measure(root, out, secret, jobs, check_only=True))
    unchanged = median(runs["nothing changed"])
    for case, figures in runs.items():
        compared = None if case.startswith(("nothing", "check")) else unchanged
        print(line(case, median(figures), compared))
    # What a CI runner does: a new output folder, the cache restored by actions/cache.
    fresh = measure(root, workdir / f"fresh-{awards}", secret, jobs, check_only=False)
    print(line("new folder, cache restored", fresh))


def bench_rewrites(awards: int, jobs: int, workdir: Path, secret: str) -> None:
    """Time a change that rewrites half the site in place, then ``check`` with a cold cache."""
    root, out = workdir / f"project-{awards}", workdir / f"site-{awards}"
    print(f"{awards:,} awards, {jobs} workers: a badge edited")
    badge = root / "badges" / f"{BADGES[1]}.yaml"
    text = badge.read_text(encoding="utf-8")
    criteria = text.replace(
        "    Pour obtenir ce badge,", "    Édition 2. Pour obtenir ce badge,", 1
    )
    assert criteria != text
    badge.write_text(criteria, encoding="utf-8")
    figures = measure(root, out, secret, jobs, check_only=False)
    print(line(f"{BADGES[1]}'s criteria edited", figures))
    (root / ".badgepages-cache").rename(workdir / f"cache-{awards}")  # a cold cache
    print(line("check, cold cache", measure(root, out, secret, jobs, check_only=True)))


def hide_test_tools(workdir: Path) -> None:
    """Let the measured processes import only what the workflows install (``pip install .``).

    This environment holds test tools that pull in ``requests``, and pyld imports it when it
    can: 0.14 s of every build that signs. The workflows' installs have no ``requests``. A
    package of that name that refuses to be imported, first on the children's path, hides it.
    """
    package = workdir / "hidden" / "requests"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('raise ImportError("not in a badgepages install")\n')
    paths = [str(package.parent), os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, paths))


def main() -> None:
    """Run the benchmarks and print figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--awards", default="1000,10000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument(
        "--no-signing", action="store_true", help="leave out the comparison with node's signing"
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        root, out, jobs, what = args.child
        hold_until_exit()  # and end as the command does, freeing nothing
        child(Path(root), Path(out), int(jobs), what)
        end_process(0)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    # Cases that delete many files come last, and the run's files are deleted at its end.
    # On ext4 without a journal (as on this machine), the inode allocator passes over every
    # inode freed in the last minutes (fs/ext4/ialloc.c, recently_deleted): making files
    # is then several times slower. Measured here: 72,000 files and folders made in 20.7 s
    # just after as many were deleted, in 3.2 s six minutes later. A case that follows a
    # large deletion would time the deletion's aftermath rather than its own build. The
    # deletions are the in-place rewrite of the edited badge's files (each old file goes
    # as its new one is renamed over it) and the cleanup.
    sizes = [int(n) for n in args.awards.split(",")]
    with tempfile.TemporaryDirectory(prefix="badgepages-bench-") as folder:
        workdir = Path(folder)
        hide_test_tools(workdir)
        # The engine's bytecode, as an install compiles it: the first case does not compile.
        compileall.compile_dir(REPO / "badgepages", quiet=1)
        secrets = [bench_clean(size, args.seed, args.jobs, workdir) for size in sizes]
        for size, secret in zip(sizes, secrets, strict=True):
            bench_changes(size, args.jobs, workdir, secret)
        for size, secret in zip(sizes, secrets, strict=True):
            bench_rewrites(size, args.jobs, workdir, secret)
    if not args.no_signing:
        subprocess.run([sys.executable, str(REPO / "bench" / "bench_signing.py")], check=False)


if __name__ == "__main__":
    main()
