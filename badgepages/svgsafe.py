"""Sanitising every SVG the site publishes, against an allow-list of elements and attributes.

An SVG opened at its own URL is a document of the issuer's origin: a script, an event handler
or a ``javascript:`` link in it runs there, and a reference to another server makes each
visitor's browser call that server. So the published SVG is rebuilt from what an allow-list
keeps: static SVG elements (shapes, text, gradients, patterns, clip paths, masks, markers,
filters), their presentation and geometry attributes, CSS reduced to allowed properties
(``svgstyle``), and references to ``#ids`` of the document or to embedded PNG, JPEG, GIF or
WebP images (checked by ``rastersafe``). Scripts, event handlers, animation (SMIL can write
attributes), ``foreignObject``, other namespaces, processing instructions and comments go.

The parser is lxml (libxml2) with entity resolution, DTD loading and network access off, and
a resolver that refuses every external resource. Before it runs, a DOCTYPE with declarations
and any encoding but UTF-8 are refused; while it runs, nesting and element counts are capped,
so that nothing too deep reaches resvg (which overflows its stack past some depth).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from badgepages import rastersafe, svgstyle

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Limits, stated in the README and the badge schema. Real badge art nests 10 to 20 levels
# and has a few thousand elements; resvg crashes somewhere past a few thousand levels.
MAX_DEPTH = 64  # nesting of elements, and of references followed from one element
MAX_ELEMENTS = 20_000  # elements, once every <use> and url(#id) reference is followed
MAX_OCTAVES = 10  # feTurbulence numOctaves: rendering time grows with it, the image does not

# Static SVG 1.1 / SVG 2 elements. Left out on purpose: script, handler, foreignObject, the
# animation elements (set, animate… can write an event handler or an href), view, cursor,
# font and glyph elements, color-profile, feMorphology (resvg takes minutes on a large radius).
# <a> stays for the drawing it holds, without its link.
ELEMENTS = frozenset(
    {
        "svg",
        "a",
        "g",
        "defs",
        "symbol",
        "use",
        "switch",
        "title",
        "desc",
        "metadata",
        "style",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "textPath",
        "image",
        "linearGradient",
        "radialGradient",
        "stop",
        "pattern",
        "clipPath",
        "mask",
        "marker",
        "filter",
        "feBlend",
        "feColorMatrix",
        "feComponentTransfer",
        "feComposite",
        "feConvolveMatrix",
        "feDiffuseLighting",
        "feDisplacementMap",
        "feDistantLight",
        "feDropShadow",
        "feFlood",
        "feFuncA",
        "feFuncB",
        "feFuncG",
        "feFuncR",
        "feGaussianBlur",
        "feImage",
        "feMerge",
        "feMergeNode",
        "feOffset",
        "fePointLight",
        "feSpecularLighting",
        "feSpotLight",
        "feTile",
        "feTurbulence",
    }
)
# Attributes without a namespace, besides the presentation attributes (svgstyle.PROPERTIES):
# geometry, structure, paint servers, filters, text layout, accessibility. No event handler.
ATTRIBUTES = svgstyle.PROPERTIES | frozenset(
    {
        "id",
        "class",
        "style",
        "lang",
        "role",
        "aria-label",
        "aria-labelledby",
        "aria-describedby",
        "aria-hidden",
        "version",
        "viewBox",
        "preserveAspectRatio",
        "x",
        "y",
        "width",
        "height",
        "x1",
        "y1",
        "x2",
        "y2",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "fx",
        "fy",
        "fr",
        "d",
        "points",
        "pathLength",
        "href",
        "systemLanguage",
        "gradientUnits",
        "gradientTransform",
        "spreadMethod",
        "offset",
        "patternUnits",
        "patternContentUnits",
        "patternTransform",
        "clipPathUnits",
        "maskUnits",
        "maskContentUnits",
        "markerUnits",
        "markerWidth",
        "markerHeight",
        "refX",
        "refY",
        "orient",
        "filterUnits",
        "primitiveUnits",
        "in",
        "in2",
        "result",
        "stdDeviation",
        "edgeMode",
        "mode",
        "type",
        "values",
        "tableValues",
        "slope",
        "intercept",
        "amplitude",
        "exponent",
        "operator",
        "k1",
        "k2",
        "k3",
        "k4",
        "kernelMatrix",
        "order",
        "divisor",
        "bias",
        "targetX",
        "targetY",
        "preserveAlpha",
        "surfaceScale",
        "diffuseConstant",
        "specularConstant",
        "specularExponent",
        "kernelUnitLength",
        "azimuth",
        "elevation",
        "z",
        "pointsAtX",
        "pointsAtY",
        "pointsAtZ",
        "limitingConeAngle",
        "scale",
        "xChannelSelector",
        "yChannelSelector",
        "dx",
        "dy",
        "baseFrequency",
        "numOctaves",
        "seed",
        "stitchTiles",
        "rotate",
        "lengthAdjust",
        "textLength",
        "startOffset",
        "method",
        "spacing",
        "side",
    }
)
# Elements whose href is followed, and what it may point at: an element of this document, or
# (for images) an embedded raster. Everywhere else an href is dropped.
_FRAGMENT_HREF = frozenset(
    {"use", "textPath", "linearGradient", "radialGradient", "pattern", "filter", "feImage"}
)
_DATA_HREF = frozenset({"image", "feImage"})
_XML_ATTRIBUTES = frozenset({"space", "lang"})
_DATA_URL = re.compile(r"data:(image/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/=\s]*)\Z")
_ENCODING = re.compile(r"""<\?xml\s[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
_DOCTYPE = re.compile(
    r"""<!DOCTYPE\s+[^\s\[>]+(?:\s+(?:SYSTEM|PUBLIC\s+(?:"[^"]*"|'[^']*'))\s+(?:"[^"]*"|'[^']*'))?"""
    r"""\s*([\[>])"""
)
_LXML_POSITION = re.compile(r", line \d+, column \d+\Z")
_SHOWN = 60


class UnsafeSvgError(ValueError):
    """Raised when an SVG cannot be parsed safely; says where and why."""

    def __init__(self, line: int, message: str, hint: str | None = None, column: int = 1):
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Removal:
    """Something the sanitiser took out of an SVG, and the line it was on."""

    line: int
    message: str


@dataclass(frozen=True)
class SanitizedSvg:
    """The SVG to publish (UTF-8, no XML declaration, DOCTYPE or comment) and what was removed."""

    data: bytes
    removals: tuple[Removal, ...]


def sanitize_svg(data: bytes) -> SanitizedSvg:
    """Return the published version of an SVG; raise UnsafeSvgError when it is refused."""
    text = _decode(data)
    removals = _check_prolog(text)
    root = _parse(data)
    sanitizer = _Sanitizer(removals)
    for sibling in (*root.itersiblings(preceding=True), *root.itersiblings()):
        if isinstance(sibling, etree._ProcessingInstruction):
            sanitizer.removed(sibling, f"removed processing instruction <?{sibling.target}?>")
    sanitizer.element(root)
    _check_references(root)
    return SanitizedSvg(_serialize(root), tuple(sorted(removals, key=lambda r: r.line)))


# -- before parsing --------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
        raise UnsafeSvgError(1, "the SVG is in UTF-16 or UTF-32", "save it as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise UnsafeSvgError(
            line,
            f"the SVG is not valid UTF-8 (byte 0x{data[error.start]:02X})",
            "save it as UTF-8",
            column,
        ) from None
    declared = _ENCODING.match(text.removeprefix("\ufeff"))
    if declared and declared.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise UnsafeSvgError(
            1,
            f"the SVG declares the encoding '{_shown(declared.group(1))}'",
            "only UTF-8 is accepted: save it as UTF-8",
        )
    return text


def _check_prolog(text: str) -> list[Removal]:
    """Refuse a DOCTYPE with declarations; note a plain DOCTYPE as removed (XML 1.0 §2.8)."""
    position = 1 if text.startswith("\ufeff") else 0
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if text.startswith("<!--", position):
            end = text.find("-->", position)
        elif text.startswith("<?", position):
            end = text.find("?>", position)
        else:
            break
        if end < 0:
            return []  # the parser reports the unclosed comment or instruction
        position = end + 3 if text.startswith("<!--", position) else end + 2
    if not text.startswith("<!DOCTYPE", position):
        return []
    line = text.count("\n", 0, position) + 1
    doctype = _DOCTYPE.match(text, position)
    if doctype is None or doctype.group(1) == "[":
        raise UnsafeSvgError(
            line,
            "the SVG declares entities or a DTD in its DOCTYPE",
            "remove the DOCTYPE: entities and DTDs are never loaded",
        )
    return [Removal(line, "removed the DOCTYPE (its DTD is never loaded)")]


# -- parsing ---------------------------------------------------------------------------------


class _RefuseAll(etree.Resolver):
    """Refuses every external resource libxml2 would load (DTDs, entities, XInclude)."""

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        raise UnsafeSvgError(1, "the SVG refers to an external resource", "remove the DOCTYPE")


def _parse(data: bytes) -> etree._Element:
    """Parse under the depth and element limits; return the root <svg> element."""
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        strip_cdata=True,
    )
    events.resolvers.add(_RefuseAll())
    depth = count = 0
    try:
        for event, element in events:
            if event == "end":
                depth -= 1
                continue
            depth += 1
            count += 1
            if depth > MAX_DEPTH:
                raise UnsafeSvgError(
                    element.sourceline or 1,
                    f"the SVG nests elements more than {MAX_DEPTH} levels deep",
                    "flatten the groups in a drawing program",
                )
            if count > MAX_ELEMENTS:
                raise UnsafeSvgError(
                    element.sourceline or 1,
                    f"the SVG has more than {MAX_ELEMENTS} elements",
                    "simplify the drawing",
                )
    except etree.XMLSyntaxError as error:
        raise _syntax_error(error, events.error_log) from None
    root = events.root
    if root is None:
        raise UnsafeSvgError(1, "the SVG is empty")
    if root.tag != f"{{{SVG_NS}}}svg":
        found = f"<{_name(root)}> without the SVG namespace" if _local(root) == "svg" else None
        raise UnsafeSvgError(
            root.sourceline or 1,
            f"the root element is {found or f'<{_name(root)}>, not <svg>'}",
            f'start the file with <svg xmlns="{SVG_NS}">',
        )
    return root


