"""Offline JSON-LD processing: bundled contexts, RDFC-1.0 canonicalisation, safe-mode lint."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final, NoReturn

from cachetools import LRUCache
from frozendict import frozendict
from pyld import jsonld as _pyld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer

CONTEXTS_DIR: Final = Path(__file__).parent / "contexts"

CREDENTIALS_V2: Final = "https://www.w3.org/ns/credentials/v2"
OB_V3P0_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0_EXTENSIONS: Final = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB_V2_CONTEXT: Final = "https://w3id.org/openbadges/v2"
DID_V1: Final = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1: Final = "https://w3id.org/security/multikey/v1"

BUNDLED_CONTEXTS: Final[Mapping[str, str]] = {
    CREDENTIALS_V2: "credentials-v2-context.json",
    OB_V3P0_CONTEXT: "ob-v3p0-context-3.0.3.json",
    OB_V3P0_EXTENSIONS: "ob-v3p0-extensions.json",
    OB_V2_CONTEXT: "openbadges-v2-context.json",
    DID_V1: "did-v1-context.json",
    MULTIKEY_V1: "multikey-v1-context.json",
}

JsonObject = dict[str, Any]

# Resolved contexts kept per loader; pyld re-uses them across calls when tagged "static".
_RESOLVED_CACHE_SIZE: Final = 100
# Processed (active) contexts and expanded IRIs kept per loader, see _Processor.
_PROCESSED_CACHE_SIZE: Final = 1024
_IRI_CACHE_SIZE: Final = 8192


class ContextNotBundledError(LookupError):
    """A document asked for a URL that the offline loader does not serve."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"refusing to load {url!r}: only bundled JSON-LD contexts are served "
            f"(known: {', '.join(sorted(BUNDLED_CONTEXTS))})"
        )
        self.url = url


class JsonLdProcessingError(ValueError):
    """pyld could not expand or canonicalise a document."""

    def __init__(self, operation: str, cause: Exception) -> None:
        super().__init__(f"JSON-LD {operation} failed: {_describe(cause)}")
        self.operation = operation


def _describe(error: BaseException) -> str:
    """Flatten a pyld error chain into one line (pyld wraps the real cause several times)."""
    messages: list[str] = []
    current: BaseException | None = error
    while current is not None:
        messages.append(str(current).split("\n", 1)[0])
        current = current.__cause__
    return " <- ".join(messages)


@cache
def _read_bundled(url: str) -> JsonObject:
    document = json.loads((CONTEXTS_DIR / BUNDLED_CONTEXTS[url]).read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise TypeError(f"bundled context for {url} is not a JSON object")
    return document


def bundled_context(url: str) -> JsonObject:
    """Return a fresh copy of the bundled context document for a context URL."""
    if url not in BUNDLED_CONTEXTS:
        raise ContextNotBundledError(url)
    return copy.deepcopy(_read_bundled(url))


@dataclass(frozen=True)
class _ProcessorCaches:
    """Per-loader memo of processed contexts and expanded IRIs, see _Processor."""

    contexts: LRUCache[tuple[Any, ...], tuple[object, Any]] = field(
        default_factory=lambda: LRUCache(maxsize=_PROCESSED_CACHE_SIZE)
    )
    iris: LRUCache[tuple[Any, ...], Any] = field(
        default_factory=lambda: LRUCache(maxsize=_IRI_CACHE_SIZE)
    )


class OfflineDocumentLoader:
    """pyld document loader serving bundled (and explicitly added) contexts, nothing else."""

    def __init__(self, extra_contexts: Mapping[str, JsonObject] | None = None) -> None:
        self._extra = dict(extra_contexts or {})
        self.resolved_cache: LRUCache[str, Any] = LRUCache(maxsize=_RESOLVED_CACHE_SIZE)
        self.processor_caches = _ProcessorCaches()

    def __call__(self, url: str, options: object = None) -> JsonObject:
        """Return a pyld RemoteDocument for url or raise ContextNotBundledError."""
        document = copy.deepcopy(self._extra[url]) if url in self._extra else bundled_context(url)
        # "tag": "static" lets pyld's ContextResolver cache the resolved context (pyld 3.3
        # context_resolver.py _cache_resolved_context); the copy protects our originals
        # because pyld rewrites relative @context URLs in place.
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": document,
            "contentType": "application/ld+json",
            "tag": "static",
        }

    def options(self) -> JsonObject:
        """Return pyld processing options bound to this loader (base: null, like jsonld.js)."""
        return {
            "documentLoader": self,
            "contextResolver": ContextResolver(self.resolved_cache, self),
            # jsonld.js canonize in the DI suites uses base: null; a pyld base of '' would
            # silently resolve relative IRIs against http://example.org/base/.
            "base": None,
            "processingMode": "json-ld-1.1",
        }


