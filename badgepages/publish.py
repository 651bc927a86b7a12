"""Publishing a built site to object storage: changed objects only, right headers, nothing lost.

``badgepages publish`` copies the built folder, file for file, to an S3-compatible bucket
under a prefix: the object key is the prefix plus the file's path, which is its URL path
under ``base_url``, so every published URL stays the same when the host changes. This
module decides what to upload, in which order, with which headers, and what may be
deleted; ``badgepages/s3.py`` talks to the storage API through the :class:`Store` protocol.

A manifest object beside the site (:data:`MANIFEST`) records, for every object this
command wrote, the SHA-256 and size of its content, its headers and the ETag the storage
returned. An object is skipped only when it is listed with that very ETag: a missing,
replaced or unrecorded object is uploaded again, and a missing or damaged manifest means
uploading everything once.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from badgepages.ledger import Ledger
from badgepages.urls import SiteUrls

# Under the prefix, beside the site's files; no site path starts with this name.
MANIFEST = ".badgepages-manifest.json.gz"
MANIFEST_VERSION = 1
WORKERS = 8

HTML = "text/html; charset=utf-8"
JSON = "application/json"
# Content-Type by file suffix. Every JSON document, JSON-LD included (credentials,
# assertions, the DID document, the status list), is served as application/json, as GitHub
# Pages serves it: Open Badges 3.0 "Document Formats" allows it for a credential served as a
# web resource, the did:web method's Read operation expects it for did.json, and the OB 2.0
# validator ignores the type of JSON. JavaScript is text/javascript (RFC 9239).
MEDIA_TYPES = {
    ".html": HTML,
    ".json": JSON,
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".pdf": "application/pdf",
}
UNKNOWN_TYPE = "application/octet-stream"
# Files without a suffix that the build writes (.nojekyll, for GitHub Pages).
NAMED_TYPES = {".nojekyll": "text/plain; charset=utf-8"}

# Cache-Control. Pages show an award's status as of the build: five minutes at most. The
# status list is revalidated on every use (no-cache: a cheap conditional request), so that
# no CDN or browser copy delays a revocation. Credentials,
# assertions and other JSON change on revocation or key rotation: one hour. Theme files
# keep their names from build to build (no content hash), so one hour too; images change
# only with their badge or award: one day.
SHORT = "public, max-age=300"
REVALIDATE = "no-cache"
MODERATE = "public, max-age=3600"
LONG = "public, max-age=86400"
IMAGE_SUFFIXES = {".png", ".svg", ".jpg", ".jpeg", ".webp", ".gif", ".ico", ".woff2", ".woff"}
STATUS_LIST = re.compile(r"^status/[^/]+\.json$")

# Routes an award id or badge slug owns, in the default language or under a language
# folder (urls.py: B awards/<id>/, B L/awards/<id>/, B badges/<slug>/…).
ROUTE = re.compile(r"^(?:[^/]+/)?(awards|badges)/([^/]+)/")
# Pages that name a person and exist only with their consent (urls.py: recipient pages).
# When the build drops them (consent withdrawn, erasure), they are deleted even with
# --keep-stale: the ledger keeps award URLs, never a person's name.
PERSONAL = re.compile(r"^(?:[^/]+/)?recipients/")


@dataclass(frozen=True)
class Headers:
    """The HTTP headers an object is served with."""

    content_type: str
    cache_control: str


def headers_for(path: str) -> Headers:
    """Return the Content-Type and Cache-Control of a site file, by its path."""
    name = PurePosixPath(path).name
    suffix = PurePosixPath(path).suffix.lower()  # "" for .nojekyll
    content_type = NAMED_TYPES.get(name) or MEDIA_TYPES.get(suffix, UNKNOWN_TYPE)
    if suffix == ".html":
        cache = SHORT
    elif STATUS_LIST.match(path):
        cache = REVALIDATE
    elif suffix in IMAGE_SUFFIXES:
        cache = LONG
    else:
        cache = MODERATE
    return Headers(content_type, cache)


# The manifest is for this command only: gzip, never cached.
MANIFEST_HEADERS = Headers("application/gzip", "no-store")


# Upload order: what pages link to goes first, the pages that link to those next, the
# site's entry points last, so that no page ever links to an object not yet uploaded.
STAGES = (
    "assets and documents",
    "award pages",
    "badge, recipient and other pages",
    "home pages, 404 page, sitemaps and robots.txt",
)
ENTRY_POINTS = {"404.html", "robots.txt"}
AWARD_PAGE = re.compile(r"^(?:[^/]+/)?awards/[^/]+/")


def upload_stage(path: str) -> int:
    """Return the index in STAGES of the step that uploads this path."""
    home = path.endswith("index.html") and path.count("/") <= 1
    if home or path in ENTRY_POINTS or path.endswith(".xml"):  # sitemap.xml, sitemaps/<n>.xml
        return 3
    if not path.endswith(".html"):
        return 0
    return 1 if AWARD_PAGE.match(path) else 2


@dataclass(frozen=True)
class SiteFile:
    """One file of the built site, about to become the object at the same path."""

    path: str
    source: Path
    sha256: str
    size: int
    headers: Headers


class NotASiteError(ValueError):
    """Raised when the folder to publish is not a built site."""


def read_site(site: Path) -> list[SiteFile]:
    """Return every file of the built folder, hidden ones (.well-known, .nojekyll) included."""
    if not (site / SiteUrls.issuer_json).is_file():
        raise NotASiteError(
            f"{site} is not a built site (no {SiteUrls.issuer_json}): run badgepages build, "
            "or give the output folder with --site"
        )
    if (site / MANIFEST).exists():
        raise NotASiteError(f"{site} holds {MANIFEST}, the name publish keeps for its manifest")
    files = []
    for source in sorted(p for p in site.rglob("*") if p.is_file()):
        data = source.read_bytes()
        path = source.relative_to(site).as_posix()
        digest = hashlib.sha256(data).hexdigest()
        files.append(SiteFile(path, source, digest, len(data), headers_for(path)))
    return files


@dataclass(frozen=True)
class StoredObject:
    """An object listed by the storage: its size and ETag."""

    size: int
    etag: str


@dataclass(frozen=True)
class ManifestEntry:
    """What this command uploaded at a path: content digest, size, headers, returned ETag."""

    sha256: str
    size: int
    headers: Headers
    etag: str


# Keyed by a digest of the path, so that the manifest, readable at its URL like any
# object, is not a list of every award id (the site itself publishes none).
Manifest = dict[str, ManifestEntry]


def path_key(path: str) -> str:
    """Return the manifest's key for a site path."""
    return hashlib.sha256(path.encode("utf-8")).hexdigest()[:32]


