"""Markdown to safe HTML: markdown-it-py parses, Pygments highlights, nh3 sanitises."""

from html import escape

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True)
_ALLOWED_TAGS = nh3.ALLOWED_TAGS - {"img"}
_ALLOWED_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "div": {"class"},
}


def _highlight(code: str, language: str, _attrs) -> str:
    if not language:
        return ""  # an empty result lets markdown-it escape the code itself
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return ""
    return highlight(code, lexer, _FORMATTER)


def _image_as_link(renderer, tokens, index, options, env) -> str:
    """Answers may embed remote images; loading them would tell a third party who votes."""
    token = tokens[index]
    source = escape(token.attrGet("src") or "")
    label = escape(renderer.renderInlineAsText(token.children or [], options, env) or "image")
    return f'<a href="{source}">[image: {label}]</a>'


# Raw HTML in answers is shown as text ("html": False); nh3 is the second line of defence.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable("table")
_MARKDOWN.add_render_rule("image", _image_as_link)


def sanitise(html: str) -> str:
    """Keep formatting and highlighting classes; drop scripts, handlers and unsafe URLs."""
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES)


def markdown_to_html(text: str) -> str:
    return sanitise(_MARKDOWN.render(text or ""))
