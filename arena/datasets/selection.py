"""Which votes a community's data sets hold, and why the others are left out.

One CASE expression names the first reason a vote is left out; a vote without one is in. The
data sets hold only what the audit queue accepted (or public benchmarks), still shared (not
withdrawn), with a known licence, not removed by a moderator after a flag, cast by voters the
published boards count. The votes left out stay in the log.
"""

from dataclasses import dataclass

from sqlalchemy import Select, Text, and_, case, cast, exists, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from arena.core.communities import find_community
from arena.core.errors import InvalidInput
from arena.datasets import texts
from arena.datasets.licences import SEEDS
from arena.datasets.pseudonyms import Pseudonyms
from arena.models import Community, ContentFlag, Prompt, Response, Vote, VoterWeight
from arena.models.chats import ACCEPTED, REJECTED, SharedChat
from arena.voting import selection as boards

TIES = ("exclude", "flag")
WITHDRAWN, PUBLISHED = "withdrawn", "published"
UPHELD, REMOVE = "upheld", "remove"
# Why a vote is left out, in the order the reasons are checked.
REASONS = {
    "withdrawn": "its chat was withdrawn by its contributor",
    "rejected": "its chat was rejected by the auditors",
    "awaiting_review": "its chat is not accepted yet (pending, or disputed before moderators)",
    "removed_by_flag": "a moderator removed its prompt or one of its answers after a flag",
    "unknown_licence": "its texts are not from the seeded benchmarks nor from a shared chat, so "
    "their licence is unknown (battles imported from elsewhere, votes without texts)",
    "voter_not_counted": "its voter is on probation or excluded, as on the published boards",
    "voter_weighed_down": "the integrity scan weighs its voter down in this community",
}


@dataclass(frozen=True)
class Release:
    """One community's data sets as one request or command exports them."""

    community: Community
    pseudonyms: Pseudonyms
    model_names: dict[int, str]
    ties: str = "exclude"  # dpo only: "flag" keeps tie, both-bad and split pairs, flagged


def release(session: Session, slug: str, secret: bytes, ties: str = "exclude") -> Release:
    if ties not in TIES:
        raise InvalidInput(f"ties must be one of {', '.join(TIES)}.")
    community = find_community(session, slug)
    pseudonyms = Pseudonyms(secret, community.slug)
    return Release(community, pseudonyms, texts.model_names(session), ties)


def with_sources(query: Select) -> Select:
    """The joins every rule reads: a vote's prompt and the shared chat it was mined from."""
    return query.outerjoin(Prompt, Prompt.id == Vote.prompt_id).outerjoin(
        SharedChat, SharedChat.id == Prompt.shared_chat_id
    )


def exclusion_reason(session: Session, community: Community):
    """SQL: the first reason a vote is left out, NULL when it is in."""
    counted = boards.vote_filter(select(Vote.id), session, boards.BoardKey(community.slug))
    in_shared_chat = SharedChat.id.is_not(None)
    known_licence = or_(Prompt.origin.in_(list(SEEDS)), in_shared_chat)
    return case(
        (SharedChat.status == WITHDRAWN, "withdrawn"),
        (SharedChat.review_status == REJECTED, "rejected"),
        (and_(in_shared_chat, SharedChat.review_status != ACCEPTED), "awaiting_review"),
        (_removed_by_flag(), "removed_by_flag"),
        # NULL (a vote without a prompt) counts as unknown too.
        (known_licence.is_not(true()), "unknown_licence"),
        (Vote.id.not_in(counted.correlate(None)), "voter_not_counted"),
        (_weighed_down(), "voter_weighed_down"),
        else_=None,
    )


def included_votes(session: Session, community: Community, *columns) -> Select:
    """select(*columns) over the votes the community's data sets hold."""
    query = with_sources(select(*columns).select_from(Vote))
    return query.where(
        Vote.community_id == community.id, exclusion_reason(session, community).is_(None)
    )


def exclusions(session: Session, community: Community) -> dict[str, int]:
    """Votes of the community left out, by reason."""
    reasons = with_sources(
        select(exclusion_reason(session, community).label("reason")).select_from(Vote)
    ).where(Vote.community_id == community.id)
    inner = reasons.subquery()
    counts = dict(
        session.execute(
            select(inner.c.reason, func.count())
            .where(inner.c.reason.is_not(None))
            .group_by(inner.c.reason)
        )
        .tuples()
        .all()
    )
    return {reason: counts[reason] for reason in REASONS if counts.get(reason)}


def has_context(column):
    """SQL: a JSON list column holds earlier turns (neither NULL, JSON null nor [])."""
    return func.coalesce(cast(column, Text), "null").not_in(["null", "[]"])


def upheld_removals():
    """Flags a moderator upheld by removing content from the arena and the data sets."""
    return and_(ContentFlag.status == UPHELD, ContentFlag.resolution == REMOVE)


def _removed_by_flag():
    flagged = aliased(Response)
    return exists(
        select(ContentFlag.id)
        .outerjoin(flagged, flagged.id == ContentFlag.response_id)
        .where(
            ContentFlag.prompt_id == Vote.prompt_id,
            upheld_removals(),
            or_(
                ContentFlag.side == "prompt",
                flagged.model_id == Vote.model_a_id,
                flagged.model_id == Vote.model_b_id,
            ),
        )
    )


def _weighed_down():
    return exists(
        select(VoterWeight.voter_id).where(
            VoterWeight.voter_id == Vote.voter_id,
            VoterWeight.community_id == Vote.community_id,
            VoterWeight.weight < 1.0,
        )
    )
