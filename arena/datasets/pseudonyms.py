"""Opaque names for judges and rows: keyed hashes, so no user id, vote id or chat id is
published, and nobody without the server's secret can link a pseudonym back.

The key is derived from the site's secret and the community: a judge keeps one pseudonym in
every download of a community's data sets (releases can be joined, and the CLI and the API give
the same rows), and gets another in each community, so a person's votes in two communities
cannot be linked through the data sets.
"""

import hashlib
import hmac

DIGITS = 16  # 64 bits: no collision to expect below billions of rows


class Pseudonyms:
    def __init__(self, secret: bytes, community_slug: str):
        self._key = hmac.new(secret, f"datasets:{community_slug}".encode(), "sha256").digest()

    def _hash(self, kind: str, *parts: object) -> str:
        message = ":".join([kind, *map(str, parts)]).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:DIGITS]

    def judge(self, voter_id: int) -> str:
        return "judge_" + self._hash("judge", voter_id)

    def row(self, kind: str, *parts: object) -> str:
        return f"{kind}_" + self._hash(kind, *parts)