DEFAULT_LOADER: Final = OfflineDocumentLoader()


# --- RDFC-1.0 canonical N-Quads -------------------------------------------------------

# RDFC-1.0 §4.4 (and rdf-canonize NQuads.js) escape string literals: ECHAR for \b \t \n \f \r
# " and \, UCHAR for the other C0 controls and DEL. pyld 3.3 only escapes \t \n \r " \.
_LITERAL_ESCAPES: Final = {
    **{code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]},
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}
# IRIs: rdf-canonize escapes these as UCHAR (N-Quads IRIREF excludes them).
_IRI_ESCAPES: Final = {code: f"\\u{code:04X}" for code in [*range(0x21), *map(ord, '<>"{}|^`\\')]}
_XSD_STRING: Final = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


_IRI_NEEDS_ESCAPE: Final = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def _iri(value: str) -> str:
    # Scanning with a regex first keeps the common (nothing to escape) case fast.
    return value.translate(_IRI_ESCAPES) if _IRI_NEEDS_ESCAPE.search(value) else value


def _term(component: Mapping[str, str]) -> str:
    if component["type"] == "IRI":
        return "<" + _iri(component["value"]) + ">"
    return component["value"]


def _object(component: Mapping[str, str]) -> str:
    if component["type"] != "literal":
        return _term(component)
    text = '"' + component["value"].translate(_LITERAL_ESCAPES) + '"'
    datatype = component["datatype"]
    if datatype == _RDF_LANGSTRING:
        return text + "@" + component["language"] if component.get("language") else text
    if datatype != _XSD_STRING:
        return text + "^^<" + _iri(datatype) + ">"
    return text


def _serialize_quad(quad: Mapping[str, Mapping[str, str]]) -> str:
    parts = [_term(quad["subject"]), _term(quad["predicate"]), _object(quad["object"])]
    if "name" in quad:
        parts.append(_term(quad["name"]))
    return " ".join(parts) + " .\n"


class CanonicalOrderError(JsonLdProcessingError):
    """Canonical N-Quads would sort differently in RDFC-1.0 and in rdf-canonize."""

    def __init__(self, lines: list[str]) -> None:
        ValueError.__init__(
            self,
            "canonical N-Quads sort differently by code point (RDFC-1.0 §4.4.3) and by "
            "UTF-16 code unit (rdf-canonize, used by JS verifiers): texts mixing characters "
            "above U+FFFF with characters U+E000-U+FFFF in parallel values cannot be signed "
            "interoperably",
        )
        self.operation = "canonicalization"
        self.lines = tuple(lines)


_ASTRAL: Final = re.compile("[\U00010000-\U0010ffff]")


def _utf16_order(line: str) -> bytes:
    return line.encode("utf-16-be")


def _sorted_nquads(lines: Iterable[str]) -> list[str]:
    """Sort N-Quads in code point order, refusing data where rdf-canonize would disagree."""
    ordered = sorted(lines)
    joined = "".join(ordered)
    if (
        not joined.isascii()
        and _ASTRAL.search(joined)
        and ordered != sorted(ordered, key=_utf16_order)
    ):
        raise CanonicalOrderError(ordered)
    return ordered


def _first_degree(id_: str, component: Mapping[str, str]) -> Mapping[str, str]:
    """RDFC-1.0 §4.6 step 3.1.1: the reference blank node reads _:a, any other _:z."""
    if component["type"] != "blank node":
        return component
    return {"type": "blank node", "value": "_:a" if component["value"] == id_ else "_:z"}


