"""Offline JSON-LD processing: bundled contexts, RDFC-1.0 canonicalisation, safe-mode lint.

Documents of a known shape are canonicalised from a compiled template; the reference path
(pyld, in :mod:`badgepages.jsonld_reference`) is imported only when a document needs it:
pyld imports its HTTP loaders (``asyncio``, and ``requests`` where installed: up to 0.1 s),
which a build that signs nothing skips.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

from cachetools import LRUCache

from badgepages import rdfc

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
# Processed (active) contexts and expanded IRIs kept per loader (see jsonld_reference._Processor).
_PROCESSED_CACHE_SIZE: Final = 1024
_IRI_CACHE_SIZE: Final = 8192
# Document shapes, contexts' keys and compiled datasets kept per loader (see _template).
_SHAPE_CACHE_SIZE: Final = 256
_TERMS_CACHE_SIZE: Final = 64
_TEMPLATE_CACHE_SIZE: Final = 1024
_GROUPINGS_PER_SHAPE: Final = 64


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
    """Per-loader memo of processed contexts and expanded IRIs (jsonld_reference._Processor)."""

    contexts: LRUCache[tuple[Any, ...], tuple[object, Any]] = field(
        default_factory=lambda: LRUCache(maxsize=_PROCESSED_CACHE_SIZE)
    )
    iris: LRUCache[tuple[Any, ...], Any] = field(
        default_factory=lambda: LRUCache(maxsize=_IRI_CACHE_SIZE)
    )


@dataclass(frozen=True)
class _TemplateCaches:
    """Per-loader memo of document shapes, their contexts' keys and compiled datasets."""

    shapes: LRUCache[tuple[object, ...], _Shape | None] = field(
        default_factory=lambda: LRUCache(maxsize=_SHAPE_CACHE_SIZE)
    )
    terms: LRUCache[str, frozenset[str] | None] = field(
        default_factory=lambda: LRUCache(maxsize=_TERMS_CACHE_SIZE)
    )
    compiled: LRUCache[_TemplateKey, rdfc.CompiledDataset | None] = field(
        default_factory=lambda: LRUCache(maxsize=_TEMPLATE_CACHE_SIZE)
    )


class OfflineDocumentLoader:
    """pyld document loader serving bundled (and explicitly added) contexts, nothing else."""

    def __init__(self, extra_contexts: Mapping[str, JsonObject] | None = None) -> None:
        self._extra = dict(extra_contexts or {})
        self.resolved_cache: LRUCache[str, Any] = LRUCache(maxsize=_RESOLVED_CACHE_SIZE)
        self.processor_caches = _ProcessorCaches()
        self.template_caches = _TemplateCaches()

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
        from pyld.context_resolver import ContextResolver

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


def _expand(
    doc: Mapping[str, Any], loader: OfflineDocumentLoader, on_dropped: Any = None
) -> list[Any]:
    from badgepages import jsonld_reference  # pyld, imported when first needed

    return jsonld_reference.expand(doc, loader, on_dropped)


def _to_dataset(expanded: list[Any]) -> JsonObject:
    from badgepages import jsonld_reference

    return jsonld_reference.to_dataset(expanded)


def canonize_expanded(expanded: list[Any]) -> str:
    """Return the RDFC-1.0 canonical N-Quads of expanded JSON-LD (consumes its argument)."""
    from badgepages import jsonld_reference

    return jsonld_reference.canonize_expanded(expanded)


# --- safe-mode lint ---------------------------------------------------------------------

# jsonld.js util isAbsoluteIri: /^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$/ with JS's \s set.
_JS_WHITESPACE: Final = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_ABSOLUTE_IRI: Final = re.compile(rf"^(?:[A-Za-z][A-Za-z0-9+\-.]*|_):[^{_JS_WHITESPACE}]*\Z")
# BCP47 shape accepted by jsonld.js (expand.js, REGEX_BCP47).
_BCP47: Final = re.compile(r"^[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*\Z")
_KEYWORD_LIKE: Final = re.compile(r"^@[a-zA-Z]+\Z")


def _is_absolute(iri: object) -> bool:
    return isinstance(iri, str) and _JS_ABSOLUTE_IRI.match(iri) is not None


def _reserved_like_keys(value: object, keywords: Collection[str]) -> Iterator[str]:
    """Yield keys that look like keywords but are not (jsonld.js drops them: invalid property)."""
    if isinstance(value, list):
        for item in value:
            yield from _reserved_like_keys(item, keywords)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                continue
            if _KEYWORD_LIKE.match(key) and key not in keywords:
                yield f"reserved-looking key {key!r}"
            yield from _reserved_like_keys(item, keywords)


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
    from pyld.jsonld import KEYWORDS  # with the reference path, on first use

    problems = list(_reserved_like_keys(doc, KEYWORDS))

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


