"""The reveal after a vote: what it earned, where both models stand, and how others judged."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from arena.game import badges
from arena.game.rules import Rules
from arena.models import Battle, LanguageModel, PointEvent, Rating, UserBadge, Vote
from arena.voting.leaderboard import model_leaderboard, with_ranks
from arena.voting.ratings import conservative_score

SIDES = ("a", "b")
# Others' judgement stays hidden until this many other votes exist: one or two votes would
# tell little and could point at who cast them.
MIN_OTHER_VOTES = 3
MAX_BADGE_STEPS = 6


@dataclass(frozen=True)
class Earned:
    reason: str
    amount: int
    description: str


@dataclass(frozen=True)
class Standing:
    """A model on its community's TrueSkill board; `change` only when this vote alone moved it."""

    rank: int | None
    board_size: int
    score: float | None
    change: float | None


@dataclass(frozen=True)
class BadgeStep:
    name: str
    icon: str
    tier: str
    current: float
    target: float
    earned: bool
    slug: str = ""  # names its icon, static/icons/badges.svg#badge-<slug>


@dataclass
class Reveal:
    points: list[Earned]
    standings: dict[str, Standing]
    others: dict[str, int] | None
    badge_steps: list[BadgeStep] = field(default_factory=list)

    @property
    def total_points(self) -> int:
        return sum(earned.amount for earned in self.points)


def has_voted(session: Session, voter_id: int, token: str) -> bool:
    """Whether this voter's battle behind `token` already holds their vote."""
    return (
        session.scalar(
            select(Vote.id)
            .join(Battle, Battle.id == Vote.battle_id)
            .where(Battle.token == token, Battle.voter_id == voter_id)
        )
        is not None
    )


def scores_before(session: Session, voter_id: int, token: str) -> dict | None:
    """Both sides' (score, votes) in the battle's community, read just before the vote is cast:
    the rating history is not stored, so this is the only cheap way to a vote's own change."""
    battle = session.scalar(select(Battle).where(Battle.token == token))
    if battle is None or battle.voter_id != voter_id:
        return None
    ids = _side_models(session, battle)
    rows = session.execute(
        select(Rating.model_id, Rating.mu, Rating.sigma, Rating.votes).where(
            Rating.model_id.in_(ids.values()), Rating.scope == battle.community.slug
        )
    )
    found = {m: [round(conservative_score(mu, s), 3), votes] for m, mu, s, votes in rows}
    return {side: found.get(model_id, [None, 0]) for side, model_id in ids.items()}


def reveal(
    session: Session, rules: Rules, voter_id: int, token: str, before: dict | None = None
) -> Reveal:
    """Everything the result page shows after the vote (the caller checks it was cast)."""
    vote = session.scalar(
        select(Vote)
        .join(Battle, Battle.id == Vote.battle_id)
        .where(Battle.token == token, Battle.voter_id == voter_id)
    )
    battle = session.get(Battle, vote.battle_id)
    sides = _side_models(session, battle)
    earned = points_earned(session, rules, vote)
    return Reveal(
        points=earned,
        standings=standings(session, battle.community.slug, sides, before),
        others=others_judgement(session, vote, sides),
        badge_steps=badge_steps(session, rules, vote, earned),
    )


def _side_models(session: Session, battle: Battle) -> dict[str, int]:
    return {"a": battle.response_a.model_id, "b": battle.response_b.model_id}


def points_earned(session: Session, rules: Rules, vote: Vote) -> list[Earned]:
    """The voter's ledger rows for this vote, and the discoveries it made (ref'd by model)."""
    discovered = (
        (PointEvent.ref_type == "model")
        & PointEvent.ref_id.in_((vote.model_a_id, vote.model_b_id))
        & (PointEvent.created_at == vote.created_at)
    )
    rows = session.execute(
        select(PointEvent.reason, PointEvent.amount)
        .where(
            PointEvent.user_id == vote.voter_id,
            or_((PointEvent.ref_type == "vote") & (PointEvent.ref_id == vote.id), discovered),
        )
        .order_by(PointEvent.id)
    )
    return [Earned(reason, amount, _describe(rules, reason)) for reason, amount in rows]


