"""Whose texts a data set row holds and on what terms: the seeds' benchmark licences (see
seeds/README.md) or the licence a contributor chose when sharing the chat."""

from dataclasses import dataclass

from arena.models import User

CC_BY = "CC-BY-4.0"
# Votes cast on this site are facts the site publishes; the texts keep their own licences.
VOTES_LICENCE = "CC0-1.0"

MIT_PERMISSION = (
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this "
    'software and associated documentation files (the "Software"), to deal in the Software '
    "without restriction, including without limitation the rights to use, copy, modify, merge, "
    "publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons "
    "to whom the Software is furnished to do so, subject to the following conditions: The above "
    "copyright notice and this permission notice shall be included in all copies or substantial "
    'portions of the Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.'
)
APACHE_TERMS = (
    "Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0): keep this notice and the "
    "licence with the data and state your changes. Changed here: first turns only, answers that "
    "name a model and prompts left with fewer than two answers removed (seeds/README.md)."
)


@dataclass(frozen=True)
class Source:
    licence: str
    credit: str  # the attribution each row carries
    terms: str  # what a user of the data must do, for the data statement


# Prompt origins of the seeded benchmarks (voting/seeding.py names them "seed:<file>").
SEEDS = {
    "seed:mt_bench": Source(
        "Apache-2.0",
        "MT-Bench questions and answers by LMSYS (FastChat llm_judge), changed",
        APACHE_TERMS,
    ),
    "seed:arena_hard": Source(
        "Apache-2.0",
        "Arena-Hard-Auto v0.1 prompts and answers by LMSYS / lmarena, changed",
        APACHE_TERMS,
    ),
    "seed:vicuna80": Source(
        "MIT",
        "Vicuna-80 questions, answers and human votes: Copyright (c) 2023 bcdnlp (PRD); "
        "Copyright (c) 2023 Artidoro Pagnoni, Tim Dettmers (QLoRA)",
        "MIT License: keep the copyright notices above and this permission notice. "
        + MIT_PERMISSION,
    ),
}
SHARED_TERMS = {
    "CC0-1.0": "CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/): no conditions.",
    CC_BY: "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/): credit each row's "
    "contributor as its `attribution` column names them, link the licence, say what you changed.",
}


@dataclass(frozen=True)
class RowLicence:
    licence: str
    attribution: str | None  # None: nobody needs crediting (CC0)


def row_licence(origin: str, chat_licence: str | None, contributor: User | None) -> RowLicence:
    """The licence of a row's texts. Unknown origins never reach here (selection excludes
    them)."""
    if origin in SEEDS:
        source = SEEDS[origin]
        return RowLicence(source.licence, source.credit)
    if chat_licence == CC_BY and contributor is not None:
        # The name the contributor shows on the site's boards, "Anonymous" if they chose so.
        return RowLicence(CC_BY, f"{contributor.public_name} (shared on Crowd Arena)")
    return RowLicence(chat_licence or "unknown", None)


def terms_of(licence: str, origins: set[str]) -> str:
    """The statement's sentence on one licence."""
    seeded = [SEEDS[o] for o in sorted(origins) if o in SEEDS and SEEDS[o].licence == licence]
    if seeded:
        return " ".join(dict.fromkeys(f"{s.credit}. {s.terms}" for s in seeded))
    return SHARED_TERMS.get(licence, "Unknown terms.")
