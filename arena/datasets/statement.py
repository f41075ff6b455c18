"""The data statement every export carries: licences, the community and its curation rules,
time range, counts, who voted and how concentrated, languages, how consensus was reached, known
gaps and biases, how to report a problem. One dict: the API's JSON, the page and the CLI's
Markdown file all show it."""

import math
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.auditing.settings import AuditRules, load_settings
from arena.core.clock import as_utc
from arena.core.language import name_for_code
from arena.datasets import preferences, thumbs
from arena.datasets.licences import SEEDS, VOTES_LICENCE, terms_of
from arena.datasets.selection import PUBLISHED, REASONS, Release, exclusions, included_votes
from arena.models import Prompt, Vote
from arena.models.chats import ACCEPTED, SharedChat
from arena.voting.selection import LIVE_ORIGIN

TOP_SHARE = 0.10  # concentration: the share of votes cast by the most active tenth of voters
LANGUAGES = (
    "Detected per prompt from its text when it was stored (py3langid over the 29 languages of "
    "arena/core/language.py; code blocks and links set aside). Each row carries `language`: "
    "FastChat's name in battles (`unknown` when not detected), the ISO 639-1 code in dpo, kto "
    "and csv (empty when not detected). Votes"
)
PSEUDONYMS = (
    "Judges of votes cast here are `judge_` and a keyed hash of the voter (HMAC-SHA-256 under a "
    "key derived from the site's secret and this community): one person keeps one pseudonym in "
    "every download of this community's data sets and has another in each other community. No "
    "username, user id, vote id or chat id is published; row ids are keyed hashes too. Imported "
    "votes keep their source study's pseudonym."
)


def build(
    session: Session, release: Release, now: datetime, rules: AuditRules | None = None
) -> dict:
    community = release.community
    rules = rules or load_settings().rules_for(community.slug)
    votes, span = _vote_facts(session, release)
    pairs = _pair_counts(session, release)
    voters = _voters(session, release)
    return {
        "title": f"Crowd Arena: {community.name} preference data",
        "community": {
            "slug": community.slug,
            "name": community.name,
            "description": community.description,
            "guidelines": community.guidelines,
            "question": community.question or None,
        },
        "generated_at": as_utc(now).isoformat(),
        "licences": _licences(session, release),
        "votes_licence": f"{VOTES_LICENCE}: the votes themselves (who preferred what) are "
        "published without conditions; each row's texts keep the licence in its `licence` column.",
        "curation": _curation(rules),
        "time_range": {**span, **_chat_range(session, release)},
        "counts": {**votes, **pairs, "rated_answers": thumbs.count(session, release)},
        "excluded_votes": {
            reason: {"votes": count, "why": REASONS[reason]}
            for reason, count in exclusions(session, community).items()
        },
        "voters": voters,
        **_languages(session, release),
        "consensus": _consensus(release),
        "pseudonyms": PSEUDONYMS,
        "known_gaps": _known_gaps(voters, votes),
        "report_a_problem": (
            "Flag the prompt or answer from its battle in the arena (holders of the flag "
            f"privilege), or write to the moderators of {community.name} (named on "
            f"/communities/{community.slug}), quoting the row's `id`. Contributors withdraw their "
            "own chats at /chats at any time; later downloads leave them out."
        ),
    }


def top_share(counts: list[int], fraction: float = TOP_SHARE) -> float | None:
    """Share of all votes cast by the most active `fraction` of voters (at least one voter)."""
    if not counts:
        return None
    top = math.ceil(fraction * len(counts))
    return sum(sorted(counts, reverse=True)[:top]) / sum(counts)


def gini(counts: list[int]) -> float | None:
    """Gini coefficient of votes per voter: 0 when all cast as many, towards 1 when one casts
    nearly all."""
    if not counts:
        return None
    ordered, total, n = sorted(counts), sum(counts), len(counts)
    weighted = sum(rank * count for rank, count in enumerate(ordered, start=1))
    return 2 * weighted / (n * total) - (n + 1) / n


def _languages(session: Session, release: Release) -> dict:
    """The included votes per language of their prompt, most first, in words and as numbers."""
    rows = session.execute(
        included_votes(session, release.community, Prompt.language, func.count(Vote.id)).group_by(
            Prompt.language
        )
    ).tuples()
    counts = Counter({code or "unknown": count for code, count in rows})
    listed = "; ".join(
        f"{name_for_code(code)} (`{code}`): {count}" for code, count in counts.most_common()
    )
    return {
        "languages": f"{LANGUAGES}: {listed or 'none'}.",
        "language_votes": dict(counts.most_common()),
    }


def _vote_facts(session: Session, release: Release) -> tuple[dict, dict]:
    """(counts, time range) of the included votes."""
    count, prompts, first, last = session.execute(
        included_votes(
            session,
            release.community,
            func.count(Vote.id),
            func.count(Vote.prompt_id.distinct()),
            func.min(Vote.created_at),
            func.max(Vote.created_at),
        )
    ).one()
    counts = {"votes": count, "prompts": prompts}
    return counts, {"first_vote": _iso(first), "last_vote": _iso(last)}


def _pair_counts(session: Session, release: Release) -> dict:
    kinds, models = Counter(), set()
    for pair in preferences.pair_votes(session, release):
        models |= {pair.low, pair.high}
        if not pair.shares_a_prompt:
            kinds["pairs_without_shared_prompt"] += 1
        elif pair.outcome in preferences.PREFERENCES:
            kinds["preference_pairs"] += 1
        else:
            kinds["unresolved_pairs"] += 1
    return {
        "models": len(models),
        "preference_pairs": kinds["preference_pairs"],
        "unresolved_pairs": kinds["unresolved_pairs"],
        "pairs_without_shared_prompt": kinds["pairs_without_shared_prompt"],
    }