# --- shape templates: the reference path once per document shape -----------------------
#
# A document's shape is everything but its strings: keys, list lengths, numbers, booleans,
# and the whole values of _CONSTANT_KEYS (@context, type, ...). Its other strings are values,
# grouped by equality (equal node ids merge, equal values in one property collapse) and by
# whether JSON-LD would read them as an IRI unchanged. Per shape and grouping, the reference
# path runs once on a probe: the document with a unique sentinel string per group. A group
# whose sentinel comes out whole as an RDF term, a plain IRI or a literal's lexical form, is
# filled in per document; any other group (@vocab values such as "assertionMethod", @json
# values, xsd:double lexical forms) is "keyed": its values are part of the template's key.
# The result is a compiled dataset canonicalised by rdfc.CompiledDataset; ob3-facts.md
# ("RDF dataset built once per badge shape, values substituted, then URDNA2015 only").

_CONSTANT_KEYS: Final = frozenset(
    {"@context", "type", "@type", "@language", "@direction", "@index"}
)
# Shape markers; keys and constant strings are str, scalars (type name, repr) tuples.
_OBJECT: Final = 0
_ARRAY: Final = 1
_END: Final = 2
_VALUE: Final = 3
# Group codes of a value that equals no earlier value; otherwise the earlier value's index.
_TEXT: Final = -1
_PLAIN_IRI: Final = -2
# A sentinel cannot occur in documents by chance: the nonce is fresh per process.
_NONCE: Final = secrets.token_hex(8)
_SENTINEL: Final = re.compile(f"s{_NONCE}n([0-9]+)e")
_XSD_DOUBLE: Final = "http://www.w3.org/2001/XMLSchema#double"


class _UnsupportedShapeError(Exception):
    """The document holds something other than JSON (non-str keys, tuples, objects)."""


def _walk(value: object, constant: bool, shape: list[object], values: list[str]) -> None:
    """Append value's shape to shape and its non-constant strings to values."""
    if isinstance(value, str):
        if constant:
            shape.append(value)
        else:
            shape.append(_VALUE)
            values.append(value)
    elif isinstance(value, dict):
        shape.append(_OBJECT)
        for key, item in value.items():
            if not isinstance(key, str):
                raise _UnsupportedShapeError
            shape.append(key)
            _walk(item, constant or key in _CONSTANT_KEYS, shape, values)
        shape.append(_END)
    elif isinstance(value, list):
        shape.append(_ARRAY)
        for item in value:
            _walk(item, constant, shape, values)
        shape.append(_END)
    elif value is None or isinstance(value, bool | int | float):
        shape.append((type(value).__name__, repr(value)))
    else:
        raise _UnsupportedShapeError


def _rebuild(value: object, constant: bool, strings: Iterator[str]) -> object:
    """Copy value with its non-constant strings taken in turn from strings (order of _walk)."""
    if constant:
        return copy.deepcopy(value)
    if isinstance(value, str):
        return next(strings)
    if isinstance(value, dict):
        return {key: _rebuild(item, key in _CONSTANT_KEYS, strings) for key, item in value.items()}
    if isinstance(value, list):
        return [_rebuild(item, False, strings) for item in value]
    return value


# JSON-LD 1.1 API §5.2.2 IRI Expansion returns a value unchanged, whether as @id or as @vocab,
# when it is no keyword, no term, its prefix is no term, and it is an absolute IRI; pyld (\s)
# and jsonld.js (JS whitespace) must both call it absolute, or toRDF and safe mode differ.
_PLAIN_IRI_FORM: Final = re.compile(rf"[A-Za-z][A-Za-z0-9+\-.]*:[^\s{_JS_WHITESPACE}]*\Z")


def _is_plain_iri(value: str, terms: frozenset[str]) -> bool:
    return (
        ":" in value
        and _PLAIN_IRI_FORM.match(value) is not None
        and value.partition(":")[0] not in terms
        and value not in terms
    )


def _groups(values: list[str], terms: frozenset[str]) -> tuple[int, ...]:
    """Code each value: index of an earlier equal value, else _PLAIN_IRI or _TEXT."""
    first: dict[str, int] = {}
    groups: list[int] = []
    for index, value in enumerate(values):
        earlier = first.setdefault(value, index)
        if earlier != index:
            groups.append(earlier)
        else:
            groups.append(_PLAIN_IRI if _is_plain_iri(value, terms) else _TEXT)
    return tuple(groups)


