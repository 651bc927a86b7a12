"""Template extensions that make rendering a large site fast.

Shared fragments: ``{% shared key, … %}…{% endshared %}`` renders once per key.

A site repeats whole parts of its pages: a badge's criteria on every award page of that
badge, the footer and the scripts' tags on every page of a language. A theme marks such a
part with the values it depends on; the build renders it once for each set of values and
reuses the text, which halves the time to render a large site. The block must depend on
nothing else than its keys and the site itself (issuer, addresses, texts): a value of one
page used inside it would show on every page that shares it. Links inside it are relative
to the page, so pages that share one must sit at the same depth: ``link('')`` as a key says
so. The cache lives as long as the template environment, one build.

Constant texts: ``t('key')`` with a literal key is read as ``s['key']``, a lookup in the
page language's texts rather than a function call (pages call it dozens of times).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.parser import Parser
from markupsafe import Markup

TEXTS = "s"  # the page language's texts, as the renderer names them in the context


class SharedFragments(Extension):
    """The ``shared`` tag: a block rendered once for each value of its keys."""

    tags = {"shared"}  # noqa: RUF012 - Jinja reads this class attribute

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.rendered: dict[tuple[Hashable, ...], Markup] = {}

    def parse(self, parser: Parser) -> nodes.Node:
        """Read ``{% shared k1, k2 %} body {% endshared %}`` into a lookup, else a rendering.

        The nodes amount to ``{% if found(key) %}{{ text(key) }}{% else %}{% set v %}body
        {% endset %}{{ keep(key, v) }}{% endif %}``: plain code, where a call block would
        make a macro object on every page.
        """
        lineno = next(parser.stream).lineno
        keys: list[nodes.Expr] = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            keys.append(parser.parse_expression())
        body = parser.parse_statements(("name:endshared",), drop_needle=True)
        # The block's place in its template is part of the key: two blocks never collide.
        key = nodes.Tuple([nodes.Const(f"{parser.name}:{lineno}"), *keys], "load")
        variable = f"_shared_{lineno}"
        render = [
            nodes.AssignBlock(nodes.Name(variable, "store"), None, body),
            nodes.Output([self.call_method("_keep", [key, nodes.Name(variable, "load")])]),
        ]
        found = self.call_method("_found", [key])
        text = nodes.Output([self.call_method("_text", [key])])
        return nodes.If(found, [text], [], render).set_lineno(lineno)

    def _found(self, key: tuple[Hashable, ...]) -> bool:
        return key in self.rendered

    def _text(self, key: tuple[Hashable, ...]) -> Markup:
        return self.rendered[key]

    def _keep(self, key: tuple[Hashable, ...], text: str) -> Markup:
        self.rendered[key] = Markup(text)
        return self.rendered[key]


class MissingTextError(Exception):
    """A template names a text that the theme's strings do not have.

    Not a LookupError: Jinja would turn that into an undefined value and lose the name.
    """


class Texts(dict[str, str]):
    """The texts of one language, by key; a missing one is an error that names it."""

    def __missing__(self, key: str) -> str:
        raise MissingTextError(f"string '{key}' is missing from the theme's strings.yaml")


class ConstantTexts(Extension):
    """Read ``t('key')`` (a literal key, no values) as ``s['key']``."""

    def filter_stream(self, stream: TokenStream) -> Any:
        """Rewrite the four tokens ``t ( 'key' )`` unless ``t`` is an attribute."""
        window: list[Token] = []
        previous = ""
        for token in stream:
            window.append(token)
            if len(window) < 4:
                continue
            if _is_constant_text(window) and previous != "dot":
                name, _, key, _ = window
                yield Token(name.lineno, "name", TEXTS)
                yield Token(name.lineno, "lbracket", "[")
                yield key
                yield Token(name.lineno, "rbracket", "]")
                previous = "rbracket"
                window = []
                continue
            first = window.pop(0)
            previous = first.type
            yield first
        yield from window


def _is_constant_text(window: list[Token]) -> bool:
    name, opening, key, closing = window
    return (
        name.type == "name"
        and name.value == "t"
        and opening.type == "lparen"
        and key.type == "string"
        and closing.type == "rparen"
    )