def _syntax_error(error: etree.XMLSyntaxError, log: etree._ListErrorLog) -> UnsafeSvgError:
    """Return the parser's first fatal error (iterparse may raise a later, vaguer one)."""
    line, column = error.position
    message = error.msg or "syntax error"
    for entry in log:
        if entry.level >= etree.ErrorLevels.ERROR:
            line, column, message = entry.line, entry.column, entry.message
            break
    message = _LXML_POSITION.sub("", message)
    return UnsafeSvgError(
        max(line, 1), f"the SVG is not well-formed XML: {message}", None, max(column, 1)
    )


# -- the allow-list --------------------------------------------------------------------------


class _Sanitizer:
    """Walks the tree, keeping what the allow-list allows and noting what it removes."""

    def __init__(self, removals: list[Removal]) -> None:
        self.removals = removals

    def removed(self, node: etree._Element, message: str) -> None:
        self.note(node, message)
        _remove(node)

    def note(self, node: etree._Element, message: str) -> None:
        self.removals.append(Removal(node.sourceline or 1, message))

    def element(self, element: etree._Element) -> None:
        for attribute, value in list(element.attrib.items()):
            self.attribute(element, str(attribute), str(value))
        if etree.QName(element).localname == "style":
            self.stylesheet(element)
            return
        for child in list(element):
            if isinstance(child, etree._ProcessingInstruction):
                self.removed(child, f"removed processing instruction <?{child.target}?>")
            elif not isinstance(child.tag, str):
                _remove(child)  # an entity reference left unresolved
            elif etree.QName(child).namespace != SVG_NS or _local(child) not in ELEMENTS:
                self.removed(child, f"removed element <{_name(child)}>")
            else:
                self.element(child)

    def attribute(self, element: etree._Element, name: str, value: str) -> None:
        qname = etree.QName(name)
        local, namespace = qname.localname, qname.namespace
        shown = f'{_attribute_name(element, qname)}="{_shown(value)}"'
        if local == "href" and namespace in (None, XLINK_NS):
            reference, reason = _reference(_local(element), value)
            if reference is None:
                self._drop(element, name, f"removed {shown} from <{_local(element)}>: {reason}")
            elif reference != value:
                element.set(name, reference)
        elif namespace == XML_NS and local in _XML_ATTRIBUTES:
            return
        elif namespace is not None or local not in ATTRIBUTES:
            self._drop(element, name, f"removed attribute {shown} from <{_local(element)}>")
        elif local == "style":
            self.style_attribute(element, value)
        elif local in svgstyle.PROPERTIES and (problem := svgstyle.value_problem(value)):
            self._drop(element, name, f"removed {shown} from <{_local(element)}>: {problem}")
        elif local == "numOctaves" and _local(element) == "feTurbulence":
            self.octaves(element, value)

    def style_attribute(self, element: etree._Element, value: str) -> None:
        css, dropped = svgstyle.sanitize_declarations(value)
        for declaration in dropped:
            self.note(element, f"removed CSS from <{_local(element)}>: {_shown(declaration)}")
        if css:
            element.set("style", css)
        else:
            del element.attrib["style"]

    def stylesheet(self, element: etree._Element) -> None:
        for child in list(element):
            self.removed(child, f"removed {_kind(child)} inside <style>")
        css, dropped = svgstyle.sanitize_stylesheet(element.text or "")
        for rule in dropped:
            self.note(element, f"removed CSS from <style>: {_shown(rule)}")
        element.text = css or None

    def octaves(self, element: etree._Element, value: str) -> None:
        try:
            octaves = int(value.strip())
        except ValueError:
            return  # not a number: renderers use the default
        if octaves > MAX_OCTAVES:
            element.set("numOctaves", str(MAX_OCTAVES))
            self.note(element, f"lowered numOctaves from {octaves} to {MAX_OCTAVES}")

    def _drop(self, element: etree._Element, name: str, message: str) -> None:
        self.note(element, message)
        del element.attrib[name]


