"""A community's own question after a pairwise vote ("Would you want your model to behave more
like this?"), asked about the answer the voter chose, and its results per model.

Asked only after a vote for A or B (a tie or "both are bad" chose no answer), only of the vote's
own voter, once per vote. An empty `Community.question` asks nothing.

`results(session, community_id)` is what boards and data sets read, and stays as documented:
`{model name: {"yes": int, "no": int, "share": float}}`, where share is yes / (yes + no)
rounded to 4 places, models in name order; answers to votes cast while their voter was
excluded by the integrity rules are left out, as from the boards.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from arena.core.db import insert_on_conflict
from arena.core.errors import Conflict
from arena.models import Community, LanguageModel, QuestionAnswer, Vote, utcnow
from arena.voting.battles import battle_for_voter
from arena.voting.trust import EXCLUDED

CHOSEN = ("a", "b")  # the votes that chose an answer
# The vote's one answer settles a race between two tabs: the second inserts nothing.
_RECORD = insert_on_conflict(
    QuestionAnswer.__table__,
    ("vote_id", "community_id", "model_id", "answer", "created_at"),
    "(vote_id) DO NOTHING",
)


def question_of(community: Community) -> str | None:
    """The community's question, or None when it asks none."""
    return (community.question or "").strip() or None


@dataclass(frozen=True)
class Asked:
    """The question as the result page shows it."""

    text: str
    side: str  # the side the voter chose
    answer: bool | None  # what they answered, once they have


def asked(session: Session, voter_id: int, battle_token: str) -> Asked | None:
    """The question to ask after this voter's vote; None when there is none to ask."""
    battle = battle_for_voter(session, battle_token, voter_id)
    vote = session.execute(select(Vote.id, Vote.choice).where(Vote.battle_id == battle.id)).first()
    text = question_of(battle.community)
    if vote is None or vote.choice not in CHOSEN or text is None:
        return None
    given = session.scalar(select(QuestionAnswer.answer).where(QuestionAnswer.vote_id == vote.id))
    return Asked(text=text, side=vote.choice, answer=given)


@dataclass(frozen=True)
class Answered:
    token: str
    question: str
    yes: bool
    model: str  # the chosen answer's model: the vote has revealed it already


def answer(
    session: Session, voter_id: int, battle_token: str, yes: bool, now: datetime | None = None
) -> Answered:
    """Store the voter's yes/no about the answer they chose (a 409 the second time)."""
    battle = battle_for_voter(session, battle_token, voter_id)
    vote = session.scalar(select(Vote).where(Vote.battle_id == battle.id))
    if vote is None:
        raise Conflict("Vote first: the question is about the answer you choose.")
    text = question_of(battle.community)
    if text is None:
        raise Conflict(f"{battle.community.name} asks no question after a vote.")
    if vote.choice not in CHOSEN:
        raise Conflict("The question is asked only about an answer you chose (A or B).")
    model_id = vote.model_a_id if vote.choice == "a" else vote.model_b_id
    row = {
        "vote_id": vote.id,
        "community_id": vote.community_id,
        "model_id": model_id,
        "answer": bool(yes),
        "created_at": now or utcnow(),
    }
    if not session.execute(_RECORD, row).rowcount:
        raise Conflict("You answered this question for this vote already.")
    model = session.scalar(select(LanguageModel.name).where(LanguageModel.id == model_id))
    return Answered(token=battle_token, question=text, yes=bool(yes), model=model)


def results(session: Session, community_id: int) -> dict[str, dict]:
    """Yes and no per model of the chosen answers, and the share of yes (see the module)."""
    counted = or_(Vote.voter_trust.is_(None), Vote.voter_trust != EXCLUDED)
    rows = session.execute(
        select(LanguageModel.name, QuestionAnswer.answer, func.count())
        .join(LanguageModel, LanguageModel.id == QuestionAnswer.model_id)
        .join(Vote, Vote.id == QuestionAnswer.vote_id)
        .where(QuestionAnswer.community_id == community_id, counted)
        .group_by(LanguageModel.name, QuestionAnswer.answer)
    )
    tally: dict[str, dict] = {}
    for name, said_yes, count in rows:
        tally.setdefault(name, {"yes": 0, "no": 0})["yes" if said_yes else "no"] += count
    return {
        name: {**counts, "share": round(counts["yes"] / (counts["yes"] + counts["no"]), 4)}
        for name, counts in sorted(tally.items())
    }
