"""`badgepages verify` on hostile files: damaged badges get NOT VALID with a reason, files
holding no badge get "cannot verify", and nothing raises, however the bytes are made."""

from __future__ import annotations

import io
import json
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from badgepages import baking
from badgepages.cli import main
from badgepages.verify import MAX_JSON_DEPTH, NotABadgeError, Report, parse_json, verify_target
from tests.site import STANDARDS, BuiltSite

NOW = datetime(2026, 11, 28, tzinfo=UTC)
CREDENTIAL = b'{"type": ["VerifiableCredential", "OpenBadgeCredential"]}'
KEYWORD = baking.OB3_KEYWORD.encode()
SVG_OPEN = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
NOTHING_BAKED = "no Open Badge is baked into this image"
DAMAGED = "NOT VALID: this badge is not genuine or has been altered (damaged badge)"


def chunk(kind: bytes, data: bytes) -> bytes:
    """Return a PNG chunk (PNG §5.3): length, type, data, CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(*extra: bytes) -> bytes:
    """Return an 8 by 8 PNG with extra chunks right after IHDR."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (11, 79, 108)).save(buffer, format="PNG")
    image = buffer.getvalue()
    return image[:33] + b"".join(extra) + image[33:]


def itxt(text: bytes, flags: bytes = b"\x00\x00", tags: bytes = b"\x00\x00") -> bytes:
    """Return an iTXt chunk under the OB 3.0 keyword (PNG §11.3.4.5)."""
    return chunk(b"iTXt", KEYWORD + b"\x00" + flags + tags + text)


def nested(depth: int, opening: str = '{"a": ', closing: str = "}") -> bytes:
    return (opening * depth + "1" + closing * depth).encode()


def verify_bytes(data: bytes) -> Report:
    """Verify bytes as if read from a file, with no network."""

    def offline(url: str) -> bytes:
        raise LookupError(f"offline: {url}")

    return verify_target("badge", offline, lambda _: data, NOW)


CASES = {
    "JSON 5,000 levels deep": (nested(5000), "the JSON nests deeper than 32 levels"),
    "JSON 100,000 arrays deep": (nested(100_000, "[", "]"), "the JSON nests deeper than 32 levels"),
    "JSON 33 levels deep": (nested(MAX_JSON_DEPTH + 1), "the JSON nests deeper than 32 levels"),
    "JSON number of 5,000 digits": (
        b'{"a": ' + b"1" * 5000 + b"}",
        "the JSON holds a number too long to read",
    ),
    "PNG cut inside a chunk header": (
        png(itxt(CREDENTIAL))[:40],
        "the PNG is cut short inside a chunk header (byte 33)",
    ),
    "PNG cut inside a chunk": (
        png(itxt(CREDENTIAL))[:60],
        "the PNG is cut short inside its iTXt chunk",
    ),
    "PNG chunk longer than PNG allows": (
        png(b"\xff\xff\xff\xffiTXt" + bytes(20)),
        "the PNG is cut short inside its iTXt chunk",
    ),
    "compressed iTXt": (
        png(itxt(zlib.compress(CREDENTIAL), flags=b"\x01\x00")),
        "the baked text is compressed, which the baking spec forbids",
    ),
    "iTXt of invalid UTF-8": (
        png(itxt(b'{"name": "\xff"}')),
        "the baked text is not UTF-8 (byte 10)",
    ),
    "iTXt without its language tag": (
        png(chunk(b"iTXt", KEYWORD + b"\x00\x00\x00")),
        "the 'openbadgecredential' chunk is not a complete iTXt chunk",
    ),
    "iTXt empty after its keyword": (
        png(chunk(b"iTXt", KEYWORD + b"\x00")),
        "the baked text is compressed, which the baking spec forbids",
    ),
    "two credentials baked": (
        png(itxt(CREDENTIAL), itxt(b"{}")),
        "the PNG holds 2 'openbadgecredential' chunks, where one is allowed",
    ),
    "baked text not JSON": (png(itxt(b"hello")), "the badge baked into this image is not JSON"),
    "baked JSON too deep": (png(itxt(nested(40))), "the JSON nests deeper than 32 levels"),
    "SVG cut inside its CDATA": (
        SVG_OPEN + b"<openbadges:credential><![CDATA[" + CREDENTIAL,
        "the openbadges:credential element is cut short",
    ),
    "SVG cut inside its element": (
        SVG_OPEN + b'<openbadges:credential verify="https://',
        "the openbadges:credential element is cut short",
    ),
    "SVG of invalid UTF-8": (
        SVG_OPEN + b"<openbadges:credential><![CDATA[\xc3\x28]]></openbadges:credential>",
        "the baked text is not UTF-8 (byte 0)",
    ),
    "SVG with two credentials": (
        SVG_OPEN + b"<openbadges:credential><![CDATA[{}]]></openbadges:credential>" * 2 + b"</svg>",
        "the SVG holds 2 openbadges:credential elements",
    ),
    # Read in one pass: a backtracking pattern would take hours over these 2 MB.
    "SVG of a million unclosed elements": (
        SVG_OPEN + b"<openbadges:credential " * 90_000,
        "the openbadges:credential element is cut short",
    ),
    "SVG of a million unclosed CDATA sections": (
        SVG_OPEN + b"<openbadges:assertion><![CDATA[" * 60_000,
        "the openbadges:assertion element is cut short",
    ),
}