def _reference(element: str, value: str) -> tuple[str | None, str]:
    """Return the href to publish (or None) and, when refused, why."""
    target = value.strip()
    if svgstyle.FRAGMENT.match(target) and element in _FRAGMENT_HREF:
        return target, ""
    data = _DATA_URL.match(target)
    if data and element in _DATA_HREF:
        media_type, payload = data.group(1), "".join(data.group(2).split())
        try:
            raster = base64.b64decode(payload, validate=True)
            clean = rastersafe.check_embedded_raster(raster, media_type)
        except binascii.Error:
            return None, "its base64 data is damaged"
        except rastersafe.RasterError as error:
            return None, f"the embedded image is refused: {error}"
        return f"data:{media_type};base64,{base64.b64encode(clean).decode('ascii')}", ""
    places = []
    if element in _FRAGMENT_HREF:
        places.append("an element of this document (#id)")
    if element in _DATA_HREF:
        places.append("a PNG, JPEG, GIF or WebP image embedded as a data: URL")
    if not places:
        return None, f"<{element}> may not link anywhere"
    return None, f"it may only point at {' or '.join(places)}"


# -- references ------------------------------------------------------------------------------


def _check_references(root: etree._Element) -> None:
    """Refuse reference cycles, and nesting or sizes past the limits once references are
    followed (a <use> copies what it points at; a chain of them nests as deep as it is long)."""
    ids: dict[str, etree._Element] = {}
    for element in root.iter():
        if element.get("id") is not None:
            ids.setdefault(str(element.get("id")), element)
    done: dict[etree._Element, tuple[int, int]] = {}
    on_path: set[etree._Element] = set()
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        element, expanded = stack.pop()
        if element in done:
            continue
        targets = [*element, *(ids[i] for i in _references(element) if i in ids)]
        if not expanded:
            on_path.add(element)
            stack.append((element, True))
            for target in targets:
                if target in on_path:
                    raise UnsafeSvgError(
                        element.sourceline or 1,
                        f"<{_local(element)}> refers to an element that contains it",
                        "a reference cycle has no picture: point it at another element",
                    )
                stack.append((target, False))
            continue
        on_path.discard(element)
        depth = 1 + max((done[t][0] for t in targets), default=0)
        size = min(MAX_ELEMENTS + 1, 1 + sum(done[t][1] for t in targets))
        if depth > MAX_DEPTH:
            raise UnsafeSvgError(
                element.sourceline or 1,
                f"references from <{_local(element)}> nest more than {MAX_DEPTH} levels deep",
                "point references at the drawn elements directly",
            )
        done[element] = (depth, size)
    if done[root][1] > MAX_ELEMENTS:
        raise UnsafeSvgError(
            root.sourceline or 1,
            f"the SVG draws more than {MAX_ELEMENTS} elements once its references are followed",
            "simplify the drawing",
        )