def _describe(rules: Rules, reason: str) -> str:
    rule = rules.points.get(reason)
    return rule.description if rule else reason


def standings(
    session: Session, community_slug: str, sides: dict[str, int], before: dict | None
) -> dict[str, Standing]:
    board = with_ranks(model_leaderboard(session, community_slug)["models"])
    ratings = dict(
        session.execute(
            select(Rating.model_id, Rating.votes).where(
                Rating.model_id.in_(sides.values()), Rating.scope == community_slug
            )
        ).all()
    )
    names = _names(session, sides)
    by_name = {row["model"]: row for row in board}
    result = {}
    for side, model_id in sides.items():
        row = by_name.get(names[model_id])
        was = (before or {}).get(side)
        change = None
        # Exact only if no other vote touched the model since: its count went up by one.
        if row and was and was[0] is not None and ratings.get(model_id) == was[1] + 1:
            change = round(row["score"] - was[0], 3)
        result[side] = Standing(
            rank=row["rank"] if row else None,
            board_size=len(board),
            score=row["score"] if row else None,
            change=change,
        )
    return result


def _names(session: Session, sides: dict[str, int]) -> dict[int, str]:
    rows = session.execute(
        select(LanguageModel.id, LanguageModel.name).where(LanguageModel.id.in_(sides.values()))
    )
    return dict(rows.tuples().all())


def others_judgement(session: Session, vote: Vote, sides: dict[str, int]) -> dict | None:
    """Other voters' choices on the same prompt and pair, as sides of this battle; None until
    MIN_OTHER_VOTES exist."""
    rows = session.execute(
        select(Vote.model_a_id, Vote.choice).where(
            Vote.prompt_id == vote.prompt_id,
            Vote.id != vote.id,
            or_(Vote.voter_id.is_(None), Vote.voter_id != vote.voter_id),
            Vote.model_a_id.in_(sides.values()),
            Vote.model_b_id.in_(sides.values()),
        )
    ).all()
    if len(rows) < MIN_OTHER_VOTES:
        return None
    counts = {"a": 0, "b": 0, "tie": 0, "both_bad": 0}
    swapped = {"a": "b", "b": "a"}
    for model_a_id, choice in rows:
        if model_a_id != sides["a"]:
            choice = swapped.get(choice, choice)
        counts[choice] += 1
    return counts


def _moved_inputs(vote: Vote, points: list[Earned]) -> set[str]:
    """The badge criterion inputs (badges.criterion_input) a vote changes for its voter."""
    inputs = {"vote", "streak"}
    if vote.choice in ("tie", "both_bad"):
        inputs.add(f"vote_{vote.choice}")
    if any(earned.reason == "discovery" for earned in points):
        inputs.add("discoveries")
    return inputs


def badge_steps(
    session: Session, rules: Rules, vote: Vote, earned: list[Earned]
) -> list[BadgeStep]:
    """Badges this vote moved towards (progress now) or earned (awarded at the vote's time)."""
    moved = _moved_inputs(vote, earned)
    held = dict(
        session.execute(
            select(UserBadge.badge, UserBadge.awarded_at).where(UserBadge.user_id == vote.voter_id)
        )
        .tuples()
        .all()
    )
    rules_moved = [
        rule
        for rule in rules.badges
        if rule.kind != badges.CHAMPION_KIND and badges.criterion_input(rule) in moved
    ]
    activity = badges.activity_of(session, vote.voter_id, None, vote.created_at)
    steps = []
    for rule in rules_moved:
        current, target = badges.progress(rule, activity)
        earned_now = rule.slug in held and _same_time(held[rule.slug], vote.created_at)
        if rule.slug in held and not earned_now:
            continue  # held from before: this vote moved nothing
        steps.append(
            BadgeStep(rule.name, rule.icon, rule.tier, current, target, earned_now, rule.slug)
        )
    steps.sort(key=lambda step: (not step.earned, -(step.current / step.target)))
    return steps[:MAX_BADGE_STEPS]


def _same_time(first: datetime, second: datetime) -> bool:
    return first.replace(tzinfo=None) == second.replace(tzinfo=None)