@pytest.mark.parametrize(("data", "reason"), CASES.values(), ids=CASES.keys())
def test_damaged_badges_are_not_valid(
    example_site: BuiltSite,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    data: bytes,
    reason: str,
) -> None:
    file = tmp_path / "badge"
    file.write_bytes(data)
    status = main(["verify", str(file), "--site", str(example_site.out)])
    captured = capsys.readouterr()
    assert (status, captured.out, captured.err) == (
        1,
        f"{DAMAGED}\n           failed  format: {reason}\n",
        "",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (png(), NOTHING_BAKED),
        (png(chunk(b"iTXt", b"openbadgesX\x00\x00\x00\x00\x00{}")), NOTHING_BAKED),
        # Hosted verification only (Baking 1.0): nothing to verify offline.
        (SVG_OPEN + b'<openbadges:credential verify="https://x.org/c.json"/></svg>', NOTHING_BAKED),
        (SVG_OPEN + b"<openbadges:credentials><![CDATA[{}]]></openbadges:credentials>", NOTHING_BAKED),  # noqa: E501
        (b"\xff\xfe\x00", "this is neither JSON nor a baked badge"),
        (b"[1, 2]", "the JSON is not a badge document"),
    ],
)  # fmt: skip
def test_files_without_a_badge_cannot_be_verified(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes, reason: str
) -> None:
    file = tmp_path / "file"
    file.write_bytes(data)
    status = main(["verify", str(file), "--site", str(tmp_path), "--base-url", "https://x.org/"])
    assert (status, capsys.readouterr().err) == (2, f"cannot verify {file}: {reason}\n")


