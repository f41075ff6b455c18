"""IP addresses, judged by who wrote them.

A person who writes an address ("the shop at 203.0.113.45 charged me twice", "my router is
192.168.1.1") may be giving away their own network, whatever its range, so in their messages
every address goes. Models use loopback, private and documentation ranges and the public
resolvers as examples in technical answers, so in model answers only the other public
addresses are redacted.
"""

import ipaddress
import re
from collections.abc import Iterator

PUBLIC_RESOLVERS = {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "208.67.222.222"}
_VERSION_BEFORE = re.compile(r"(?i:\bv|version\s?|release\s?|build\s?)$")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_CANDIDATE = re.compile(
    rf"(?<![\w.:])(?:{_IPV4}(?:/\d{{1,2}})?(?![\w])"
    rf"|(?:[0-9A-Fa-f]{{1,4}}|:)?(?::[0-9A-Fa-f]{{0,4}}){{2,7}}(?:(?<=:){_IPV4})?(?:%\w+)?"
    rf"(?:/\d{{1,3}})?(?![\w:]|\.\d))"
)


def find_ip_addresses(text: str, author: str) -> Iterator[tuple[int, int]]:
    """Spans of IP addresses: all of them in a person's text, public ones in a model's."""
    for found in _CANDIDATE.finditer(text):
        start, end = found.span()
        if (
            not _valid(found.group())
            or _inside_dotted_number(text, start, end)
            or _VERSION_BEFORE.search(text[max(0, start - 9) : start])
        ):
            continue
        if author == "model" and not _public(text[start:end]):
            continue
        yield start, end


def _valid(written: str) -> bool:
    if ":" in written and written != "::1" and len(re.findall(r"[0-9A-Fa-f]+", written)) < 2:
        return False  # a slice ("a[::2]") or a C++ scope, not an address
    try:
        ipaddress.ip_interface(written)
    except ValueError:
        return False
    return True


def _public(written: str) -> bool:
    try:
        address = ipaddress.ip_interface(written).ip
    except ValueError:
        return False
    return address.is_global and str(address) not in PUBLIC_RESOLVERS


def _inside_dotted_number(text: str, start: int, end: int) -> bool:
    """ "1.3.21.1" inside an SNMP OID or a longer version number is no address at all."""
    before, after = text[max(0, start - 2) : start], text[end : end + 2]
    return bool(re.fullmatch(r"\d\.", before) or re.fullmatch(r"\.\d", after))