class _Rdfc10(URDNA2015):  # type: ignore[misc]
    """pyld's URDNA2015 with RDFC-1.0 N-Quads escaping in hashes and output."""

    def hash_first_degree_quads(self, id_: str) -> str:
        """RDFC-1.0 §4.6 Hash First Degree Quads, serialising with RDFC-1.0 escapes."""
        info = self.blank_node_info[id_]
        if "hash" not in info:
            nquads = _sorted_nquads(
                _serialize_quad(
                    {
                        key: component if key == "predicate" else _first_degree(id_, component)
                        for key, component in quad.items()
                    }
                )
                for quad in info["quads"]
            )
            info["hash"] = self.hash_nquads(nquads)
        return str(info["hash"])

    def canonize(self, dataset: JsonObject) -> str:
        """Run RDFC-1.0 §4.4 and serialise the relabelled quads (pyld relabels in place)."""
        self.main(dataset, {"format": "application/n-quads"})
        return "".join(_sorted_nquads(_serialize_quad(quad) for quad in self.quads))


def _context_key(local_ctx: object) -> tuple[object, bool]:
    """Key a local context: (key, compared by identity?). URLs by value, objects by id."""
    if isinstance(local_ctx, str):
        return local_ctx, False
    if isinstance(local_ctx, list) and all(isinstance(item, str) for item in local_ctx):
        return tuple(local_ctx), False
    # The memo keeps the object alive, so its id cannot be reused while the entry exists.
    return id(local_ctx), True


class _Processor(_pyld.JsonLdProcessor):  # type: ignore[misc]
    """pyld processor that re-uses processed contexts across documents.

    pyld 3.3 caches a processed context under the uuid of the active context it was applied
    to, but a non-propagating (type-scoped) context first clones the active context and
    gives the clone a fresh uuid, so those caches always miss and every VerifiableCredential
    or Achievement node re-processes its scoped context. Processed contexts are immutable
    (pyld freezes them), so memoising on (active context uuid, local context, flags) is safe.
    """

    def __init__(self, caches: _ProcessorCaches, on_dropped: Any = None) -> None:
        super().__init__(on_property_dropped=on_dropped or _pyld.noop)
        self._caches = caches

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        flags = (override_protected, propagate, validate_scoped)
        context_key, by_identity = _context_key(local_ctx)
        key = (active_ctx.get("_uuid"), context_key, by_identity, *flags)
        hit = self._caches.contexts.get(key) if key[0] is not None else None
        if hit is not None and (not by_identity or hit[0] is local_ctx):
            return hit[1]
        processed = super()._process_context(active_ctx, local_ctx, options, *flags, cycles)
        if key[0] is not None:
            self._caches.contexts[key] = (local_ctx, processed)
        return processed

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        # IRI expansion (JSON-LD 1.1 API §5.2) depends only on the active context; memoise it
        # for frozen (fully processed, immutable) contexts, never during context processing.
        if (
            local_ctx is not None
            or not isinstance(value, str)
            or not isinstance(active_ctx, frozendict)
        ):
            return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        key = (active_ctx["_uuid"], value, base, vocab)
        try:
            return self._caches.iris[key]
        except KeyError:
            expanded = super()._expand_iri(active_ctx, value, base, vocab)
            self._caches.iris[key] = expanded
            return expanded


def _expand(
    doc: Mapping[str, Any], loader: OfflineDocumentLoader, on_dropped: Any = None
) -> list[Any]:
    try:
        processor = _Processor(loader.processor_caches, on_dropped)
        return list(processor.expand(dict(doc), loader.options()))
    except _pyld.JsonLdError as error:
        _reraise("expansion", error)


def _to_dataset(expanded: list[Any]) -> JsonObject:
    """JSON-LD 1.1 API §4.6 Deserialize JSON-LD to RDF, from already-expanded input.

    Same steps as pyld's to_rdf minus its second expansion (private pyld 3.3 helpers).
    """
    processor = _pyld.JsonLdProcessor()
    issuer = IdentifierIssuer("_:b")
    node_map: JsonObject = {"@default": {}}
    processor._create_node_map(expanded, node_map, "@default", issuer)
    options = {"produceGeneralizedRdf": False, "processingMode": "json-ld-1.1"}
    return {
        name: processor._graph_to_rdf(graph, issuer, options)
        for name, graph in sorted(node_map.items())
        # Relative graph names are dropped, as in pyld and jsonld.js.
        if name == "@default" or _is_absolute(name)
    }


def canonize_expanded(expanded: list[Any]) -> str:
    """Return the RDFC-1.0 canonical N-Quads of expanded JSON-LD (consumes its argument)."""
    return _Rdfc10().canonize(_to_dataset(expanded))