def _voters(session: Session, release: Release) -> dict:
    live = list(
        session.scalars(
            included_votes(session, release.community, func.count(Vote.id))
            .where(Vote.origin == LIVE_ORIGIN, Vote.voter_id.is_not(None))
            .group_by(Vote.voter_id)
        )
    )
    imported = dict(
        session.execute(
            included_votes(session, release.community, Vote.judge, func.count(Vote.id))
            .where(Vote.origin != LIVE_ORIGIN)
            .group_by(Vote.judge)
        )
        .tuples()
        .all()
    )
    share, coefficient = top_share(live), gini(live)
    return {
        "people": len(live),
        "live_votes": sum(live),
        "imported_votes": sum(imported.values()),
        "imported_judges": {str(judge): n for judge, n in sorted(imported.items(), key=str)},
        "top_10_percent_share": None if share is None else round(share, 4),
        "gini": None if coefficient is None else round(coefficient, 4),
    }


def _licences(session: Session, release: Release) -> list[dict]:
    """Each licence with the votes and rated answers whose texts carry it."""
    rows = session.execute(
        included_votes(
            session, release.community, Prompt.origin, SharedChat.licence, func.count(Vote.id)
        ).group_by(Prompt.origin, SharedChat.licence)
    ).tuples()
    found: dict[str, dict] = {}
    for origin, chat_licence, count in rows:
        licence = SEEDS[origin].licence if origin in SEEDS else chat_licence
        entry = found.setdefault(licence, {"votes": 0, "rated_answers": 0, "origins": set()})
        entry["votes"] += count
        entry["origins"].add(origin)
    for licence, count in thumbs.licence_counts(session, release).items():
        entry = found.setdefault(licence, {"votes": 0, "rated_answers": 0, "origins": set()})
        entry["rated_answers"] += count
    return [
        {
            "licence": licence,
            "votes": entry["votes"],
            "rated_answers": entry["rated_answers"],
            "terms": terms_of(licence, entry["origins"]),
        }
        for licence, entry in sorted(found.items())
    ]


def _chat_range(session: Session, release: Release) -> dict:
    first, last = session.execute(
        select(func.min(SharedChat.created_at), func.max(SharedChat.created_at))
        .where(SharedChat.community_id == release.community.id)
        .where(SharedChat.review_status == ACCEPTED, SharedChat.status == PUBLISHED)
    ).one()
    return {"first_shared_chat": _iso(first), "last_shared_chat": _iso(last)}


def _curation(rules: AuditRules) -> dict:
    return {
        "decide_at": rules.decide_at,
        "dispute_at": rules.dispute_at,
        "known_answer_share": rules.known_answer_share,
        "moderator_decision_binding": True,
        "summary": (
            f"Every shared chat waits in the community's audit queue. {rules.decide_at} agreeing "
            f"audits accept or reject it; after {rules.dispute_at} audits without a decision it "
            "goes to the moderators, whose decision is binding. Auditors see chats without their "
            f"contributor (double blind); {rules.known_answer_share:.0%} of the items they are "
            "served have a known verdict, and auditors who fail them repeatedly pause. Seeded "
            "benchmark prompts are not audited (their `audit_status` is `benchmark`)."
        ),
    }


def _consensus(release: Release) -> str:
    text = (
        "Each vote is one person's blind choice between two answers to one prompt (sides "
        "shuffled): A better, B better, tie, or both bad. `battles` and `csv` hold every vote. "
        "`dpo` and `openai-dpo` hold one row per prompt and pair of answers: its outcome is the "
        "option most of the pair's votes chose, `agreement` the share of votes it got. Pairs "
        "whose outcome is a tie, both bad or a split (two options with the most votes) are left "
        "out, or kept and flagged in `outcome` with `ties=flag` (dpo only). `kto` holds the "
        "thumbs up or down contributors gave answers in their own chats."
    )
    question = release.community.question
    if question:
        text += (
            f" After a vote, voters may answer the community's question ({question!r}) about "
            "the answer they chose: `question` in dpo, `question_answer` in csv."
        )
    return text


def _known_gaps(voters: dict, votes: dict) -> list[str]:
    gaps = [
        "Voters chose to take part: they are no random sample of any population."
        + (
            f" The most active tenth of them cast {voters['top_10_percent_share']:.0%} of the "
            "votes cast here."
            if voters["top_10_percent_share"] is not None
            else ""
        ),
        "A pair's outcome can rest on a single vote: filter on `vote_count` and `agreement`.",
        "Seeded prompts are public benchmarks (MT-Bench, Arena-Hard-Auto, Vicuna-80); models "
        "may have seen them in training. Their imported votes come from two published studies.",
        "Models of shared chats are named by the contributor's chat UI and cannot be verified.",
        "System prompts of shared chats are left out; multi-turn custom battles, whose two "
        "answers continue different earlier turns, are in `battles` and `csv` only.",
        "Personal data was removed automatically and by hand before anything was stored; "
        "some may remain. Report it (below).",
        "Answers are model outputs; their providers' terms may apply to them as well.",
        "Published answers can be looked up by voters of the live arena, where the same pairs "
        "may still be served.",
    ]
    if voters["imported_votes"]:
        gaps.append("Imported votes carry the time they were imported, not when they were cast.")
    if votes["votes"] == 0:
        gaps.insert(0, "No vote qualifies yet: the data sets are empty.")
    return gaps


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None
