"""Who is being heard in a community: how many people take part each ISO week, how concentrated
its votes are, and which languages, topics and models its votes are about.

Counts only, never who: this is about representation, not people. Votes are the ones members
cast here (`voter_id` set); imported votes speak for studies elsewhere and are left out, and so
are guests' votes: an address may start guests by the dozen, so they would be heard cheaply.
Every vote figure covers the same window of whole ISO weeks (UTC); prompt counts are the
community's active prompts now, the pool its voters are served from.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import String, func, select, true, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from arena.core.clock import week_start
from arena.models import Audit, Community, LanguageModel, Prompt, User, Vote
from arena.models.chats import SharedChat

DEFAULT_WEEKS, MAX_WEEKS = 12, 104
TOP_SHARES = (("top_1_percent", 1), ("top_10_percent", 10))  # per cent of the voters
UNKNOWN = "unknown"  # no language detected, or no category


class week_monday(FunctionElement):  # noqa: N801 - an SQL function, named like one
    """The Monday (text, YYYY-MM-DD) of the UTC ISO week holding a timestamp."""

    type = String()
    name = "week_monday"
    inherit_cache = True


@compiles(week_monday, "sqlite")
def _sqlite_monday(element, compiler, **kw):
    # Timestamps are stored as UTC text; 'weekday 0' moves to the Sunday that ends ISO weeks.
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


@compiles(week_monday, "postgresql")
def _postgresql_monday(element, compiler, **kw):
    moment = compiler.process(element.clauses, **kw)
    return f"to_char(date_trunc('week', {moment} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"


@dataclass(frozen=True)
class Window:
    """Whole ISO weeks, oldest first, the last one holding the moment asked about."""

    mondays: tuple[date, ...]

    @property
    def since(self) -> datetime:
        first = self.mondays[0]
        return datetime(first.year, first.month, first.day, tzinfo=UTC)


def window(now: datetime, weeks: int = DEFAULT_WEEKS) -> Window:
    last = week_start(now).date()
    return Window(tuple(last - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)))


def _live_votes(community_id: int, since: datetime):
    """Members' votes here in the window; the users join is in the conditions, so every query
    over votes below takes it as it is."""
    return (
        Vote.community_id == community_id,
        Vote.voter_id.isnot(None),
        Vote.created_at >= since,
        User.id == Vote.voter_id,
        ~User.is_guest,
    )


def _distinct_per_week(session: Session, who, moment, *where) -> dict[str, int]:
    week = week_monday(moment)
    query = select(week, func.count(func.distinct(who))).where(*where).group_by(week)
    return dict(session.execute(query).tuples().all())


def weekly_people(session: Session, community_id: int, span: Window) -> list[dict]:
    """Per week: distinct voters, contributors (chats shared and still published) and
    auditors (audits recorded, known-answer ones included)."""
    since = span.since
    voters = _distinct_per_week(
        session, Vote.voter_id, Vote.created_at, *_live_votes(community_id, since)
    )
    contributors = _distinct_per_week(
        session,
        SharedChat.contributor_id,
        SharedChat.created_at,
        SharedChat.community_id == community_id,
        SharedChat.status == "published",
        SharedChat.created_at >= since,
    )
    audited = select(SharedChat.id).where(SharedChat.community_id == community_id)
    auditors = _distinct_per_week(
        session,
        Audit.auditor_id,
        Audit.created_at,
        Audit.chat_id.in_(audited),
        Audit.created_at >= since,
    )
    days = [monday.isoformat() for monday in span.mondays]
    return [
        {
            "week": _iso_week(monday),
            "start": day,
            "voters": voters.get(day, 0),
            "contributors": contributors.get(day, 0),
            "auditors": auditors.get(day, 0),
        }
        for monday, day in zip(span.mondays, days, strict=True)
    ]


def _iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def votes_per_voter(session: Session, community_id: int, since: datetime) -> list[int]:
    """Each voter's number of votes in the window (who they are stays in the database)."""
    # Grouped by an expression: by the bare column, SQLite walks the voter index and reads each
    # vote's row at random, about three times slower than scanning and sorting (measured).
    voter = Vote.voter_id + 0
    query = select(func.count()).where(*_live_votes(community_id, since)).group_by(voter)
    return list(session.scalars(query))


