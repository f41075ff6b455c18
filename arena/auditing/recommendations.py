"""What a community's votes recommend: the best models with their uncertainty, the models that
win most on its tags, and the library prompts (system prompts, templates) behind its
best-rated answers.

Only votes the community's published board counts are read (voting/selection.py), and only
on prompts of shared chats its auditors accepted (custom battles are shared chats too), so a
rejected or unreviewed chat recommends nothing. Contributors are never named: a tag or a
prompt is reported with counts only.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.models import Community, LanguageModel, Prompt, Vote
from arena.models.chats import ACCEPTED, SharedChat
from arena.models.library import PromptShare
from arena.voting import trust
from arena.voting.bradley_terry import Board
from arena.voting.selection import BoardKey, vote_filter


@dataclass(frozen=True)
class Limits:
    top_models: int = 5
    top_tags: int = 8
    top_prompts: int = 5
    tag_votes: int = 10  # a tag's votes before it names a winner
    model_tag_votes: int = 5  # a model's votes on a tag before it can win it
    prompt_votes: int = 3  # a library prompt's votes before it is recommended


@dataclass
class Tally:
    """A model's votes on some prompts: wins count 1, ties and both-bad ½ (as on the boards)."""

    points: float = 0.0
    votes: int = 0

    @property
    def win_rate(self) -> float:
        return self.points / self.votes


def best_models(rows: list[dict], limit: int = Limits.top_models) -> list[dict]:
    """The board's best, each marked tied_for_first when its 95 % interval overlaps the
    leader's. Preliminary models are considered only while no model is ranked."""
    ranked = [row for row in rows if not row["preliminary"]] or rows
    if not ranked:
        return []
    leader = ranked[0]
    return [
        {**row, "tied_for_first": row["ci_upper"] >= leader["ci_lower"]} for row in ranked[:limit]
    ]


def _accepted_chats(community_id: int):
    return select(SharedChat.id).where(
        SharedChat.community_id == community_id,
        SharedChat.status == "published",
        SharedChat.review_status == ACCEPTED,
    )


def _votes_on_accepted_prompts(session: Session, community: Community) -> list[tuple]:
    """(chat id, library prompt id, model a, model b, choice, votes), one GROUP BY."""
    key = BoardKey(
        community=community.slug, **trust.default_policy().published_filters(community.slug)
    )
    columns = (Prompt.shared_chat_id, Prompt.library_prompt_id, Vote.model_a_id, Vote.model_b_id)
    query = (
        select(*columns, Vote.choice, func.count())
        .join(Prompt, Prompt.id == Vote.prompt_id)
        .where(Prompt.shared_chat_id.in_(_accepted_chats(community.id)))
        .group_by(*columns, Vote.choice)
    )
    return [tuple(row) for row in session.execute(vote_filter(query, session, key))]


def _score(tallies: dict[int, Tally], model_a: int, model_b: int, choice: str, votes: int):
    for model, won in ((model_a, choice == "a"), (model_b, choice == "b")):
        tally = tallies.setdefault(model, Tally())
        tally.votes += votes
        tally.points += votes * (1.0 if won else 0.5 if choice in ("tie", "both_bad") else 0.0)


def _tags(session: Session, community_id: int) -> tuple[dict, dict]:
    """Lower-cased tags of the community's accepted chats and of the library prompts asked in
    it, by id (subqueries, not lists of ids: a large community has more than SQLite binds)."""
    chats = session.execute(
        select(SharedChat.id, SharedChat.tags).where(
            SharedChat.id.in_(_accepted_chats(community_id))
        )
    )
    asked_here = select(Prompt.library_prompt_id).where(Prompt.community_id == community_id)
    library = session.execute(
        select(PromptShare.id, PromptShare.tags).where(PromptShare.id.in_(asked_here))
    )

    def lowered(found) -> dict[int, set[str]]:
        return {key: {str(tag).strip().lower() for tag in tags or []} for key, tags in found}

    return lowered(chats), lowered(library)