def _references(element: etree._Element) -> Iterator[str]:
    """Yield the ids an element draws or uses through href or url(#id)."""
    for name, value in element.attrib.items():
        local = etree.QName(name).localname
        if local == "href" and str(value).startswith("#"):
            yield str(value)[1:]
        elif local == "style" or local in svgstyle.PROPERTIES:
            yield from svgstyle.fragment_references(str(value))


# -- output ----------------------------------------------------------------------------------


def _serialize(root: etree._Element) -> bytes:
    """Return the document as UTF-8 with SVG as the default namespace (as bakers expect)."""
    clean = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})
    for name, value in root.attrib.items():
        clean.set(name, value)
    clean.text = root.text
    clean.extend(list(root))
    etree.cleanup_namespaces(clean, top_nsmap={"xlink": XLINK_NS})
    # No XML declaration: UTF-8 is XML's default encoding (XML 1.0 §4.3.3).
    return etree.tostring(clean, encoding="UTF-8", xml_declaration=False, with_tail=False) + b"\n"


def _remove(node: etree._Element) -> None:
    """Remove a node, keeping the text that follows it."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _name(element: etree._Element) -> str:
    """Return an element's name as written, with its prefix."""
    local = etree.QName(element).localname
    return f"{element.prefix}:{local}" if element.prefix else local


def _attribute_name(element: etree._Element, qname: etree.QName) -> str:
    if qname.namespace is None:
        return qname.localname
    prefixes = {uri: prefix for prefix, uri in element.nsmap.items() if prefix}
    prefixes[XML_NS] = "xml"
    prefix = prefixes.get(qname.namespace)
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def _kind(node: etree._Element) -> str:
    if isinstance(node, etree._ProcessingInstruction):
        return f"processing instruction <?{node.target}?>"
    return f"element <{_name(node)}>" if isinstance(node.tag, str) else "an entity reference"


def _shown(value: str) -> str:
    """Return text from the file as one short printable line, for a diagnostic."""
    line = " ".join(value.split())
    line = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in line)
    return line if len(line) <= _SHOWN else line[: _SHOWN - 1] + "…"
