"""Passwords and keys outside the shapes presidio's recognisers know: ssh-style
`user:password@host`, shell assignments, connection-string parts and command-line flags
whatever the variable's or the flag's name, and passwords told in prose in several languages
("my password is ...", "Passwort lautet ...", "密码是 ...", "login is admin / ...").

A name that says "secret" (password, token, key, ...) is enough with a value that mixes
letters with digits or symbols; any other name needs a value that looks generated (long, mixed,
unpredictable), so `export PATH=...`, `--output build/` and `--model gpt-4o` stay.
"""

import re
from collections.abc import Iterator

from arena.chats.pii.placeholders import is_placeholder, looks_like_code, looks_random

SECRET_WORDS = (
    r"(?:password|passwd|passphrase|passcode|pass|pwd|pw|secret|token|api[_-]?key|apikey|key|"
    r"auth|credentials?|private[_-]?key)"
)
_VALUE = r"(?P<value>[^\s\"'`,;]{6,200})"
_SSH_CREDENTIALS = re.compile(
    r"(?<![\w/@:.%+-])(?P<user>[A-Za-z0-9._-]{1,32}):(?P<value>[^\s:@/\"'`<>]{4,64})@"
    r"(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|localhost)(?::\d{1,5})?(?![\w.-]*@)"
)
# "password = ...", "API_KEY: ...": the key ends in a secret's name.
_NAMED_ASSIGNMENT = re.compile(
    r"(?i:(?=[psatem])(?:password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|"
    r"auth[_-]?token|access[_-]?token|token|(?:secret|private|signing|encryption|master)[_-]?key))"
    r"[\"']?[ \t]{0,3}[:=][ \t]{0,3}[\"']?"
    r"(?P<value>[^\s\"'`,;(){}\[\]<>]{6,}+)(?![(.\w])"
)
_BEARER = re.compile(r"(?:[Bb]earer|[Bb]asic)[ \t]{1,3}(?P<value>[A-Za-z0-9._~+/-]{16,}=*)")
_SHELL_ASSIGNMENT = re.compile(
    rf"(?m:^[ \t]*(?:export\s+|set\s+|\$env:|ENV\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)"
    rf"=[\"']?{_VALUE})"
)
_FLAG = re.compile(rf"(?P<key>--[A-Za-z][\w-]*|-p|-u)(?:[ \t]+|=)[\"']?{_VALUE}")
# mysql -pPASSWORD: the only common command that takes a password glued to its flag.
_GLUED_PASSWORD_FLAG = re.compile(rf"\b(?:mysql\w*|mariadb\w*)\b[^\n]*?[ \t]-p{_VALUE}")
# The lookahead on the first letter lets the scan skip most positions at once.
_PASSWORD_WORDS = (
    r"(?=[pkmcswlhп密パ비])(?:(?:pass(?:word|wd| word|code|phrase|wort)|\bpin|pwd|\bpw|kennwort|"
    r"mot de passe|contraseña|senha|wachtwoord|parola d'ordine|lösenord|hasło|пароль)\b"
    r"|密码|密碼|パスワード|비밀번호)"
)
_VERBS = r"(?:is|was|lautet|ist|war|est|était|es|era|é)\b|[:=是为為は는]"
# Scripts without spaces end a value where the sentence goes on: "密码是 Qw3rty!@#2023，帮我".
_VALUE_END = "\\s\"'”’」、。\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af"
_PROSE = re.compile(
    rf"(?i:{_PASSWORD_WORDS}"
    r"(?:\s+(?:for|to|on|of|für|pour|de|para|van|voor)\s+(?:[\w'.-]+\s+){0,3}?)?"
    rf"\s*(?P<verb>{_VERBS})\s*)[\"'“‘「]?(?P<value>[^{_VALUE_END}]{{4,64}})"
)
# "the router login is admin / Fr1tzB0x#55": a user name, a slash, then the password.
_USER_SLASH_PASSWORD = re.compile(
    r"(?i:(?=[lcuaz])\b(?:log-?in|credentials|creds|user(?:name)?|account|zugangsdaten|identifiants)\b)"
    r"[^\n]{0,30}?(?<![\w/.-])[\w.@+-]{2,40}[ \t]+/[ \t]+(?P<value>[^\s\"'`,;]{6,64})"
)
# "...;AccountKey=...;": the parts of a connection string (Azure, ADO.NET, ODBC).
_CONNECTION_STRING_PART = re.compile(
    r";[ \t]*(?P<key>[A-Za-z][\w ]{0,30})=(?P<value>[^;\s\"'`]{6,200})(?=;|\s|$)"
)
_PATH_LIKE = re.compile(r"/|\\")
_FIRST_PERSON = re.compile(r"(?i:\b(?:my|our)\s+)$")
_PROSE_STOPWORDS = {
    "the", "a", "an", "not", "too", "very", "weak", "strong", "correct", "wrong", "incorrect",
    "being", "still", "now", "required", "invalid", "valid", "expired", "empty",
    "stored", "hashed", "encrypted", "saved", "set", "reset", "changed", "case", "long", "short",
    "missing", "wrong.", "different", "same", "used", "needed", "optional", "blank", "secure",
}  # fmt: skip


