"""badgepages publish against a real S3 API server (moto) on 127.0.0.1: what, how and when."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from badgepages import editing, publish, s3, transaction
from badgepages.cli import main
from badgepages.keys import add_new_key
from badgepages.ledger import Ledger, load_ledger
from badgepages.pipeline import BuildOptions, build
from tests.site import EXAMPLE_DAY, BuiltSite, copy_example

BASE_URL = "https://badges.example.org/"  # a domain root: the DID document is .well-known/did.json
PREFIX = "site/"
MANIFEST = ".badgepages-manifest.json.gz"
AWARD = "m6bueffbrqutcnotnw6n"  # Camille Durand's Citadin Citoyen, with consent
HTML, JSON = "text/html; charset=utf-8", "application/json"
SHORT, MODERATE, LONG = "public, max-age=300", "public, max-age=3600", "public, max-age=86400"
# One file of every kind the site holds, with the headers it must be served with.
EXPECTED_HEADERS = {
    "index.html": (HTML, SHORT),
    "en/index.html": (HTML, SHORT),
    "404.html": (HTML, SHORT),
    f"awards/{AWARD}/index.html": (HTML, SHORT),
    f"en/awards/{AWARD}/index.html": (HTML, SHORT),
    "badges/citadin-citoyen/index.html": (HTML, SHORT),
    "status/revocation-1.json": (JSON, "no-cache"),
    f"awards/{AWARD}/credential.json": (JSON, MODERATE),
    f"awards/{AWARD}/assertion.json": (JSON, MODERATE),
    "badges/citadin-citoyen/badgeclass.json": (JSON, MODERATE),
    "issuer.json": (JSON, MODERATE),
    ".well-known/did.json": (JSON, MODERATE),
    "badges/citadin-citoyen/image.svg": ("image/svg+xml", LONG),
    "badges/citadin-citoyen/image.png": ("image/png", LONG),
    "badges/citadin-citoyen/card.png": ("image/png", LONG),
    "recipients/camille-durand/index.html": (HTML, SHORT),
    "static/jsonld-canonize.mjs": ("text/javascript", MODERATE),
    "static/award.js": ("text/javascript", MODERATE),
    "static/style.css": ("text/css; charset=utf-8", MODERATE),
    "static/jsonld-canonize.LICENSES.txt": ("text/plain; charset=utf-8", MODERATE),
    "sitemap.xml": ("application/xml", MODERATE),
    "robots.txt": ("text/plain; charset=utf-8", MODERATE),
    ".nojekyll": ("text/plain; charset=utf-8", MODERATE),
}
TYPES_BY_SUFFIX = {
    ".html": HTML,
    ".json": JSON,
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",
}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """Start moto's S3 API server on a free port of 127.0.0.1."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Test credentials only: no profile, no instance metadata, nothing from this machine."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def _build(site: BuiltSite, update_ledger: bool = False) -> None:
    options = BuildOptions(
        EXAMPLE_DAY,
        out_dir=site.out,
        base_url=BASE_URL,
        signing_secret=site.secret,
        update_ledger=update_ledger,
    )
    build(site.root, options)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The example project, signed and built once for a domain root."""
    workdir = tmp_path_factory.mktemp("publish")
    root = copy_example(workdir / "project")
    secret, _ = add_new_key(root, EXAMPLE_DAY)
    site = BuiltSite(root, workdir / "site", secret)
    _build(site)
    return site


@pytest.fixture
def site(built: BuiltSite, tmp_path: Path) -> BuiltSite:
    """A copy of the built example that a test may change and rebuild."""
    shutil.copytree(built.root, tmp_path / "project")
    shutil.copytree(built.out, tmp_path / "site")
    return BuiltSite(tmp_path / "project", tmp_path / "site", built.secret)


@pytest.fixture
def bucket(endpoint: str, request: pytest.FixtureRequest) -> str:
    """A new, empty bucket for one test."""
    name = "b-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20]
    _client(endpoint).create_bucket(Bucket=name)
    return name


def _client(endpoint: str) -> Any:
    return boto3.session.Session().client("s3", endpoint_url=endpoint)


def _contents(site: BuiltSite) -> dict[str, str]:
    return {
        p.relative_to(site.out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in site.out.rglob("*")
        if p.is_file()
    }


def _objects(endpoint: str, bucket: str) -> dict[str, Any]:
    """List the bucket through the S3 API: path under the prefix → listing entry."""
    pages = _client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {
        item["Key"].removeprefix(PREFIX): item
        for page in pages
        for item in page.get("Contents", [])
    }


def _publish(
    site: BuiltSite, endpoint: str, bucket: str, **options: bool
) -> tuple[publish.PublishReport, list[tuple[str, str]]]:
    """Publish through the API, recording every call the client makes: (operation, path)."""
    store = s3.open_store(s3.Target(bucket, PREFIX), endpoint)
    calls: list[tuple[str, str]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        deleted = [o["Key"] for o in params.get("Delete", {}).get("Objects", [])]
        keys = deleted or [params.get("Key", "")]
        calls.extend((model.name, key.removeprefix(PREFIX)) for key in keys)

    store.client.meta.events.register("before-parameter-build.s3", record)
    report = publish.publish_site(site.out, store, load_ledger(site.root), **options)
    return report, calls


def _puts(calls: list[tuple[str, str]]) -> list[str]:
    return [path for operation, path in calls if operation == "PutObject"]


def _deleted(calls: list[tuple[str, str]]) -> list[str]:
    return [path for operation, path in calls if operation == "DeleteObjects"]


def _cli(site: BuiltSite, endpoint: str, bucket: str, *options: str) -> list[str]:
    argv = ["-C", str(site.root), "publish", f"s3://{bucket}/site", "--site", str(site.out),
            "--endpoint", endpoint, *options]  # fmt: skip
    assert main(argv) == 0
    return argv


# -- first publish ---------------------------------------------------------------------------


def test_first_publish_stores_every_file_with_its_headers(
    site: BuiltSite, endpoint: str, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _contents(site)
    _cli(site, endpoint, bucket)
    assert capsys.readouterr().out.splitlines() == [
        f"publishing {site.out} (built for {BASE_URL}) to s3://{bucket}/site/",
        f"no usable {MANIFEST} (missing): every file is uploaded once",
        f"upload {len(files)} objects ({sum(p.stat().st_size for p in site.files()) / 1e6:.1f} MB)"
        ", 0 unchanged",
        "delete 0 stale objects",
    ]
    objects = _objects(endpoint, bucket)
    assert set(objects) == set(files) | {MANIFEST}
    assert {".well-known/did.json", ".nojekyll"} <= set(objects)
    client = _client(endpoint)
    for path, digest in files.items():
        stored = client.get_object(Bucket=bucket, Key=PREFIX + path)
        assert hashlib.sha256(stored["Body"].read()).hexdigest() == digest, path
        suffix = Path(path).suffix
        assert stored["ContentType"] == TYPES_BY_SUFFIX[suffix], path
        if path in EXPECTED_HEADERS:
            assert (stored["ContentType"], stored["CacheControl"]) == EXPECTED_HEADERS[path]
    assert set(EXPECTED_HEADERS) <= set(files)


def test_a_second_publish_of_the_same_site_writes_nothing(
    site: BuiltSite, endpoint: str, bucket: str
) -> None:
    _publish(site, endpoint, bucket)
    report, calls = _publish(site, endpoint, bucket)
    assert calls == [("GetObject", MANIFEST), ("ListObjectsV2", "")]
    assert report.lines() == [f"upload 0 objects (0.0 KB), {len(site.files())} unchanged",
                              "delete 0 stale objects"]  # fmt: skip


def test_uploads_go_from_assets_to_pages_to_entry_points_then_the_manifest(
    site: BuiltSite, endpoint: str, bucket: str
) -> None:
    _, calls = _publish(site, endpoint, bucket)
    order = {path: index for index, path in enumerate(_puts(calls))}
    last = {"sitemap.xml", "robots.txt", MANIFEST}
    assets = [p for p in order if not p.endswith(".html") and p not in last]
    award_pages = [p for p in order if p.endswith("index.html") and "awards/" in p]
    badge_pages = [p for p in order if p.endswith("index.html") and "badges/" in p]
    entry_points = ["index.html", "en/index.html", "404.html", "sitemap.xml", "robots.txt"]
    assert max(order[p] for p in assets) < min(order[p] for p in award_pages)
    assert max(order[p] for p in award_pages) < min(order[p] for p in badge_pages)
    assert max(order[p] for p in badge_pages) < min(order[p] for p in entry_points)
    assert order[MANIFEST] == len(order) - 1


# -- publishing changes ----------------------------------------------------------------------


def test_publish_after_an_award_is_added_uploads_only_what_changed(
    site: BuiltSite, endpoint: str, bucket: str
) -> None:
    _publish(site, endpoint, bucket)
    before = _contents(site)
    change = editing.RecipientChange(
        "hugo-moreau", (editing.NewAward("collectif-essca", EXAMPLE_DAY),)
    )
    with transaction.source_edit(site.root, "award") as edit:
        prepared = editing.prepare_changes(site.root / "recipients", [change])
        editing.stage_files(edit, prepared)
        edit.commit()
    new_id = prepared[0].added[0][0]
    _build(site, update_ledger=True)
    after = _contents(site)
    changed = {path for path, digest in after.items() if before.get(path) != digest}
    assert {
        f"awards/{new_id}/index.html",
        f"en/awards/{new_id}/index.html",
        f"awards/{new_id}/credential.json",
    } <= changed

    report, calls = _publish(site, endpoint, bucket)

    assert sorted(_puts(calls)) == sorted([*changed, MANIFEST])
    assert len(changed) < len(after) / 2
    assert _deleted(calls) == []
    assert set(_objects(endpoint, bucket)) == set(after) | {MANIFEST}
    assert report.lines()[0].startswith(f"upload {len(changed)} objects (")
    assert report.lines()[0].endswith(f"), {len(after) - len(changed)} unchanged")


def test_publish_after_a_revocation_updates_the_status_list_and_the_award(
    site: BuiltSite, endpoint: str, bucket: str
) -> None:
    _publish(site, endpoint, bucket)
    published = set(_objects(endpoint, bucket))
    before = _contents(site)
    with transaction.source_edit(site.root, "revoke") as edit:
        edit.write(
            *editing.revoke_award(
                site.root / "recipients", AWARD, EXAMPLE_DAY, "Awarded by mistake", EXAMPLE_DAY
            )
        )
        edit.commit()
    _build(site, update_ledger=True)
    after = _contents(site)
    changed = {path for path, digest in after.items() if before.get(path) != digest}

    _, calls = _publish(site, endpoint, bucket)

    assert sorted(_puts(calls)) == sorted([*changed, MANIFEST])
    assert {
        "status/revocation-1.json",
        f"awards/{AWARD}/index.html",
        f"en/awards/{AWARD}/index.html",
        f"awards/{AWARD}/assertion.json",
    } <= changed
    assert _deleted(calls) == []
    assert published <= set(_objects(endpoint, bucket))


# -- nothing published is lost ---------------------------------------------------------------


def test_objects_the_ledger_protects_are_kept_when_the_build_lacks_them(
    site: BuiltSite, endpoint: str, bucket: str
) -> None:
    _publish(site, endpoint, bucket)
    _client(endpoint).put_object(Bucket=bucket, Key=PREFIX + "notes/minutes.txt", Body=b"ours")
    gone = [
        f"awards/{AWARD}/credential.json",  # a published award's route: kept
        "en/badges/citadin-citoyen/index.html",  # a published badge's route: kept
        "recipients/camille-durand/index.html",  # names a person: follows the build
        "static/unbake.js",  # stale: deleted
    ]
    for path in gone:
        (site.out / path).unlink()

    report, calls = _publish(site, endpoint, bucket)

    objects = set(_objects(endpoint, bucket))
    assert {gone[0], gone[1], "notes/minutes.txt"} <= objects
    assert not {gone[2], gone[3]} & objects
    assert _deleted(calls) == [gone[2], gone[3]]
    last_put = max(i for i, (operation, _) in enumerate(calls) if operation == "PutObject")
    first_delete = min(i for i, (operation, _) in enumerate(calls) if operation == "DeleteObjects")
    assert first_delete < last_put  # the manifest is written after the deletions
    assert calls[last_put][1] == MANIFEST
    assert report.lines() == [
        f"upload 0 objects (0.0 KB), {len(site.files())} unchanged",
        f"delete 2 stale objects: {gone[2]}, {gone[3]}",
        "kept 2 objects missing from this build, whose URLs published.lock says were "
        f"published: {gone[0]}, {gone[1]}",
        "left 1 objects under the prefix that badgepages did not publish (not in its manifest)",
    ]
    # The kept objects stay recorded as published: a later build that has them again
    # uploads nothing new for them, and they are never taken for foreign objects.
    _, calls = _publish(site, endpoint, bucket)
    assert calls == [("GetObject", MANIFEST), ("ListObjectsV2", "")]


def test_keep_stale_keeps_stale_objects_but_never_personal_ones(
    site: BuiltSite, endpoint: str, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _publish(site, endpoint, bucket)
    gone = ["static/unbake.js", "recipients/camille-durand/index.html"]
    for path in gone:
        (site.out / path).unlink()

    _cli(site, endpoint, bucket, "--keep-stale")

    objects = _objects(endpoint, bucket)
    assert "static/unbake.js" in objects
    assert "recipients/camille-durand/index.html" not in objects
    assert capsys.readouterr().out.splitlines()[1:] == [
        f"upload 0 objects (0.0 KB), {len(site.files())} unchanged",
        "delete 1 stale objects: recipients/camille-durand/index.html",
        "kept 1 stale objects (--keep-stale)",
    ]


# -- the manifest is never trusted over the store --------------------------------------------


def test_missing_replaced_and_unrecorded_objects_are_uploaded_again(
    site: BuiltSite, endpoint: str, bucket: str
) -> None:
    _publish(site, endpoint, bucket)
    client = _client(endpoint)
    client.delete_object(Bucket=bucket, Key=PREFIX + "issuer.json")
    client.put_object(Bucket=bucket, Key=PREFIX + "static/style.css", Body=b"body{}")

    _, calls = _publish(site, endpoint, bucket)

    # The same bytes again get the same ETags: the manifest stays as it was.
    assert sorted(_puts(calls)) == ["issuer.json", "static/style.css"]
    client.delete_object(Bucket=bucket, Key=PREFIX + MANIFEST)
    report, calls = _publish(site, endpoint, bucket)
    assert len(_puts(calls)) == len(site.files()) + 1
    assert _deleted(calls) == []
    assert report.lines()[0] == f"no usable {MANIFEST} (missing): every file is uploaded once"


def test_a_damaged_manifest_means_uploading_everything(
    site: BuiltSite, endpoint: str, bucket: str
) -> None:
    _publish(site, endpoint, bucket)
    _client(endpoint).put_object(Bucket=bucket, Key=PREFIX + MANIFEST, Body=b"not gzip")
    report, calls = _publish(site, endpoint, bucket)
    assert len(_puts(calls)) == len(site.files()) + 1
    assert report.lines()[0] == f"no usable {MANIFEST} (damaged): every file is uploaded once"


def test_dry_run_changes_nothing(
    site: BuiltSite, endpoint: str, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    report, calls = _publish(site, endpoint, bucket, dry_run=True)
    assert calls == [("GetObject", MANIFEST), ("ListObjectsV2", "")]
    assert report.lines()[-1] == "dry run: nothing was changed"
    _cli(site, endpoint, bucket, "--dry-run")
    assert _objects(endpoint, bucket) == {}
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].startswith(f"would upload {len(site.files())} objects")
    assert lines[-1] == "dry run: nothing was changed"


# -- one-line errors -------------------------------------------------------------------------


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv)
    return status, capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no credentials", "error: no credentials for the S3 API: set AWS_ACCESS_KEY_ID and "
         "AWS_SECRET_ACCESS_KEY, AWS_PROFILE or a role (the standard AWS chain)\n"),
        ("no bucket", "error: the bucket 'absent' does not exist at {endpoint}\n"),
        ("unreachable", "error: cannot reach the S3 API at http://127.0.0.1:{port}: check "
         "--endpoint and the network\n"),
        ("no boto3", "error: publishing needs boto3: pip install 'badgepages[s3]'\n"),
        ("bad target", "error: 'https://x/' is not an s3://bucket/prefix address\n"),
        ("not a site", "error: {root} is not a built site (no issuer.json): run badgepages "
         "build, or give the output folder with --site\n"),
    ],
)  # fmt: skip
def test_failures_are_one_line(
    case: str,
    expected: str,
    site: BuiltSite,
    endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port, bucket, folder, target_endpoint = _free_port(), "absent", site.out, endpoint
    target = f"s3://{bucket}/site"
    if case == "no credentials":
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    elif case == "unreachable":
        target_endpoint = f"http://127.0.0.1:{port}"
    elif case == "no boto3":
        monkeypatch.setitem(sys.modules, "boto3", None)
    elif case == "bad target":
        target = "https://x/"
    elif case == "not a site":
        folder = site.root
    argv = ["-C", str(site.root), "publish", target, "--site", str(folder),
            "--endpoint", target_endpoint]  # fmt: skip
    status, err = _run(argv, capsys)
    assert status == 1
    assert err == expected.format(endpoint=endpoint, port=port, root=site.root)


def test_access_denied_is_one_line(site: BuiltSite, endpoint: str) -> None:
    store = s3.open_store(s3.Target("badges", PREFIX), endpoint)
    with Stubber(store.client) as stubber:
        stubber.add_client_error("get_object", "AccessDenied", "Access Denied", 403)
        with pytest.raises(s3.S3Error) as error:
            publish.publish_site(site.out, store, Ledger())
    assert str(error.value) == (
        f"access denied: cannot read {MANIFEST} in s3://badges/site/ (AccessDenied): check the "
        "credentials and the bucket's policy"
    )


def test_without_site_config_publish_asks_for_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _run(["-C", str(tmp_path), "publish", "s3://badges/site"], capsys)
    assert status == 2
    assert err == (
        "error: site_config.yaml not found (run badgepages in the folder that holds "
        "site_config.yaml), or give the built folder with --site\n"
    )


# -- pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bucket", "prefix"),
    [
        ("s3://badges", "badges", ""),
        ("s3://badges/", "badges", ""),
        ("s3://badges/site", "badges", "site/"),
        ("s3://my.bucket-1/a//b/", "my.bucket-1", "a/b/"),
    ],
)
def test_targets(text: str, bucket: str, prefix: str) -> None:
    assert s3.parse_target(text) == s3.Target(bucket, prefix)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("badges/site", "'badges/site' is not an s3://bucket/prefix address"),
        (
            "s3://Badges/site",
            "'Badges' is not a bucket name (3-63 lower-case letters, digits, . or -)",
        ),
        ("s3://badges/a/../b", "the prefix 'a/../b' may not hold '.' or '..'"),
    ],
)
def test_bad_targets(text: str, message: str) -> None:
    with pytest.raises(s3.S3Error) as error:
        s3.parse_target(text)
    assert str(error.value) == message