def test_a_2_gb_file_is_refused_unread(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file = tmp_path / "huge.png"
    with file.open("wb") as stream:
        stream.truncate(2 * 2**30)  # sparse: no disk space used
    status = main(["verify", str(file), "--site", str(tmp_path), "--base-url", "https://x.org/"])
    assert (status, capsys.readouterr().err) == (
        2,
        f"cannot verify {file}: the file is larger than 16 MiB, more than a badge\n",
    )


def test_control_characters_from_the_input_are_escaped(
    example_site: BuiltSite, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    file = tmp_path / "credential.json"
    issuer = "did:web:example.org:a%0A\x1b[2Jb\nVALID"
    document = {"type": ["VerifiableCredential"], "issuer": issuer, "proof": {"type": "x"}}
    file.write_text(json.dumps(document), encoding="utf-8")
    status = main(["verify", str(file), "--site", str(example_site.out)])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert lines[3] == (
        "           failed  issuer: did:web:example.org:a%0A\\x1b[2Jb\\x0aVALID is not a valid "
        "did:web: path segment 'a%0A\\x1b[2Jb\\nVALID' is empty or not DID syntax"
    )
    assert all(character.isprintable() for line in lines for character in line)


def test_a_file_name_with_a_line_break_stays_on_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    name = f"{tmp_path}/a\nb\x1b[31m.json"
    status = main(["verify", name, "--site", str(tmp_path), "--base-url", "https://x.org/"])
    assert (status, capsys.readouterr().err) == (
        2,
        f"cannot verify {tmp_path}/a\\x0ab\\x1b[31m.json: No such file or directory\n",
    )


def test_the_deepest_official_sample_is_within_the_limit() -> None:
    text = (STANDARDS / "ob3-sample-complete-openbadgecredential.json").read_text("utf-8")
    assert parse_json(text) == json.loads(text)


# -- generated cases ---------------------------------------------------------------------


def outcome(data: bytes) -> str:
    """Return 'damaged', 'no badge' or the verdict; any other exception fails the test."""
    try:
        report = verify_bytes(data)
    except NotABadgeError:
        return "no badge"
    return "damaged" if report.kind == "damaged badge" else report.verdict


@given(st.integers(1, 4 * MAX_JSON_DEPTH), st.sampled_from([('{"a": ', "}"), ("[", "]")]))
def test_json_nesting_is_refused_past_the_limit(depth: int, brackets: tuple[str, str]) -> None:
    # Within the limit, an object is a document of no known type, an array no document.
    readable = "invalid" if brackets[0].startswith("{") else "no badge"
    assert outcome(nested(depth, *brackets)) == ("damaged" if depth > MAX_JSON_DEPTH else readable)


BAKED = png(itxt(CREDENTIAL))


@given(st.integers(len(baking.PNG_SIGNATURE) + 1, len(BAKED) - 1))
def test_a_png_cut_anywhere_is_damaged(end: int) -> None:
    assert outcome(BAKED[:end]) == "damaged"


@settings(max_examples=300)
@given(st.lists(st.tuples(st.integers(0, len(BAKED) - 1), st.integers(0, 255)), max_size=4))
def test_altered_pngs_get_a_verdict(changes: list[tuple[int, int]]) -> None:
    data = bytearray(BAKED)
    for position, value in changes:
        data[position] = value
    assert outcome(bytes(data)) in {"damaged", "no badge", "invalid", "unverified"}


CHUNK_KINDS = st.sampled_from([b"IHDR", b"iTXt", b"tEXt", b"zTXt", b"IDAT", b"IEND"]) | st.binary(
    min_size=4, max_size=4
)
CHUNK_DATA = st.binary(max_size=40) | st.builds(
    lambda flags, text: KEYWORD + b"\x00" + flags + text,
    st.binary(max_size=4),
    st.binary(max_size=40),
)


@given(st.lists(st.tuples(CHUNK_KINDS, CHUNK_DATA, st.booleans()), max_size=6))
def test_generated_pngs_get_a_verdict(chunks: list[tuple[bytes, bytes, bool]]) -> None:
    data = baking.PNG_SIGNATURE
    for kind, body, honest_length in chunks:
        data += chunk(kind, body) if honest_length else chunk(kind, body)[:-6]
    assert outcome(data) in {"damaged", "no badge", "invalid", "unverified"}


SVG_PIECES = st.sampled_from(
    [
        b"<svg>", b"<openbadges:credential", b"<openbadges:assertion", b" verify='x'", b">",
        b"/>", b"<![CDATA[", b"]]>", b"{}", b'{"type": "Assertion"}', b"\xff", b" ", b"\n",
        b"</openbadges:credential>",
    ]
)  # fmt: skip


@given(st.lists(SVG_PIECES, max_size=12))
def test_generated_svgs_get_a_verdict(pieces: list[bytes]) -> None:
    assert outcome(b"<svg>" + b"".join(pieces)) in {"damaged", "no badge", "invalid", "unverified"}
