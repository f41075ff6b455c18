"""Preference pairs: one row per prompt and pair of answers with the majority of its votes, as
Hugging Face TRL's DPO trainer reads them (`dpo`) and as OpenAI's preference fine-tuning does
(`openai-dpo`).

A pair's votes are counted side-independently (answer of the lower model id = "low"): low won,
high won, tie, both bad. The option with the most votes is the pair's outcome, "split" when two
options share the most; agreement is the share of votes the most chosen option got. Only pairs
whose outcome is a preference become rows; `ties=flag` keeps the others too, flagged.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from arena.datasets import texts
from arena.datasets.selection import Release, has_context, included_votes
from arena.models import Prompt, QuestionAnswer, Response, Vote

LOW_WINS, HIGH_WINS, TIE, BOTH_BAD, SPLIT = "low", "high", "tie", "both_bad", "split"
PREFERENCES = (LOW_WINS, HIGH_WINS)


@dataclass(frozen=True)
class PairVotes:
    prompt_id: int
    low: int  # model ids, lower first
    high: int
    low_wins: int
    high_wins: int
    ties: int
    both_bad: int
    answered: bool  # both answers are stored
    own_histories: bool  # the answers continue different earlier turns (multi-turn custom)

    @property
    def total(self) -> int:
        return self.low_wins + self.high_wins + self.ties + self.both_bad

    @property
    def outcome(self) -> str:
        counts = {LOW_WINS: self.low_wins, HIGH_WINS: self.high_wins}
        counts |= {TIE: self.ties, BOTH_BAD: self.both_bad}
        most = max(counts.values())
        leaders = [option for option, count in counts.items() if count == most]
        return leaders[0] if len(leaders) == 1 else SPLIT

    @property
    def agreement(self) -> float:
        return max(self.low_wins, self.high_wins, self.ties, self.both_bad) / self.total

    @property
    def shares_a_prompt(self) -> bool:
        """Both answers answer the same conversation: a valid preference row."""
        return self.answered and not self.own_histories


def pair_votes(
    session: Session, release: Release, prompt_ids: list[int] | None = None
) -> Iterator[PairVotes]:
    """Every pair's vote counts (of these prompts, or all), ordered by prompt and pair."""
    inner = _sided_votes(session, release, prompt_ids).subquery()
    counts = (
        select(
            inner.c.prompt_id,
            inner.c.low,
            inner.c.high,
            func.sum(inner.c.low_won),
            func.sum(inner.c.high_won),
            func.sum(inner.c.tie),
            func.sum(inner.c.both_bad),
        )
        .group_by(inner.c.prompt_id, inner.c.low, inner.c.high)
        .subquery()
    )
    low_answer, high_answer = aliased(Response), aliased(Response)
    query = (
        select(
            *counts.c,
            and_(low_answer.id.is_not(None), high_answer.id.is_not(None)),
            or_(has_context(low_answer.context), has_context(high_answer.context)),
        )
        .outerjoin(
            low_answer,
            and_(low_answer.prompt_id == counts.c.prompt_id, low_answer.model_id == counts.c.low),
        )
        .outerjoin(
            high_answer,
            and_(
                high_answer.prompt_id == counts.c.prompt_id,
                high_answer.model_id == counts.c.high,
            ),
        )
        .order_by(counts.c.prompt_id, counts.c.low, counts.c.high)
    )
    for row in session.execute(query).tuples():
        *ids_and_counts, answered, own_histories = row
        yield PairVotes(*map(int, ids_and_counts), bool(answered), bool(own_histories))


def dpo_rows(session: Session, release: Release, conversational: bool) -> Iterator[dict]:
    for batch, prompts, answers, questions in _batches(session, release):
        for pair in batch:
            if _wanted(pair, release.ties):
                yield _dpo_row(release, pair, prompts, answers, questions, conversational)


def openai_rows(session: Session, release: Release) -> Iterator[dict]:
    """Preferences only: OpenAI's format has no place for a tie."""
    for batch, prompts, answers, _ in _batches(session, release):
        for pair in batch:
            if _wanted(pair, "exclude"):
                chosen, rejected = _sides(pair)
                yield {
                    "input": {"messages": texts.prompt_messages(prompts[pair.prompt_id])},
                    "preferred_output": texts.assistant(answers[(pair.prompt_id, chosen)].text),
                    "non_preferred_output": texts.assistant(
                        answers[(pair.prompt_id, rejected)].text
                    ),
                }


def any_context(session: Session, release: Release) -> bool:
    """Whether some pair's prompt has earlier turns: then every row is conversational, so the
    file keeps one shape (a column mixing text and message lists does not load)."""
    query = included_votes(session, release.community, Vote.id).where(has_context(Prompt.context))
    return session.scalar(query.limit(1)) is not None


def _wanted(pair: PairVotes, ties: str) -> bool:
    return pair.shares_a_prompt and (pair.outcome in PREFERENCES or ties == "flag")