def find_credentials(text: str) -> Iterator[tuple[int, int, str]]:
    """Spans of credentials, each with its kind (URL_CREDENTIALS or SECRET)."""
    if "@" in text:
        for found in _SSH_CREDENTIALS.finditer(text):
            if _named_secret(found["value"]) and found["user"].lower() != "mailto":
                yield found.start(), found.end(), "URL_CREDENTIALS"
    for found in _NAMED_ASSIGNMENT.finditer(text):
        if _named_secret(found["value"]):
            yield *found.span("value"), "SECRET"
    for found in _BEARER.finditer(text):
        if not is_placeholder(found["value"]):
            yield *found.span("value"), "SECRET"
    for pattern in (_SHELL_ASSIGNMENT, _FLAG, _CONNECTION_STRING_PART):
        for found in pattern.finditer(text):
            if _flag_start_ok(text, found) and _secret_value(found["key"], found["value"]):
                yield *found.span("value"), "SECRET"
    if "mysql" in text or "mariadb" in text:
        for found in _GLUED_PASSWORD_FLAG.finditer(text):
            if _named_secret(found["value"]) and not found["value"].isdigit():
                yield *found.span("value"), "SECRET"
    for found in _USER_SLASH_PASSWORD.finditer(text):
        start, end = found.span("value")
        end -= len(found["value"]) - len(found["value"].rstrip(".,;:!?)"))
        if _named_secret(text[start:end]) and not _PATH_LIKE.search(text[start:end]):
            yield start, end, "SECRET"
    for found in _PROSE.finditer(text):
        start, end = found.span("value")
        end -= len(found["value"]) - len(found["value"].rstrip(".,;:?)"))
        if end - start >= 4 and _told_password(text, found, text[start:end]):
            yield start, end, "SECRET"


def _flag_start_ok(text: str, found: re.Match) -> bool:
    """A flag starts a word: not the "-p" inside "--no-p" or "set-password"."""
    if found.re is _CONNECTION_STRING_PART:
        return True
    start = found.start("key") if found.re is _FLAG else found.start()
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "-_")


def _secret_value(key: str, value: str) -> bool:
    value = value.rstrip(".")
    if key == "-u":  # curl -u user:password
        user, _, password = value.partition(":")
        return bool(user) and _named_secret(password)
    if re.search(SECRET_WORDS + "$", key, re.IGNORECASE):  # --api-key, DB_PASS; not --key-file
        return _named_secret(value)
    return looks_random(value)


def _named_secret(value: str) -> bool:
    if len(value) < 6 or looks_like_code(value):
        return False
    return not is_placeholder(value) or _random_letters(value)


def _random_letters(value: str) -> bool:
    """Letters alone, but in the mixed case of a generated token ("ahAefYVMJapDDMFuucHACwqi"),
    not a word or a CamelCase name."""
    switches = sum(a.isupper() != b.isupper() for a, b in zip(value, value[1:], strict=False))
    return len(value) >= 16 and value.isalpha() and switches >= len(value) / 3


def _told_password(text: str, found: re.Match, value: str) -> bool:
    if value.lower() in _PROSE_STOPWORDS or is_placeholder_word(value) or "(" in value:
        return False
    first_person = _FIRST_PERSON.search(text, max(0, found.start() - 8), found.start())
    if first_person and found["verb"].lower() in ("is", "was"):
        return len(value) >= 4  # told outright: even a plain word is the password
    return _named_secret(value)


def is_placeholder_word(value: str) -> bool:
    return value.startswith(("<", "[", "{", "$", "*")) or "..." in value