def _embedded_contexts(value: object) -> Iterator[object]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                yield item
            else:
                yield from _embedded_contexts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _embedded_contexts(item)


def _context_terms(contexts: list[object], loader: OfflineDocumentLoader) -> frozenset[str]:
    """Every key in every context reachable from contexts: a superset of the possible terms."""
    terms: set[str] = set()
    pending = list(contexts)
    loaded: set[str] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if item not in loaded:
                loaded.add(item)
                pending.append(loader(item)["document"])
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            for key, definition in item.items():
                terms.add(key)
                # Scoped contexts sit in term definitions; URLs only under @context/@import.
                if key in ("@context", "@import") or isinstance(definition, dict):
                    pending.append(definition)
    return frozenset(terms)


def _sentinel(group: int, plain_iri: bool) -> str:
    token = f"s{_NONCE}n{group}e"
    return "urn:" + token if plain_iri else token


@dataclass(frozen=True, eq=False)
class _Shape:
    """One document shape: its contexts' keys, and per grouping the groups to key.

    Compared and hashed by identity, so that template keys hash fast.
    """

    terms: frozenset[str]
    keyed: LRUCache[tuple[int, ...], tuple[int, ...]] = field(
        default_factory=lambda: LRUCache(maxsize=_GROUPINGS_PER_SHAPE)
    )


# A compiled dataset serves documents of one shape, grouping and set of keyed values.
_TemplateKey = tuple[_Shape, tuple[int, ...], tuple[str, ...]]


def _new_shape(doc: Mapping[str, Any], loader: OfflineDocumentLoader) -> _Shape | None:
    contexts = list(_embedded_contexts(doc))
    key = json.dumps(contexts)
    caches = loader.template_caches
    try:
        terms = caches.terms[key]
    except KeyError:
        try:
            terms = _context_terms(contexts, loader)
        except ContextNotBundledError:
            terms = None
        caches.terms[key] = terms
    # Plain-IRI sentinels must themselves expand unchanged.
    return None if terms is None or not _is_plain_iri(_sentinel(0, True), terms) else _Shape(terms)


class _Compiler:
    """Turn a probe's dataset into compiled quads, noting sentinels that did not come out whole."""

    def __init__(self, literals: Mapping[str, int], iris: Mapping[str, int]) -> None:
        self._literals = literals
        self._iris = iris
        self._blanks: dict[str, int] = {}
        self.whole: set[int] = set()
        self.partial: set[int] = set()

    def _scan(self, text: str) -> None:
        self.partial.update(int(group) for group in _SENTINEL.findall(text))

    def term(self, component: Mapping[str, str]) -> rdfc.Term:
        kind, value = component["type"], component["value"]
        if kind == "blank node":
            return rdfc.Blank(self._blanks.setdefault(value, len(self._blanks)))
        if kind == "IRI":
            group = self._iris.get(value)
            if group is None:
                self._scan(value)
                return rdfc.serialize_term(component)
            self.whole.add(group)
            return rdfc.Value(group)
        datatype, language = component["datatype"], component.get("language")
        self._scan(datatype + (language or ""))
        group = self._literals.get(value)
        # pyld rewrites xsd:double lexical forms that parse as numbers (_object_to_rdf).
        if group is None or datatype == _XSD_DOUBLE:
            self._scan(value)
            return rdfc.serialize_term(component)
        self.whole.add(group)
        return rdfc.Value(group, rdfc.literal_suffix(datatype, language))


def _graph_term(name: str) -> list[dict[str, str]]:
    if name == "@default":
        return []
    return [{"type": "blank node" if name.startswith("_:") else "IRI", "value": name}]


def _probe(
    doc: Mapping[str, Any],
    values: list[str],
    groups: tuple[int, ...],
    keyed: frozenset[int],
    loader: OfflineDocumentLoader,
) -> rdfc.CompiledDataset | frozenset[int] | None:
    """Compile doc's shape by the reference path; return the groups to key instead, or None."""
    sentinels: list[str] = []
    for index, (value, group) in enumerate(zip(values, groups, strict=True)):
        if group >= 0:
            sentinels.append(sentinels[group])
        else:
            sentinels.append(value if index in keyed else _sentinel(index, group == _PLAIN_IRI))
    free = [index for index, group in enumerate(groups) if group < 0 and index not in keyed]
    strings = iter(sentinels)
    probe = {key: _rebuild(item, key in _CONSTANT_KEYS, strings) for key, item in doc.items()}
    try:
        expanded, problems = expand_checked(probe, loader)
        dataset = {} if problems else _to_dataset(expanded)
    except Exception:
        # Refused, or pyld crashed (it does on some invalid input): the reference path gives
        # this document its own answer.
        return None
    if problems:
        # A sentinel read as a term (@vocab values such as "assertionMethod") may fail the
        # lint where the real value passes: key those groups; other problems are the shape's.
        blamed = frozenset(int(group) for group in _SENTINEL.findall(" ".join(problems)))
        return blamed or None
    compiler = _Compiler(
        {sentinels[index]: index for index in free},
        {sentinels[index]: index for index in free if groups[index] == _PLAIN_IRI},
    )
    quads = [
        [compiler.term(component) for component in (t["subject"], t["predicate"], t["object"])]
        + [compiler.term(graph) for graph in _graph_term(name)]
        for name, triples in dataset.items()
        for t in triples
    ]
    unresolved = compiler.partial | (set(free) - compiler.whole)
    return frozenset(unresolved) if unresolved else rdfc.CompiledDataset(quads)