def canonize(doc: Mapping[str, Any], loader: OfflineDocumentLoader = DEFAULT_LOADER) -> str:
    """Return the RDFC-1.0 canonical N-Quads of a JSON-LD document."""
    return canonize_expanded(_expand(doc, loader))


def _reraise(operation: str, error: Exception) -> NoReturn:
    """Surface a refused context as ContextNotBundledError, anything else as processing error."""
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, ContextNotBundledError):
            raise current from error
        current = current.__cause__
    raise JsonLdProcessingError(operation, error) from error


# --- safe-mode lint ---------------------------------------------------------------------

# jsonld.js util isAbsoluteIri: /^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$/ with JS's \s set.
_JS_WHITESPACE: Final = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_ABSOLUTE_IRI: Final = re.compile(rf"^(?:[A-Za-z][A-Za-z0-9+\-.]*|_):[^{_JS_WHITESPACE}]*\Z")
# BCP47 shape accepted by jsonld.js (expand.js, REGEX_BCP47).
_BCP47: Final = re.compile(r"^[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*\Z")
_KEYWORD_LIKE: Final = re.compile(r"^@[a-zA-Z]+\Z")


def _is_absolute(iri: object) -> bool:
    return isinstance(iri, str) and _JS_ABSOLUTE_IRI.match(iri) is not None


def _reserved_like_keys(value: object) -> Iterator[str]:
    """Yield keys that look like keywords but are not (jsonld.js drops them: invalid property)."""
    if isinstance(value, list):
        for item in value:
            yield from _reserved_like_keys(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                continue
            if _KEYWORD_LIKE.match(key) and key not in _pyld.KEYWORDS:
                yield f"reserved-looking key {key!r}"
            yield from _reserved_like_keys(item)


def _value_problems(value: Mapping[str, Any]) -> Iterator[str]:
    datatype = value.get("@type")
    if datatype is not None and datatype != "@json" and not _is_absolute(datatype):
        yield f"relative @type {datatype!r}"
    if "@direction" in value:
        # The DI suites map @direction to i18n datatypes (rdfDirection: i18n-datatype); pyld
        # would not produce the same quads, so refuse it rather than sign something else.
        yield f"unsupported @direction on value {value.get('@value')!r}"
    language = value.get("@language")
    if language is not None and not _BCP47.match(str(language)):
        yield f"invalid @language {language!r}"


def _node_problems(node: Mapping[str, Any]) -> Iterator[str]:
    node_id = node.get("@id")
    if node_id is not None and not _is_absolute(node_id):
        yield f"relative @id {node_id!r}"
    for node_type in node.get("@type", []):
        if not _is_absolute(node_type):
            yield f"relative @type {node_type!r}"
    for key, item in node.items():
        if key.startswith("_:"):
            yield f"blank node predicate {key!r}"
        elif not key.startswith("@") and not _is_absolute(key):
            yield f"relative property {key!r}"
        if key not in ("@id", "@type"):
            yield from _expanded_problems(item)


def _expanded_problems(value: object) -> Iterator[str]:
    """Walk expanded JSON-LD and yield what jsonld.js safe mode rejects."""
    if isinstance(value, list):
        for item in value:
            yield from _expanded_problems(item)
    elif isinstance(value, dict):
        yield from _value_problems(value) if "@value" in value else _node_problems(value)


def expand_checked(
    doc: Mapping[str, Any], loader: OfflineDocumentLoader = DEFAULT_LOADER
) -> tuple[list[Any], list[str]]:
    """Expand doc and return (expanded, problems) where problems lists safe-mode violations."""
    problems = list(_reserved_like_keys(doc))

    def on_dropped(term: str | None) -> None:
        # None means a keyword-like key, already reported by _reserved_like_keys.
        if term is not None:
            problems.append(f"undefined term {term!r}")

    expanded = _expand(doc, loader, on_dropped)
    if not expanded:
        # jsonld.js safe mode: "empty object" / "object with only @id" at top level.
        problems.append("document has no properties that expand to RDF")
    problems.extend(_expanded_problems(expanded))
    return expanded, list(dict.fromkeys(problems))


def find_undefined_terms(
    doc: Mapping[str, Any], loader: OfflineDocumentLoader = DEFAULT_LOADER
) -> list[str]:
    """List terms and IRIs that jsonld.js safe mode would reject (pyld drops them silently)."""
    return expand_checked(doc, loader)[1]
