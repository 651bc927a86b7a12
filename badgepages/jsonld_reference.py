"""The reference JSON-LD path: pyld's expansion, RDF and RDFC-1.0, for what templates cannot do.

:mod:`badgepages.jsonld` imports this module on first use: a build that signs nothing never
loads pyld (nor the HTTP loaders pyld imports, which the offline loader never uses).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from frozendict import frozendict
from pyld import jsonld as _pyld
from pyld.canon import URDNA2015
from pyld.identifier_issuer import IdentifierIssuer

from badgepages import rdfc
from badgepages.jsonld import (
    CanonicalOrderError,
    ContextNotBundledError,
    JsonLdProcessingError,
    JsonObject,
    OfflineDocumentLoader,
    _is_absolute,
    _ProcessorCaches,
)


def _sorted_nquads(lines: Iterable[str]) -> list[str]:
    """Sort N-Quads in code point order, refusing data where rdf-canonize would disagree."""
    ordered = sorted(lines)
    if not rdfc.utf16_order_agrees(ordered):
        raise CanonicalOrderError(ordered)
    return ordered


def _first_degree(id_: str, component: Mapping[str, str]) -> Mapping[str, str]:
    """RDFC-1.0 §4.6.3 step 3.1.1: the reference blank node reads _:a, any other _:z."""
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
                rdfc.serialize_quad(
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
        return "".join(_sorted_nquads(rdfc.serialize_quad(quad) for quad in self.quads))


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


def expand(
    doc: Mapping[str, Any], loader: OfflineDocumentLoader, on_dropped: Any = None
) -> list[Any]:
    try:
        processor = _Processor(loader.processor_caches, on_dropped)
        return list(processor.expand(dict(doc), loader.options()))
    except _pyld.JsonLdError as error:
        _reraise("expansion", error)


def to_dataset(expanded: list[Any]) -> JsonObject:
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
    return _Rdfc10().canonize(to_dataset(expanded))


def _reraise(operation: str, error: Exception) -> NoReturn:
    """Surface a refused context as ContextNotBundledError, anything else as processing error."""
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, ContextNotBundledError):
            raise current from error
        current = current.__cause__
    raise JsonLdProcessingError(operation, error) from error