def _sides(pair: PairVotes) -> tuple[int, int]:
    """(chosen, rejected) model ids; without a preference, the lower model id first."""
    return (pair.high, pair.low) if pair.outcome == HIGH_WINS else (pair.low, pair.high)


def _dpo_row(release, pair, prompts, answers, questions, conversational) -> dict:
    prompt = prompts[pair.prompt_id]
    chosen, rejected = _sides(pair)
    chosen_text = answers[(pair.prompt_id, chosen)].text
    rejected_text = answers[(pair.prompt_id, rejected)].text
    swapped = chosen != pair.low
    chosen_votes, rejected_votes = (
        (pair.high_wins, pair.low_wins) if swapped else (pair.low_wins, pair.high_wins)
    )
    return {
        "id": release.pseudonyms.row("pair", pair.prompt_id, pair.low, pair.high),
        "prompt": texts.prompt_messages(prompt) if conversational else prompt.text,
        "chosen": texts.assistant(chosen_text) if conversational else chosen_text,
        "rejected": texts.assistant(rejected_text) if conversational else rejected_text,
        "chosen_model": release.model_names[chosen],
        "rejected_model": release.model_names[rejected],
        "outcome": "preference" if pair.outcome in PREFERENCES else pair.outcome,
        "votes": {
            "chosen": chosen_votes,
            "rejected": rejected_votes,
            "tie": pair.ties,
            "both_bad": pair.both_bad,
        },
        "vote_count": pair.total,
        "agreement": round(pair.agreement, 4),
        "question": _question(release, questions, pair, chosen, rejected),
        "audit_status": prompt.audit_status,
        "source": prompt.origin,
        "source_id": prompt.source_id,
        "licence": prompt.licence.licence,
        "attribution": prompt.licence.attribution,
        "community": release.community.slug,
        "language": prompt.language,
    }


def _question(release, questions, pair, chosen, rejected) -> dict | None:
    """Answers to the community's question, about the answer each voter chose."""
    question = release.community.question
    if not question:
        return None
    asked = questions.get((pair.prompt_id, pair.low, pair.high), {})
    return {
        "text": question,
        "chosen": {"yes": asked.get((chosen, True), 0), "no": asked.get((chosen, False), 0)},
        "rejected": {
            "yes": asked.get((rejected, True), 0),
            "no": asked.get((rejected, False), 0),
        },
    }


def _batches(session: Session, release: Release):
    """(pairs, prompts, answers, question answers) a batch of prompts at a time."""
    after = 0
    while True:
        prompt_ids = list(
            session.scalars(
                included_votes(session, release.community, Vote.prompt_id)
                .where(Vote.prompt_id > after)
                .group_by(Vote.prompt_id)
                .order_by(Vote.prompt_id)
                .limit(texts.BATCH)
            )
        )
        if not prompt_ids:
            return
        after = prompt_ids[-1]
        pairs = list(pair_votes(session, release, prompt_ids))
        yield (
            pairs,
            texts.prompts(session, prompt_ids),
            texts.answers(session, prompt_ids),
            _question_answers(session, release, prompt_ids),
        )


def _sided_votes(session: Session, release: Release, prompt_ids: list[int] | None):
    a_lower = Vote.model_a_id < Vote.model_b_id
    low_won = or_(and_(Vote.choice == "a", a_lower), and_(Vote.choice == "b", ~a_lower))
    high_won = or_(and_(Vote.choice == "b", a_lower), and_(Vote.choice == "a", ~a_lower))
    query = included_votes(
        session,
        release.community,
        Vote.prompt_id,
        case((a_lower, Vote.model_a_id), else_=Vote.model_b_id).label("low"),
        case((a_lower, Vote.model_b_id), else_=Vote.model_a_id).label("high"),
        _one_if(low_won).label("low_won"),
        _one_if(high_won).label("high_won"),
        _one_if(Vote.choice == "tie").label("tie"),
        _one_if(Vote.choice == "both_bad").label("both_bad"),
    ).where(Vote.prompt_id.is_not(None))
    if prompt_ids is not None:
        query = query.where(Vote.prompt_id.in_(prompt_ids))
    return query


def _one_if(condition):
    return case((condition, 1), else_=0)


def _question_answers(session: Session, release: Release, prompt_ids: list[int]) -> dict:
    """(prompt, low, high) -> {(model id, answer): count} for these prompts."""
    if not release.community.question:
        return {}
    inner = (
        _sided_votes(session, release, prompt_ids)
        .join(QuestionAnswer, QuestionAnswer.vote_id == Vote.id)
        .add_columns(QuestionAnswer.model_id.label("model"), QuestionAnswer.answer.label("yes"))
        .subquery()
    )
    found: dict = {}
    keys = (inner.c.prompt_id, inner.c.low, inner.c.high, inner.c.model, inner.c.yes)
    rows = session.execute(select(*keys, func.count()).group_by(*keys))
    for prompt_id, low, high, model, yes, count in rows:
        found.setdefault((prompt_id, low, high), {})[(model, bool(yes))] = count
    return found