def tag_winners(
    session: Session,
    community: Community,
    rows: list[tuple],
    names: dict[int, str],
    limits: Limits = Limits(),
) -> list[dict]:
    """Per tag with enough votes, the model with the best win rate there, most voted first."""
    chat_tags, library_tags = _tags(session, community.id)
    by_tag: dict[str, dict[int, Tally]] = defaultdict(dict)
    tag_votes: dict[str, int] = defaultdict(int)
    for chat_id, library_id, model_a, model_b, choice, votes in rows:
        for tag in chat_tags.get(chat_id, set()) | library_tags.get(library_id, set()):
            _score(by_tag[tag], model_a, model_b, choice, votes)
            tag_votes[tag] += votes
    winners = []
    for tag, tallies in by_tag.items():
        contenders = {m: t for m, t in tallies.items() if t.votes >= limits.model_tag_votes}
        if tag_votes[tag] < limits.tag_votes or not contenders:
            continue
        model = max(contenders, key=lambda m: (contenders[m].win_rate, contenders[m].votes))
        winners.append(
            {
                "tag": tag,
                "model": names[model],
                "win_rate": round(contenders[model].win_rate, 3),
                "model_votes": contenders[model].votes,
                "tag_votes": tag_votes[tag],
            }
        )
    winners.sort(key=lambda row: (-row["tag_votes"], row["tag"]))
    return winners[: limits.top_tags]


@dataclass
class LibraryTally:
    """A library prompt's votes here: how many, how many not both-bad, wins per model."""

    votes: int = 0
    good: int = 0
    wins: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def rating(self) -> float:
        return self.good / self.votes


def _library_tallies(rows: list[tuple]) -> dict[int, LibraryTally]:
    found: dict[int, LibraryTally] = {}
    for _chat, library_id, model_a, model_b, choice, votes in rows:
        if library_id is None:
            continue
        tally = found.setdefault(library_id, LibraryTally())
        tally.votes += votes
        tally.good += 0 if choice == "both_bad" else votes
        if choice in ("a", "b"):
            tally.wins[model_a if choice == "a" else model_b] += votes
    return found


def prompts_behind_best_answers(
    session: Session, rows: list[tuple], names: dict[int, str], limits: Limits = Limits()
) -> list[dict]:
    """Library prompts whose answers voters rated best here: the share of votes that were not
    both-bad (the library's answer rating), with the model that won most with them."""
    tallies = {
        key: tally
        for key, tally in _library_tallies(rows).items()
        if tally.votes >= limits.prompt_votes
    }
    best = sorted(tallies, key=lambda key: (-tallies[key].rating, -tallies[key].votes, key))
    best = best[: limits.top_prompts]
    shares = session.scalars(select(PromptShare).where(PromptShare.id.in_(best)))
    by_id = {share.id: share for share in shares}
    return [_recommended_prompt(by_id[key], tallies[key], names) for key in best]


def _recommended_prompt(share: PromptShare, tally: LibraryTally, names: dict[int, str]) -> dict:
    wins = tally.wins
    top = min(wins, key=lambda model: (-wins[model], names[model])) if wins else None
    return {
        "id": share.id,
        "title": share.title,
        "system_prompt": share.system_prompt,
        "tags": list(share.tags or []),
        "votes": tally.votes,
        "answer_rating": round(tally.rating, 3),
        "top_model": names[top] if top is not None else None,
    }


def recommend(
    session: Session,
    community: Community,
    board: Board,
    min_votes: int,
    limits: Limits = Limits(),
) -> dict:
    """The community's recommended configuration, from its published Bradley–Terry board
    (models under `min_votes` votes are preliminary) and its votes."""
    rows = _votes_on_accepted_prompts(session, community)
    names = dict(session.execute(select(LanguageModel.id, LanguageModel.name)).tuples().all())
    return {
        "community": community.slug,
        "models": best_models(board.rows(min_votes), limits.top_models),
        "tags": tag_winners(session, community, rows, names, limits),
        "prompts": prompts_behind_best_answers(session, rows, names, limits),
        "thresholds": {
            "board_votes": min_votes,
            "tag_votes": limits.tag_votes,
            "model_tag_votes": limits.model_tag_votes,
            "prompt_votes": limits.prompt_votes,
        },
    }
