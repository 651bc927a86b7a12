"""CSS inside published SVGs: properties from an allow-list, and no reference out of the document.

CSS can fetch and run things (``url()``, ``@import``, ``image-set()``, ``@font-face``, old
``behavior`` and ``-moz-binding``). tinycss2 tokenises it as browsers do (CSS Syntax Level 3),
so an escape such as ``u\\72l(`` cannot hide a function from the checks below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import tinycss2
from tinycss2 import ast

# SVG 2 §13 presentation attributes (and the CSS properties they map to), plus the few CSS
# properties badge art uses; nothing here can reference a resource except through url().
PROPERTIES = frozenset(
    {
        "alignment-baseline",
        "baseline-shift",
        "clip",
        "clip-path",
        "clip-rule",
        "color",
        "color-interpolation",
        "color-interpolation-filters",
        "color-rendering",
        "direction",
        "display",
        "dominant-baseline",
        "fill",
        "fill-opacity",
        "fill-rule",
        "filter",
        "flood-color",
        "flood-opacity",
        "font",
        "font-family",
        "font-feature-settings",
        "font-kerning",
        "font-size",
        "font-size-adjust",
        "font-stretch",
        "font-style",
        "font-variant",
        "font-weight",
        "image-rendering",
        "isolation",
        "letter-spacing",
        "lighting-color",
        "marker",
        "marker-end",
        "marker-mid",
        "marker-start",
        "mask",
        "mask-type",
        "mix-blend-mode",
        "opacity",
        "overflow",
        "paint-order",
        "pointer-events",
        "shape-rendering",
        "stop-color",
        "stop-opacity",
        "stroke",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-opacity",
        "stroke-width",
        "text-anchor",
        "text-decoration",
        "text-rendering",
        "transform",
        "transform-box",
        "transform-origin",
        "unicode-bidi",
        "vector-effect",
        "visibility",
        "white-space",
        "word-spacing",
        "writing-mode",
    }
)
# Functions that compute a colour, a length, a transform or a filter effect: none fetches.
_FUNCTIONS = frozenset(
    {
        "rgb",
        "rgba",
        "hsl",
        "hsla",
        "hwb",
        "lab",
        "lch",
        "oklab",
        "oklch",
        "color",
        "color-mix",
        "calc",
        "min",
        "max",
        "clamp",
        "matrix",
        "translate",
        "translatex",
        "translatey",
        "scale",
        "scalex",
        "scaley",
        "rotate",
        "skew",
        "skewx",
        "skewy",
        "blur",
        "brightness",
        "contrast",
        "drop-shadow",
        "grayscale",
        "hue-rotate",
        "invert",
        "opacity",
        "saturate",
        "sepia",
    }
)
# A reference to an element of the same document: '#' and an XML name (no space, no quote).
FRAGMENT = re.compile(r"#[\w.:-]+\Z")
# Blocks and functions inside one another: tinycss2 recurses once for each.
MAX_NESTING = 32
_TOO_DEEP = f"all of it, nested more than {MAX_NESTING} brackets deep"
# Characters XML 1.0 (§2.2) cannot hold: a CSS escape such as \1 decodes to one of them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EXCERPT = 50


def value_problem(value: str) -> str | None:
    """Return why a presentation attribute's value is unsafe, or None when it is safe."""
    if _too_deep(value):
        return f"it nests more than {MAX_NESTING} brackets deep"
    return _tokens_problem(tinycss2.parse_component_value_list(value, skip_comments=True))


def fragment_references(value: str) -> list[str]:
    """Return the ids a CSS value points at with ``url(#id)``, without the '#'."""
    if _too_deep(value):
        return []
    tokens = tinycss2.parse_component_value_list(value, skip_comments=True)
    return [target[1:] for target in _urls(tokens) if FRAGMENT.match(target)]


def sanitize_declarations(text: str) -> tuple[str, list[str]]:
    """Return a style attribute's allowed declarations as CSS, and what was dropped (quoted)."""
    if _too_deep(text):
        return "", [_TOO_DEEP]
    kept: list[str] = []
    removed: list[str] = []
    nodes = tinycss2.parse_declaration_list(text, skip_comments=True, skip_whitespace=True)
    for node in nodes:
        css = _declaration(node)
        if css is None:
            removed.append(_shown(node))
        else:
            kept.append(css)
    return "; ".join(kept), removed


