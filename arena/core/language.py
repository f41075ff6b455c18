"""The language of a prompt: an ISO 639-1 code, or None when the text has too little prose to
call (only code, numbers or a link).

py3langid (BSD-3, a model inside the package, nothing downloaded) restricted to LANGUAGES,
chosen by bench/language_detection.py (BENCHMARKS.md). Code blocks, links and lines that read
as code are set aside first, so a question around a code block is judged by its prose.
"""

import re
import threading

# The languages a prompt may be labelled with (the common ones on the Chatbot Arena), with the
# English names FastChat's battle files use in their `language` field.
LANGUAGES = {
    "en": "English",
    "zh": "Chinese",
    "ru": "Russian",
    "es": "Spanish",
    "de": "German",
    "fr": "French",
    "ja": "Japanese",
    "ko": "Korean",
    "pt": "Portuguese",
    "it": "Italian",
    "ar": "Arabic",
    "vi": "Vietnamese",
    "pl": "Polish",
    "tr": "Turkish",
    "id": "Indonesian",
    "nl": "Dutch",
    "uk": "Ukrainian",
    "fa": "Persian",
    "hi": "Hindi",
    "th": "Thai",
    "he": "Hebrew",
    "el": "Greek",
    "cs": "Czech",
    "sv": "Swedish",
    "hu": "Hungarian",
    "ro": "Romanian",
    "fi": "Finnish",
    "da": "Danish",
    "bn": "Bengali",
}
# Each language in itself, for menus a speaker scans for their own language.
NATIVE_NAMES = {
    "en": "English",
    "zh": "中文",
    "ru": "Русский",
    "es": "Español",
    "de": "Deutsch",
    "fr": "Français",
    "ja": "日本語",
    "ko": "한국어",
    "pt": "Português",
    "it": "Italiano",
    "ar": "العربية",
    "vi": "Tiếng Việt",
    "pl": "Polski",
    "tr": "Türkçe",
    "id": "Bahasa Indonesia",
    "nl": "Nederlands",
    "uk": "Українська",
    "fa": "فارسی",
    "hi": "हिन्दी",
    "th": "ไทย",
    "he": "עברית",
    "el": "Ελληνικά",
    "cs": "Čeština",
    "sv": "Svenska",
    "hu": "Magyar",
    "ro": "Română",
    "fi": "Suomi",
    "da": "Dansk",
    "bn": "বাংলা",
}
CODE_PATTERN = re.compile(r"[a-z]{2,3}")
_OTHER_NAMES = {"chineset": "zh", "chinese (traditional)": "zh", "farsi": "fa"}
_CODES_BY_NAME = {name.lower(): code for code, name in LANGUAGES.items()} | _OTHER_NAMES

MIN_CONFIDENCE = 0.5
MIN_WORDS = 2
PROSE_CHARS = 2000  # the start of a long prompt says its language as well as the whole
_FENCED = re.compile(r"```.*?(?:```|$)|~~~.*?(?:~~~|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\b(?:https?://|www\.)\S+")
_CODE_SYMBOLS = re.compile(r"[(){}\[\]<>=;#$\\|*]")
CODE_SYMBOL_SHARE = 0.25  # symbols per letter past which a line reads as code
# A word: letters, maybe joined by an apostrophe or a hyphen, maybe between punctuation.
_WORD = re.compile(r"[^\w]*[^\W\d_]+(?:['’-][^\W\d_]+)*[^\w]*")
# Scripts written without spaces between words: a few characters are enough to call.
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")

_lock = threading.Lock()
_identifier = None


def detect_language(text: str | None) -> str | None:
    """The ISO 639-1 code of the text's prose, or None when there is too little to call."""
    prose = prose_of(text or "")
    words = sum(_WORD.fullmatch(token) is not None for token in prose.split())
    if words < MIN_WORDS and len(_UNSPACED.findall(prose)) < MIN_WORDS:
        return None
    code, confidence = _model().classify(prose)
    return code if confidence >= MIN_CONFIDENCE else None


def prose_of(text: str) -> str:
    """The text without code blocks, inline code, links and lines that read as code."""
    text = _LINK.sub(" ", _INLINE_CODE.sub(" ", _FENCED.sub("\n", text[: PROSE_CHARS * 4])))
    lines = [_prose_part(line.strip()) for line in text.splitlines()]
    return " ".join(" ".join(lines).split())[:PROSE_CHARS]


def _prose_part(line: str) -> str:
    """The line, or what a line of code is introduced by ("fix this: int x = 0;"), or nothing."""
    if not _reads_as_code(line):
        return line
    head, colon, _ = line.partition(":")
    return head if colon and not _reads_as_code(head) else ""


def _reads_as_code(line: str) -> bool:
    if line.endswith((";", "{", "}")):
        return True
    letters = sum(char.isalpha() for char in line)
    return len(_CODE_SYMBOLS.findall(line)) > CODE_SYMBOL_SHARE * max(letters, 1)


def _model():
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(sorted(LANGUAGES))
            _identifier = identifier
    return _identifier


def turn_language(text: str, earlier: list[dict]) -> str | None:
    """A user message's language; a follow-up too short to call ("and in Go?") takes the
    language of the user's earlier messages."""
    before = " ".join(turn.get("content") or "" for turn in earlier if turn.get("role") == "user")
    return detect_language(text) or detect_language(before)


def code_for_name(name: str | None) -> str | None:
    """A code from FastChat's language name ("English") or a code itself; None for
    "unknown", empty or anything not in LANGUAGES."""
    text = (name or "").strip().lower()
    if text in LANGUAGES:
        return text
    return _CODES_BY_NAME.get(text)


def name_for_code(code: str | None) -> str:
    """FastChat's name for a code ("en" -> "English"); "unknown" when there is none."""
    return LANGUAGES.get(code or "", "unknown")


def valid_code(code: str | None) -> bool:
    """A language code of the right form (2 or 3 lower-case letters), known or not."""
    return bool(code) and CODE_PATTERN.fullmatch(code) is not None
