"""Marks a domain message for translation without importing Flask.

`N_` returns its text unchanged; `pybabel extract -k N_` collects it, and the web layer
translates the message when it reaches a page (`arena.web.i18n.localized`)."""


def N_(text: str) -> str:  # noqa: N802 - gettext's conventional name for a no-op marker
    return text