def sanitize_stylesheet(text: str) -> tuple[str, list[str]]:
    """Return a ``<style>`` sheet's allowed rules as CSS, and what was dropped (quoted).

    At-rules go (``@import`` and ``@font-face`` fetch; the rest is not needed by badge art),
    and so do rules whose selector is not plain text; kept rules keep allowed declarations.
    """
    if _too_deep(text):
        return "", [_TOO_DEEP]
    kept: list[str] = []
    removed: list[str] = []
    for node in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        if not isinstance(node, ast.QualifiedRule) or _selector_problem(node.prelude):
            removed.append(_shown(node))
            continue
        declarations, dropped = sanitize_declarations(tinycss2.serialize(node.content))
        removed.extend(dropped)
        if declarations:
            selector = tinycss2.serialize(node.prelude).strip()
            kept.append(f"{selector} {{ {declarations} }}")
    return "\n".join(kept), removed


def _too_deep(css: str) -> bool:
    """Tell whether brackets nest past the limit (counting those in strings: stricter)."""
    depth = 0
    for char in css:
        if char in "([{":
            depth += 1
            if depth > MAX_NESTING:
                return True
        elif char in ")]}":
            depth = max(0, depth - 1)
    return False


def _excerpt(text: str) -> str:
    """Return CSS as one short line, for a diagnostic."""
    line = " ".join(text.split())
    return line if len(line) <= _EXCERPT else line[: _EXCERPT - 1] + "…"


def _shown(node: ast.Node) -> str:
    """Return a dropped declaration or rule as one short quoted line, without its ';'."""
    if isinstance(node, ast.Declaration):
        return f"'{_excerpt(f'{node.name}: {tinycss2.serialize(node.value).strip()}')}'"
    if isinstance(node, ast.ParseError):
        return "a part that does not parse"
    return f"'{_excerpt(tinycss2.serialize([node]).strip().removesuffix(';'))}'"


def _declaration(node: ast.Node) -> str | None:
    if not isinstance(node, ast.Declaration) or node.lower_name not in PROPERTIES:
        return None
    if _tokens_problem(node.value):
        return None
    value = tinycss2.serialize(node.value).strip()
    if not value or "<" in value or _NOT_XML.search(value):
        return None
    return f"{node.lower_name}: {value}{' !important' if node.important else ''}"


def _selector_problem(prelude: Iterable[ast.Node]) -> bool:
    for token in _walk(prelude):
        if isinstance(token, (ast.URLToken, ast.AtKeywordToken, ast.ParseError)):
            return True
        if isinstance(token, ast.FunctionBlock) and token.lower_name == "url":
            return True
        if isinstance(token, (ast.LiteralToken, ast.StringToken)) and "<" in token.value:
            return True
    return bool(_NOT_XML.search(tinycss2.serialize(prelude)))


def _tokens_problem(tokens: Iterable[ast.Node]) -> str | None:
    for token in _walk(tokens):
        if isinstance(token, ast.ParseError):
            return "it is not valid CSS"
        if isinstance(token, ast.AtKeywordToken):
            return f"@{token.value} is not allowed"
        if isinstance(token, ast.URLToken):
            if not FRAGMENT.match(token.value):
                return "it points outside the document"
        elif isinstance(token, ast.FunctionBlock):
            if token.lower_name == "url":
                target = _url_argument(token)
                if target is None or not FRAGMENT.match(target):
                    return "it points outside the document"
            elif token.lower_name not in _FUNCTIONS:
                return f"{token.name}() is not allowed"
    return None


def _url_argument(function: ast.FunctionBlock) -> str | None:
    arguments = [t for t in function.arguments if not isinstance(t, ast.WhitespaceToken)]
    if len(arguments) == 1 and isinstance(arguments[0], ast.StringToken):
        return str(arguments[0].value)
    return None


def _urls(tokens: Iterable[ast.Node]) -> Iterator[str]:
    for token in _walk(tokens):
        if isinstance(token, ast.URLToken):
            yield str(token.value)
        elif isinstance(token, ast.FunctionBlock) and token.lower_name == "url":
            target = _url_argument(token)
            if target is not None:
                yield target


def _walk(tokens: Iterable[ast.Node]) -> Iterator[ast.Node]:
    """Yield every token, and the tokens inside blocks and function arguments."""
    stack = list(tokens)[::-1]
    while stack:
        token = stack.pop()
        yield token
        if isinstance(token, ast.FunctionBlock):
            stack.extend(reversed(token.arguments))
        elif isinstance(
            token, (ast.ParenthesesBlock, ast.SquareBracketsBlock, ast.CurlyBracketsBlock)
        ):
            stack.extend(reversed(token.content))