def encode_manifest(manifest: Manifest) -> bytes:
    """Return the manifest object's bytes: sorted JSON, gzip without a timestamp."""
    entries = {
        key: [e.sha256, e.size, e.headers.content_type, e.headers.cache_control, e.etag]
        for key, e in sorted(manifest.items())
    }
    text = json.dumps({"version": MANIFEST_VERSION, "objects": entries}, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), mtime=0)


def decode_manifest(data: bytes) -> Manifest | None:
    """Read a manifest object; None when it is damaged or of another version."""
    try:
        document = json.loads(gzip.decompress(data))
        if document["version"] != MANIFEST_VERSION:
            return None
        return {
            str(key): ManifestEntry(str(sha), int(size), Headers(str(kind), str(cache)), str(tag))
            for key, (sha, size, kind, cache, tag) in document["objects"].items()
        }
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError):
        return None


class Store(Protocol):
    """Objects under one prefix of one bucket, named by their site path."""

    def list_objects(self) -> dict[str, StoredObject]:
        """Return every object under the prefix."""

    def read(self, path: str) -> bytes | None:
        """Return an object's content, or None when there is none."""

    def write(self, path: str, body: bytes, headers: Headers) -> str:
        """Store an object and return its new ETag."""

    def delete(self, paths: Sequence[str]) -> None:
        """Delete objects."""


@dataclass(frozen=True)
class Plan:
    """What a publish does, decided before anything is written."""

    stages: tuple[tuple[SiteFile, ...], ...]
    unchanged: tuple[SiteFile, ...]
    delete: tuple[str, ...]
    protected: tuple[str, ...]  # stale, kept: the ledger says their URL was published
    kept: tuple[str, ...]  # stale, kept on request (--keep-stale)
    foreign: tuple[str, ...]  # not written by this command: never touched
    manifest: Manifest  # what stays recorded of the previous publish (unchanged and kept)

    @property
    def uploads(self) -> tuple[SiteFile, ...]:
        """Return every file to upload, in upload order."""
        return tuple(file for stage in self.stages for file in stage)


def protected_by_ledger(path: str, ledger: Ledger) -> bool:
    """Tell whether a path lies under the routes of an award or badge ever published."""
    match = ROUTE.match(path)
    return match is not None and not PERSONAL.match(path) and _published(match, ledger)


def _published(route: re.Match[str], ledger: Ledger) -> bool:
    kind, name = route.groups()
    return name in (ledger.awards if kind == "awards" else ledger.badges)


def plan_publish(
    files: Sequence[SiteFile],
    stored: Mapping[str, StoredObject],
    manifest: Manifest,
    ledger: Ledger,
    keep_stale: bool = False,
) -> Plan:
    """Decide what to upload, skip, delete and keep."""
    stages: list[list[SiteFile]] = [[] for _ in STAGES]
    unchanged, recorded = [], {}
    for file in files:
        key = path_key(file.path)
        entry, found = manifest.get(key), stored.get(file.path)
        if entry is not None and found is not None and _unchanged(file, entry, found):
            unchanged.append(file)
            recorded[key] = entry
        else:
            stages[upload_stage(file.path)].append(file)
    in_site = {file.path for file in files}
    delete, protected, kept, foreign = [], [], [], []
    for path in sorted(set(stored) - in_site - {MANIFEST}):
        key = path_key(path)
        if key not in manifest:
            foreign.append(path)
        elif protected_by_ledger(path, ledger):
            protected.append(path)
            recorded[key] = manifest[key]
        elif keep_stale and not PERSONAL.match(path):
            kept.append(path)
            recorded[key] = manifest[key]
        else:
            delete.append(path)
    return Plan(
        tuple(tuple(stage) for stage in stages),
        tuple(unchanged),
        tuple(delete),
        tuple(protected),
        tuple(kept),
        tuple(foreign),
        recorded,
    )


