"""What a real secret looks like, as against the stand-ins and code of technical answers."""

import math
import re
from collections import Counter

# Long enough not to turn up by chance inside a random token.
SHAPE_PLACEHOLDERS = ("your", "xxxx", "example", "placeholder", "redacted", "dummy", "...")
PLACEHOLDERS = SHAPE_PLACEHOLDERS + (
    "changeme", "change-me", "change_me", "replace-me", "replace_me", "password", "secret",
    "token", "apikey", "api_key", "***", "os.", "process.", "getenv", "environ", "config",
    "settings",
)  # fmt: skip
# A reference to a value, not the value: $DB_PASSWORD, ${TOKEN}, %APPDATA%, <token>, {{ key }}.
_TEMPLATE = re.compile(r"^[$%<{]|\$[({]|\{\{|<[^>]*>|%\w+%")
_HASH_OR_ID = re.compile(
    r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128}|[0-9A-F]{32}|[0-9A-F]{40}|[0-9A-F]{64}"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?:sha\d*|md5|blake\w*)[:=-]?[0-9a-fA-F]+"
)
_CODE = re.compile(
    r"://|[()\[\]\\]|\d+\.\d+\.\d+|\.(?:py|js|json|txt|ya?ml|toml|sh|cfg|ini|log|html|md)$"
)
_PATH = re.compile(r"(?:~|\.{1,2})?(?:/[\w.@-]*)+")
_IDENTIFIER = re.compile(r"[a-z][a-z_]*|[A-Z][A-Z_]*|[a-z]+(?:[A-Z][a-z]+)+|(?:[A-Z][a-z]+){2,}")
_DOTTED_NAME_OR_NUMBER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[\d.:/-]+")


def is_placeholder(value: str) -> bool:
    """True for stand-ins such as YOUR_API_KEY, <token>, $DB_PASSWORD, my_password, os.getenv."""
    lowered = value.lower()
    if any(word in lowered for word in PLACEHOLDERS) or len(set(lowered)) <= 3:
        return True
    if _TEMPLATE.search(value):
        return True
    letters = value.replace("_", "")
    if letters.isupper() and letters.isalpha():
        return True  # an environment variable's name
    # A secret mixes letters with digits or symbols; a bare word is a name, not a value.
    return not (any(c.isalpha() for c in value) and any(not c.isalpha() for c in value))


def looks_like_code(value: str) -> bool:
    """A path, a URL, a call, a dotted name, a number or a bare identifier (snake_case,
    camelCase, CONSTANT): what code assigns where a secret might be."""
    return bool(
        _CODE.search(value)
        or _DOTTED_NAME_OR_NUMBER.fullmatch(value)
        or _IDENTIFIER.fullmatch(value)
        or (_PATH.fullmatch(value) and not any(map(_generated, value.split("/"))))
    )


def _generated(part: str) -> bool:
    """Long and mixing lower case, upper case and digits, as generated keys do."""
    return len(part) >= 16 and all(
        any(test(c) for c in part) for test in (str.islower, str.isupper, str.isdigit)
    )


def looks_random(value: str) -> bool:
    """A value whose name says nothing, judged by itself: long, mixed and unpredictable like a
    generated key, and not a hash, a UUID, a path, a dotted name or a number."""
    if len(value) < 16 or len(value) > 200 or is_placeholder(value):
        return False
    if _HASH_OR_ID.fullmatch(value) or looks_like_code(value):
        return False
    if sum(c.isdigit() for c in value) < 2 or sum(c.isalpha() for c in value) < 2:
        return False  # a generated key of this length all but always has both
    classes = sum(
        any(test(c) for c in value) for test in (str.islower, str.isupper, str.isdigit)
    ) + any(not c.isalnum() for c in value)
    return classes >= 3 and bits_per_character(value) >= 3.5 and _jumpy(value)


def _jumpy(value: str) -> bool:
    """Generated keys switch between lower case, upper case, digits and symbols every other
    character; values made of words ("staging-cluster-2024-blue") switch rarely."""
    kinds = [c.islower() + 2 * c.isupper() + 3 * c.isdigit() for c in value]
    switches = sum(a != b for a, b in zip(kinds, kinds[1:], strict=False))
    return switches >= 0.4 * (len(value) - 1)


def bits_per_character(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