def _first_probe(
    doc: Mapping[str, Any],
    values: list[str],
    groups: tuple[int, ...],
    loader: OfflineDocumentLoader,
) -> tuple[tuple[int, ...], rdfc.CompiledDataset | None]:
    """Probe until every group is whole or keyed (keyed groups only grow, so this ends)."""
    keyed: frozenset[int] = frozenset()
    compiled = _probe(doc, values, groups, keyed, loader)
    while isinstance(compiled, frozenset):
        keyed |= compiled
        compiled = _probe(doc, values, groups, keyed, loader)
    return tuple(sorted(keyed)), compiled


def _template(
    doc: Mapping[str, Any], loader: OfflineDocumentLoader
) -> tuple[rdfc.CompiledDataset, list[str]] | None:
    """Return the compiled dataset for doc's shape and doc's values, or None (reference path)."""
    shape_key: list[object] = []
    values: list[str] = []
    try:
        _walk(dict(doc), False, shape_key, values)
    except _UnsupportedShapeError:
        return None
    key = tuple(shape_key)
    caches = loader.template_caches
    try:
        shape = caches.shapes[key]
    except KeyError:
        shape = caches.shapes[key] = _new_shape(doc, loader)
    if shape is None:
        return None
    groups = _groups(values, shape.terms)
    keyed = shape.keyed.get(groups, ())
    template_key = (shape, groups, tuple(values[index] for index in keyed))
    try:
        compiled = caches.compiled[template_key]
    except KeyError:
        if groups in shape.keyed:
            probed = _probe(doc, values, groups, frozenset(keyed), loader)
            # Groups this grouping did not key before: leave these values to the reference.
            compiled = None if isinstance(probed, frozenset) else probed
        else:
            keyed, compiled = _first_probe(doc, values, groups, loader)
            shape.keyed[groups] = keyed
            template_key = (shape, groups, tuple(values[index] for index in keyed))
        caches.compiled[template_key] = compiled
    return None if compiled is None else (compiled, values)


# --- public entry points ------------------------------------------------------------------


class SafeModeError(ValueError):
    """A document uses terms or IRIs that jsonld.js safe mode rejects."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("not valid in JSON-LD safe mode: " + "; ".join(problems))
        self.problems = tuple(problems)


def canonize_fast(
    doc: Mapping[str, Any], loader: OfflineDocumentLoader = DEFAULT_LOADER
) -> str | None:
    """Return doc's canonical N-Quads from its shape template, or None where that cannot tell."""
    found = _template(doc, loader)
    return None if found is None else found[0].canonize(found[1])


def canonize(doc: Mapping[str, Any], loader: OfflineDocumentLoader = DEFAULT_LOADER) -> str:
    """Return the RDFC-1.0 canonical N-Quads of a JSON-LD document."""
    fast = canonize_fast(doc, loader)
    return canonize_expanded(_expand(doc, loader)) if fast is None else fast


def canonize_safe(doc: Mapping[str, Any], loader: OfflineDocumentLoader = DEFAULT_LOADER) -> str:
    """Return the canonical N-Quads of a document safe mode accepts; else raise SafeModeError."""
    fast = canonize_fast(doc, loader)
    if fast is not None:
        return fast
    expanded, problems = expand_checked(doc, loader)
    if problems:
        raise SafeModeError(problems)
    return canonize_expanded(expanded)


def find_undefined_terms(
    doc: Mapping[str, Any], loader: OfflineDocumentLoader = DEFAULT_LOADER
) -> list[str]:
    """List terms and IRIs that jsonld.js safe mode would reject (pyld drops them silently)."""
    # A template exists only for shapes whose probe passed this very lint.
    if _template(doc, loader) is not None:
        return []
    return expand_checked(doc, loader)[1]
