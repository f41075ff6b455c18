"""Markdown to safe HTML: markdown-it-py parses, Pygments highlights, nh3 sanitises."""

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True)
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


# Raw HTML in answers is shown as text ("html": False); nh3 is the second line of defence.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable("table")


def sanitise(html: str) -> str:
    """Keep formatting and highlighting classes; drop scripts, handlers and unsafe URLs."""
    return nh3.clean(html, attributes=_ALLOWED_ATTRIBUTES)


def markdown_to_html(text: str) -> str:
    return sanitise(_MARKDOWN.render(text or ""))