def top_share(counts: list[int], percent: int) -> tuple[int, float | None]:
    """(k, share of all votes cast by the k most active voters), k = ceil(percent % of voters).

    At least one voter: with fewer than 100 voters the top 1 % is the single top voter, and
    with fewer than 10 the top 10 % is too. Ties at the cut-off change nothing: only the counts
    are summed. None for the share when there are no votes."""
    if not counts:
        return 0, None
    ranked = np.sort(np.asarray(counts, dtype=np.int64))[::-1]
    k = -(-len(ranked) * percent // 100)  # the integer ceiling, at least 1: no float rounding
    return k, float(ranked[:k].sum() / ranked.sum())


def gini(counts: list[int]) -> float | None:
    """The Gini coefficient of votes per voter: 0 when everyone votes alike, near 1 when one
    voter casts nearly all votes. With the n counts sorted ascending, x_1 <= ... <= x_n,

        G = sum_i (2 i - n - 1) x_i / (n * sum_i x_i),    i = 1 .. n,

    which equals the mean absolute difference over all ordered pairs divided by twice the
    mean, sum_i sum_j |x_i - x_j| / (2 n^2 mean). Voters without votes in the window are not
    counted (nobody is known to have stayed away). None without votes."""
    values = np.sort(np.asarray(counts, dtype=np.float64))
    n = values.size
    if n == 0 or values.sum() == 0:
        return None
    ranks = np.arange(1, n + 1)
    return float(((2 * ranks - n - 1) * values).sum() / (n * values.sum()))


def concentration(session: Session, community_id: int, since: datetime) -> dict:
    counts = votes_per_voter(session, community_id, since)
    shares = {}
    for name, percent in TOP_SHARES:
        voters, share = top_share(counts, percent)
        shares[name] = {"voters": voters, "share": share}
    return {"voters": len(counts), "votes": sum(counts), **shares, "gini": gini(counts)}


def _prompts_and_votes(
    session, community_id: int, since: datetime, label, vote_label=None
) -> list[dict]:
    """Active prompts and votes in the window per label (a language or a category) of the
    prompt; `vote_label` when a vote may carry its own."""
    vote_label = label if vote_label is None else vote_label
    prompts = dict(
        session.execute(
            select(label, func.count())
            .where(Prompt.community_id == community_id, Prompt.is_active == true())
            .group_by(label)
        )
        .tuples()
        .all()
    )
    votes = dict(
        session.execute(
            select(vote_label, func.count())
            .select_from(Vote)
            .outerjoin(Prompt, Prompt.id == Vote.prompt_id)
            .where(*_live_votes(community_id, since))
            .group_by(vote_label)
        )
        .tuples()
        .all()
    )
    rows = [
        {"name": name, "prompts": prompts.get(name, 0), "votes": votes.get(name, 0)}
        for name in set(prompts) | set(votes)
    ]
    rows.sort(key=lambda row: (-row["votes"], -row["prompts"], row["name"]))
    return rows


def languages(session: Session, community_id: int, since: datetime) -> list[dict]:
    """Prompts and votes per language; a vote without a prompt keeps the language it came with."""
    label = func.coalesce(Prompt.language, UNKNOWN)
    vote_label = func.coalesce(Prompt.language, Vote.language, UNKNOWN)
    rows = _prompts_and_votes(session, community_id, since, label, vote_label)
    return [{"language": row.pop("name"), **row} for row in rows]


def topics(session: Session, community_id: int, since: datetime) -> list[dict]:
    """Prompts and votes per prompt category."""
    label = func.coalesce(func.nullif(Prompt.category, ""), UNKNOWN)
    rows = _prompts_and_votes(session, community_id, since, label)
    return [{"topic": row.pop("name"), **row} for row in rows]


def votes_per_model(session: Session, community_id: int, since: datetime) -> list[dict]:
    """Votes each model took part in (a vote counts once for each of its two models)."""
    where = _live_votes(community_id, since)
    sides = union_all(
        select(Vote.model_a_id.label("model_id")).where(*where),
        select(Vote.model_b_id.label("model_id")).where(*where),
    ).subquery()
    votes = func.count().label("votes")
    query = (
        select(LanguageModel.name, votes)
        .join(sides, sides.c.model_id == LanguageModel.id)
        .group_by(LanguageModel.id, LanguageModel.name)
        .order_by(votes.desc(), LanguageModel.name)
    )
    return [{"model": name, "votes": count} for name, count in session.execute(query)]


def participation(session: Session, community: Community, now: datetime, weeks: int) -> dict:
    """Every figure of the participation page and API, over the last `weeks` ISO weeks."""
    span = window(now, weeks)
    since = span.since
    return {
        "community": community.slug,
        "weeks": weeks,
        "since": span.mondays[0].isoformat(),
        "by_week": weekly_people(session, community.id, span),
        "concentration": concentration(session, community.id, since),
        "languages": languages(session, community.id, since),
        "topics": topics(session, community.id, since),
        "models": votes_per_model(session, community.id, since),
    }