def _unchanged(file: SiteFile, entry: ManifestEntry, found: StoredObject) -> bool:
    """Tell whether the stored object is the one recorded, and the file is what it holds."""
    recorded = (entry.sha256, entry.size, entry.headers, entry.etag.strip('"'), entry.size)
    current = (file.sha256, file.size, file.headers, found.etag.strip('"'), found.size)
    return recorded == current


def unrecorded_routes(files: Iterable[SiteFile], ledger: Ledger) -> list[str]:
    """Return the award and badge routes of the site that published.lock does not record."""
    routes = set()
    for file in files:
        match = ROUTE.match(file.path)
        if match and not _published(match, ledger):
            routes.add(f"{match[1]}/{match[2]}/")
    return sorted(routes)


@dataclass
class PublishReport:
    """What a publish did (or, in a dry run, would do)."""

    plan: Plan
    dry_run: bool
    manifest_state: str  # "found", "missing" or "damaged"
    unrecorded: list[str] = field(default_factory=list)
    untyped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Return the report for the terminal."""
        plan, verb = self.plan, ("would " if self.dry_run else "")
        keep, leave = ("would keep", "would leave") if self.dry_run else ("kept", "left")
        uploaded = sum(file.size for file in plan.uploads)
        lines = []
        if self.manifest_state != "found":
            lines.append(
                f"no usable {MANIFEST} ({self.manifest_state}): every file is uploaded once"
            )
        lines.append(
            f"{verb}upload {len(plan.uploads)} objects ({_size(uploaded)}), "
            f"{len(plan.unchanged)} unchanged"
        )
        lines.append(f"{verb}delete {len(plan.delete)} stale objects" + _listed(plan.delete))
        if plan.protected:
            lines.append(
                f"{keep} {len(plan.protected)} objects missing from this build, whose URLs "
                "published.lock says were published" + _listed(plan.protected)
            )
        if plan.kept:
            lines.append(f"{keep} {len(plan.kept)} stale objects (--keep-stale)")
        if plan.foreign:
            lines.append(
                f"{leave} {len(plan.foreign)} objects under the prefix that badgepages did not "
                "publish (not in its manifest)"
            )
        if self.unrecorded:
            lines.append(
                f"warning: published.lock does not record {len(self.unrecorded)} routes of "
                f"this site ({', '.join(self.unrecorded[:3])}…): build with --update-ledger "
                "so that nothing published can be removed"
            )
        if self.untyped:
            lines.append(
                f"warning: no known Content-Type for {len(self.untyped)} files, sent as "
                f"{UNKNOWN_TYPE}" + _listed(self.untyped)
            )
        if self.dry_run:
            lines.append("dry run: nothing was changed")
        return lines


def _listed(paths: Sequence[str], shown: int = 20) -> str:
    if not paths:
        return ""
    more = f", and {len(paths) - shown} more" if len(paths) > shown else ""
    return ": " + ", ".join(paths[:shown]) + more


def _size(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB" if count >= 100_000 else f"{count / 1000:.1f} KB"


def read_manifest(store: Store) -> tuple[Manifest, str]:
    """Return the previous publish's manifest and whether it was found, missing or damaged."""
    data = store.read(MANIFEST)
    if data is None:
        return {}, "missing"
    manifest = decode_manifest(data)
    return (manifest, "found") if manifest is not None else ({}, "damaged")


def publish_site(
    site: Path,
    store: Store,
    ledger: Ledger,
    *,
    keep_stale: bool = False,
    dry_run: bool = False,
    workers: int = WORKERS,
) -> PublishReport:
    """Publish a built folder: upload in stages, delete stale objects, then record the manifest.

    Stale objects are deleted only once every new object is in place, and the manifest is
    written last: a publish that fails half-way leaves the previous objects answering, and
    the next one finishes the work (what it cannot prove unchanged, it uploads again).
    """
    files = read_site(site)
    manifest, state = read_manifest(store)
    plan = plan_publish(files, store.list_objects(), manifest, ledger, keep_stale)
    untyped = [file.path for file in files if file.headers.content_type == UNKNOWN_TYPE]
    report = PublishReport(plan, dry_run, state, unrecorded_routes(files, ledger), untyped)
    if dry_run:
        return report
    recorded = dict(plan.manifest)

    def upload(file: SiteFile) -> str:
        return store.write(file.path, file.source.read_bytes(), file.headers)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for stage in plan.stages:  # each stage ends before the next one starts
            for file, etag in zip(stage, pool.map(upload, stage), strict=True):
                recorded[path_key(file.path)] = ManifestEntry(
                    file.sha256, file.size, file.headers, etag
                )
    if plan.delete:
        store.delete(plan.delete)
    if recorded != manifest:
        store.write(MANIFEST, encode_manifest(recorded), MANIFEST_HEADERS)
    return report
